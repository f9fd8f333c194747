#!/usr/bin/env bash
# One step for a newcomer (`npm run dev:up`): build or reuse the pinned toolchain, start the local control
# plane (kept running), `pulumi up --yes` the dev stack (Pulumi.dev.yaml) with the local file backend under
# ~/.cache/mesh-traffic/state and the dev passphrase, and print what is live.
#
# Usage: scripts/dev-up.sh [--preview]        --preview: show the diff only (pulumi preview --diff)
#        scripts/dev-up.sh --stop             stop the control plane this script started
#        scripts/dev-up.sh --destroy          pulumi destroy the dev stack, then stop the control plane
# Afterwards, in your shell:
#   eval "$(bash scripts/local-cluster.sh env ~/.cache/mesh-traffic/dev-cluster)"
#   MESH_PULUMI_STATE_DIR=~/.cache/mesh-traffic/state . scripts/pulumi-env.sh
#   pulumi stack select dev && pulumi config set --path services.sample-app.canary.weight 25 && pulumi up
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '[dev-up %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

CACHE_ROOT=${MESH_TRAFFIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh-traffic}
CLUSTER_DIR="$CACHE_ROOT/dev-cluster"
STATE_DIR="$CACHE_ROOT/state"
STACK=dev

mode=up
case ${1:-} in
  "") ;;
  --preview) mode=preview ;;
  --stop) mode=stop ;;
  --destroy) mode=destroy ;;
  -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument $1 (see --help)" ;;
esac

if [ "$mode" = stop ]; then
  exec scripts/local-cluster.sh stop "$CLUSTER_DIR"
fi

[ -f Pulumi.yaml ] && [ -f "Pulumi.$STACK.yaml" ] || die "Pulumi.yaml / Pulumi.$STACK.yaml missing in $ROOT"
[ -d node_modules/@pulumi/pulumi ] || die "node_modules missing: run npm ci first"

say "1/4 toolchain (scripts/toolchain.sh; first run builds from the Go module proxy, later runs reuse it)"
scripts/toolchain.sh build pulumi langhost k8s-provider kube etcd crds >/dev/null ||
  die "toolchain build failed (see above); docs/toolchain.md lists what it needs"

say "2/4 control plane in $CLUSTER_DIR"
if scripts/local-cluster.sh status "$CLUSTER_DIR" 2>/dev/null; then
  say "already running; reusing it"
else
  scripts/local-cluster.sh stop "$CLUSTER_DIR" >/dev/null 2>&1 || true
  scripts/local-cluster.sh start --dir "$CLUSTER_DIR" >/dev/null
fi
eval "$(scripts/local-cluster.sh env "$CLUSTER_DIR")"

say "3/4 pulumi $mode $STACK (backend file://$STATE_DIR, passphrase: dev default unless PULUMI_CONFIG_PASSPHRASE is set)"
export MESH_PULUMI_STATE_DIR="$STATE_DIR"
unset PULUMI_BACKEND_URL
# shellcheck source=pulumi-env.sh
. scripts/pulumi-env.sh
export PULUMI_NODEJS_TRANSPILE_ONLY=true
pulumi stack select --create "$STACK" >/dev/null
case $mode in
  # --refresh: a restarted control plane is empty while the state still lists the objects
  up) pulumi up --yes --diff --refresh --stack "$STACK" ;;
  preview) pulumi preview --diff --stack "$STACK" ;;
  destroy)
    pulumi destroy --yes --stack "$STACK"
    scripts/local-cluster.sh stop "$CLUSTER_DIR"
    exit 0 ;;
esac

ns=$(pulumi config get namespace --stack "$STACK" 2>/dev/null || echo default)
say "4/4 live in namespace $ns:"
kubectl get namespace "$ns" 2>/dev/null || true
kubectl -n "$ns" get virtualservices,destinationrules,gateways,serviceentries,services,deployments 2>&1 || true
cat >&2 <<EOF

The control plane keeps running ($MESH_APISERVER_URL). To use it from your shell:
  eval "\$(bash scripts/local-cluster.sh env '$CLUSTER_DIR')"
  MESH_PULUMI_STATE_DIR='$STATE_DIR' . scripts/pulumi-env.sh
  pulumi stack select $STACK
Stop it:            bash scripts/dev-up.sh --stop      (state stays in $STATE_DIR)
Destroy and stop:   bash scripts/dev-up.sh --destroy
EOF
