#!/usr/bin/env bash
# Runs one benchmark on a throwaway local control plane (etcd + kube-apiserver + Istio CRDs) with a
# temporary Pulumi file backend, and always removes both at the end (also on failure or Ctrl-C).
#
# Usage: bench/run.sh <bench> [ARGS...]
#   step-latency   bench/step-latency.ts  one canary weight step: our driver vs a direct server-side apply
#   scale-engine   bench/scale-engine.ts  pulumi preview / up for N services vs the same objects applied directly
#   routes         bench/routes.ts        `routes engine`: a weight step of a service with 50 routes vs 1 on the real engine
#   policy         bench/policy.ts        `pulumi up` of a weight step with and without `--policy-pack policy` (issue 20)
#   routing-api    bench/routing-api.ts   a weight step of one stack in the Istio API and in the Gateway API mode (issue 22)
#   safety         bench/safety.ts        bad canaries (20 % errors, 8 % errors, slow p95): shift-to-rollback time and bad requests,
#                                         sequential and fixed-window vs Flagger's default; healthy runs: false rollbacks
# ARGS go to the script (each script's header lists them; --no-write prints without touching BENCHMARKS.md).
#
# The toolchain (scripts/toolchain.sh) is only checked here, never built: build it first with
#   bash scripts/toolchain.sh build pulumi langhost k8s-provider kube etcd crds prometheus pilot-discovery
# Environment: MESH_BENCH_KEEP=1 keeps the control plane and state (prints how to stop them).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 2; }
# shellcheck source=../scripts/throwaway.sh
. scripts/throwaway.sh

BENCH=${1:-}
[ $# -gt 0 ] && shift
case $BENCH in
  step-latency | scale-engine | safety | per-service | routes | policy | routing-api) ;;
  *) die "usage: bench/run.sh step-latency|scale-engine|safety|per-service|routes|policy|routing-api [ARGS...] (got '${BENCH}')" ;;
esac

T0=$(date +%s)
# pilot-discovery: the release environment (safety) runs istiod; the simulator follows its routes. per-service
# measures Pulumi and the API server only and runs without istiod unless MESH_BENCH_ISTIOD=1.
NEED_ISTIOD=1
[ "$BENCH" = per-service ] && NEED_ISTIOD=${MESH_BENCH_ISTIOD:-}
[ "$BENCH" = routes ] && NEED_ISTIOD=${MESH_BENCH_ISTIOD:-}
[ "$BENCH" = policy ] && NEED_ISTIOD=${MESH_BENCH_ISTIOD:-}
[ "$BENCH" = routing-api ] && NEED_ISTIOD=${MESH_BENCH_ISTIOD:-}
REQUIRED=(pulumi langhost k8s-provider kube etcd crds prometheus)
# policy: the language host front that runs policy packs (scripts/toolchain.sh build langhost-policy)
[ "$BENCH" = policy ] && REQUIRED+=(langhost-policy)
[ -n "$NEED_ISTIOD" ] && REQUIRED+=(pilot-discovery)
if ! scripts/toolchain.sh --check "${REQUIRED[@]}" >/dev/null 2>"${TMPDIR:-/tmp}/mesh-bench-check.$$"; then
  MSG=$(cat "${TMPDIR:-/tmp}/mesh-bench-check.$$"); rm -f "${TMPDIR:-/tmp}/mesh-bench-check.$$"
  die "the toolchain is not ready: ${MSG:-scripts/toolchain.sh --check failed}
    bench/run.sh never builds it. Build it with: bash scripts/toolchain.sh build ${REQUIRED[*]}
    (docs/toolchain.md explains every tool), then run this again."
fi
rm -f "${TMPDIR:-/tmp}/mesh-bench-check.$$"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mesh-bench.XXXXXX")
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  throwaway_remove "$WORK" "${MESH_BENCH_KEEP:-}" || rc=1
  say "$BENCH finished in $(($(date +%s) - T0))s (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "control plane: starting etcd + kube-apiserver + Istio CRDs in $WORK/cluster"
throwaway_start_cluster "$WORK/cluster" "${MESH_BENCH_KEEP:-}"
if [ -n "$NEED_ISTIOD" ]; then
  eval "$(scripts/local-cluster.sh start-istiod --dir "$MESH_CLUSTER_DIR")" || die "istiod did not start (log $MESH_CLUSTER_DIR/istiod.log)"
fi
# The file backend unless MESH_PULUMI_BACKEND says otherwise: BENCHMARKS.md's figures name their backend.
export MESH_PULUMI_BACKEND=${MESH_PULUMI_BACKEND:-file}
throwaway_pulumi_env "$WORK/state"
export MESH_BENCH_WORK="$WORK"
# kubectl of the toolchain first (pulumi-env.sh put its bin dir on PATH)
say "pulumi: $MESH_PULUMI_BACKEND backend ($PULUMI_BACKEND_URL); running bench/$BENCH.ts $*"

set +e
node -r ts-node/register/transpile-only "bench/$BENCH.ts" "$@"
RC=$?
set -e
exit "$RC"
