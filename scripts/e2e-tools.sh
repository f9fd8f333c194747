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

# Warm wall seconds of each e2e file run alone (measured on the 2-core VM, docs/toolchain.md "e2e shards"); a file
# not listed counts as 120 s. Only the shards' balance depends on them.
E2E_FILE_SECONDS=(
  "test/e2e/istiod/badInput.test.ts 60"
)
# The files that need istiod: on a cold machine pilot-discovery builds in the background while each shard runs its
# other files first.
E2E_NEEDS_ISTIOD=(istiod/ release/handEdit release/readme release/release stack/dev stack/layouts)

# e2e_shard_files I N FILE...: the files of shard I of N, balanced by E2E_FILE_SECONDS (the longest first, each to
# the shard with the least so far), printed one a line: those that do not need istiod first, each group sorted.
e2e_shard_files() {
  local i=$1 n=$2
  shift 2
  local f
  for f in "$@"; do
    local s=120 e
    for e in "${E2E_FILE_SECONDS[@]}"; do [ "${e% *}" = "$f" ] && s=${e##* }; done
    local late=0 p
    for p in "${E2E_NEEDS_ISTIOD[@]}"; do case $f in "test/e2e/$p"*) late=1 ;; esac; done
    printf '%s %s %s\n' "$s" "$late" "$f"
  done | LC_ALL=C sort -k1,1nr -k3,3 | awk -v i="$i" -v n="$n" '
    { best = 1; for (k = 2; k <= n; k++) if (load[k] < load[best]) best = k; load[best] += $1; if (best == i) print $2, $3 }
  ' | LC_ALL=C sort -k1,1n -k2,2 | cut -d' ' -f2
}
