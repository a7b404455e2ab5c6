#!/usr/bin/env bash
# Before/after of two repro binaries on one spec, alternated (before, after, before, …) so
# that both see the same machine load; prints each run's wall and CPU (user) seconds and the
# build/SGD seconds of its runs.csv. CPU seconds are what to compare on a VM that loses time
# to other tenants (steal is not counted as user time).
#
#   bash benchmarks/ab/run.sh BEFORE_BIN AFTER_BIN ROUNDS SPEC [repro run options…]
#   e.g. (binaries built from two commits with `swift build -c release`, copied aside):
#   OPENBLAS_NUM_THREADS=1 bash benchmarks/ab/run.sh /tmp/repro-old .build/release/repro 2 benchmarks/ab/cifar10-dmn-4.json
#   bash benchmarks/ab/run.sh /tmp/repro-old .build/release/repro 1 benchmarks/ab/fig3-seed1.json --jobs 2
#   AGAINST=results/fig3 bash benchmarks/ab/run.sh /tmp/repro-old .build/release/repro 3 experiments/fig3.json --jobs 2
# With AGAINST=DIR, each run's tables are also summarised and compared with DIR's
# (benchmarks/runs_summary.py: run-seconds per model, how many runs' accuracies moved), and
# the per-run lines are left out.
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,14p' "$0"; exit 2; }
before=$1 after=$2 rounds=$3 spec=$4; shift 4
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for r in $(seq 1 "$rounds"); do
  for side in before after; do
    bin=$before; [ "$side" = after ] && bin=$after
    out="$scratch/$side-$r"
    /usr/bin/time -f "$side round $r: %e s wall, %U s CPU" "$bin" run "$spec" --out "$out" --quiet "$@"
    if [ -n "${AGAINST:-}" ]; then
      python3 "$(dirname "$0")/../runs_summary.py" "$out" --against "$AGAINST" | grep -E "run-seconds|^  (convnet|dmn|baseline):|^against"
      continue
    fi
    python3 - "$out/runs.csv" "$side" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    print(f"  {sys.argv[2]} {row['dataset']} {row['model']} {row['filters'] or '-'} seed {row['seed']}: "
          f"build {float(row['build_s']):.2f} s, sgd {float(row['sgd_s']):.2f} s, test acc {row['test_acc']}")
PY
  done
done
