# The tools the end-to-end suites need built before they start (sourced by scripts/e2e.sh and scripts/test.sh).
# pilot-discovery and istioctl, the slowest, build in the background while the first suites run.
# shellcheck disable=SC2034
E2E_REQUIRED=(pulumi langhost k8s-provider kube etcd crds prometheus)
E2E_OPTIONAL=(istioctl)
