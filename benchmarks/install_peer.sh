#!/usr/bin/env bash
# Install the pinned peer-benchmark Python packages: PyTorch (CPU), Keras 3 on JAX (CPU), numpy.
# Idempotent: pip skips packages already at the pinned version.
# Usage: bash benchmarks/install_peer.sh   (PYTHON=python3.11 to pick an interpreter)
set -euo pipefail

PYTHON="${PYTHON:-python3}"

# Pins verified to install and run together on Python 3.11 (Debian, x86_64, CPU only).
KERAS_VERSION="3.15.1"
JAX_VERSION="0.10.2"      # jax[cpu] pulls jaxlib at the same version
NUMPY_VERSION="2.4.6"
TORCH_VERSION="2.13.0"

"$PYTHON" -m pip install --disable-pip-version-check --quiet \
    "keras==${KERAS_VERSION}" \
    "jax[cpu]==${JAX_VERSION}" \
    "numpy==${NUMPY_VERSION}"

# PyTorch: the CPU-only build ("+cpu", about 200 MB) when pip can find it (a local wheel
# folder in pip's find-links, as on this project's machines); otherwise PyPI's own Linux
# wheel, which is the same CPU code but depends on NVIDIA's CUDA runtime packages (several
# GB) that a CPU run never loads.
if "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '${TORCH_VERSION}' else 1)" 2>/dev/null; then
    :
elif ! "$PYTHON" -m pip install --disable-pip-version-check --quiet "torch==${TORCH_VERSION}+cpu" 2>/dev/null; then
    echo "install_peer.sh: no torch==${TORCH_VERSION}+cpu wheel reachable; installing PyPI's torch==${TORCH_VERSION} (pulls CUDA packages)" >&2
    "$PYTHON" -m pip install --disable-pip-version-check --quiet "torch==${TORCH_VERSION}"
fi

echo "Installed peer packages for $("$PYTHON" --version 2>&1):"
"$PYTHON" - <<'PY'
import importlib.metadata as md
for name in ("torch", "keras", "jax", "jaxlib", "numpy", "ml_dtypes"):
    try:
        print(f"  {name}=={md.version(name)}")
    except md.PackageNotFoundError:
        print(f"  {name}: NOT INSTALLED")
PY
