#!/usr/bin/env bash
# End-to-end tests (`npm run test:e2e`): build or reuse the pinned toolchain, start a throwaway local
# control plane (etcd + kube-apiserver + Istio CRDs), point Pulumi at a temporary file backend with
# the dev passphrase, and run mocha on test/e2e/**. The control plane and the temporary state are
# always removed at the end (also on failure or Ctrl-C), so no process is left behind.
#
# Usage: scripts/e2e.sh [MOCHA ARGS...]     e.g. scripts/e2e.sh --grep "canary weight"
#                                             or scripts/e2e.sh test/e2e/stack/dev.test.ts
# Environment:
#   MESH_E2E_KEEP=1         keep the control plane and state running after the tests (prints how to stop them)
#   MESH_PULUMI_BACKEND=file  a file state backend instead of azblob:// on Azurite (the default: object storage,
#                           as release runners on several machines share it)
#   MESH_TOOLCHAIN_SKIP_ISTIOCTL=1  do not build istioctl (the istioctl test then fails, saying why)
#
# istiod (pilot-discovery, scripts/toolchain.sh build pilot-discovery, its own cache key) runs beside the control
# plane: started here when it is built; on a cold machine it is built in the background first (then istioctl,
# which reuses its Go build cache), and the first test that needs istiod waits for it (test/support/istiod.ts).
# pulumi-language-yaml (scripts/toolchain.sh build langhost-yaml, its own cache key) is built in the background the
# same way; test/e2e/package/yaml.test.ts waits for it (test/support/langhostYaml.ts).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '[e2e %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# shellcheck source=throwaway.sh
. scripts/throwaway.sh

T0=$(date +%s)
# Tools the suites need (scripts/e2e-tools.sh). pilot-discovery and istioctl are the slowest; on a cold machine they
# build in the background.
# shellcheck source=e2e-tools.sh
. scripts/e2e-tools.sh
REQUIRED=("${E2E_REQUIRED[@]}")
OPTIONAL=("${E2E_OPTIONAL[@]}")

say "1/4 toolchain: building what is missing (scripts/toolchain.sh; progress below)"
if ! scripts/toolchain.sh build "${REQUIRED[@]}" >/dev/null; then
  die "the toolchain could not be built (the message above names the tool and the step, and its log).
    Requirements: go >= $(sed -n 's/^GO_MIN_VERSION=//p' scripts/toolchain.pins) on PATH with access to a Go module
    proxy (GOPROXY), openssl, curl, and the Debian package 'prometheus' (apt-get install prometheus).
    Retry with: bash scripts/toolchain.sh build ${REQUIRED[*]}   (docs/toolchain.md explains every tool)"
fi
say "toolchain ready after $(($(date +%s) - T0))s"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mesh-e2e.XXXXXX")
# A shard (MESH_E2E_SHARD set by the sharded run below): the parent builds and its background builds are shared
# through the environment (MESH_ISTIOD_BUILD_RC_FILE, ...); the shard only starts its own control plane and mocha.
SHARD=${MESH_E2E_SHARD:-}
# pilot-discovery and istioctl (the slowest builds) build in the background at the lowest CPU priority while the
# suites run: most of their time is spent waiting for analysis windows. test/support/istiod.ts waits for
# pilot-discovery (MESH_ISTIOD_BUILD_RC_FILE) and test/e2e/stack/istioctl.ts for istioctl (MESH_ISTIOCTL_BUILD_PID);
# each fails, with the build log, if its build fails or does not finish.
ISTIOCTL_PID=""
ISTIOD_BUILT=""
if scripts/toolchain.sh --check pilot-discovery >/dev/null 2>&1; then ISTIOD_BUILT=1; fi
NEED_ISTIOCTL=""
if [ -z "${MESH_TOOLCHAIN_SKIP_ISTIOCTL:-}" ] && ! scripts/toolchain.sh --check "${OPTIONAL[@]}" >/dev/null 2>&1; then NEED_ISTIOCTL=1; fi
if [ -z "$SHARD" ] && { [ -z "$ISTIOD_BUILT" ] || [ -n "$NEED_ISTIOCTL" ]; }; then
  # pilot-discovery first (the istiod and release tests need it), then istioctl with the Go build cache warm.
  # $WORK/pilot-discovery.rc appears when pilot-discovery's build ends (its exit code); tests wait for it.
  what=""
  [ -n "$ISTIOD_BUILT" ] || what="pilot-discovery (log $WORK/pilot-discovery-build.log) "
  [ -z "$NEED_ISTIOCTL" ] || what+="istioctl (log $WORK/istioctl-build.log)"
  say "building in the background at nice 19: $what; the tests that need them wait"
  (
    if [ -z "$ISTIOD_BUILT" ]; then
      rc=0; nice -n 19 scripts/toolchain.sh build pilot-discovery >"$WORK/pilot-discovery-build.log" 2>&1 || rc=$?
      echo "$rc" >"$WORK/pilot-discovery.rc"
    fi
    if [ -n "$NEED_ISTIOCTL" ]; then nice -n 19 scripts/toolchain.sh build "${OPTIONAL[@]}" >"$WORK/istioctl-build.log" 2>&1; fi
  ) &
  ISTIOCTL_PID=$!
  if [ -z "$ISTIOD_BUILT" ]; then
    export MESH_ISTIOD_BUILD_RC_FILE="$WORK/pilot-discovery.rc" MESH_ISTIOD_BUILD_LOG="$WORK/pilot-discovery-build.log"
  fi
  if [ -n "$NEED_ISTIOCTL" ]; then
    export MESH_ISTIOCTL_BUILD_PID=$ISTIOCTL_PID MESH_ISTIOCTL_BUILD_LOG="$WORK/istioctl-build.log"
  fi
fi
# pulumi-language-yaml and mesh-sdkgen (tool langhost-yaml, its own cache key) likewise, beside them: only
# test/e2e/package/yaml.test.ts needs them and waits (MESH_LANGHOST_YAML_BUILD_RC_FILE, test/support/langhostYaml.ts).
LANGHOST_YAML_PID=""
if [ -z "$SHARD" ] && ! scripts/toolchain.sh --check langhost-yaml >/dev/null 2>&1; then
  say "building in the background at nice 19: pulumi-language-yaml (log $WORK/langhost-yaml-build.log); the YAML test waits"
  (
    rc=0; nice -n 19 scripts/toolchain.sh build langhost-yaml >"$WORK/langhost-yaml-build.log" 2>&1 || rc=$?
    echo "$rc" >"$WORK/langhost-yaml.rc"
  ) &
  LANGHOST_YAML_PID=$!
  export MESH_LANGHOST_YAML_BUILD_RC_FILE="$WORK/langhost-yaml.rc" MESH_LANGHOST_YAML_BUILD_LOG="$WORK/langhost-yaml-build.log"
fi
SHARD_PIDS=()
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${SHARD_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill_tree "$p"; done
  for p in "${SHARD_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$LANGHOST_YAML_PID" ] && kill -0 "$LANGHOST_YAML_PID" 2>/dev/null; then
    say "stopping the unfinished pulumi-language-yaml build (rerun: bash scripts/toolchain.sh build langhost-yaml)"
    kill_tree "$LANGHOST_YAML_PID"
  fi
  if [ -n "$ISTIOCTL_PID" ] && kill -0 "$ISTIOCTL_PID" 2>/dev/null; then
    say "stopping the unfinished background build (rerun: bash scripts/toolchain.sh build pilot-discovery istioctl)"
    kill_tree "$ISTIOCTL_PID"
  fi
  throwaway_remove "$WORK" "${MESH_E2E_KEEP:-}" || rc=1
  say "finished in $(($(date +%s) - T0))s (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Files given on the command line replace the default spec (every test/e2e/**/*.test.ts); other arguments
# (--grep ...) are passed to mocha as they are.
SPEC=("test/e2e/**/*.test.ts")
for a in "$@"; do case $a in *.ts | test/*) SPEC=() ;; esac; done

# MESH_E2E_SHARDS=N (default 1) runs the whole suite as N shards side by side, each a child e2e.sh with its own control
# plane, istiod, Azurite and mocha over its files (e2e_shard_files in scripts/e2e-tools.sh). Each line of a shard's
# output starts with its name; the exit code is the first failing shard's. Not the default: on the 2-core VM two
# shards took longer than one mocha and slowed each mesh-release command 4-10x (docs/toolchain.md, "e2e shards").
SHARDS=${MESH_E2E_SHARDS:-1}
case $SHARDS in '' | *[!0-9]* | 0) die "MESH_E2E_SHARDS is '$SHARDS'; it must be a whole number >= 1 (1 runs one mocha over every file)" ;; esac
if [ -z "$SHARD" ] && [ "${#SPEC[@]}" -gt 0 ] && [ "$SHARDS" -gt 1 ]; then
  mapfile -t ALL_FILES < <(find test/e2e -name '*.test.ts' | LC_ALL=C sort)
  say "2/4 the suite in $SHARDS shards side by side, each with its own control plane (MESH_E2E_SHARDS=1: one mocha)"
  for ((i = 1; i <= SHARDS; i++)); do
    mapfile -t FILES < <(e2e_shard_files "$i" "$SHARDS" "${ALL_FILES[@]}")
    [ "${#FILES[@]}" -gt 0 ] || continue
    say "shard $i/$SHARDS: ${FILES[*]}"
    (
      set -o pipefail
      MESH_E2E_SHARD="$i/$SHARDS" bash scripts/e2e.sh "${FILES[@]}" "$@" 2>&1 | sed -u "s/^/[e2e $i\/$SHARDS] /"
    ) &
    SHARD_PIDS+=($!)
  done
  RC=0
  for ((i = 0; i < ${#SHARD_PIDS[@]}; i++)); do
    src=0; wait "${SHARD_PIDS[$i]}" || src=$?
    say "shard $((i + 1))/$SHARDS: exit $src"
    [ "$RC" != 0 ] || RC=$src
  done
  SHARD_PIDS=()
  exit "$RC"
fi

say "2/4 control plane: starting etcd + kube-apiserver + Istio CRDs (scripts/local-cluster.sh)"
# Unless MESH_E2E_KEEP is set, a watchdog also stops it if this shell is killed with SIGKILL.
throwaway_start_cluster "$WORK/cluster" "${MESH_E2E_KEEP:-}"
if [ -n "$ISTIOD_BUILT" ]; then
  say "istiod: starting beside the control plane (scripts/local-cluster.sh start-istiod)"
  ISTIOD_ENV=$(scripts/local-cluster.sh start-istiod --dir "$MESH_CLUSTER_DIR") || die "istiod did not start (see above; log $MESH_CLUSTER_DIR/istiod.log)"
  eval "$ISTIOD_ENV"
fi

say "3/4 pulumi: ${MESH_PULUMI_BACKEND:-azblob} state backend (azblob: Azurite, scripts/local-cluster.sh start-azurite), dev passphrase (scripts/pulumi-env.sh)"
throwaway_pulumi_env "$WORK/state"
export MESH_E2E_WORK="$WORK"

say "4/4 mocha --config .mocharc.e2e.json ${SPEC[*]} $*"
set +e
npx --no-install mocha --config .mocharc.e2e.json "${SPEC[@]}" "$@"
RC=$?
set -e
exit "$RC"
