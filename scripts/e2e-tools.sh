# The tools the end-to-end suites need built before they start, and how their background builds are stopped
# (sourced by scripts/e2e.sh and scripts/test.sh).
# pilot-discovery and istioctl, the slowest, build in the background while the first suites run.
# shellcheck disable=SC2034
E2E_REQUIRED=(pulumi langhost k8s-provider kube etcd crds prometheus langhost-policy)
E2E_OPTIONAL=(istioctl)

# kill_tree PID: TERM the process and its descendants (a background build runs a subshell -> toolchain.sh -> go).
kill_tree() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done
  kill -TERM "$1" 2>/dev/null || true
}
