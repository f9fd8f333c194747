#!/usr/bin/env bash
# Build the pinned Go tool chain (Pulumi CLI, Node language host, Kubernetes provider,
# kube-apiserver + kubectl, etcd, istioctl), fetch the Istio CRDs and make sure Prometheus is
# installed. Versions live in scripts/toolchain.pins; docs/toolchain.md has the details.
#
# Usage:
#   scripts/toolchain.sh [build] [TOOL...]   build what is missing (default: all), then print the bin dir
#   scripts/toolchain.sh --no-istioctl       build everything but istioctl (the slowest one)
#   scripts/toolchain.sh --print-bin         print the bin dir (builds nothing)
#   scripts/toolchain.sh --print-dir         print the toolchain dir (bin/, libexec/, pulumi-home/)
#   scripts/toolchain.sh --print-pulumi-home print the PULUMI_HOME holding the kubernetes plugin
#   scripts/toolchain.sh --print-crds        fetch (only) the Istio CRDs and print their path
#   scripts/toolchain.sh --print-gateway-api-crds  fetch (only) the Gateway API CRDs (standard channel), print their path
#   scripts/toolchain.sh --check [TOOL...]   exit 0 if the tools are built, else 1 and name the missing
#   scripts/toolchain.sh --list              list the tool names
#   scripts/toolchain.sh build pilot-discovery   build istiod (pilot-discovery) into its own cache dir
#   scripts/toolchain.sh --print-istiod-bin  print pilot-discovery's path (builds nothing)
#   scripts/toolchain.sh build langhost-policy   the Node language host front that runs policy packs (own cache dir)
#   scripts/toolchain.sh --print-langhost-policy-dir  its dir: bin/pulumi (the CLI) + bin/pulumi-language-nodejs
#   scripts/toolchain.sh build langhost-yaml     the Pulumi YAML language host (own cache dir, PULUMI_YAML_VERSION)
#   scripts/toolchain.sh --print-langhost-yaml-dir    its dir: bin/pulumi-language-yaml
# Tools: pulumi langhost k8s-provider kube etcd crds prometheus istioctl pilot-discovery langhost-policy langhost-yaml
#   langhost-yaml has its own cache key (the PULUMI_YAML_VERSION pin + the LANGHOST_YAML section) and is built only
#   when named; scripts/e2e.sh builds it in the background on a cold machine.
#   langhost-policy has its own cache key (the toolchain hash + the LANGHOST_POLICY section of this file +
#   scripts/langhost-policy/main.go), needs pulumi and langhost, and is built only when named.
#   pilot-discovery has its own cache key (the istio pins + the ISTIOD section of this file, not the
#   toolchain hash) and its own lock, so adding or changing it never rebuilds the rest; it shares the Go
#   build cache with istioctl (same module, flags and ldflags).
#
# stdout carries only the one requested path; progress and timings go to stderr.
# Builds go to ${MESH_TRAFFIC_CACHE:-~/.cache/mesh-traffic}/toolchain/<hash>/, where <hash>
# covers toolchain.pins and the HASHED section of this file. A lock (flock) serialises runs.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT_FILE="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
PINS_FILE="$SCRIPT_DIR/toolchain.pins"
# shellcheck source=toolchain.pins
. "$PINS_FILE"

ALL_TOOLS=(pulumi langhost k8s-provider kube etcd crds prometheus istioctl)

CACHE_ROOT=${MESH_TRAFFIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh-traffic}
# The pins' UNHASHED section (fetched files with their own sha256) is left out of the hash.
TC_HASH=$( { sed '/^# ---- BEGIN UNHASHED/,/^# ---- END UNHASHED/d' "$PINS_FILE"; sed -n '/^# ---- BEGIN HASHED/,/^# ---- END HASHED/p' "$SCRIPT_FILE"; } |
  sha256sum | cut -c1-16)
TC_DIR="$CACHE_ROOT/toolchain/$TC_HASH"
BIN_DIR="$TC_DIR/bin"
LIBEXEC_DIR="$TC_DIR/libexec"
PULUMI_HOME_DIR="$TC_DIR/pulumi-home"
SRC_DIR="$TC_DIR/src"
LOG_DIR="$TC_DIR/logs"
DONE_DIR="$TC_DIR/.done"
CRDS_DIR="$CACHE_ROOT/istio-crds/$ISTIO_API_VERSION"
CRDS_FILE="$CRDS_DIR/customresourcedefinitions.gen.yaml"
GATEWAY_API_CRDS_DIR="$CACHE_ROOT/gateway-api-crds/$GATEWAY_API_VERSION"
GATEWAY_API_CRDS_FILE="$GATEWAY_API_CRDS_DIR/standard-crds.yaml"

say() { printf '[toolchain %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# run TOOL STEP CMD...: run CMD with its output appended to the tool's log; on failure name the
# tool and the step and show the end of the log.
run() {
  local tool=$1 step=$2; shift 2
  local log="$LOG_DIR/$tool.log"
  printf '\n### %s %s: %s\n' "$(date -u +%FT%TZ)" "$step" "$*" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    say "FAILED: tool=$tool step=$step (log: $log). Last lines:"
    tail -n 25 "$log" | sed 's/^/    /' >&2
    exit 1
  fi
}

go_env() {
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-modcacherw -buildvcs=false"
  command -v go >/dev/null || die "go not found on PATH (need go >= $GO_MIN_VERSION)"
  local v; v=$(go env GOVERSION); v=${v#go}
  if [ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$v" | sort -V | head -n1)" != "$GO_MIN_VERSION" ]; then
    die "go $v is older than the required $GO_MIN_VERSION"
  fi
}

# mod_dir MODULE@VERSION: download a module (outside any main module) and print its directory.
mod_dir() {
  (cd "$TC_DIR" && go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# ---- BEGIN HASHED (wrapper templates and build recipes; editing this section changes the hash)

PULUMI_LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"

build_pulumi() {
  local d="$SRC_DIR/pulumi"
  mkdir -p "$d"
  cat >"$d/go.mod" <<EOF
module local.invalid/mesh-traffic/pulumi-cli

go 1.26

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)

// repeated from pkg/go.mod (its non-directory replace)
replace github.com/atotto/clipboard => $PULUMI_CLIPBOARD_REPLACE

tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
EOF
  (cd "$d" && run pulumi "go mod tidy" go mod tidy)
  (cd "$d" && GOBIN="$BIN_DIR" run pulumi "go install" \
    go install -trimpath -tags osusergo,grpcnotrace -ldflags "$PULUMI_LDFLAGS" tool)
  local got; got=$(PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME="$PULUMI_HOME_DIR" "$BIN_DIR/pulumi" version)
  [ "$got" = "$PULUMI_VERSION" ] || { say "FAILED: tool=pulumi step=verify: 'pulumi version' printed '$got'"; exit 1; }
}

build_langhost() {
  local d="$SRC_DIR/langhost"
  mkdir -p "$d"
  cat >"$d/go.mod" <<EOF
module local.invalid/mesh-traffic/pulumi-language-nodejs

go 1.26

require github.com/pulumi/pulumi/sdk/v3 $PULUMI_LANGHOST_SDK_VERSION

tool github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
EOF
  (cd "$d" && run langhost "go mod tidy" go mod tidy)
  (cd "$d" && GOBIN="$BIN_DIR" run langhost "go install" go install -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGHOST_SDK_VERSION" tool)
  [ -x "$BIN_DIR/pulumi-language-nodejs" ] || { say "FAILED: tool=langhost step=verify: binary missing"; exit 1; }
}

build_k8s_provider() {
  local d="$SRC_DIR/k8s-provider"
  mkdir -p "$d/gen"
  cat >"$d/go.mod" <<EOF
module local.invalid/mesh-traffic/pulumi-resource-kubernetes

go 1.26

require github.com/pulumi/pulumi-kubernetes/provider/v4 $K8S_PROVIDER_MODULE_VERSION
EOF
  # Equivalent of upstream cmd/pulumi-resource-kubernetes/main.go at this commit
  # (provider.Serve takes 4 arguments here; helmMapping came later).
  cat >"$d/main.go" <<'EOF'
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
EOF
  # placeholders so `go mod tidy` can load the package before the real embeds exist
  [ -s "$d/schema-embed.json" ] || echo '{}' >"$d/schema-embed.json"
  [ -s "$d/terraform-mapping-embed.json" ] || echo '{}' >"$d/terraform-mapping-embed.json"
  (cd "$d" && run k8s-provider "go mod tidy" go mod tidy)
  local up
  up=$(mod_dir "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_MODULE_VERSION")
  [ -n "$up" ] || { say "FAILED: tool=k8s-provider step=download"; exit 1; }
  cp "$up/cmd/pulumi-resource-kubernetes/"{generate.go,schema.json,terraform-mapping.json} "$d/gen/"
  chmod u+w "$d/gen/"*
  # upstream's own generator (go:build ignore): sets the schema version, minifies both files
  (cd "$d/gen" && VERSION="$K8S_PROVIDER_VERSION" run k8s-provider "generate embeds" go run generate.go)
  mv "$d/gen/schema-embed.json" "$d/gen/terraform-mapping-embed.json" "$d/"
  mkdir -p "$LIBEXEC_DIR"
  (cd "$d" && run k8s-provider "go build" go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION" \
    -o "$LIBEXEC_DIR/pulumi-resource-kubernetes" .)
  # register it in our PULUMI_HOME so that no plugin download is ever attempted
  rm -rf "$PULUMI_HOME_DIR/plugins/resource-kubernetes-v$K8S_PROVIDER_VERSION"*
  PULUMI_HOME="$PULUMI_HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    run k8s-provider "pulumi plugin install" "$BIN_DIR/pulumi" plugin install resource kubernetes \
    "$K8S_PROVIDER_VERSION" --file "$LIBEXEC_DIR/pulumi-resource-kubernetes"
  PULUMI_HOME="$PULUMI_HOME_DIR" PULUMI_SKIP_UPDATE_CHECK=true \
    run k8s-provider "verify (pulumi plugin ls)" sh -c \
    "'$BIN_DIR/pulumi' plugin ls | grep -E '^kubernetes +resource +$K8S_PROVIDER_VERSION '"
}

build_kube() {
  local d="$SRC_DIR/kube"
  mkdir -p "$d"
  local upmod
  upmod=$(cd "$TC_DIR" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [ -s "$upmod" ] || { say "FAILED: tool=kube step=download k8s.io/kubernetes go.mod"; exit 1; }
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local godebug; godebug=$(grep -E '^godebug ' "$upmod" || true)
  {
    printf 'module local.invalid/mesh-traffic/kube-tools\n\ngo 1.26\n\n%s\n\n' "$godebug"
    printf 'require k8s.io/kubernetes %s\n\n' "$KUBERNETES_VERSION"
    printf '// every ./staging/src/k8s.io/X directory replace of upstream, as a module version\nreplace (\n'
    grep -E '=> \./staging/src/' "$upmod" | awk -v sv="$KUBERNETES_STAGING_VERSION" '{printf "\t%s => %s %s\n", $1, $1, sv}'
    printf ')\n\ntool (\n\tk8s.io/kubernetes/cmd/kube-apiserver\n\tk8s.io/kubernetes/cmd/kubectl\n)\n'
  } >"$d/go.mod"
  local x="" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    x+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    x+=" -X $p.gitCommit=$KUBERNETES_GIT_COMMIT -X $p.gitTreeState=clean -X $p.buildDate=$KUBERNETES_BUILD_DATE"
  done
  (cd "$d" && run kube "go mod tidy" go mod tidy)
  (cd "$d" && GOBIN="$BIN_DIR" run kube "go install" go install -trimpath -ldflags "-s -w$x" tool)
  "$BIN_DIR/kube-apiserver" --version | grep -qx "Kubernetes $KUBERNETES_VERSION" ||
    { say "FAILED: tool=kube step=verify: $("$BIN_DIR/kube-apiserver" --version)"; exit 1; }
}

build_etcd() {
  local d="$SRC_DIR/etcd"
  mkdir -p "$d"
  cat >"$d/go.mod" <<EOF
module local.invalid/mesh-traffic/etcd

go 1.26

require go.etcd.io/etcd/server/v3 $ETCD_VERSION

// the main package is the server module root (main.go -> etcdmain.Main)
tool go.etcd.io/etcd/server/v3
EOF
  (cd "$d" && run etcd "go mod tidy" go mod tidy)
  (cd "$d" && run etcd "go build" go build -trimpath \
    -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" -o "$BIN_DIR/etcd" go.etcd.io/etcd/server/v3)
  "$BIN_DIR/etcd" --version | grep -q "etcd Version: ${ETCD_VERSION#v}" ||
    { say "FAILED: tool=etcd step=verify: $("$BIN_DIR/etcd" --version | head -1)"; exit 1; }
}

build_istioctl() {
  local v=istio.io/istio/pkg/version
  (cd "$TC_DIR" && GOBIN="$BIN_DIR" run istioctl "go install" go install -trimpath -tags disable_pgv \
    -ldflags "-s -w -X $v.buildVersion=$ISTIO_BUILD_VERSION -X $v.buildGitRevision=${ISTIO_MODULE_VERSION##*-} -X $v.buildTag=$ISTIO_BUILD_VERSION -X $v.buildStatus=Clean" \
    "istio.io/istio/istioctl/cmd/istioctl@$ISTIO_MODULE_VERSION")
  "$BIN_DIR/istioctl" version --remote=false 2>/dev/null | grep -qF "$ISTIO_BUILD_VERSION" ||
    { say "FAILED: tool=istioctl step=verify: $("$BIN_DIR/istioctl" version --remote=false 2>&1 | head -1)"; exit 1; }
}

# ---- END HASHED

# verify_prints_port TOOL OUT CMD...: a language host (or its front) starts and prints its port, as the CLI expects;
# stopped right after.
verify_prints_port() {
  local tool=$1 out=$2 pid i; shift 2
  (exec "$@" >"$out" 2>&1) &
  pid=$!
  for i in $(seq 1 100); do [ -s "$out" ] && break; sleep 0.1; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  grep -qxE '[0-9]+' "$out" || { say "FAILED: tool=$tool step=verify: it printed no port: $(head -c 400 "$out")"; exit 1; }
}

# own_key_main TOOL DIR FD BUILD_FN [--check]: a tool with a cache key of its own (DIR), built by BUILD_FN under
# DIR.lock (file descriptor FD), once: DIR/.done holds its build time. Prints DIR. (istiod_main is the same recipe,
# kept as it is: its section is its cache key.)
own_key_main() {
  local tool=$1 dir=$2 fd=$3 build=$4 done="$2/.done"
  if [ "${5:-}" = --check ]; then
    [ -e "$done" ] || { say "not built: $tool (run scripts/toolchain.sh build $tool)"; return 1; }
    echo "$dir"; return 0
  fi
  if [ -e "$done" ]; then say "$tool: up to date"; echo "$dir"; return 0; fi
  go_env
  mkdir -p "$dir/logs"
  eval "exec $fd>\"\$dir.lock\""
  if ! flock -n "$fd"; then say "another build holds $dir.lock; waiting"; flock "$fd"; fi
  if [ ! -e "$done" ]; then
    say "$tool: building (log: $dir/logs/$tool.log)"
    local t0 dt; t0=$(date +%s)
    "$build"
    dt=$(($(date +%s) - t0))
    echo "$dt" >"$done"
    printf '%s\t%s\t%ss\n' "$(date -u +%FT%TZ)" "$tool" "$dt" >>"$dir/timings.tsv"
    say "$tool: done in ${dt}s"
  fi
  echo "$dir"
}

# ---- BEGIN ISTIOD (pilot-discovery: its own cache key = the istio pins + this section, see ISTIOD_HASH)
# Same module version, tags and ldflags as istioctl, so most packages come from istioctl's Go build cache.
ISTIOD_HASH=$( { grep -E '^ISTIO_(MODULE|BUILD)_VERSION=' "$PINS_FILE"
  sed -n '/^# ---- BEGIN ISTIOD/,/^# ---- END ISTIOD/p' "$SCRIPT_FILE"; } | sha256sum | cut -c1-16)
ISTIOD_DIR="$CACHE_ROOT/istiod/$ISTIOD_HASH"

build_pilot_discovery() {
  local v=istio.io/istio/pkg/version
  mkdir -p "$ISTIOD_DIR/bin" "$ISTIOD_DIR/logs"
  (cd "$ISTIOD_DIR" && GOBIN="$ISTIOD_DIR/bin" LOG_DIR="$ISTIOD_DIR/logs" run pilot-discovery "go install" go install -trimpath -tags disable_pgv \
    -ldflags "-s -w -X $v.buildVersion=$ISTIO_BUILD_VERSION -X $v.buildGitRevision=${ISTIO_MODULE_VERSION##*-} -X $v.buildTag=$ISTIO_BUILD_VERSION -X $v.buildStatus=Clean" \
    "istio.io/istio/pilot/cmd/pilot-discovery@$ISTIO_MODULE_VERSION")
  "$ISTIOD_DIR/bin/pilot-discovery" version -s 2>/dev/null | grep -qF "$ISTIO_BUILD_VERSION" ||
    { say "FAILED: tool=pilot-discovery step=verify: $("$ISTIOD_DIR/bin/pilot-discovery" version -s 2>&1 | head -1)"; exit 1; }
}

# istiod_main [--check]: build (or check) pilot-discovery under its own lock; prints the binary's path.
istiod_main() {
  local bin="$ISTIOD_DIR/bin/pilot-discovery" done="$ISTIOD_DIR/.done"
  if [ "${1:-}" = --check ]; then
    [ -e "$done" ] || { say "not built: pilot-discovery (run scripts/toolchain.sh build pilot-discovery)"; return 1; }
    echo "$bin"; return 0
  fi
  if [ -e "$done" ]; then say "pilot-discovery: up to date"; echo "$bin"; return 0; fi
  go_env
  mkdir -p "$ISTIOD_DIR/logs"
  exec 7>"$ISTIOD_DIR.lock"
  if ! flock -n 7; then say "another build holds $ISTIOD_DIR.lock; waiting"; flock 7; fi
  if [ ! -e "$done" ]; then
    say "pilot-discovery: building (log: $ISTIOD_DIR/logs/pilot-discovery.log)"
    local t0 dt; t0=$(date +%s)
    build_pilot_discovery
    dt=$(($(date +%s) - t0))
    echo "$dt" >"$done"
    printf '%s\tpilot-discovery\t%ss\n' "$(date -u +%FT%TZ)" "$dt" >>"$ISTIOD_DIR/timings.tsv"
    say "pilot-discovery: done in ${dt}s"
  fi
  echo "$bin"
}
# ---- END ISTIOD

# ---- BEGIN LANGHOST_POLICY (the Node language host front that runs policy packs: its own cache key = the toolchain
# hash (its bin dir holds a hard link to the toolchain's pulumi) + this section + scripts/langhost-policy/main.go)
# The pinned CLI starts a Node policy pack (`pulumi up --policy-pack DIR`) through the nodejs language host's
# RunPlugin; the toolchain's host (sdk v3.68.0) answers "not supported". scripts/langhost-policy/main.go serves
# RunPlugin for policy packs as the upstream host does and forwards every other call to the toolchain's host, the next
# pulumi-language-nodejs on PATH. Its bin dir also holds the CLI (a hard link), so that the CLI finds the front as
# its bundled language host (no "using pulumi-language-nodejs from $PATH" warning): use it as
#   PATH="<dir>/bin:<toolchain>/bin:$PATH"   (the Automation API: PulumiCommand.get({ root: <dir> }))
# sdk/v3 at the CLI's version: its module graph is the CLI's, already in the module cache once the CLI is built.
LANGHOST_POLICY_HASH=$( { echo "$TC_HASH"; sed -n '/^# ---- BEGIN LANGHOST_POLICY/,/^# ---- END LANGHOST_POLICY/p' "$SCRIPT_FILE"
  cat "$SCRIPT_DIR/langhost-policy/main.go"; } | sha256sum | cut -c1-16)
LANGHOST_POLICY_DIR="$CACHE_ROOT/langhost-policy/$LANGHOST_POLICY_HASH"

build_langhost_policy() {
  local d="$LANGHOST_POLICY_DIR/src" bin="$LANGHOST_POLICY_DIR/bin"
  mkdir -p "$d" "$bin" "$LANGHOST_POLICY_DIR/logs"
  cp "$SCRIPT_DIR/langhost-policy/main.go" "$d/main.go"
  printf 'module local.invalid/mesh-traffic/langhost-policy\n\ngo 1.26\n\nrequire github.com/pulumi/pulumi/sdk/v3 %s\n' \
    "$PULUMI_VERSION" >"$d/go.mod"
  (cd "$d" && LOG_DIR="$LANGHOST_POLICY_DIR/logs" run langhost-policy "go mod tidy" go mod tidy)
  (cd "$d" && LOG_DIR="$LANGHOST_POLICY_DIR/logs" run langhost-policy "go build" go build -trimpath -ldflags "-s -w" \
    -o "$bin/pulumi-language-nodejs" .)
  rm -f "$bin/pulumi"
  ln "$BIN_DIR/pulumi" "$bin/pulumi" 2>/dev/null || cp "$BIN_DIR/pulumi" "$bin/pulumi"
  # verify: the front starts the toolchain's host behind it and prints its own port
  verify_prints_port langhost-policy "$LANGHOST_POLICY_DIR/logs/verify.out" \
    env PATH="$bin:$BIN_DIR:$PATH" "$bin/pulumi-language-nodejs" 127.0.0.1:1
}

# langhost_policy_main [--check]: build (or check) the front under its own lock; prints its dir.
langhost_policy_main() {
  if [ "${1:-}" != --check ] && [ ! -e "$LANGHOST_POLICY_DIR/.done" ]; then
    { is_built pulumi && is_built langhost; } ||
      die "langhost-policy needs the CLI and the language host first: bash scripts/toolchain.sh build pulumi langhost langhost-policy"
  fi
  own_key_main langhost-policy "$LANGHOST_POLICY_DIR" 6 build_langhost_policy "$@"
}
# ---- END LANGHOST_POLICY

# ---- BEGIN LANGHOST_YAML (the Pulumi YAML language host and mesh-sdkgen: its own cache key = the PULUMI_YAML_VERSION
# pin + this section + scripts/langhost-yaml/main.go and sdkgen/main.go)
# pulumi-language-yaml runs Pulumi YAML programs (test/e2e/package/yaml.test.ts uses the component provider from one).
# scripts/langhost-yaml/main.go serves pulumi-yaml's own host (its pkg/server) and adds Link, which v1.25.0 lacks and
# `pulumi package add` calls. Its go.mod requires only pulumi-yaml, so the module graph is pulumi-yaml's, nothing of the
# hashed toolchain. bin/mesh-sdkgen (scripts/langhost-yaml/sdkgen) writes a package's Python, Go and C# SDKs from its
# schema with pkg/v3's generators (`pulumi package gen-sdk` needs those languages' hosts, which the proxy does not serve).
# Use the host with its bin dir on PATH (the CLI finds a language host there):
#   PATH="$(bash scripts/toolchain.sh --print-langhost-yaml-dir)/bin:$PATH"
LANGHOST_YAML_HASH=$( { grep -E '^PULUMI_YAML_VERSION=' "$PINS_FILE"
  sed -n '/^# ---- BEGIN LANGHOST_YAML/,/^# ---- END LANGHOST_YAML/p' "$SCRIPT_FILE"
  cat "$SCRIPT_DIR/langhost-yaml/main.go" "$SCRIPT_DIR/langhost-yaml/sdkgen/main.go"; } |
  sha256sum | cut -c1-16)
LANGHOST_YAML_DIR="$CACHE_ROOT/langhost-yaml/$LANGHOST_YAML_HASH"

build_langhost_yaml() {
  local d="$LANGHOST_YAML_DIR/src" bin="$LANGHOST_YAML_DIR/bin"
  mkdir -p "$d" "$bin" "$LANGHOST_YAML_DIR/logs"
  mkdir -p "$d/sdkgen"
  cp "$SCRIPT_DIR/langhost-yaml/main.go" "$d/main.go"
  cp "$SCRIPT_DIR/langhost-yaml/sdkgen/main.go" "$d/sdkgen/main.go"
  printf 'module local.invalid/mesh-traffic/langhost-yaml\n\ngo 1.26\n\nrequire github.com/pulumi/pulumi-yaml %s\n' \
    "$PULUMI_YAML_VERSION" >"$d/go.mod"
  (cd "$d" && LOG_DIR="$LANGHOST_YAML_DIR/logs" run langhost-yaml "go mod tidy" go mod tidy)
  (cd "$d" && LOG_DIR="$LANGHOST_YAML_DIR/logs" run langhost-yaml "go build" go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$PULUMI_YAML_VERSION" -o "$bin/pulumi-language-yaml" .)
  (cd "$d" && LOG_DIR="$LANGHOST_YAML_DIR/logs" run langhost-yaml "go build sdkgen" go build -trimpath -ldflags "-s -w" \
    -o "$bin/mesh-sdkgen" ./sdkgen)
  # verify: the host starts and prints its port
  verify_prints_port langhost-yaml "$LANGHOST_YAML_DIR/logs/verify.out" "$bin/pulumi-language-yaml"
}

# langhost_yaml_main [--check]: build (or check) pulumi-language-yaml under its own lock; prints its dir.
langhost_yaml_main() {
  own_key_main langhost-yaml "$LANGHOST_YAML_DIR" 5 build_langhost_yaml "$@"
}
# ---- END LANGHOST_YAML

fetch_crds() {
  if [ -s "$CRDS_FILE" ] && [ "$(sha256sum <"$CRDS_FILE" | cut -d' ' -f1)" = "$ISTIO_CRDS_SHA256" ]; then
    return 0
  fi
  mkdir -p "$CRDS_DIR" "$TC_DIR" "$LOG_DIR"
  local up; up=$(mod_dir "istio.io/api@$ISTIO_API_VERSION")
  local src="$up/kubernetes/customresourcedefinitions.gen.yaml"
  [ -s "$src" ] || { say "FAILED: tool=crds step=download istio.io/api@$ISTIO_API_VERSION"; exit 1; }
  local sum; sum=$(sha256sum <"$src" | cut -d' ' -f1)
  [ "$sum" = "$ISTIO_CRDS_SHA256" ] ||
    { say "FAILED: tool=crds step=verify: sha256 $sum != pinned $ISTIO_CRDS_SHA256"; exit 1; }
  cp "$src" "$CRDS_FILE.tmp.$$" && chmod 644 "$CRDS_FILE.tmp.$$" && mv "$CRDS_FILE.tmp.$$" "$CRDS_FILE"
}

# The Gateway API CRDs (standard channel) of sigs.k8s.io/gateway-api, as one bundle (see toolchain.pins).
fetch_gateway_api_crds() {
  if [ -s "$GATEWAY_API_CRDS_FILE" ] && [ "$(sha256sum <"$GATEWAY_API_CRDS_FILE" | cut -d' ' -f1)" = "$GATEWAY_API_CRDS_SHA256" ]; then
    return 0
  fi
  mkdir -p "$GATEWAY_API_CRDS_DIR" "$TC_DIR" "$LOG_DIR"
  local up; up=$(mod_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")
  local src="$up/config/crd/standard" tmp="$GATEWAY_API_CRDS_FILE.tmp.$$" f
  [ -d "$src" ] || { say "FAILED: tool=gateway-api-crds step=download sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"; exit 1; }
  : >"$tmp"
  for f in $(cd "$src" && LC_ALL=C ls gateway.networking.k8s.io_*.yaml | grep -v '_vap_'); do
    printf -- '---\n' >>"$tmp"; cat "$src/$f" >>"$tmp"
  done
  local sum; sum=$(sha256sum <"$tmp" | cut -d' ' -f1)
  [ "$sum" = "$GATEWAY_API_CRDS_SHA256" ] ||
    { rm -f "$tmp"; say "FAILED: tool=gateway-api-crds step=verify: sha256 $sum != pinned $GATEWAY_API_CRDS_SHA256"; exit 1; }
  chmod 644 "$tmp" && mv "$tmp" "$GATEWAY_API_CRDS_FILE"
}

ensure_prometheus() {
  if command -v prometheus >/dev/null; then
    prometheus --version 2>&1 | head -n1 | grep -q "version $PROMETHEUS_APT_VERSION_PREFIX" ||
      say "note: $(prometheus --version 2>&1 | head -n1) (pinned $PROMETHEUS_APT_VERSION_PREFIX)"
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "prometheus is not installed and this is not root: apt-get install $PROMETHEUS_APT_PACKAGE"
  # never let the package start a service (on :9090) - we start our own instances on free ports
  local made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive run prometheus "apt-get install" \
    apt-get install -y --no-install-recommends "$PROMETHEUS_APT_PACKAGE" || rc=$?
  if [ $rc != 0 ] || ! command -v prometheus >/dev/null; then
    run prometheus "apt-get update" apt-get update
    DEBIAN_FRONTEND=noninteractive run prometheus "apt-get install" \
      apt-get install -y --no-install-recommends "$PROMETHEUS_APT_PACKAGE"
  fi
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
  # if a service got started anyway (systemd hosts), stop it
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl stop prometheus || true; systemctl disable prometheus 2>/dev/null || true
  fi
}

is_built() {
  case $1 in
    crds) [ -s "$CRDS_FILE" ] ;;
    prometheus) command -v prometheus >/dev/null ;;
    *) [ -e "$DONE_DIR/$1" ] ;;
  esac
}

build_one() {
  local tool=$1
  if is_built "$tool"; then say "$tool: up to date"; return 0; fi
  say "$tool: building (log: $LOG_DIR/$tool.log)"
  local t0; t0=$(date +%s)
  case $tool in
    pulumi) build_pulumi ;;
    langhost) build_langhost ;;
    k8s-provider) build_k8s_provider ;;
    kube) build_kube ;;
    etcd) build_etcd ;;
    istioctl) build_istioctl ;;
    crds) fetch_crds ;;
    prometheus) ensure_prometheus ;;
    *) die "unknown tool '$tool' (tools: ${ALL_TOOLS[*]})" ;;
  esac
  local dt=$(($(date +%s) - t0))
  case $tool in crds | prometheus) ;; *) echo "$dt" >"$DONE_DIR/$tool" ;; esac
  printf '%s\t%s\t%ss\n' "$(date -u +%FT%TZ)" "$tool" "$dt" >>"$TC_DIR/timings.tsv"
  say "$tool: done in ${dt}s"
}

main() {
  local mode=build skip_istioctl="${MESH_TOOLCHAIN_SKIP_ISTIOCTL:-}"
  local tools=()
  while [ $# -gt 0 ]; do
    case $1 in
      build) ;;
      --print-bin) echo "$BIN_DIR"; return 0 ;;
      --print-dir) echo "$TC_DIR"; return 0 ;;
      --print-pulumi-home) echo "$PULUMI_HOME_DIR"; return 0 ;;
      --print-hash) echo "$TC_HASH"; return 0 ;;
      --list) printf '%s\n' "${ALL_TOOLS[@]}" pilot-discovery langhost-policy langhost-yaml; return 0 ;;
      --print-istiod-bin) echo "$ISTIOD_DIR/bin/pilot-discovery"; return 0 ;;
      --print-istiod-dir) echo "$ISTIOD_DIR"; return 0 ;;
      --print-langhost-policy-dir) echo "$LANGHOST_POLICY_DIR"; return 0 ;;
      --print-langhost-yaml-dir) echo "$LANGHOST_YAML_DIR"; return 0 ;;
      --print-crds) mode=crds ;;
      --print-gateway-api-crds) mode=gateway-api-crds ;;
      --check) mode=check ;;
      --no-istioctl) skip_istioctl=1 ;;
      -h | --help) sed -n '2,33p' "$SCRIPT_FILE" | sed 's/^# \{0,1\}//'; return 0 ;;
      -*) die "unknown option $1 (see --help)" ;;
      *) tools+=("$1") ;;
    esac
    shift
  done
  # pilot-discovery is not part of the hashed toolchain: it has its own dir and lock (see ISTIOD above) and is
  # built only when named.
  local istiod="" langpol="" langyaml="" rest=() t
  # langhost-yaml (own cache dir, needs nothing else): checked here, or built after the rest
  for t in "${tools[@]}"; do if [ "$t" = langhost-yaml ]; then langyaml=1; else rest+=("$t"); fi; done
  if [ -n "$langyaml" ]; then
    if [ "$mode" = check ]; then langhost_yaml_main --check >/dev/null || return 1; fi
    if [ ${#rest[@]} = 0 ]; then
      if [ "$mode" = check ]; then echo "$LANGHOST_YAML_DIR"; else langhost_yaml_main; fi
      return
    fi
    tools=("${rest[@]}")
  fi
  rest=()
  # langhost-policy (own cache dir, like pilot-discovery): checked here, or built after the rest (it needs the CLI)
  for t in "${tools[@]}"; do if [ "$t" = langhost-policy ]; then langpol=1; else rest+=("$t"); fi; done
  if [ -n "$langpol" ]; then
    if [ "$mode" = check ]; then langhost_policy_main --check >/dev/null || return 1; fi
    if [ ${#rest[@]} = 0 ]; then
      [ "$mode" = check ] || langhost_policy_main >/dev/null
      echo "$BIN_DIR"; return 0
    fi
    tools=("${rest[@]}")
  fi
  rest=()
  for t in "${tools[@]}"; do if [ "$t" = pilot-discovery ]; then istiod=1; else rest+=("$t"); fi; done
  if [ -n "$istiod" ]; then
    if [ ${#rest[@]} = 0 ]; then
      if [ -n "$langpol" ] && [ "$mode" != check ]; then langhost_policy_main >/dev/null; fi
      if [ "$mode" = check ]; then istiod_main --check; else istiod_main; fi
      return
    fi
    if [ "$mode" = check ]; then istiod_main --check >/dev/null || return 1; fi
    tools=("${rest[@]}")
  fi
  if [ ${#tools[@]} = 0 ]; then
    tools=("${ALL_TOOLS[@]}")
    if [ -n "$skip_istioctl" ]; then tools=("${tools[@]/istioctl/}"); fi
  fi

  case $mode in
    check)
      local missing=() t
      for t in "${tools[@]}"; do [ -z "$t" ] || is_built "$t" || missing+=("$t"); done
      if [ ${#missing[@]} != 0 ]; then say "not built: ${missing[*]} (run scripts/toolchain.sh)"; return 1; fi
      echo "$BIN_DIR"; return 0 ;;
    crds)
      go_env; mkdir -p "$TC_DIR"
      exec 8>"$CACHE_ROOT/istio-crds.lock"; flock 8
      fetch_crds; echo "$CRDS_FILE"; return 0 ;;
    gateway-api-crds)
      go_env; mkdir -p "$TC_DIR"
      exec 8>"$CACHE_ROOT/gateway-api-crds.lock"; flock 8
      fetch_gateway_api_crds; echo "$GATEWAY_API_CRDS_FILE"; return 0 ;;
  esac

  go_env
  mkdir -p "$BIN_DIR" "$LIBEXEC_DIR" "$PULUMI_HOME_DIR" "$SRC_DIR" "$LOG_DIR" "$DONE_DIR"
  exec 9>"$TC_DIR.lock"
  if ! flock -n 9; then
    say "another toolchain.sh run holds $TC_DIR.lock; waiting"
    flock 9
  fi
  say "toolchain $TC_HASH in $TC_DIR (go $(go env GOVERSION), $(nproc) cores)"
  local t0 t; t0=$(date +%s)
  # the provider registration needs the CLI, so order matters
  for t in pulumi langhost k8s-provider kube etcd crds prometheus istioctl; do
    case " ${tools[*]} " in *" $t "*) build_one "$t" ;; esac
  done
  for t in "${tools[@]}"; do
    case " ${ALL_TOOLS[*]} " in *" $t "*) ;; *) [ -z "$t" ] || die "unknown tool '$t' (tools: ${ALL_TOOLS[*]})" ;; esac
  done
  say "all requested tools ready in $(($(date +%s) - t0))s"
  if [ -n "$langpol" ]; then flock -u 9; langhost_policy_main >/dev/null; fi
  if [ -n "$istiod" ]; then flock -u 9; istiod_main >/dev/null; fi
  if [ -n "$langyaml" ]; then flock -u 9; langhost_yaml_main >/dev/null; fi
  echo "$BIN_DIR"
}

main "$@"
