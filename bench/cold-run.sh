#!/usr/bin/env bash
# A cold CI run as a fresh machine sees it: a fresh clone of this checkout's HEAD with ../shared beside it,
# a fresh HOME (so empty ~/.cache/mesh-traffic, ~/.cache/go-build, ~/go/pkg/mod and ~/.npm), then `.ci/run`
# (the README's `npm ci && npm test`), timed. Optionally on a busy machine:
#   --churn N   N loops each spawning ~200 short processes a second (pids wrap every few minutes at pid_max
#               32768, as a cold build's tens of thousands of processes make them wrap)
#   --load N    N busy CPU loops at nice 0
#   --dir DIR   where the clone, HOME and log go (default: a new /tmp/mesh-cold.XXXXXX)
# Prints one line at the end: `cold-run <commit> exit <rc> <seconds> s (churn N, load N) log <file>`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHURN=0 LOAD=0 DIR=""
while [ $# -gt 0 ]; do
  case $1 in
    --churn) CHURN=$2; shift 2 ;;
    --load) LOAD=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    *) echo "usage: bench/cold-run.sh [--churn N] [--load N] [--dir DIR]" >&2; exit 2 ;;
  esac
done
[ -n "$DIR" ] || DIR=$(mktemp -d /tmp/mesh-cold.XXXXXX)
mkdir -p "$DIR/home"
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)
git clone -q "$ROOT" "$DIR/main"
ln -sfn "$(cd "$ROOT/../shared" && pwd)" "$DIR/shared"
LOG="$DIR/run.log"
HOGS=()
stop_hogs() { for p in "${HOGS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop_hogs EXIT
for _ in $(seq 1 "$CHURN"); do (while :; do for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /bin/true; done; sleep 0.1; done) & HOGS+=($!); done
for _ in $(seq 1 "$LOAD"); do (while :; do :; done) & HOGS+=($!); done
T0=$(date +%s)
rc=0
# A fresh HOME: no Go env file, no npm cache, no tool chain; GOPATH and GOCACHE default under it.
(cd "$DIR/main" && env -u GOCACHE -u GOMODCACHE -u GOPATH -u MESH_TRAFFIC_CACHE -u XDG_CACHE_HOME \
  HOME="$DIR/home" .ci/run) >"$LOG" 2>&1 || rc=$?
T1=$(date +%s)
stop_hogs
echo "cold-run $COMMIT exit $rc $((T1 - T0)) s (churn $CHURN, load $LOAD) log $LOG" | tee -a "$LOG"
exit "$rc"
