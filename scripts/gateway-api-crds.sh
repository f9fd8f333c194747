#!/usr/bin/env bash
# Print the path of the pinned Gateway API CRD bundle (sigs.k8s.io/gateway-api config/crd/standard, the version the
# pinned istio.io/istio module requires; version and sha256 pinned in scripts/toolchain.pins). Downloads only that
# module through the Go module proxy on first use; builds nothing. Example: CRDS=$(scripts/gateway-api-crds.sh)
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/toolchain.sh" --print-gateway-api-crds
