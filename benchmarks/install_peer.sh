#!/usr/bin/env bash
# Install the pinned peer-benchmark Python packages (Keras 3 on JAX, CPU; numpy).
# Idempotent: pip skips packages already at the pinned version.
# Usage: bash benchmarks/install_peer.sh   (PYTHON=python3.11 to pick an interpreter)
set -euo pipefail

PYTHON="${PYTHON:-python3}"

# Pins verified to install and run together on Python 3.11 (Debian, x86_64, CPU only).
KERAS_VERSION="3.15.1"
JAX_VERSION="0.10.2"      # jax[cpu] pulls jaxlib at the same version
NUMPY_VERSION="2.4.6"

"$PYTHON" -m pip install --disable-pip-version-check --quiet \
    "keras==${KERAS_VERSION}" \
    "jax[cpu]==${JAX_VERSION}" \
    "numpy==${NUMPY_VERSION}"

echo "Installed peer packages for $("$PYTHON" --version 2>&1):"
"$PYTHON" - <<'PY'
import importlib.metadata as md
for name in ("keras", "jax", "jaxlib", "numpy", "ml_dtypes"):
    try:
        print(f"  {name}=={md.version(name)}")
    except md.PackageNotFoundError:
        print(f"  {name}: NOT INSTALLED")
PY
