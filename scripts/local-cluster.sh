#!/usr/bin/env bash
# A throwaway Kubernetes control plane (etcd + kube-apiserver, no controllers, no nodes) with the
# Istio CRDs and the Gateway API CRDs (standard channel), and a throwaway Prometheus, all on 127.0.0.1 with free ports and their own directory,
# so two runs side by side never collide. Binaries come from scripts/toolchain.sh (build it first).
#
# Usage:
#   scripts/local-cluster.sh start [--dir DIR] [--no-crds] [--owner-pid PID]
#       Starts etcd and kube-apiserver, writes DIR/kubeconfig, applies the Istio and Gateway API CRDs and waits
#       until they are Established. stdout: `export NAME='value'` lines (also saved as DIR/env.sh):
#         MESH_CLUSTER_DIR KUBECONFIG MESH_APISERVER_URL MESH_APISERVER_TOKEN MESH_ETCD_URL
#       Use: eval "$(scripts/local-cluster.sh start)". Without --dir a new mktemp dir is used.
#       --owner-pid: a watchdog stops the cluster (and removes DIR) once PID has exited.
#   scripts/local-cluster.sh env [DIR]       print the export lines again
#   scripts/local-cluster.sh status [DIR]    exit 0 if etcd and the apiserver are up and ready
#   scripts/local-cluster.sh stop [DIR] [--keep]
#       Stops every process started in DIR (apiserver, etcd, Prometheus, watchdog), waits until
#       they are gone and removes DIR (unless --keep). Safe to call twice.
#   scripts/local-cluster.sh start-prometheus [--dir DIR] [--interval 1s] [--config FILE] [--owner-pid PID] TARGET...
#       Starts Prometheus scraping each TARGET (host:port, path /metrics) every --interval, or with
#       the given config file. DIR may be a cluster dir (then `stop DIR` stops it too) or omitted.
#       stdout: export lines MESH_PROMETHEUS_URL MESH_PROMETHEUS_DIR. --web.enable-lifecycle is on,
#       so rewrite DIR/prometheus/prometheus.yml and POST $MESH_PROMETHEUS_URL/-/reload to retarget.
#   scripts/local-cluster.sh stop-prometheus [DIR]
#   scripts/local-cluster.sh start-azurite [--dir DIR] [--owner-pid PID] [--container NAME]
#       Starts Azurite's blob service (the npm devDependency `azurite`: run npm ci first) on a free port, with
#       a fresh account and random key, creates the container (default pulumi-state) and prints export lines
#       for Pulumi's azblob:// backend: AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY PULUMI_BACKEND_URL
#       (azblob://NAME?localemu=true&domain=127.0.0.1:PORT&protocol=http: gocloud's azureblob URL options)
#       MESH_AZURITE_URL MESH_AZURITE_DIR. `stop DIR` stops it too.
#   scripts/local-cluster.sh stop-azurite [DIR]
#   scripts/local-cluster.sh start-istiod [--dir DIR] [--owner-pid PID] [--ambient]
#       Starts istiod (pilot-discovery, built by `scripts/toolchain.sh build pilot-discovery`) outside the
#       cluster against the cluster's API server (DIR/kubeconfig): plaintext xDS, debug (/debug/*, /ready)
#       and monitoring (/metrics) on free loopback ports; its own CA, the secure xDS port and webhooks off; Gateway
#       API routes translated (its gateway deployment, GatewayClass and status controllers off); namespace istio-system created. Waits until /ready answers. stdout:
#       export lines MESH_ISTIOD_XDS_ADDRESS (host:port) MESH_ISTIOD_DEBUG_URL MESH_ISTIOD_MONITORING_URL
#       (also saved as DIR/istiod/env.sh). `stop DIR` stops it too. Log: DIR/istiod.log.
#       MESH_PILOT_DISCOVERY=PATH uses another pilot-discovery binary.
#       --ambient: a second istiod beside the first (process istiod-ambient, DIR/istiod-ambient/, log
#       DIR/istiod-ambient.log) with ambient mode on (PILOT_ENABLE_AMBIENT: its ambient index, which keys a
#       waypoint's config), ambient status writing off; same export lines, for the caller to read.
#   scripts/local-cluster.sh stop-istiod [DIR] [--ambient]
# DIR defaults to $MESH_CLUSTER_DIR for env/status/stop/stop-prometheus/start-istiod/stop-istiod.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
MARKER=.mesh-local-cluster

say() { printf '[local-cluster %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

free_port() {
  if command -v node >/dev/null; then
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close();})'
  else
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
  fi
}

# pid_alive DIR NAME: the pid in DIR/NAME.pid runs and its command line mentions DIR
pid_alive() {
  local f="$1/$2.pid" pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [ -d "/proc/$pid" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$1" || return 1
}

# stop_proc DIR NAME [GRACE]: TERM, then KILL after GRACE tenths of a second (default 100)
stop_proc() {
  local dir=$1 name=$2 grace=${3:-100} pid i
  [ -s "$dir/$name.pid" ] || return 0
  pid=$(cat "$dir/$name.pid")
  if pid_alive "$dir" "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 "$grace"); do pid_alive "$dir" "$name" || break; sleep 0.1; done
    if pid_alive "$dir" "$name"; then
      [ "$grace" -lt 100 ] || say "$name (pid $pid) did not stop on TERM within $((grace / 10))s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do pid_alive "$dir" "$name" || break; sleep 0.1; done
    fi
    pid_alive "$dir" "$name" && die "could not stop $name (pid $pid)"
  fi
  rm -f "$dir/$name.pid"
}

# launch DIR NAME CMD...: start CMD detached (own session), stdout/stderr to DIR/NAME.log
launch() {
  local dir=$1 name=$2; shift 2
  setsid "$@" </dev/null >>"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

toolchain_bin() {
  "$SCRIPT_DIR/toolchain.sh" --check "$@" ||
    die "toolchain not built: run scripts/toolchain.sh (or scripts/toolchain.sh $*)"
}

start_watchdog() {
  local dir=$1 owner=$2
  [ -n "$owner" ] || return 0
  [ -d "/proc/$owner" ] || die "--owner-pid $owner is not running"
  setsid bash -c 'while [ -d "/proc/$1" ]; do sleep 1; done; exec "$2" stop "$3" --from-watchdog' \
    mesh-cluster-watchdog "$owner" "$SELF" "$dir" </dev/null >>"$dir/watchdog.log" 2>&1 &
  echo $! >"$dir/watchdog.pid"
}

write_env() {
  local dir=$1
  {
    printf "export MESH_CLUSTER_DIR='%s'\n" "$dir"
    printf "export KUBECONFIG='%s'\n" "$dir/kubeconfig"
    printf "export MESH_APISERVER_URL='%s'\n" "$(cat "$dir/apiserver.url")"
    printf "export MESH_APISERVER_TOKEN='%s'\n" "$(cat "$dir/token")"
    printf "export MESH_ETCD_URL='%s'\n" "$(cat "$dir/etcd.url")"
  } >"$dir/env.sh"
}

wait_ready() { # URL TOKEN DIR NAME TIMEOUT_S
  local url=$1 token=$2 dir=$3 name=$4 timeout=$5 t0 out
  t0=$(date +%s)
  while :; do
    out=$(curl -sk --max-time 2 ${token:+-H "Authorization: Bearer $token"} "$url" 2>/dev/null || true)
    [ "$out" = ok ] && return 0
    if ! pid_alive "$dir" "$name"; then return 2; fi
    [ $(($(date +%s) - t0)) -lt "$timeout" ] || return 1
    sleep 0.2
  done
}

start_once() { # DIR BIN -> 0 ok, 2 port clash/early exit (retry), exits on other errors
  local dir=$1 bin=$2
  local ep pp ap token
  ep=$(free_port); pp=$(free_port); ap=$(free_port)
  while [ "$pp" = "$ep" ]; do pp=$(free_port); done
  while [ "$ap" = "$ep" ] || [ "$ap" = "$pp" ]; do ap=$(free_port); done
  echo "http://127.0.0.1:$ep" >"$dir/etcd.url"
  echo "https://127.0.0.1:$ap" >"$dir/apiserver.url"
  token=$(cat "$dir/token")

  rm -rf "$dir/etcd-data"
  launch "$dir" etcd "$bin/etcd" --name mesh --data-dir "$dir/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$ep" --advertise-client-urls "http://127.0.0.1:$ep" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "mesh=http://127.0.0.1:$pp" --unsafe-no-fsync --log-level warn
  local rc i ok=""
  for i in $(seq 1 150); do
    if curl -s --max-time 2 "http://127.0.0.1:$ep/health" 2>/dev/null | grep -q '"health":"true"'; then ok=1; break; fi
    pid_alive "$dir" etcd || break
    sleep 0.2
  done
  if [ -z "$ok" ]; then
    say "etcd did not become healthy; last log lines:"; tail -n 15 "$dir/etcd.log" >&2
    stop_proc "$dir" etcd; return 2
  fi

  launch "$dir" apiserver "$bin/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ep" \
    --cert-dir "$dir/pki" \
    --secure-port "$ap" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
    --service-cluster-ip-range 10.0.0.0/24 \
    --allow-privileged=true \
    --authorization-mode RBAC \
    --token-auth-file "$dir/tokens.csv" \
    --service-account-issuer "https://127.0.0.1:$ap" \
    --service-account-key-file "$dir/sa.key" \
    --service-account-signing-key-file "$dir/sa.key" \
    --disable-admission-plugins ServiceAccount \
    --enable-garbage-collector=false \
    --enable-priority-and-fairness=false \
    --profiling=false \
    --v 1
  rc=0
  wait_ready "https://127.0.0.1:$ap/readyz" "$token" "$dir" apiserver 90 || rc=$?
  if [ $rc != 0 ]; then
    say "kube-apiserver did not become ready (rc=$rc); last log lines:"; tail -n 20 "$dir/apiserver.log" >&2
    stop_proc "$dir" apiserver; stop_proc "$dir" etcd
    return 2
  fi
  return 0
}

cmd_start() {
  local dir="" crds=1 owner=""
  while [ $# -gt 0 ]; do
    case $1 in
      --dir) dir=$2; shift ;;
      --no-crds) crds="" ;;
      --owner-pid) owner=$2; shift ;;
      *) die "start: unknown argument $1" ;;
    esac
    shift
  done
  local bin; bin=$(toolchain_bin kube etcd)
  local crd_file="" gw_crd_file=""
  [ -z "$crds" ] || crd_file=$("$SCRIPT_DIR/istio-crds.sh")
  [ -z "$crds" ] || gw_crd_file=$("$SCRIPT_DIR/gateway-api-crds.sh")
  if [ -z "$dir" ]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/mesh-cluster.XXXXXX"); fi
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
  if pid_alive "$dir" apiserver || pid_alive "$dir" etcd; then die "a cluster is already running in $dir"; fi
  touch "$dir/$MARKER"
  local t0; t0=$(date +%s)

  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  openssl rand -hex 24 >"$dir/token"
  printf '%s,mesh-admin,mesh-admin,system:masters\n' "$(cat "$dir/token")" >"$dir/tokens.csv"
  chmod 600 "$dir/sa.key" "$dir/token" "$dir/tokens.csv"

  local attempt rc
  for attempt in 1 2 3; do
    rc=0; start_once "$dir" "$bin" || rc=$?
    [ $rc = 0 ] && break
    say "start attempt $attempt failed; retrying with new ports"
  done
  [ $rc = 0 ] || { cmd_stop "$dir" --keep; die "could not start the control plane (logs in $dir)"; }
  start_watchdog "$dir" "$owner"

  local url token
  url=$(cat "$dir/apiserver.url"); token=$(cat "$dir/token")
  # kube-apiserver wrote a self-signed serving cert (and its CA) for 127.0.0.1/localhost
  local ca; ca=$(base64 -w0 <"$dir/pki/apiserver.crt")
  cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: mesh-local
  cluster:
    server: $url
    certificate-authority-data: $ca
users:
- name: mesh-admin
  user:
    token: $token
contexts:
- name: mesh-local
  context:
    cluster: mesh-local
    user: mesh-admin
    namespace: default
current-context: mesh-local
EOF
  chmod 600 "$dir/kubeconfig"
  write_env "$dir"

  if [ -n "$crds" ]; then
    local k=("$bin/kubectl" --kubeconfig "$dir/kubeconfig")
    if ! "${k[@]}" apply --server-side --force-conflicts -f "$crd_file" -f "$gw_crd_file" >"$dir/crds.log" 2>&1; then
      cat "$dir/crds.log" >&2; cmd_stop "$dir" --keep; die "applying the Istio and Gateway API CRDs failed (logs in $dir)"
    fi
    if ! "${k[@]}" wait --for condition=Established --timeout 60s -f "$crd_file" -f "$gw_crd_file" >>"$dir/crds.log" 2>&1; then
      cat "$dir/crds.log" >&2; cmd_stop "$dir" --keep; die "the Istio and Gateway API CRDs did not become Established"
    fi
  fi
  say "control plane ready in $(($(date +%s) - t0))s: $url (dir $dir)"
  cat "$dir/env.sh"
}

resolve_dir() {
  local dir=${1:-${MESH_CLUSTER_DIR:-}}
  [ -n "$dir" ] || die "no cluster dir given and MESH_CLUSTER_DIR is not set"
  echo "$dir"
}

cmd_env() {
  local dir; dir=$(resolve_dir "${1:-}")
  [ -s "$dir/env.sh" ] || die "$dir has no env.sh (not a started cluster)"
  cat "$dir/env.sh"
}

cmd_status() {
  local dir; dir=$(resolve_dir "${1:-}")
  local ok=0
  if pid_alive "$dir" etcd; then say "etcd: running (pid $(cat "$dir/etcd.pid"))"; else say "etcd: not running"; ok=1; fi
  if pid_alive "$dir" apiserver; then
    if [ "$(curl -sk --max-time 3 -H "Authorization: Bearer $(cat "$dir/token")" "$(cat "$dir/apiserver.url")/readyz" || true)" = ok ]; then
      say "kube-apiserver: ready at $(cat "$dir/apiserver.url") (pid $(cat "$dir/apiserver.pid"))"
    else say "kube-apiserver: running but not ready"; ok=1; fi
  else say "kube-apiserver: not running"; ok=1; fi
  if [ -s "$dir/prometheus.pid" ]; then
    if pid_alive "$dir" prometheus; then say "prometheus: running at $(cat "$dir/prometheus/url")"; else say "prometheus: not running"; fi
  fi
  if [ -s "$dir/istiod.pid" ]; then
    if pid_alive "$dir" istiod; then say "istiod: running, xDS $(cat "$dir/istiod/xds.address"), debug $(cat "$dir/istiod/debug.url")"; else say "istiod: not running"; fi
  fi
  return $ok
}

cmd_stop() {
  local dir="" keep="" from_watchdog=""
  while [ $# -gt 0 ]; do
    case $1 in
      --keep) keep=1 ;;
      --from-watchdog) from_watchdog=1 ;;
      *) dir=$1 ;;
    esac
    shift
  done
  dir=$(resolve_dir "$dir")
  [ -d "$dir" ] || { say "$dir does not exist; nothing to stop"; return 0; }
  [ -n "$from_watchdog" ] || stop_proc "$dir" watchdog
  stop_proc "$dir" prometheus
  stop_proc "$dir" azurite 20
  stop_proc "$dir" istiod-ambient
  stop_proc "$dir" istiod
  stop_proc "$dir" apiserver
  stop_proc "$dir" etcd
  if [ -z "$keep" ] && [ -e "$dir/$MARKER" ]; then rm -rf "$dir"; fi
  say "stopped ($dir${keep:+, kept})"
}

cmd_start_prometheus() {
  local dir="" interval=1s config="" owner="" targets=()
  while [ $# -gt 0 ]; do
    case $1 in
      --dir) dir=$2; shift ;;
      --interval) interval=$2; shift ;;
      --config) config=$2; shift ;;
      --owner-pid) owner=$2; shift ;;
      -*) die "start-prometheus: unknown option $1" ;;
      *) targets+=("$1") ;;
    esac
    shift
  done
  [ -n "$config" ] || [ ${#targets[@]} -gt 0 ] || die "start-prometheus: give at least one TARGET (host:port) or --config"
  command -v prometheus >/dev/null || die "prometheus not installed: run scripts/toolchain.sh prometheus"
  if [ -z "$dir" ]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/mesh-prometheus.XXXXXX"); touch "$dir/$MARKER"; fi
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
  pid_alive "$dir" prometheus && die "prometheus already runs in $dir"
  local p="$dir/prometheus"
  mkdir -p "$p/data"
  if [ -n "$config" ]; then cp "$config" "$p/prometheus.yml"; else
    {
      printf 'global:\n  scrape_interval: %s\n  evaluation_interval: %s\n  scrape_timeout: %s\n' "$interval" "$interval" "$interval"
      printf 'scrape_configs:\n- job_name: mesh\n  metrics_path: /metrics\n  static_configs:\n  - targets:\n'
      local t; for t in "${targets[@]}"; do printf "    - '%s'\n" "$t"; done
    } >"$p/prometheus.yml"
  fi
  local attempt port rc=1
  for attempt in 1 2 3; do
    port=$(free_port)
    launch "$dir" prometheus prometheus --config.file "$p/prometheus.yml" --storage.tsdb.path "$p/data" \
      --storage.tsdb.retention.time 2h --web.listen-address "127.0.0.1:$port" --web.enable-lifecycle \
      --web.enable-admin-api --log.level warn
    rc=0
    local i ready=""
    for i in $(seq 1 150); do
      if curl -s --max-time 2 "http://127.0.0.1:$port/-/ready" 2>/dev/null | grep -qi ready; then ready=1; break; fi
      pid_alive "$dir" prometheus || break
      sleep 0.2
    done
    [ -n "$ready" ] && break
    rc=1; say "prometheus attempt $attempt failed; last log lines:"; tail -n 10 "$dir/prometheus.log" >&2
    stop_proc "$dir" prometheus
  done
  [ $rc = 0 ] || die "could not start prometheus (logs in $dir)"
  echo "http://127.0.0.1:$port" >"$p/url"
  if [ -n "$owner" ] && [ ! -s "$dir/watchdog.pid" ]; then start_watchdog "$dir" "$owner"; fi
  say "prometheus ready at http://127.0.0.1:$port (dir $dir)"
  printf "export MESH_PROMETHEUS_URL='%s'\nexport MESH_PROMETHEUS_DIR='%s'\n" "http://127.0.0.1:$port" "$dir"
}

cmd_stop_prometheus() {
  local dir; dir=$(resolve_dir "${1:-}")
  stop_proc "$dir" prometheus
  # a Prometheus-only dir (no cluster) is removed like `stop` would
  if [ -e "$dir/$MARKER" ] && [ ! -e "$dir/etcd.url" ]; then stop_proc "$dir" watchdog; rm -rf "$dir"; fi
}

cmd_start_azurite() {
  local dir="" owner="" container=pulumi-state
  while [ $# -gt 0 ]; do
    case $1 in
      --dir) dir=$2; shift ;;
      --owner-pid) owner=$2; shift ;;
      --container) container=$2; shift ;;
      *) die "start-azurite: unknown argument $1" ;;
    esac
    shift
  done
  local azurite="$SCRIPT_DIR/../node_modules/.bin/azurite-blob"
  [ -x "$azurite" ] || die "azurite is not installed: run npm ci in $(cd "$SCRIPT_DIR/.." && pwd) (azurite is a pinned devDependency)"
  if [ -z "$dir" ]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/mesh-azurite.XXXXXX"); touch "$dir/$MARKER"; fi
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
  pid_alive "$dir" azurite && die "azurite already runs in $dir"
  local a="$dir/azurite" account=meshstate key attempt port rc=1 i
  mkdir -p "$a/data"
  # A key of our own (not the emulator's well-known one), readable by the owner only.
  key=$(openssl rand -base64 64 | tr -d '\n')
  ( umask 077; printf '%s' "$key" >"$a/key" )
  for attempt in 1 2 3; do
    port=$(free_port)
    AZURITE_ACCOUNTS="$account:$key" launch "$dir" azurite "$azurite" --silent --location "$a/data" \
      --blobHost 127.0.0.1 --blobPort "$port" --skipApiVersionCheck --disableProductStyleUrl
    for i in $(seq 1 150); do
      grep -q "successfully listens" "$dir/azurite.log" 2>/dev/null && { rc=0; break; }
      pid_alive "$dir" azurite || break
      sleep 0.2
    done
    [ $rc = 0 ] && break
    say "azurite attempt $attempt failed; last log lines:"; tail -n 10 "$dir/azurite.log" >&2
    stop_proc "$dir" azurite 20
  done
  [ $rc = 0 ] || die "could not start azurite (logs in $dir)"
  AZURE_STORAGE_ACCOUNT=$account AZURE_STORAGE_KEY=$key node "$SCRIPT_DIR/azurite-container.js" "http://127.0.0.1:$port/$account" "$container" ||
    die "could not create the container $container on azurite (logs in $dir)"
  if [ -n "$owner" ] && [ ! -s "$dir/watchdog.pid" ]; then start_watchdog "$dir" "$owner"; fi
  say "azurite ready at http://127.0.0.1:$port/$account (dir $dir)"
  {
    printf "export AZURE_STORAGE_ACCOUNT='%s'\n" "$account"
    printf "export AZURE_STORAGE_KEY='%s'\n" "$key"
    printf "export PULUMI_BACKEND_URL='azblob://%s?localemu=true&domain=127.0.0.1:%s&protocol=http'\n" "$container" "$port"
    printf "export MESH_AZURITE_URL='http://127.0.0.1:%s/%s'\nexport MESH_AZURITE_DIR='%s'\n" "$port" "$account" "$dir"
  } | tee "$a/env.sh"
}

cmd_stop_azurite() {
  local dir; dir=$(resolve_dir "${1:-}")
  stop_proc "$dir" azurite 20
  if [ -e "$dir/$MARKER" ] && [ ! -e "$dir/etcd.url" ]; then stop_proc "$dir" watchdog; rm -rf "$dir"; fi
}

cmd_start_istiod() {
  local dir="" owner="" name=istiod ambient=false
  while [ $# -gt 0 ]; do
    case $1 in
      --dir) dir=$2; shift ;;
      --owner-pid) owner=$2; shift ;;
      --ambient) name=istiod-ambient; ambient=true ;;
      *) die "start-istiod: unknown argument $1" ;;
    esac
    shift
  done
  dir=$(resolve_dir "$dir")
  [ -s "$dir/kubeconfig" ] || die "start-istiod: $dir is not a started cluster (no kubeconfig); run '$SELF start' first"
  if pid_alive "$dir" "$name"; then die "$name already runs in $dir"; fi
  local bin kubectl
  bin=${MESH_PILOT_DISCOVERY:-$("$SCRIPT_DIR/toolchain.sh" --check pilot-discovery)} ||
    die "pilot-discovery not built: run scripts/toolchain.sh build pilot-discovery"
  [ -x "$bin" ] || die "pilot-discovery not found at $bin: run scripts/toolchain.sh build pilot-discovery"
  kubectl="$(toolchain_bin kube)/kubectl"
  local d="$dir/$name"
  mkdir -p "$d"
  # istiod's root namespace must exist; outside a cluster its mesh config comes from a file.
  "$kubectl" --kubeconfig "$dir/kubeconfig" create namespace istio-system --dry-run=client -o yaml |
    "$kubectl" --kubeconfig "$dir/kubeconfig" apply -f - >"$d/namespace.log" 2>&1 ||
    { cat "$d/namespace.log" >&2; die "could not create namespace istio-system"; }
  printf '%s\n' "# mesh config of the local istiod (Istio's defaults otherwise; docs/toolchain.md)" \
    "rootNamespace: istio-system" "trustDomain: cluster.local" "enableTracing: false" 'accessLogFile: ""' >"$d/mesh.yaml"
  echo 'networks: {}' >"$d/meshNetworks.yaml"
  local attempt rc=1 xp hp mp t0 i ready=""
  for attempt in 1 2 3; do
    xp=$(free_port); hp=$(free_port); mp=$(free_port)
    while [ "$hp" = "$xp" ]; do hp=$(free_port); done
    while [ "$mp" = "$xp" ] || [ "$mp" = "$hp" ]; do mp=$(free_port); done
    t0=$(date +%s%N)
    # Outside a cluster: no CA (ENABLE_CA_SERVER=false, no DNS certificate), no secure xDS port, no webhook
    # server and no webhook patching. Gateway API on (the CRDs are applied by `start`): HTTPRoutes, Gateways of the
    # builtin class `istio` (no GatewayClass object needed) are translated; its controllers that need what is not
    # here are off: the gateway deployment controller (no kubelet runs the Deployments it would make), the
    # GatewayClass controller and status writing (leader election; nothing reads the status here).
    # --ambient adds ambient mode (its index keys waypoints' config), without its status writing.
    (cd "$d" && export POD_NAMESPACE=istio-system POD_NAME=istiod-local CLUSTER_ID=Kubernetes \
      ENABLE_CA_SERVER=false PILOT_CERT_PROVIDER=none \
      INJECTION_WEBHOOK_CONFIG_NAME="" VALIDATION_WEBHOOK_CONFIG_NAME="" \
      PILOT_ENABLE_GATEWAY_API=true PILOT_ENABLE_GATEWAY_API_STATUS=false \
      PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER=false PILOT_ENABLE_GATEWAY_API_GATEWAYCLASS_CONTROLLER=false &&
      { [ "$ambient" = false ] || export PILOT_ENABLE_AMBIENT=true AMBIENT_ENABLE_STATUS=false; } &&
      launch "$dir" "$name" "$bin" discovery --kubeconfig "$dir/kubeconfig" \
        --meshConfig "$d/mesh.yaml" --networksConfig "$d/meshNetworks.yaml" \
        --grpcAddr "127.0.0.1:$xp" --secureGRPCAddr "" --httpsAddr "" \
        --httpAddr "127.0.0.1:$hp" --monitoringAddr "127.0.0.1:$mp" \
        --domain cluster.local --clusterID Kubernetes --log_output_level default:info)
    ready=""
    for i in $(seq 1 300); do
      if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$hp/ready" 2>/dev/null)" = 200 ]; then ready=1; break; fi
      pid_alive "$dir" "$name" || break
      sleep 0.2
    done
    if [ -n "$ready" ]; then rc=0; break; fi
    say "$name attempt $attempt failed; last log lines:"; tail -n 15 "$dir/$name.log" >&2
    stop_proc "$dir" "$name"
  done
  [ $rc = 0 ] || die "could not start $name (log $dir/$name.log)"
  local ms=$((($(date +%s%N) - t0) / 1000000))
  echo "$ms" >"$d/startup-ms"
  echo "127.0.0.1:$xp" >"$d/xds.address"
  echo "http://127.0.0.1:$hp" >"$d/debug.url"
  printf "export MESH_ISTIOD_XDS_ADDRESS='%s'\nexport MESH_ISTIOD_DEBUG_URL='%s'\nexport MESH_ISTIOD_MONITORING_URL='%s'\n" \
    "127.0.0.1:$xp" "http://127.0.0.1:$hp" "http://127.0.0.1:$mp" >"$d/env.sh"
  if [ -n "$owner" ] && [ ! -s "$dir/watchdog.pid" ]; then start_watchdog "$dir" "$owner"; fi
  say "$name ready in ${ms} ms: xDS 127.0.0.1:$xp, debug http://127.0.0.1:$hp (log $dir/$name.log)"
  cat "$d/env.sh"
}

cmd_stop_istiod() {
  local dir="" name=istiod
  while [ $# -gt 0 ]; do
    case $1 in
      --ambient) name=istiod-ambient ;;
      *) dir=$1 ;;
    esac
    shift
  done
  dir=$(resolve_dir "$dir")
  stop_proc "$dir" "$name"
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  start-azurite) shift; cmd_start_azurite "$@" ;;
  stop-azurite) shift; cmd_stop_azurite "$@" ;;
  env) shift; cmd_env "$@" ;;
  status) shift; cmd_status "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  start-prometheus) shift; cmd_start_prometheus "$@" ;;
  stop-prometheus) shift; cmd_stop_prometheus "$@" ;;
  start-istiod) shift; cmd_start_istiod "$@" ;;
  stop-istiod) shift; cmd_stop_istiod "$@" ;;
  *) sed -n '2,40p' "$SELF" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
