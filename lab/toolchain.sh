#!/usr/bin/env bash
# Builds the lab toolchain from Go modules only (no binary downloads) into a
# cache folder outside the repo, one folder per tool keyed by the hash of its
# tools module, so a change to one tool rebuilds only that tool.
#
#   lab/toolchain.sh [tool...]   build what is missing (default: all)
#   lab/toolchain.sh bin         print the bin folder holding every tool
#
# A tool is installed by renaming a finished build folder into place, so an
# interrupted build never leaves a half-installed tool behind.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${RAMPART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart}
bindir=$cache/bin
logdir=$cache/logs
mkdir -p "$bindir" "$logdir" "$cache/tools"
export GOFLAGS=-buildvcs=false CGO_ENABLED=${CGO_ENABLED:-1}

all_tools=(pulumi langhost etcd kube k8sprovider vault)

key() { # tools module folder -> short content hash of what its build reads
  (cd "$here/tools/$1" && cat go.mod go.sum ./*.go 2>/dev/null
    echo "$PULUMI_VERSION $KUBERNETES_VERSION $KUBERNETES_PLUGIN_VERSION") |
    sha256sum | cut -c1-12
}

# on_path NAME WANT: true when NAME on PATH (outside our cache) reports WANT.
on_path() {
  local p
  p=$(command -v "$1" 2>/dev/null) || return 1
  case "$p" in "$bindir"/*) return 1 ;; esac
  "$p" version 2>/dev/null | grep -q "$2"
}

build_tool() { # name: builds into $out (a fresh temp dir)
  local t=$1 out=$2 mod="$here/tools/$1"
  case $t in
  pulumi)
    (cd "$mod" && go build -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) ;;
  langhost)
    (cd "$mod" && go build -o "$out/pulumi-language-go" github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go) ;;
  etcd)
    (cd "$mod" && go build -o "$out/etcd" go.etcd.io/etcd/server/v3) ;;
  kube)
    local pkg=k8s.io/component-base/version ld
    ld="-X $pkg.gitVersion=v$KUBERNETES_VERSION -X $pkg.gitMajor=${KUBERNETES_VERSION%%.*}"
    ld="$ld -X $pkg.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2) -X $pkg.gitTreeState=clean"
    ld="$ld -X $pkg.buildDate=1970-01-01T00:00:00Z"
    for c in kube-apiserver kube-controller-manager kubectl; do
      echo "  … $c"
      (cd "$mod" && go build -ldflags "$ld" -o "$out/$c" "k8s.io/kubernetes/cmd/$c")
    done ;;
  k8sprovider)
    local dir
    dir=$(cd "$mod" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)
    # The schema's version field must match the plugin version the CLI sees.
    sed "s/\"version\": \"[^\"]*\"/\"version\": \"$KUBERNETES_PLUGIN_VERSION\"/" \
      "$dir/cmd/pulumi-resource-kubernetes/schema.json" >"$mod/schema.json"
    cp "$dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" "$mod/terraform-mapping.json"
    chmod 644 "$mod/schema.json" "$mod/terraform-mapping.json"
    (cd "$mod" && go build \
      -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PLUGIN_VERSION" \
      -o "$out/pulumi-resource-kubernetes" .) ;;
  vault)
    (cd "$mod" && GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local go build -o "$out/vault" github.com/hashicorp/vault) ;;
  *) echo "toolchain: unknown tool $t (known: ${all_tools[*]})" >&2; return 2 ;;
  esac
}

ensure() { # name
  local t=$1 k dest tmp log start
  if [ "$t" = pulumi ] && on_path pulumi "v$PULUMI_VERSION"; then
    ln -sf "$(command -v pulumi)" "$bindir/pulumi"; echo "toolchain: pulumi v$PULUMI_VERSION found on PATH"; return
  fi
  k=$(key "$t"); dest=$cache/tools/$t-$k
  if [ ! -f "$dest/.complete" ]; then
    log=$logdir/$t-$k.log; tmp=$(mktemp -d "$cache/tools/.$t-XXXXXX"); start=$(date +%s)
    echo "toolchain: building $t (log: $log) …"
    if ! build_tool "$t" "$tmp" >"$log" 2>&1; then
      rm -rf "$tmp"
      echo "toolchain: FAILED to build $t after $(($(date +%s) - start))s; last lines of $log:" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    touch "$tmp/.complete"; rm -rf "$dest"; mv "$tmp" "$dest"
    echo "toolchain: built $t in $(($(date +%s) - start))s"
  fi
  # Provider plugins stay off PATH (the CLI would use them ambiently and warn);
  # pulumi-env.sh registers them with `pulumi plugin install --file`.
  local into=$bindir
  [ "$t" = k8sprovider ] && into=$cache/plugins && mkdir -p "$into"
  for f in "$dest"/*; do ln -sfn "$f" "$into/$(basename "$f")"; done
}

if [ "${1:-}" = bin ]; then echo "$bindir"; exit 0; fi
tools=("$@"); [ ${#tools[@]} -gt 0 ] || tools=("${all_tools[@]}")
missing=0
for t in "${tools[@]}"; do [ -f "$cache/tools/$t-$(key "$t")/.complete" ] || missing=$((missing + 1)); done
if [ "$missing" -gt 0 ]; then
  echo "toolchain: $missing of ${#tools[@]} tools to build from Go modules into $cache;"
  echo "toolchain: a cold build takes about 30 minutes on 2 cores (27 min measured; later runs reuse the cache)."
fi
t0=$(date +%s)
for t in "${tools[@]}"; do ensure "$t"; done
echo "toolchain: ready in $bindir ($(($(date +%s) - t0))s)"
