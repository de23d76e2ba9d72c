#!/usr/bin/env bash
# The GitHub workflows' Pulumi steps (.github/workflows), runnable by hand.
#
#   lab/ci.sh stacks           the environments CI deploys, as a JSON array
#                              for a job matrix: every Pulumi.<env>.yaml but
#                              the local one (the lab's own stack)
#   lab/ci.sh preview ENV      `rampart preview --stack ENV --markdown` (stdout)
#   lab/ci.sh up ENV           `pulumi up --stack ENV --yes`
#   lab/ci.sh drift ENV FILE   `rampart drift --stack ENV --markdown FILE`,
#                              then `drift-issue` with its exit status
#   lab/ci.sh drift-issue ENV STATUS FILE
#                              acts on a drift exit status: 2 opens or
#                              updates the issue "Drift in ENV" with FILE and
#                              succeeds; 0 closes that issue if open; any
#                              other status fails
#   lab/ci.sh comment DIR PR   one sticky comment on pull request PR from
#                              DIR/preview-<env>.md (lab/ghreport); a stack
#                              without its file is shown as failed
#
# comment and drift-issue need GITHUB_TOKEN and GITHUB_REPOSITORY (set by
# Actions). preview, up and drift need the stack's state backend and its secrets
# secrets provider's key from the environment (PULUMI_BACKEND_URL, and
# PULUMI_CONFIG_PASSPHRASE or, for a hashivault:// stack, VAULT_SERVER_URL +
# VAULT_SERVER_TOKEN: GitHub secrets, never the lab's local folder backend) and the toolchain (pulumi, its Go language host, the kubernetes
# plugin) built by `lab/toolchain.sh pulumi langhost k8sprovider`. A
# kubeconfig in $KUBECONFIG_DATA is written to a private temp file for the
# kubernetes provider when the stack carries none (rampart:kubeconfig).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { echo "ci: ERROR: $*" >&2; exit 1; }

# stacks: the committed stack files' environments except local, sorted.
stacks() {
  local f env out=()
  for f in Pulumi.*.yaml; do
    [ -e "$f" ] || continue
    env=${f#Pulumi.}; env=${env%.yaml}
    [ "$env" = local ] && continue
    out+=("\"$env\"")
  done
  local IFS=,
  echo "[${out[*]}]"
}

# stack_env ENV: refuses an environment without a committed stack file, and
# a missing backend or passphrase, then sets up the Pulumi CLI like the lab
# does (no update checks, no plugin downloads, the source-built plugin) but
# on the given backend.
stack_env() {
  local env=${1:?environment}
  [ -f "Pulumi.$env.yaml" ] || die "no Pulumi.$env.yaml: known environments $(stacks)"
  [ -n "${PULUMI_BACKEND_URL:-}" ] ||
    die "PULUMI_BACKEND_URL is empty: set the repository secret PULUMI_BACKEND_URL (e.g. s3://bucket/rampart?endpoint=…)"
  [ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ] || [ -n "${VAULT_SERVER_TOKEN:-}" ] ||
    die "PULUMI_CONFIG_PASSPHRASE and VAULT_SERVER_TOKEN are empty: set the $env environment's secret PULUMI_CONFIG_PASSPHRASE (passphrase stacks) or VAULT_SERVER_URL and VAULT_SERVER_TOKEN (hashivault:// stacks, README \"Sovereign state\")"
  local backend=$PULUMI_BACKEND_URL
  # shellcheck source=lab/pulumi-env.sh
  . lab/pulumi-env.sh
  export PULUMI_BACKEND_URL=$backend # pulumi-env.sh points at the lab's folder
  [ -x "$LAB_BIN/pulumi" ] || die "$LAB_BIN/pulumi missing: run lab/toolchain.sh pulumi langhost k8sprovider"
  pulumi_plugins
  if [ -n "${KUBECONFIG_DATA:-}" ]; then
    local kc
    kc=$(mktemp "${RUNNER_TEMP:-/tmp}/kubeconfig.XXXXXX") # mktemp: mode 600
    printf '%s\n' "$KUBECONFIG_DATA" >"$kc"
    export KUBECONFIG=$kc
  fi
}

# rampart ARGS: the CLI, built rather than `go run` (which turns every
# failing exit status into 1 and would hide drift's exit 2).
rampart() {
  local bin
  bin=$(mktemp -d "${RUNNER_TEMP:-/tmp}/rampart.XXXXXX")/rampart
  go build -o "$bin" ./cmd/rampart
  "$bin" "$@"
}

# drift_issue ENV STATUS FILE: see the header.
drift_issue() {
  local env=$1 status=$2 file=$3
  case $status in
  0) go run ./lab/ghreport issue --title "Drift in $env" --close ;;
  2)
    [ -s "$file" ] || die "drift found in $env but its report $file is empty"
    echo "ci: drift found in $env; opening or updating the issue \"Drift in $env\""
    go run ./lab/ghreport issue --title "Drift in $env" --body "$file" ;;
  *) die "rampart drift --stack $env failed (exit $status): see the log above" ;;
  esac
}

# comment DIR PR: see the header. An environment with a stack but no
# preview file (its preview job failed) gets a section saying so.
comment() {
  local dir=$1 pr=$2 f env args=() body tmp
  tmp=$(mktemp -d)
  for f in "$dir"/preview-*.md; do
    [ -e "$f" ] || continue
    env=${f##*/preview-}; args+=("${env%.md}=$f")
  done
  for env in $(stacks | tr -d '[]"' | tr , ' '); do
    [ -e "$dir/preview-$env.md" ] && continue
    echo "**The preview failed**: see the log of the job \"preview ($env)\"." >"$tmp/$env.md"
    args+=("$env=$tmp/$env.md")
  done
  body=$tmp/body.md
  go run ./lab/ghreport combine "${args[@]}" >"$body"
  go run ./lab/ghreport comment --pr "$pr" --body "$body"
  rm -rf "$tmp"
}

case ${1:-} in
stacks) stacks ;;
preview)
  stack_env "${2:?usage: lab/ci.sh preview ENV}"
  rampart preview --stack "$2" --markdown ;;
up)
  stack_env "${2:?usage: lab/ci.sh up ENV}"
  pulumi up --yes --stack "$2" --non-interactive --suppress-progress --color never ;;
drift)
  stack_env "${2:?usage: lab/ci.sh drift ENV FILE}"
  status=0
  rampart drift --stack "$2" --markdown "${3:?usage: lab/ci.sh drift ENV FILE}" || status=$?
  drift_issue "$2" "$status" "$3" ;;
drift-issue) drift_issue "${2:?usage: lab/ci.sh drift-issue ENV STATUS FILE}" "${3:?STATUS}" "${4:-}" ;;
comment) comment "${2:?usage: lab/ci.sh comment DIR PR}" "${3:?usage: lab/ci.sh comment DIR PR}" ;;
*) echo "usage: lab/ci.sh stacks | preview ENV | up ENV | drift ENV FILE | drift-issue ENV STATUS FILE | comment DIR PR" >&2; exit 2 ;;
esac
