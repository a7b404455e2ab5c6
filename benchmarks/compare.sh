#!/usr/bin/env bash
# Build repro (release), then for --rounds rounds run `repro bench --json` and every peer
# ONE AFTER ANOTHER (repro, torch, keras, numpy, repro, torch, ...), never concurrently;
# print the medians over rounds with every ratio (benchmarks/medians.py), then repro's DMN
# vs ConvNet end-to-end comparison (which alternates the two itself).
#
# Usage: bash benchmarks/compare.sh [--skip-build] [--quick] [--rounds N] [--peers "torch keras numpy"]
#                                   [--no-repro] [--no-peers] [--no-e2e] [--out DIR]
#   --skip-build  use the existing .build/release/repro
#   --quick       smoke settings (peers and repro at 1280 images, 1 repeat, 1 round)
#   --rounds N    alternating rounds (default 5)
#   --peers LIST  which peers (default "torch keras numpy"; keras = Keras 3 on JAX)
#   --no-repro    only run the peers (report shows "—" for repro)
#   --no-peers    only run repro
#   --no-e2e      skip the DMN vs ConvNet end-to-end comparison
#   --out DIR     where the JSON lines and the report go (default benchmarks/results)
#
# Environment:
#   OPENBLAS_NUM_THREADS  passed through untouched to every tool; when set below the core
#                         count, every tool is also pinned with taskset to that many cores
#                         so that XLA and PyTorch (which ignore OpenBLAS settings) get the
#                         same budget
#   PYTHON                interpreter for the peers (default python3)
#   REPRO_BIN             repro binary (default .build/release/repro)
#   REPRO_BENCH_ARGS      extra arguments for `repro bench --json`
#   E2E_ARGS              arguments of the end-to-end comparison (default
#                         "--e2e-datasets 'fashion-mnist cifar10' --e2e-repeats 5")
#   PEER_IMAGES, PEER_REPEATS, PEER_CONFIGS ("4;4,15;16,32"), PEER_INPUTS ("28x28x1 32x32x3")
#   DMN_REPEATS           repeats of the numpy DMN build (default 5)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PYTHON="${PYTHON:-python3}"
OUT="$HERE/results"
BUILD=1
QUICK=0
RUN_REPRO=1
RUN_PEERS=1
RUN_E2E=1
ROUNDS=5
PEERS="torch keras numpy"

while [ $# -gt 0 ]; do
    case "$1" in
        --skip-build) BUILD=0 ;;
        --quick) QUICK=1 ;;
        --no-repro) RUN_REPRO=0 ;;
        --no-peers) RUN_PEERS=0 ;;
        --no-e2e) RUN_E2E=0 ;;
        --rounds) shift; ROUNDS="$1" ;;
        --peers) shift; PEERS="$1" ;;
        --out) shift; OUT="$1" ;;
        -h|--help) sed -n '2,29p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

if [ "$QUICK" = 1 ]; then
    PEER_IMAGES="${PEER_IMAGES:-1280}"
    PEER_REPEATS="${PEER_REPEATS:-1}"
    DMN_REPEATS="${DMN_REPEATS:-1}"
    ROUNDS=1
    REPRO_BENCH_ARGS="${REPRO_BENCH_ARGS:---images 1280 --repeats 1}"
    E2E_ARGS="${E2E_ARGS:---e2e-datasets fashion-mnist --e2e-images 1280 --e2e-epochs 1}"
fi
PEER_IMAGES="${PEER_IMAGES:-12800}"
PEER_REPEATS="${PEER_REPEATS:-3}"
PEER_CONFIGS="${PEER_CONFIGS:-4;4,15;16,32}"
PEER_INPUTS="${PEER_INPUTS:-28x28x1 32x32x3}"
DMN_REPEATS="${DMN_REPEATS:-5}"
REPRO_BIN="${REPRO_BIN:-$ROOT/.build/release/repro}"

# Same core budget for every tool.
NCPU="$(nproc)"
PIN=()
if [ -n "${OPENBLAS_NUM_THREADS:-}" ] && [ "$OPENBLAS_NUM_THREADS" -ge 1 ] 2>/dev/null \
        && [ "$OPENBLAS_NUM_THREADS" -lt "$NCPU" ]; then
    PIN=(taskset -c "0-$((OPENBLAS_NUM_THREADS - 1))")
fi

log() { echo "[compare] $*" >&2; }
log "cores: $NCPU, OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-<unset>}, pin: ${PIN[*]:-none}"
log "results in $OUT"

# 1. build
if [ "$RUN_REPRO" = 1 ] && [ "$BUILD" = 1 ]; then
    log "swift build -c release (in $ROOT)"
    if ! (cd "$ROOT" && swift build -c release) > "$OUT/build.log" 2>&1; then
        tail -n 30 "$OUT/build.log" >&2
        log "release build FAILED (full log: $OUT/build.log)"
        exit 1
    fi
fi

# 2. rounds: repro and each peer strictly one after another
has_peer() { case " $PEERS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
if [ "$RUN_PEERS" = 1 ]; then
    need_install=0
    has_peer torch && ! "$PYTHON" -c "import torch" >/dev/null 2>&1 && need_install=1
    has_peer keras && ! KERAS_BACKEND=jax "$PYTHON" -c "import keras, jax" >/dev/null 2>&1 && need_install=1
    "$PYTHON" -c "import numpy" >/dev/null 2>&1 || need_install=1
    if [ "$need_install" = 1 ]; then
        log "peer packages missing; running install_peer.sh"
        PYTHON="$PYTHON" bash "$HERE/install_peer.sh" >&2 || { log "install failed"; exit 1; }
    fi
fi
IFS=';' read -r -a CFG_ARR <<< "$PEER_CONFIGS"
# shellcheck disable=SC2206
INP_ARR=($PEER_INPUTS)
ROUND_DIRS=()
for r in $(seq 1 "$ROUNDS"); do
    RD="$OUT/round$r"
    mkdir -p "$RD"
    rm -f "$RD"/*.jsonl
    ROUND_DIRS+=("$RD")
    if [ "$RUN_REPRO" = 1 ]; then
        if [ -x "$REPRO_BIN" ]; then
            log "round $r/$ROUNDS: repro bench --json --e2e-datasets '' ${REPRO_BENCH_ARGS:-}"
            # shellcheck disable=SC2086
            (cd "$ROOT" && "${PIN[@]}" "$REPRO_BIN" bench --json --e2e-datasets "" ${REPRO_BENCH_ARGS:-}) \
                > "$RD/repro.jsonl" 2> "$RD/repro.stderr" || log "repro bench failed (see $RD/repro.stderr)"
        else
            log "no repro binary at $REPRO_BIN; skipping repro"
        fi
    fi
    [ "$RUN_PEERS" = 1 ] || continue
    if has_peer torch; then
        log "round $r/$ROUNDS: peer_torch.py --images $PEER_IMAGES --repeats $PEER_REPEATS"
        "${PIN[@]}" "$PYTHON" "$HERE/peer_torch.py" --images "$PEER_IMAGES" --repeats "$PEER_REPEATS" \
            --configs "${CFG_ARR[@]}" --inputs "${INP_ARR[@]}" > "$RD/peer_torch.jsonl" 2> "$RD/peer_torch.stderr" \
            || log "peer_torch.py FAILED (see $RD/peer_torch.stderr)"
    fi
    if has_peer keras; then
        log "round $r/$ROUNDS: peer_keras.py --images $PEER_IMAGES --repeats $PEER_REPEATS"
        "${PIN[@]}" "$PYTHON" "$HERE/peer_keras.py" --images "$PEER_IMAGES" --repeats "$PEER_REPEATS" \
            --configs "${CFG_ARR[@]}" --inputs "${INP_ARR[@]}" > "$RD/peer_keras.jsonl" 2> "$RD/peer_keras.stderr" \
            || log "peer_keras.py FAILED (see $RD/peer_keras.stderr)"
    fi
    if has_peer numpy; then
        log "round $r/$ROUNDS: peer_numpy_dmn.py --repeats $DMN_REPEATS"
        "${PIN[@]}" "$PYTHON" "$HERE/peer_numpy_dmn.py" --repeats "$DMN_REPEATS" > "$RD/peer_numpy_dmn.jsonl" \
            2> "$RD/peer_numpy_dmn.stderr" || log "peer_numpy_dmn.py FAILED (see $RD/peer_numpy_dmn.stderr)"
    fi
done

# 3. DMN vs ConvNet end to end (repro only; alternates the two runs itself)
if [ "$RUN_REPRO" = 1 ] && [ "$RUN_E2E" = 1 ] && [ -x "$REPRO_BIN" ]; then
    E2E_ARGS="${E2E_ARGS:---e2e-datasets 'fashion-mnist cifar10' --e2e-repeats 5}"
    log "repro bench --skip-throughput --skip-dmn $E2E_ARGS"
    eval "(cd \"\$ROOT\" && \"\${PIN[@]}\" \"\$REPRO_BIN\" bench --skip-throughput --skip-dmn $E2E_ARGS)" \
        > "$OUT/e2e.txt" 2> "$OUT/e2e.stderr" || log "end-to-end comparison failed (see $OUT/e2e.stderr)"
fi

# 4. report
{
    "$PYTHON" "$HERE/medians.py" "${ROUND_DIRS[@]}"
    if [ -s "$OUT/e2e.txt" ]; then
        echo
        echo "### DMN vs ConvNet end to end (repro bench --skip-throughput --skip-dmn ${E2E_ARGS:-})"
        echo
        echo '```'
        cat "$OUT/e2e.txt"
        echo '```'
    fi
} | tee "$OUT/report.md"
