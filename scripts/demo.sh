#!/usr/bin/env bash
# The newcomer's demo (`npm run demo`): build or reuse the pinned toolchain, start a throwaway local control
# plane, the traffic simulator and Prometheus, bring up the dev stack, then with the mesh-release CLI and its
# live view:
#   1. roll out a healthy v2 (steps 10,50,100, 5s analysis windows) to promotion        -> exit 0
#   2. roll out v3, which the simulator fails 20 % of the time, to rollback at step 1   -> exit 1
# and leave both rollout reports (HTML page with an SVG chart, plus JSON) in the output dir.
# Everything it starts (control plane, Prometheus, simulator, Pulumi state) is removed on exit, also on
# failure or Ctrl-C; the reports stay.
#
# Usage: scripts/demo.sh
# Environment:
#   MESH_DEMO_OUT       where the reports go (default ~/.cache/mesh-traffic/demo)
#   MESH_DEMO_INTERVAL  analysis window per step (default 5s)
#   MESH_DEMO_STEPS     canary steps (default 10,50,100)
#   MESH_DEMO_RPS       simulated requests per second (default 50)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '\n[demo %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# shellcheck source=throwaway.sh
. scripts/throwaway.sh

T0=$(date +%s)
SERVICE=sample-app
STACK=dev
NAMESPACE=mesh-demo
INTERVAL=${MESH_DEMO_INTERVAL:-5s}
STEPS=${MESH_DEMO_STEPS:-10,50,100}
RPS=${MESH_DEMO_RPS:-50}
OUT=${MESH_DEMO_OUT:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh-traffic/demo}

[ -d node_modules/@pulumi/pulumi ] || die "node_modules missing: run npm ci first"

say "1/6 toolchain (scripts/toolchain.sh; the first run builds from the Go module proxy and takes a while, later runs reuse it)"
scripts/toolchain.sh build pulumi langhost k8s-provider kube etcd crds prometheus pilot-discovery >/dev/null ||
  die "the toolchain could not be built (the message above names the tool and the step). Retry with:
    bash scripts/toolchain.sh build pulumi langhost k8s-provider kube etcd crds prometheus pilot-discovery"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mesh-demo.XXXXXX")
SIM_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  say "cleaning up (simulator, Prometheus, control plane, Pulumi state in $WORK)"
  if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
    kill -TERM "$SIM_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SIM_PID" 2>/dev/null || true
  fi
  throwaway_remove "$WORK" "" >/dev/null 2>&1 || rc=1
  say "finished in $(($(date +%s) - T0))s (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "2/6 control plane: etcd + kube-apiserver + Istio CRDs (scripts/local-cluster.sh)"
CLUSTER_DIR="$WORK/cluster"
# a watchdog also stops it if this shell is killed with SIGKILL
throwaway_start_cluster "$CLUSTER_DIR" ""
throwaway_pulumi_env "$WORK/state"
export PULUMI_NODEJS_TRANSPILE_ONLY=true
export PULUMI_NODEJS_TSCONFIG_PATH="$ROOT/tsconfig.json"
NODE_TS=(node -r ts-node/register/transpile-only)

say "3/6 istiod beside the control plane; traffic simulator ($RPS req/s; v3 fails 20 % of its requests) following the routes istiod sends it, and Prometheus scraping it"
ISTIOD_ENV=$(scripts/local-cluster.sh start-istiod --dir "$CLUSTER_DIR") ||
  die "istiod did not start (build it with: bash scripts/toolchain.sh build pilot-discovery)"
eval "$ISTIOD_ENV"
"${NODE_TS[@]}" sim/cli.ts --service "$SERVICE" --namespace "$NAMESPACE" --kubeconfig "$KUBECONFIG" \
  --istiod "$MESH_ISTIOD_XDS_ADDRESS" --service-port 8080 --stand-in-endpoints \
  --rps "$RPS" --seed 7 --max-duration 60m \
  --behavior v3:errorRate=0.2 --url-file "$WORK/sim.url" >"$WORK/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 300); do
  [ -s "$WORK/sim.url" ] && break
  kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/sim.log" >&2; die "the simulator exited"; }
  sleep 0.1
done
[ -s "$WORK/sim.url" ] || die "the simulator did not start within 30s (log: $WORK/sim.log)"
SIM_URL=$(head -n 1 "$WORK/sim.url")
SIM_TARGET=${SIM_URL#http://}
PROM_ENV=$(scripts/local-cluster.sh start-prometheus --dir "$CLUSTER_DIR" --interval 1s "$SIM_TARGET") ||
  die "Prometheus did not start (apt-get install prometheus; see above)"
eval "$PROM_ENV"
say "simulator $SIM_URL, Prometheus $MESH_PROMETHEUS_URL"

say "4/6 dev stack: a copy of Pulumi.dev.yaml in $WORK/project (the committed file is never edited), pulumi up"
PROJECT="$WORK/project"
mkdir -p "$PROJECT"
ROOT="$ROOT" PROJECT="$PROJECT" NAMESPACE="$NAMESPACE" PROM="$MESH_PROMETHEUS_URL" node -e '
  const fs = require("fs"), path = require("path");
  const { parse, stringify } = require(path.join(process.env.ROOT, "node_modules", "yaml"));
  const { ROOT, PROJECT, NAMESPACE, PROM } = process.env;
  const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
  project.main = path.relative(PROJECT, path.join(ROOT, "index.ts"));
  fs.writeFileSync(path.join(PROJECT, "Pulumi.yaml"), stringify(project));
  const stack = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8"));
  const c = stack.config;
  c["mesh-traffic:namespace"] = NAMESPACE;
  // Start from stable v1 alone: mesh-release sets the canary version itself.
  delete c["mesh-traffic:services"]["sample-app"].canary.version;
  c["mesh-traffic:services"]["sample-app"].canary.weight = 0;
  const release = c["mesh-traffic:release"];
  release.prometheus = { ...release.prometheus, url: PROM };
  release.analysis = { ...release.analysis, minRequests: 10, failureLimit: 0, inconclusiveLimit: 2, errorLimit: 1 };
  fs.writeFileSync(path.join(PROJECT, "Pulumi.dev.yaml"), stringify(stack));
'
pulumi stack select --create "$STACK" --cwd "$PROJECT" >/dev/null
pulumi up --yes --skip-preview --stack "$STACK" --cwd "$PROJECT" >"$WORK/up.log" 2>&1 ||
  { tail -n 40 "$WORK/up.log" >&2; die "pulumi up of the dev stack failed (last lines above)"; }
say "dev stack is up in namespace $NAMESPACE: stable v1 takes all traffic"

mkdir -p "$OUT"
MR=("${NODE_TS[@]}" "$ROOT/bin/mesh-release.ts")
COMMON=(--stack "$STACK" --cwd "$PROJECT" --service "$SERVICE")

say "5/6 mesh-release canary --version v2 --steps $STEPS --interval $INTERVAL   (healthy: expect promotion, exit 0)"
rc=0
"${MR[@]}" canary "${COMMON[@]}" --version v2 --steps "$STEPS" --interval "$INTERVAL" --report "$OUT/v2-promoted.html" || rc=$?
[ "$rc" = 0 ] || die "v2 was not promoted (mesh-release exit $rc; 1 rolled back, 2 usage/config, 3 infrastructure)"

say "6/6 mesh-release canary --version v3 --steps $STEPS --interval $INTERVAL   (20 % errors: expect rollback at step 1, exit 1)"
rc=0
"${MR[@]}" canary "${COMMON[@]}" --version v3 --steps "$STEPS" --interval "$INTERVAL" --report "$OUT/v3-rolled-back.html" || rc=$?
[ "$rc" = 1 ] || die "v3 was not rolled back (mesh-release exit $rc, expected 1)"

say "where the stack stands now (mesh-release status)"
"${MR[@]}" status "${COMMON[@]}" || true
SERVED=$(curl -s --max-time 3 "$SIM_URL/stats" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    try { const j = JSON.parse(s); const v3 = (j.versions || {}).v3; process.stdout.write(v3 === undefined ? "0" : String(v3.served)); }
    catch { process.stdout.write("?"); }
  });' || echo "?")

cat >&2 <<EOF

Demo done: v2 promoted, v3 rolled back (the simulator says v3 served $SERVED requests).
Rollout reports (open in a browser):
  $OUT/v2-promoted.html
  $OUT/v3-rolled-back.html
(and the same data as JSON next to them)
EOF
