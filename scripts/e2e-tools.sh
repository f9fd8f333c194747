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

# Warm wall seconds of each e2e file in one mocha over the whole suite (the 2-core VM, load about 3, 2026-12-06; from
# the spec reporter's suite starts, docs/toolchain.md "e2e shards"); a file not listed counts as 120 s. Only the
# shards' balance depends on them.
E2E_FILE_SECONDS=(
  "test/e2e/istiod/badInput.test.ts 20"
  "test/e2e/istiod/gatewayApi.test.ts 60"
  "test/e2e/istiod/istiod.test.ts 30"
  "test/e2e/istiod/routingSwitch.test.ts 30"
  "test/e2e/istiod/samples.test.ts 106"
  "test/e2e/istiod/stickySessions.test.ts 101"
  "test/e2e/istiod/waypoint.test.ts 30"
  "test/e2e/package/install.test.ts 195"
  "test/e2e/package/yaml.test.ts 122"
  "test/e2e/release/gates.test.ts 59"
  "test/e2e/release/handEdit.test.ts 73"
  "test/e2e/release/perService.test.ts 139"
  "test/e2e/release/readme.test.ts 92"
  "test/e2e/release/release.test.ts 223"
  "test/e2e/release/sequential.test.ts 80"
  "test/e2e/release/simulator-prometheus.test.ts 13"
  "test/e2e/stack/dev.test.ts 43"
  "test/e2e/stack/layouts.test.ts 55"
  "test/e2e/stack/migration.test.ts 70"
  "test/e2e/stack/policyPack.test.ts 34"
  "test/e2e/stack/stackFile.test.ts 5"
)
# The files that need a tool scripts/e2e.sh builds in the background on a cold machine (istiod, istioctl,
# pulumi-language-yaml): each shard runs its other files first, while those build.
E2E_LATE=(istiod/ release/handEdit release/readme release/release stack/dev stack/layouts package/yaml)

# e2e_shard_files I N FILE...: the files of shard I of N, balanced by E2E_FILE_SECONDS (the longest first, each to
# the shard with the least so far), printed one a line: those not in E2E_LATE first, each group sorted.
e2e_shard_files() {
  local i=$1 n=$2
  shift 2
  local f
  for f in "$@"; do
    local s=120 e
    for e in "${E2E_FILE_SECONDS[@]}"; do [ "${e% *}" = "$f" ] && s=${e##* }; done
    local late=0 p
    for p in "${E2E_LATE[@]}"; do case $f in "test/e2e/$p"*) late=1 ;; esac; done
    printf '%s %s %s\n' "$s" "$late" "$f"
  done | LC_ALL=C sort -k1,1nr -k3,3 | awk -v i="$i" -v n="$n" '
    { best = 1; for (k = 2; k <= n; k++) if (load[k] < load[best]) best = k; load[best] += $1; if (best == i) print $2, $3 }
  ' | LC_ALL=C sort -k1,1n -k2,2 | cut -d' ' -f2
}
