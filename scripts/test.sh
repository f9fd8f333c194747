#!/usr/bin/env bash
# `npm test`, the whole suite and what CI runs: type check, lint, unit suite, end-to-end suite.
#
# On a cold machine the tool chain's build is most of the time (docs/toolchain.md). It starts here, in the
# background at nice 10, before the type check: its module downloads and compiles overlap the type check, lint and
# unit suite, which keep the CPU first. scripts/e2e.sh then builds what is still missing: toolchain.sh's lock makes
# it wait for this build and find its tools done (or rebuild a tool whose build failed, and report that failure
# with the tool, the step and the log). A failing check before the e2e suite stops the build.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=e2e-tools.sh
. scripts/e2e-tools.sh

say() { printf '[test %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
BG_LOG=$(mktemp "${TMPDIR:-/tmp}/mesh-toolchain-bg.XXXXXX")
BG=""
if ! bash scripts/toolchain.sh --check "${E2E_REQUIRED[@]}" >/dev/null 2>&1; then
  say "building the e2e tool chain in the background at nice 10 meanwhile (log $BG_LOG)"
  nice -n 10 bash scripts/toolchain.sh build "${E2E_REQUIRED[@]}" >/dev/null 2>"$BG_LOG" &
  BG=$!
fi
stop_bg() {
  if [ -n "$BG" ] && kill -0 "$BG" 2>/dev/null; then
    say "stopping the background tool chain build"
    kill_tree "$BG"
  fi
}
trap 'stop_bg; rm -f "$BG_LOG"' EXIT

npm run typecheck
npm run lint
npm run test:unit
# The checks are done: the build gets the CPU at the default priority for what is left of it (processes it starts
# later inherit toolchain.sh's). Lowering a nice value needs root (CI runs as root); elsewhere it stays at 10.
# A nice value is a thread's on Linux, and `renice -p PID` sets only the thread whose id is PID: the Go command
# forks its compilers from any of its threads, which would keep them at nice 10. So every thread of every process.
tree_pids() {
  local c
  echo "$1"
  for c in $(pgrep -P "$1" 2>/dev/null); do tree_pids "$c"; done
}
tree_tids() {
  local p
  for p in $(tree_pids "$1"); do ls "/proc/$p/task" 2>/dev/null || true; done
}
if [ -n "$BG" ] && kill -0 "$BG" 2>/dev/null; then
  # shellcheck disable=SC2046
  renice -n 0 -p $(tree_tids "$BG") >/dev/null 2>&1 || true
fi
if [ -n "$BG" ]; then
  say "the e2e suite waits for the background tool chain build (toolchain.sh's lock); its progress so far:"
  sed 's/^/    /' "$BG_LOG" >&2 || true
fi
npm run test:e2e
