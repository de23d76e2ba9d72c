#!/usr/bin/env bash
# `make bench`, second half: wall-clock timings of the real, source-built
# pulumi CLI against the running lab. Figures are printed, never asserted.
#
#   lab       cold start of kube in a fresh state dir, warm (healthy) start, stop
#   baseline  preview (fresh stack), up, no-op up, destroy, stack rm
#   floor     preview of bench/empty: the CLI + Go language host + build +
#             kubernetes plugin, with no Rampart resource
#   tenants   preview (fresh stack, no up) with 10 / 100 / 500 tenants
#
# The bench stacks (bench-*) live beside `local` and `e2e` in the lab's state
# backend, but their project and stack files are in a temp dir and every
# namespace is prefixed "bench-", so the other stacks are never touched. A lock
# keeps two runs from sharing those namespaces; stacks left by a killed run are
# destroyed first, and every stack this run creates is destroyed and removed,
# with the backups the file backend keeps of it, on exit, failure included. On
# failure the logs are kept and their path printed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=../lab/pulumi-env.sh
. lab/pulumi-env.sh

PREFIX=bench-
STACK_BASELINE=bench-baseline
STACK_EMPTY=bench-empty
TENANT_COUNTS=(10 100 500)
PULUMI_FLAGS=(--non-interactive --suppress-progress --color never)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rampart-bench.XXXXXX")
LOGS=$WORK/logs
mkdir -p "$LOGS"
COLD_LAB=""     # state dir of the throw-away lab, while it runs
CREATED=()      # "project-dir stack" of every stack this run initialised
FAILED=0
ROWS=()         # summary: "figure|seconds|note"

# A signal's trap runs inside whatever redirection was active (a step's log):
# cleanup reports on the script's own stderr, kept here as fd 8.
exec 8>&2
exec 9>"$RAMPART_CACHE/bench.lock"
flock -n 9 || { echo "bench: another bench/cli.sh holds $RAMPART_CACHE/bench.lock" >&2; exit 1; }

fail() { # message [log]
  FAILED=1
  echo "bench: FAILED: $1" >&2
  if [ -n "${2:-}" ]; then
    tail -n 25 "$2" >&2 || true
    echo "bench: log: $2" >&2
  fi
  exit 1
}

# timed LOG CMD...: runs CMD with its output in LOG and sets SECS to its
# wall-clock duration; a failing CMD fails the bench.
timed() {
  local log=$1 t0 t1; shift
  t0=$(date +%s.%N)
  "$@" >"$log" 2>&1 || fail "$*" "$log"
  t1=$(date +%s.%N)
  SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

# record FIGURE [NOTE]: prints the last measurement and keeps it for the table.
record() {
  printf 'bench: %-34s %8ss  %s\n' "$1" "$SECS" "${2:-}"
  ROWS+=("$1|$SECS|${2:-}")
}

# summary LOG: the last "Resources:" block of a pulumi log on one line ("+ 93
# created"); `up` prints one for its preview and one for the update.
summary() {
  awk '/^Resources:/ { on = 1; cur = ""; next }
    on && NF == 0 { on = 0; last = cur; next }
    on { sub(/^ +/, ""); cur = cur (cur == "" ? "" : ", ") $0 }
    END { print (on ? cur : last) }' "$1"
}

pulumi_in() { # project-dir pulumi-args...
  local dir=$1; shift
  pulumi --cwd "$dir" "$@"
}

# forget_stack DIR STACK: after `stack rm`, deletes the checkpoint backups and
# history the file backend keeps for a removed stack, so that runs do not pile
# up in the lab's state dir. Only paths of this bench's own (bench-*) stacks.
forget_stack() {
  local project d=$RAMPART_STATE_DIR/.pulumi
  project=$(sed -n 's/^name: *//p' "$1/Pulumi.yaml")
  case $2 in bench-*) ;; *) return 0 ;; esac
  [ -n "$project" ] || return 0
  rm -rf "$d/backups/$project/$2" "$d/history/$project/$2" "$d/stacks/$project/$2.json.bak" "$d/stacks/$project/$2.json.bak.attrs"
  rmdir "$d/locks/organization/$project/$2" 2>/dev/null || true
  # The empty program's project holds only bench stacks.
  [ "$project" = rampart ] ||
    rmdir "$d/backups/$project" "$d/history/$project" "$d/stacks/$project" "$d/locks/organization/$project" 2>/dev/null || true
}

# drop_stack DIR STACK: destroys STACK's resources and removes it, if it exists.
drop_stack() {
  local dir=$1 stack=$2
  pulumi_in "$dir" stack ls --json 2>/dev/null | grep -q "\"name\": \"$stack\"" || return 0
  pulumi_in "$dir" destroy --yes --stack "$stack" "${PULUMI_FLAGS[@]}" >>"$LOGS/cleanup.log" 2>&1 &&
    pulumi_in "$dir" stack rm --yes --stack "$stack" --non-interactive --color never >>"$LOGS/cleanup.log" 2>&1 ||
    { echo "bench: could not remove stack $stack (log: $LOGS/cleanup.log)" >&8; return 1; }
  forget_stack "$dir" "$stack"
}

cleanup() {
  local rc=$? c ok=1
  trap - EXIT INT TERM
  set +e
  if [ -n "$COLD_LAB" ]; then
    RAMPART_LAB_STATE=$COLD_LAB bash lab/lab.sh down kube >>"$LOGS/cleanup.log" 2>&1 && rm -rf "$COLD_LAB"
  fi
  for c in "${CREATED[@]}"; do
    # shellcheck disable=SC2086 # "dir stack", both without spaces (mktemp, fixed names)
    drop_stack $c || ok=0
  done
  [ "$ok" = 1 ] || rc=1
  if [ "$FAILED" = 1 ] || [ "$rc" != 0 ] || [ "$ok" != 1 ]; then
    echo "bench: exit $rc; logs kept in $LOGS" >&8
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# new_stack DIR STACK: a fresh stack (a leftover of a killed run is dropped
# first), removed again on exit.
new_stack() {
  drop_stack "$1" "$2"
  CREATED+=("$1 $2")
  pulumi_in "$1" stack init "$2" --no-select --secrets-provider passphrase --non-interactive \
    >>"$LOGS/stack-init.log" 2>&1 || fail "stack init $2" "$LOGS/stack-init.log"
}

# ---------------------------------------------------------------- 1. lab
echo "== lab start (kube)"
COLD_LAB=$(mktemp -d "${TMPDIR:-/tmp}/rampart-bench-lab.XXXXXX")
timed "$LOGS/lab-cold-up.log" env RAMPART_LAB_STATE="$COLD_LAB" bash lab/lab.sh up kube
record "lab up kube, cold (fresh state)" "new PKI, etcd, apiserver, controller-manager"
timed "$LOGS/lab-warm-up.log" env RAMPART_LAB_STATE="$COLD_LAB" bash lab/lab.sh up kube
record "lab up kube, warm (healthy)" "$(grep -o 'kube: [a-z, ]*' "$LOGS/lab-warm-up.log" | head -n1)"
timed "$LOGS/lab-down.log" env RAMPART_LAB_STATE="$COLD_LAB" bash lab/lab.sh down kube
record "lab down kube"
rm -rf "$COLD_LAB"; COLD_LAB=""

# The bench stacks run on the lab's own kube (the one `make up` uses).
if ! bash lab/lab.sh status kube | grep -q 'kube: healthy'; then
  echo "bench: lab kube is down, starting it"
  bash lab/lab.sh up kube >"$LOGS/lab-up.log" 2>&1 || fail "lab up kube" "$LOGS/lab-up.log"
fi
# shellcheck disable=SC1090
. "$LAB_ENV"
export KUBECONFIG=$RAMPART_LAB_KUBECONFIG
pulumi_plugins

# ---------------------------------------------------------------- projects
# Rampart's project with main: pointing at the repo's entry, so the CLI runs
# the program through the Go language host exactly as `make up` does.
PROJ=$WORK/rampart
mkdir -p "$PROJ"
sed "s|^main:.*|main: $ROOT/cmd/baseline|" Pulumi.yaml >"$PROJ/Pulumi.yaml"
grep -q "^main: $ROOT/cmd/baseline\$" "$PROJ/Pulumi.yaml" || fail "no main: line in Pulumi.yaml"
EMPTY=$WORK/empty
mkdir -p "$EMPTY"
cat >"$EMPTY/Pulumi.yaml" <<EOF
name: rampart-bench-empty
runtime: go
main: $ROOT/bench/empty
config:
  pulumi:disable-default-providers:
    value: ["*"]
EOF

# Stack config is Pulumi.local.yaml's with every namespace prefixed (as
# tests/e2e does); the platform namespaces come from
# config.DefaultPlatformNamespaces so they follow the program's defaults.
cat >"$WORK/stackconfig.go" <<'EOF'
// Command stackconfig prints a bench stack file: the local profile with every
// namespace prefixed. Usage: stackconfig PREFIX TENANTS...
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/rampart-dev/rampart/infra/config"
)

func main() {
	prefix := os.Args[1]
	nss := []map[string]any{}
	for _, n := range config.DefaultPlatformNamespaces() {
		m := map[string]any{"name": prefix + n.Name}
		if n.Exemption != nil {
			m["exemption"] = n.Exemption
		}
		nss = append(nss, m)
	}
	tenants := []map[string]any{}
	for _, t := range os.Args[2:] {
		tenants = append(tenants, map[string]any{"name": prefix + t})
	}
	out, err := json.Marshal(map[string]any{"config": map[string]any{
		"rampart:profile":    "local",
		"rampart:namespaces": nss,
		"rampart:ingress":    map[string]any{"namespace": prefix + "rampart-ingress"},
		"rampart:tenants":    tenants,
		"rampart:gateway": map[string]any{
			"namespace": prefix + "rampart-system", "podLabels": map[string]string{"app": "rampart-gateway"},
			"controlPlane": map[string]any{"podLabels": map[string]string{"app": "control-plane-api"}, "port": 8000},
		},
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}
EOF
go build -o "$WORK/stackconfig" "$WORK/stackconfig.go" 2>"$LOGS/stackconfig-build.log" ||
  fail "build the stack config generator" "$LOGS/stackconfig-build.log"

# The language host builds the program on every command; build both once so
# the figures below are not a cold Go build cache.
echo "== go build (warms the build cache the language host uses)"
timed "$LOGS/go-build.log" go build -o /dev/null ./cmd/baseline ./bench/empty
record "go build baseline + empty (warm-up)"

# ---------------------------------------------------------------- 2. baseline
echo "== baseline stack $STACK_BASELINE (namespaces ${PREFIX}*)"
"$WORK/stackconfig" "$PREFIX" team-a team-b >"$PROJ/Pulumi.$STACK_BASELINE.yaml"
new_stack "$PROJ" "$STACK_BASELINE"
timed "$LOGS/baseline-preview.log" pulumi_in "$PROJ" preview --stack "$STACK_BASELINE" "${PULUMI_FLAGS[@]}"
record "preview, fresh stack (2 tenants)" "$(summary "$LOGS/baseline-preview.log")"
timed "$LOGS/baseline-up.log" pulumi_in "$PROJ" up --yes --stack "$STACK_BASELINE" "${PULUMI_FLAGS[@]}"
record "up --yes, create (2 tenants)" "$(summary "$LOGS/baseline-up.log")"
timed "$LOGS/baseline-noop-up.log" pulumi_in "$PROJ" up --yes --stack "$STACK_BASELINE" "${PULUMI_FLAGS[@]}"
record "up --yes, no-op" "$(summary "$LOGS/baseline-noop-up.log")"
timed "$LOGS/baseline-destroy.log" pulumi_in "$PROJ" destroy --yes --stack "$STACK_BASELINE" "${PULUMI_FLAGS[@]}"
record "destroy --yes" "$(summary "$LOGS/baseline-destroy.log")"
timed "$LOGS/baseline-stack-rm.log" pulumi_in "$PROJ" stack rm --yes --stack "$STACK_BASELINE" --non-interactive --color never
record "stack rm"
forget_stack "$PROJ" "$STACK_BASELINE"

# ---------------------------------------------------------------- 3. floor
echo "== floor: bench/empty (kubernetes provider only)"
new_stack "$EMPTY" "$STACK_EMPTY"
timed "$LOGS/empty-preview.log" pulumi_in "$EMPTY" preview --stack "$STACK_EMPTY" "${PULUMI_FLAGS[@]}"
record "preview, empty program (floor)" "$(summary "$LOGS/empty-preview.log")"

# ---------------------------------------------------------------- 4. tenants
echo "== preview by tenant count (fresh stacks, no up)"
for n in "${TENANT_COUNTS[@]}"; do
  stack=bench-tenants-$n
  # shellcheck disable=SC2046 # one word per tenant name
  "$WORK/stackconfig" "$PREFIX" $(seq -f 'tenant-%04g' 0 $((n - 1))) >"$PROJ/Pulumi.$stack.yaml"
  new_stack "$PROJ" "$stack"
  timed "$LOGS/tenants-$n-preview.log" pulumi_in "$PROJ" preview --stack "$stack" "${PULUMI_FLAGS[@]}"
  record "preview, $n tenants" "$(summary "$LOGS/tenants-$n-preview.log")"
done

# ---------------------------------------------------------------- table
echo
echo "== CLI timings (pulumi $(pulumi version), kubernetes plugin $KUBERNETES_PLUGIN_VERSION, $(nproc) CPUs; one run each)"
printf '  %-36s %9s  %s\n' "figure" "seconds" "resources"
for r in "${ROWS[@]}"; do
  IFS='|' read -r fig secs note <<<"$r"
  printf '  %-36s %9s  %s\n' "$fig" "$secs" "$note"
done
