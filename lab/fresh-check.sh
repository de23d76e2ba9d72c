#!/usr/bin/env bash
# `make fresh-check`: the path a new user takes on a new machine, timed step
# by step: a fresh clone of this repo's HEAD, and every cache (the toolchain
# cache, the Go module cache, the Go build cache, the lab's state) in a new
# temp folder, so nothing this machine already built or downloaded is used.
#
#   lab/fresh-check.sh            steps: toolchain (make up's tools), make up,
#                                 make test (builds the rest), make up again
#   FRESH_ROOT=/dir lab/fresh-check.sh   keep everything under /dir
#
# The temp lab is stopped at the end; the folder is kept (its logs and
# figures) and printed.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=${FRESH_ROOT:-$(mktemp -d "${TMPDIR:-/tmp}/rampart-fresh.XXXXXX")}
mkdir -p "$root"
export RAMPART_CACHE=$root/cache GOMODCACHE=$root/gomod GOCACHE=$root/gobuild
# Module cache files are read-only by default; writable ones can be removed.
export GOFLAGS=-modcacherw
unset RAMPART_LAB_STATE RAMPART_STATE_DIR PULUMI_HOME PULUMI_BACKEND_URL \
  PULUMI_CONFIG_PASSPHRASE PULUMI_CONFIG_PASSPHRASE_FILE KUBECONFIG
# The clone finds no pulumi on PATH but its own, as on a new machine.
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e "$HOME/.cache/rampart" -e '/rampart/bin' | paste -sd:)
export PATH
src=$root/src
[ -d "$src/.git" ] || git clone -q "$repo" "$src"
[ -e "$root/shared" ] || { [ -d "$repo/../shared" ] && ln -s "$repo/../shared" "$root/shared"; } || true
cd "$src"
echo "fresh-check: clone of $(git rev-parse --short HEAD) in $src; caches under $root"
stop_lab() { bash lab/lab.sh down >/dev/null 2>&1 || true; }
trap stop_lab EXIT
results=()
step() { # name command...: runs, logs, records the time; stops at the first failure
  local name=$1 t0 rc=0 log; log=$root/$(echo "$1" | tr -c "a-z0-9\n" "-" | tr -s -).log; shift
  echo "== fresh-check: $name (log: $log)"
  t0=$(date +%s)
  "$@" >"$log" 2>&1 || rc=$?
  results+=("$(printf '%-28s %6ss  exit %s' "$name" "$(($(date +%s) - t0))" "$rc")")
  tail -n 3 "$log"
  if [ "$rc" -ne 0 ]; then
    echo "fresh-check: $name FAILED (exit $rc); last lines of $log:" >&2
    tail -n 40 "$log" >&2
    printf '  %s\n' "${results[@]}"
    exit "$rc"
  fi
}
step "toolchain (make up's tools)" bash lab/toolchain.sh --for up
step "make up (cold)" make up
step "make test (cold)" make test
step "make up (converged)" make up
echo "== fresh-check: figures ($(nproc) CPUs)"
printf '  %s\n' "${results[@]}"
grep -h '^toolchain: built' "$root"/*.log | sed 's/^/  /' || true
grep -ih 'warning' "$root/make-up-converged-.log" && { echo "fresh-check: the converged make up printed a warning" >&2; exit 1; }
echo "fresh-check: passed; everything is under $root"
