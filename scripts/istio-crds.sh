#!/usr/bin/env bash
# Print the path of the pinned Istio CRD bundle (istio.io/api kubernetes/customresourcedefinitions.gen.yaml,
# version and sha256 pinned in scripts/toolchain.pins). Downloads only that small module through the
# Go module proxy on first use; builds nothing. Example: CRDS=$(scripts/istio-crds.sh)
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/toolchain.sh" --print-crds
