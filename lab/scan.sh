#!/usr/bin/env bash
# The security scans of .github/workflows/security.yml, runnable by hand.
#
#   lab/scan.sh trivy      Trivy's misconfiguration checks (`trivy config`,
#                          offline) over the manifests the prod stack and the
#                          hardening helpers render under mocks; fails on an
#                          unexempted HIGH or CRITICAL finding (tests/trivyscan)
#   lab/scan.sh secrets [DIR]
#                          gitleaks over DIR's git history (default: the repo);
#                          fails on a finding, printed redacted
#   lab/scan.sh vulns [DIR]
#                          govulncheck over every package of the module in
#                          DIR (default: the repo): fails on a known
#                          vulnerability in code the module really calls;
#                          RAMPART_VULNDB (a file:// URL) replaces the
#                          default database https://vuln.go.dev
#   lab/scan.sh all        the three, in that order
#
# Trivy is built by lab/toolchain.sh; gitleaks and govulncheck are built from
# the Go module proxy at lab/versions.env's versions into the cache (one folder per
# version, so a version bump rebuilds), as the Makefile does golangci-lint.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=versions.env
. lab/versions.env
cache=${RAMPART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart}

# gobin NAME PACKAGE VERSION: prints NAME's path, installing it first when
# this version is not in the cache yet.
gobin() {
  local dir=$cache/gobin/$1-v$3
  if [ ! -x "$dir/$1" ]; then
    echo "scan: building $1 v$3 from the Go module proxy into $dir" >&2
    GOBIN=$dir GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false" go install "$2@v$3" >&2
  fi
  echo "$dir/$1"
}

scan_trivy() {
  bash lab/toolchain.sh trivy
  # The live-object test needs the lab's kube-apiserver; the rest render
  # under mocks. RAMPART_REQUIRE_LAB=1: a missing trivy fails, never skips.
  PATH="$(bash lab/toolchain.sh bin):$PATH" RAMPART_REQUIRE_LAB=1 \
    go test -count=1 -v -skip 'TestTrivyConfig_LocalStackLiveObjects' ./tests/trivyscan/
}

scan_secrets() {
  local dir=${1:-.} bin
  bin=$(gobin gitleaks github.com/zricethezav/gitleaks/v8 "$GITLEAKS_VERSION")
  "$bin" git --redact --verbose --no-banner --no-color --exit-code 1 "$dir"
}

scan_vulns() {
  local dir=${1:-.} bin
  bin=$(gobin govulncheck golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION")
  "$bin" -C "$dir" ${RAMPART_VULNDB:+-db "$RAMPART_VULNDB"} ./...
}

case ${1:-} in
trivy) scan_trivy ;;
secrets) scan_secrets "${2:-.}" ;;
vulns) scan_vulns "${2:-.}" ;;
all) scan_trivy && scan_secrets . && scan_vulns . ;;
*) echo "usage: lab/scan.sh trivy | secrets [DIR] | vulns [DIR] | all" >&2; exit 2 ;;
esac
