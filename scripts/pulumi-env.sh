# Source this file (bash/zsh) to get the project's offline Pulumi environment:
#
#   source scripts/pulumi-env.sh            # or: . scripts/pulumi-env.sh
#
# It needs a built toolchain (scripts/toolchain.sh) and sets:
#   MESH_TOOLCHAIN_DIR   the toolchain dir; $MESH_TOOLCHAIN_DIR/bin/pulumi exists, so the Automation API's
#                        PulumiCommand.get({ root: MESH_TOOLCHAIN_DIR }) finds the CLI
#   PATH                 the toolchain bin dir first (pulumi, pulumi-language-nodejs, kube-apiserver,
#                        kubectl, etcd, istioctl)
#   PULUMI_HOME          <toolchain>/pulumi-home: holds the kubernetes 4.24.1 plugin, so nothing is downloaded
#   PULUMI_BACKEND_URL   kept if already set (e.g. azblob://... from scripts/local-cluster.sh start-azurite,
#                        with AZURE_STORAGE_ACCOUNT/KEY), else file://<dir>, a new temp dir per sourcing
#                        (set MESH_PULUMI_STATE_DIR to choose the dir)
#   PULUMI_CONFIG_PASSPHRASE  kept if set, else the documented dev passphrase "mesh-traffic-dev"
#                        (dev/test stacks only; never for real environments)
#   PULUMI_SKIP_UPDATE_CHECK=true, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
#   KUBECONFIG           $MESH_CLUSTER_DIR/kubeconfig if MESH_CLUSTER_DIR is set (scripts/local-cluster.sh);
#                        otherwise left as it is
# Nothing here starts a process.

_mesh_env_dir=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)
if _mesh_tc_bin=$("$_mesh_env_dir/toolchain.sh" --check pulumi k8s-provider 2>/dev/null); then
  export MESH_TOOLCHAIN_DIR="${_mesh_tc_bin%/bin}"
  case ":$PATH:" in *":$_mesh_tc_bin:"*) ;; *) export PATH="$_mesh_tc_bin:$PATH" ;; esac
  export PULUMI_HOME="$MESH_TOOLCHAIN_DIR/pulumi-home"
  if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
    if [ -n "${MESH_PULUMI_STATE_DIR:-}" ]; then mkdir -p "$MESH_PULUMI_STATE_DIR"
    else MESH_PULUMI_STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mesh-pulumi-state.XXXXXX"); fi
    export MESH_PULUMI_STATE_DIR
    export PULUMI_BACKEND_URL="file://$MESH_PULUMI_STATE_DIR"
  fi
  export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-mesh-traffic-dev}"
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  if [ -n "${MESH_CLUSTER_DIR:-}" ] && [ -s "$MESH_CLUSTER_DIR/kubeconfig" ]; then
    export KUBECONFIG="$MESH_CLUSTER_DIR/kubeconfig"
  fi
else
  echo "pulumi-env.sh: toolchain not built; run scripts/toolchain.sh first" >&2
  unset _mesh_env_dir _mesh_tc_bin
  return 1 2>/dev/null || exit 1
fi
unset _mesh_env_dir _mesh_tc_bin
