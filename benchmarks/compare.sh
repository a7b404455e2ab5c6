#!/usr/bin/env bash
# Build repro (release), run its benchmarks and the two Python peers ONE AFTER ANOTHER,
# then print a markdown table of repro vs peer with ratios.
#
# Usage: bash benchmarks/compare.sh [--skip-build] [--quick] [--no-repro] [--no-peers] [--out DIR]
#   --skip-build  use the existing .build/release/repro
#   --quick       smoke settings for the peers (1280 images, 1 repeat)
#   --no-repro    only run the peers (report shows "—" for repro)
#   --no-peers    only run repro (and report against earlier peer files in --out, if any)
#   --out DIR     where the JSON lines and the report go (default benchmarks/results)
#
# Environment:
#   OPENBLAS_NUM_THREADS  passed through untouched to every tool; when set below the core
#                         count, every tool is also pinned with taskset to that many cores
#                         so that XLA (which ignores OpenBLAS settings) gets the same budget
#   PYTHON                interpreter for the peers (default python3)
#   REPRO_BIN             repro binary (default .build/release/repro)
#   REPRO_BENCH_ARGS      extra arguments for `repro bench --json`
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

while [ $# -gt 0 ]; do
    case "$1" in
        --skip-build) BUILD=0 ;;
        --quick) QUICK=1 ;;
        --no-repro) RUN_REPRO=0 ;;
        --no-peers) RUN_PEERS=0 ;;
        --out) shift; OUT="$1" ;;
        -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}"; exit 0 ;;
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

# 2. repro (the tools run strictly one after another)
if [ "$RUN_REPRO" = 1 ]; then
    if [ -x "$REPRO_BIN" ]; then
        log "running: repro bench --json ${REPRO_BENCH_ARGS:-}"
        # shellcheck disable=SC2086
        if ! (cd "$ROOT" && "${PIN[@]}" "$REPRO_BIN" bench --json ${REPRO_BENCH_ARGS:-}) \
                > "$OUT/repro.jsonl" 2> "$OUT/repro.stderr"; then
            log "repro bench failed (see $OUT/repro.stderr); continuing with the peers"
        fi
    else
        log "no repro binary at $REPRO_BIN; skipping repro"
        : > "$OUT/repro.jsonl"
    fi
fi

# 3. peers
if [ "$RUN_PEERS" = 1 ]; then
    if ! KERAS_BACKEND=jax "$PYTHON" -c "import keras, jax, numpy" >/dev/null 2>&1; then
        log "peer packages missing; running install_peer.sh"
        PYTHON="$PYTHON" bash "$HERE/install_peer.sh" >&2 || { log "install failed"; exit 1; }
    fi
    IFS=';' read -r -a CFG_ARR <<< "$PEER_CONFIGS"
    # shellcheck disable=SC2206
    INP_ARR=($PEER_INPUTS)
    log "running: peer_keras.py --images $PEER_IMAGES --repeats $PEER_REPEATS --configs ${CFG_ARR[*]} --inputs ${INP_ARR[*]}"
    if ! "${PIN[@]}" "$PYTHON" "$HERE/peer_keras.py" --images "$PEER_IMAGES" --repeats "$PEER_REPEATS" \
            --configs "${CFG_ARR[@]}" --inputs "${INP_ARR[@]}" > "$OUT/peer_keras.jsonl"; then
        log "peer_keras.py FAILED"
    fi
    log "running: peer_numpy_dmn.py --repeats $DMN_REPEATS"
    if ! "${PIN[@]}" "$PYTHON" "$HERE/peer_numpy_dmn.py" --repeats "$DMN_REPEATS" > "$OUT/peer_numpy_dmn.jsonl"; then
        log "peer_numpy_dmn.py FAILED"
    fi
fi

# 4. report
FILES=()
for f in repro.jsonl peer_keras.jsonl peer_numpy_dmn.jsonl; do
    [ -f "$OUT/$f" ] && FILES+=("$OUT/$f")
done
"$PYTHON" "$HERE/ratios.py" "${FILES[@]}" | tee "$OUT/report.md"
