# Sourced (not run) by scripts/e2e.sh, scripts/demo.sh and bench/run.sh: a throwaway work dir holding a local
# control plane (scripts/local-cluster.sh) and an offline Pulumi state, and their removal. The caller runs at
# the repository root, defines `say` and `die`, and calls throwaway_remove from its own EXIT trap.
#
#   throwaway_start_cluster DIR KEEP   start etcd + kube-apiserver + Istio CRDs in DIR and export its env
#                                      (MESH_CLUSTER_DIR, KUBECONFIG, ...); unless KEEP is non-empty a watchdog
#                                      stops it once this shell has exited (also after a SIGKILL)
#   throwaway_pulumi_env STATE_DIR     the Pulumi state backend, the dev passphrase unless one is set, then
#                                      scripts/pulumi-env.sh (toolchain on PATH, no plugin downloads). The
#                                      backend is MESH_PULUMI_BACKEND: `azblob` (default): Azure Blob storage
#                                      served by Azurite (scripts/local-cluster.sh start-azurite, in the control
#                                      plane's dir, so it stops with it), i.e. object storage as CI runners
#                                      share it, nothing on a local path; `file`: a file backend in STATE_DIR
#   throwaway_remove WORK KEEP         stop the control plane in WORK/cluster and remove WORK; with KEEP
#                                      non-empty keep both and say how to remove them. Returns 1 when the
#                                      control plane did not stop cleanly.

throwaway_start_cluster() {
  local dir=$1 keep=$2 args env
  args=(--dir "$dir")
  [ -n "$keep" ] || args+=(--owner-pid $$)
  env=$(scripts/local-cluster.sh start "${args[@]}") ||
    die "the local control plane did not start (see the messages above)"
  eval "$env"
}

throwaway_pulumi_env() {
  local backend=${MESH_PULUMI_BACKEND:-azblob} env
  unset PULUMI_BACKEND_URL MESH_PULUMI_STATE_DIR
  case $backend in
    file) export MESH_PULUMI_STATE_DIR=$1 ;;
    azblob)
      local args=(--dir "${MESH_CLUSTER_DIR:-$1}")
      [ -n "${MESH_CLUSTER_DIR:-}" ] || args+=(--owner-pid $$)
      env=$(scripts/local-cluster.sh start-azurite "${args[@]}") || die "Azurite (the azblob:// state backend) did not start; MESH_PULUMI_BACKEND=file uses a file backend instead"
      eval "$env" ;;
    *) die "MESH_PULUMI_BACKEND is '$backend'; it must be azblob or file" ;;
  esac
  export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-mesh-traffic-dev}
  # shellcheck source=pulumi-env.sh
  . scripts/pulumi-env.sh
}

throwaway_remove() {
  local work=$1 keep=$2 rc=0
  if [ -n "$keep" ]; then
    say "kept: cluster $work/cluster, state $work"
    say "stop with: bash scripts/local-cluster.sh stop '$work/cluster' && rm -rf '$work'"
    return 0
  fi
  if [ -d "$work/cluster" ]; then scripts/local-cluster.sh stop "$work/cluster" || rc=1; fi
  rm -rf "$work"
  return "$rc"
}
