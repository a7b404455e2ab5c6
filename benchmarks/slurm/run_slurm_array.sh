#!/usr/bin/env bash
# Proves that `repro run --shard` works as a Slurm job array on a real Slurm: as root, installs
# Debian's slurm-wlm and munge, configures a one-node cluster on this machine (localhost),
# submits a spec as `sbatch --array`, waits, merges the shards with `repro merge`, runs the same
# spec in one process, and checks that both runs.csv hold the same runs (ids, status) with the
# same accuracies and filter counts (timings differ). Stops the daemons it started.
#
# Usage (from anywhere, as root): bash benchmarks/slurm/run_slurm_array.sh [SPEC] [TASKS]
#   SPEC   default experiments/quick.json      TASKS  array size, default 4
# Environment: REPRO_BIN (default .build/release/repro, built if missing), WORK (scratch
# folder, default /tmp/repro-slurm), KEEP_SLURM=1 leaves munged/slurmctld/slurmd running.
# Exit status: 0 equal, 1 different or a step failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SPEC="${1:-experiments/quick.json}"
TASKS="${2:-4}"
WORK="${WORK:-/tmp/repro-slurm}"
REPRO_BIN="${REPRO_BIN:-.build/release/repro}"
log() { echo "[slurm-check $(date -u +%H:%M:%S)] $*"; }
START=$(date +%s)

[ "$(id -u)" = 0 ] || { echo "run as root (it installs and starts munge and Slurm)" >&2; exit 1; }
if [ ! -x "$REPRO_BIN" ]; then log "building repro"; swift build -c release; fi
REPRO_BIN="$(cd "$(dirname "$REPRO_BIN")" && pwd)/$(basename "$REPRO_BIN")"

# 1. packages
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    log "apt-get install slurm-wlm munge"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null \
        || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null; }
fi
log "$(slurmctld -V), munge $(munged -V 2>&1 | awk '{print $2}' | head -1)"

PIDS=()
cleanup() {
    if [ "${KEEP_SLURM:-0}" != 1 ]; then
        for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    fi
}
trap cleanup EXIT

# 2. munge: a key, and the daemon as the munge user
if [ ! -s /etc/munge/munge.key ]; then
    log "creating /etc/munge/munge.key"
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
    PIDS+=("$(cat /run/munge/munged.pid)")
fi
munge -n | unmunge >/dev/null || { log "munge does not work"; exit 1; }

# 3. a one-node cluster on this machine
NODE="$(hostname -s)"
CPUS="$(nproc)"
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
# Written by benchmarks/slurm/run_slurm_array.sh: one node, this machine, no accounting.
ClusterName=repro
SlurmctldHost=${NODE}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=${CPUS} State=UNKNOWN
PartitionName=main Nodes=${NODE} Default=YES MaxTime=INFINITE State=UP
CONF
if ! scontrol ping 2>/dev/null | grep -q UP; then
    log "starting slurmctld and slurmd on ${NODE} (${CPUS} CPUs)"
    slurmctld -c -i
    for _ in $(seq 50); do [ -s /run/slurmctld.pid ] && break; sleep 0.1; done
    PIDS+=("$(cat /run/slurmctld.pid)")
    slurmd -N "$NODE"
    for _ in $(seq 50); do [ -s /run/slurmd.pid ] && break; sleep 0.1; done
    PIDS+=("$(cat /run/slurmd.pid)")
fi
for _ in $(seq 60); do sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break; sleep 1; done
scontrol update NodeName="$NODE" State=RESUME 2>/dev/null || true
sinfo
sinfo -h -o %T | grep -qE '^(idle|mixed|allocated)' || { log "node not up"; tail -20 /var/log/slurm/slurmd.log; exit 1; }

# 4. the job array: exactly README's example
rm -rf "$WORK"; mkdir -p "$WORK"
NAME="$(basename "$SPEC" .json)"
log "sbatch --wait --array=1-$TASKS benchmarks/slurm/repro-array.sbatch $SPEC $WORK/$NAME"
T0=$(date +%s)
set +e
REPRO_BIN="$REPRO_BIN" sbatch --wait --array=1-"$TASKS" --output="$WORK/slurm-%A_%a.out" \
    benchmarks/slurm/repro-array.sbatch "$SPEC" "$WORK/$NAME"
SB=$?
set -e
log "array finished (sbatch exit $SB) in $(( $(date +%s) - T0 )) s"
for f in "$WORK"/slurm-*.out; do echo "--- $(basename "$f")"; tail -n 3 "$f"; done
"$REPRO_BIN" merge "$WORK/$NAME"-shard* --out "$WORK/$NAME-merged"

# 5. the same spec in one process
log "single process: repro run $SPEC"
T0=$(date +%s)
"$REPRO_BIN" run "$SPEC" --out "$WORK/$NAME-single" > "$WORK/single.log" 2>&1 || true
log "single process finished in $(( $(date +%s) - T0 )) s"

# 6. compare
python3 - "$WORK/$NAME-merged/runs.csv" "$WORK/$NAME-single/runs.csv" <<'PY'
import csv, sys
def rows(p):
    with open(p, newline="") as f:
        return {r["run_id"]: r for r in csv.DictReader(f)}
merged, single = rows(sys.argv[1]), rows(sys.argv[2])
keys = ["status", "reason", "test_acc", "train_acc", "filter_counts", "relaxed_tv"]
bad = []
if set(merged) != set(single):
    bad.append(f"run ids differ: only merged {sorted(set(merged) - set(single))}, only single {sorted(set(single) - set(merged))}")
for rid in sorted(set(merged) & set(single)):
    for k in keys:
        if k in merged[rid] and merged[rid].get(k) != single[rid].get(k):
            bad.append(f"{rid} {k}: merged {merged[rid].get(k)} vs single {single[rid].get(k)}")
print(f"{len(merged)} runs merged from the array, {len(single)} in the single process")
for rid in sorted(single):
    r = single[rid]
    print(f"  {rid}  {r.get('model', ''):8} {r.get('filters', ''):6} {r.get('status', ''):6} "
          f"test {r.get('test_acc', '')}  merged {merged.get(rid, {}).get('test_acc', '-')}")
if bad:
    print("DIFFERENT:"); [print("  " + b) for b in bad]; sys.exit(1)
print("EQUAL: same runs, status, accuracies and filter counts")
PY
log "done in $(( $(date +%s) - START )) s"
