#!/usr/bin/env bash
# The GitHub workflows' Pulumi steps (.github/workflows), runnable by hand.
#
#   lab/ci.sh stacks           the environments CI deploys, as a JSON array
#                              for a job matrix: every Pulumi.<env>.yaml but
#                              the local one (the lab's own stack); `[]` when
#                              there is none (the workflows then skip their
#                              matrix jobs: GitHub rejects an empty matrix).
#                              An environment name must match ^[a-z0-9-]+$
#                              (it is also part of GitHub environment names)
#   lab/ci.sh preview ENV [FILE]
#                              `rampart preview --stack ENV --markdown` to
#                              FILE (stdout without), capped at ENV's share
#                              of the one PR comment (`ghreport budget` over
#                              every stack), so that the combined comment
#                              never cuts a preview. Exits with rampart's
#                              status: 2 when the change makes a framework
#                              control fail, with FILE written (the PR
#                              workflow posts it, then the job fails); on
#                              any other failure FILE is removed, so the
#                              comment shows the preview as failed rather
#                              than a partial one
#   lab/ci.sh preview-status ENV STATUS FILE
#                              acts on a preview exit status as preview
#                              FILE does: 0 succeeds, 2 fails (exit 2)
#                              keeping FILE, any other removes FILE and fails
#   lab/ci.sh up ENV           `pulumi up --stack ENV --yes`
#   lab/ci.sh drift ENV FILE   `rampart drift --stack ENV --markdown FILE` and
#                              `rampart check --live` (its report appended on
#                              a finding), then `drift-issue` with the status
#   lab/ci.sh evidence ENV     `rampart check --stack ENV --evidence
#                              $RAMPART_EVIDENCE_URL` (--live with a
#                              kubeconfig): one pack signed by the transit key
#                              $RAMPART_EVIDENCE_KEY at $RAMPART_EVIDENCE_TRANSIT_ADDR
#                              (token $RAMPART_EVIDENCE_SIGN_TOKEN, CA PEM
#                              $RAMPART_EVIDENCE_CA_DATA if set), written to
#                              the WORM audit bucket with the keys
#                              $RAMPART_EVIDENCE_S3_ACCESS_KEY_ID/_SECRET_ACCESS_KEY
#                              under its retention; a failed item (exit 2)
#                              still succeeds (the pack records it; drift
#                              files the issue)
#   lab/ci.sh drift-issue ENV STATUS FILE
#                              acts on a drift exit status: 2 opens or
#                              updates the issue "Drift in ENV" with FILE and
#                              succeeds; 0 closes that issue if open; any
#                              other status fails
#   lab/ci.sh comment DIR PR   one sticky comment on pull request PR from
#                              DIR/preview-<env>.md (lab/ghreport); a stack
#                              without its file is shown as failed
#   lab/ci.sh release-probe TAG
#                              the probe image of `rampart verify`, pushed to
#                              $PROBE_IMAGE_REPO; prints its digest reference
#
# comment and drift-issue need GITHUB_TOKEN and GITHUB_REPOSITORY (set by
# Actions); they only ever update comments and issues written by
# $RAMPART_BOT_LOGIN (default github-actions[bot]; drift issues also carry
# the label rampart-drift). preview and drift build the CLI first, in a step
# of its own, so a build failure says so.
#
# preview, up and drift need the stack's state backend and its secrets
# provider's key from the environment (PULUMI_BACKEND_URL, and
# PULUMI_CONFIG_PASSPHRASE or, for a hashivault:// stack, VAULT_SERVER_URL +
# VAULT_SERVER_TOKEN: GitHub secrets, never the lab's local folder backend)
# and the toolchain (pulumi, its Go language host, the kubernetes plugin)
# built by `lab/toolchain.sh pulumi langhost k8sprovider`. A kubeconfig in
# $KUBECONFIG_DATA is written to a private temp file for the kubernetes
# provider when the stack carries none (rampart:kubeconfig). Temp files and
# folders are removed on exit (trap).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { echo "ci: ERROR: $*" >&2; exit 1; }

# tmps: temporary folders removed on exit, whatever the exit status.
tmps=()
cleanup() { [ ${#tmps[@]} -eq 0 ] || rm -rf "${tmps[@]}"; }
trap cleanup EXIT

# stack_names: the committed stack files' environments except local, sorted
# (the glob sorts), one a line. A name outside ^[a-z0-9-]+$ fails: it would
# need quoting in the JSON matrix and is not a valid GitHub environment
# name suffix everywhere.
stack_names() {
  local f env
  for f in Pulumi.*.yaml; do
    [ -e "$f" ] || continue
    env=${f#Pulumi.}; env=${env%.yaml}
    [ "$env" = local ] && continue
    [[ $env =~ ^[a-z0-9-]+$ ]] ||
      die "$f: environment name \"$env\" must match ^[a-z0-9-]+\$ (lower-case letters, digits, dashes): rename the stack file"
    echo "$env"
  done
}

# stacks: stack_names as a JSON array ([] for none). The names are checked
# by stack_names, so quoting them is enough to make valid JSON.
stacks() {
  local names env out=()
  names=$(stack_names) # a failing name check stops here (set -e)
  for env in $names; do out+=("\"$env\""); done
  local IFS=,
  echo "[${out[*]}]"
}

# stack_check ENV: refuses an environment without a committed stack file,
# and a missing backend or passphrase, before anything is built.
stack_check() {
  local env=${1:?environment}
  [ -f "Pulumi.$env.yaml" ] || die "no Pulumi.$env.yaml: known environments $(stacks)"
  [ -n "${PULUMI_BACKEND_URL:-}" ] ||
    die "PULUMI_BACKEND_URL is empty: set the repository secret PULUMI_BACKEND_URL (e.g. s3://bucket/rampart?endpoint=…)"
  [ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ] || [ -n "${VAULT_SERVER_TOKEN:-}" ] ||
    die "PULUMI_CONFIG_PASSPHRASE and VAULT_SERVER_TOKEN are empty: set the $env environment's secret PULUMI_CONFIG_PASSPHRASE (passphrase stacks) or VAULT_SERVER_URL and VAULT_SERVER_TOKEN (hashivault:// stacks, README \"Sovereign state\")"
}

# stack_env ENV: stack_check, then sets up the Pulumi CLI like the lab does
# (no update checks, no plugin downloads, the source-built plugin) but on
# the given backend.
stack_env() {
  stack_check "$@"
  local backend=$PULUMI_BACKEND_URL
  # shellcheck source=lab/pulumi-env.sh
  . lab/pulumi-env.sh
  export PULUMI_BACKEND_URL=$backend # pulumi-env.sh points at the lab's folder
  [ -x "$LAB_BIN/pulumi" ] || die "$LAB_BIN/pulumi missing: run lab/toolchain.sh pulumi langhost k8sprovider"
  pulumi_plugins
  if [ -n "${KUBECONFIG_DATA:-}" ]; then
    local kc
    kc=$(mktemp "${RUNNER_TEMP:-/tmp}/kubeconfig.XXXXXX") # mktemp: mode 600
    tmps+=("$kc")
    printf '%s\n' "$KUBECONFIG_DATA" >"$kc"
    export KUBECONFIG=$kc
  fi
}

# build_rampart: builds the CLI into a temp folder and sets $rampart to it.
# It is built rather than `go run` (which turns every failing exit status
# into 1 and would hide drift's exit 2), and in its own checked step: run
# inside `… || status=$?` (where set -e is off) a failed build would only
# show as the missing binary's exit 127.
build_rampart() {
  local dir
  dir=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/rampart.XXXXXX")
  tmps+=("$dir")
  go build -o "$dir/rampart" ./cmd/rampart ||
    die "go build ./cmd/rampart failed (see the compiler output above): the CLI did not build, nothing was previewed or checked for drift"
  rampart=$dir/rampart
}

# preview_budget: this environment's share of the combined PR comment in
# bytes, for --max-bytes: every stack gets the same share (the comment
# shows each, a failed one as a line), computed by lab/ghreport budget.
preview_budget() {
  local names
  names=$(stack_names)
  # shellcheck disable=SC2086 # one name a line, each ^[a-z0-9-]+$
  go run ./lab/ghreport budget $names
}

# preview_file ENV FILE BUDGET: rampart preview into FILE, exiting with its
# status (see the header): 2 keeps FILE, which holds the comment naming the
# controls that regress; any other failure removes it.
preview_file() {
  local env=$1 file=$2 budget=$3 status=0
  "$rampart" preview --stack "$env" --markdown "$file" --max-bytes "$budget" >/dev/null || status=$?
  preview_status "$env" "$status" "$file"
}

# preview_status ENV STATUS FILE: acts on rampart preview's exit status.
preview_status() {
  local env=$1 status=$2 file=$3
  case $status in
  0) ;;
  2)
    [ -s "$file" ] || die "rampart preview --stack $env found a control regression but wrote no comment to $file"
    echo "ci: the change makes a framework control fail in $env (see the Control impact section of the comment)" >&2
    [ -z "${GITHUB_ACTIONS:-}" ] || echo "::error title=Control regression in $env::the change makes a framework control fail; see the PR comment's Control impact" >&2
    exit 2 ;;
  *)
    rm -f "$file"
    die "rampart preview --stack $env failed (exit $status): see the log above" ;;
  esac
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
  local dir=$1 pr=$2 f env args=() body tmp names
  tmp=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/rampart-comment.XXXXXX")
  tmps+=("$tmp") # removed on exit, also when ghreport fails
  for f in "$dir"/preview-*.md; do
    [ -e "$f" ] || continue
    env=${f##*/preview-}; args+=("${env%.md}=$f")
  done
  names=$(stack_names)
  for env in $names; do
    [ -e "$dir/preview-$env.md" ] && continue
    echo "**The preview failed**: see the log of the job \"preview ($env)\"." >"$tmp/$env.md"
    args+=("$env=$tmp/$env.md")
  done
  body=$tmp/body.md
  go run ./lab/ghreport combine "${args[@]}" >"$body"
  go run ./lab/ghreport comment --pr "$pr" --body "$body"
}

# release_probe TAG: the probe image `rampart verify` runs on any cluster,
# pushed by digest to $PROBE_IMAGE_REPO (lower-cased) tagged TAG, and its
# digest reference printed (plus a notice in Actions). It is the lab node's
# image: lab/tools/probe's static probe program (CGO off, -trimpath) as the
# only binary of a one-layer image on no base, written and pushed by the
# project's own mkimage (go-containerregistry, pinned in that module's
# go.sum); linux/amd64 only. Credentials: $GITHUB_TOKEN as $GITHUB_ACTOR
# when set, anonymous otherwise (a loopback test registry).
release_probe() {
  local tag=${1:-} repo dir ref
  [ -n "$tag" ] || die "usage: lab/ci.sh release-probe TAG"
  [ -n "${PROBE_IMAGE_REPO:-}" ] || die "PROBE_IMAGE_REPO is empty: set it to the image repository, e.g. ghcr.io/OWNER/REPO/probe"
  repo=${PROBE_IMAGE_REPO,,}
  dir=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/rampart-probe.XXXXXX")
  tmps+=("$dir")
  (cd lab/tools/probe && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -o "$dir/probe" ./cmd/probe &&
    go build -o "$dir/mkimage" ./cmd/mkimage) || die "building the probe or mkimage failed (see above): nothing was pushed"
  if [ -n "${GITHUB_TOKEN:-}" ]; then
    export REGISTRY_USERNAME=${GITHUB_ACTOR:?GITHUB_ACTOR is empty} REGISTRY_PASSWORD=$GITHUB_TOKEN
  fi
  ref=$("$dir/mkimage" -ref "$repo:$tag" -push -entrypoint /probe -cmd pause "$dir/probe=/probe") ||
    die "pushing $repo:$tag failed (see above)"
  case $ref in
  "$repo"@sha256:*) ;;
  *) die "mkimage printed no digest reference of $repo (got \"$ref\")" ;;
  esac
  echo "$ref"
  [ -z "${GITHUB_ACTIONS:-}" ] || echo "::notice title=probe image::$ref"
}

# evidence ENV: see the header. The signing token and CA go to private
# temp files (removed on exit), never to the command line.
evidence() {
  local env=$1 dir status=0 live=()
  local v
  for v in RAMPART_EVIDENCE_URL RAMPART_EVIDENCE_KEY RAMPART_EVIDENCE_TRANSIT_ADDR RAMPART_EVIDENCE_SIGN_TOKEN; do
    [ -n "${!v:-}" ] || die "$v is empty: set it in the $env-evidence environment (docs/compliance.md \"Signed evidence packs\")"
  done
  build_rampart
  stack_env "$env"
  dir=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/rampart-evidence.XXXXXX") # mode 700
  tmps+=("$dir")
  printf '%s\n' "$RAMPART_EVIDENCE_SIGN_TOKEN" >"$dir/token"
  local sign=(--sign-transit-addr "$RAMPART_EVIDENCE_TRANSIT_ADDR" --sign-key "$RAMPART_EVIDENCE_KEY" --sign-token-file "$dir/token")
  if [ -n "${RAMPART_EVIDENCE_CA_DATA:-}" ]; then
    printf '%s\n' "$RAMPART_EVIDENCE_CA_DATA" >"$dir/ca.pem"
    sign+=(--sign-ca-file "$dir/ca.pem")
  fi
  [ -z "${KUBECONFIG_DATA:-}" ] || live=(--live)
  "$rampart" check "${live[@]}" --stack "$env" --evidence "$RAMPART_EVIDENCE_URL" "${sign[@]}" --markdown "$dir/report.md" >/dev/null || status=$?
  case $status in
  0) ;;
  2) echo "ci: an item fails in $env: the pack records it (the drift job files the issue)" ;;
  *) die "rampart check --evidence --stack $env failed (exit $status): no pack was written, see the log above" ;;
  esac
}

case ${1:-} in
stacks) stacks ;;
preview)
  [ -n "${2:-}" ] || die "usage: lab/ci.sh preview ENV [FILE]"
  stack_check "$2"
  budget=$(preview_budget)
  build_rampart
  stack_env "$2"
  if [ -z "${3:-}" ]; then
    "$rampart" preview --stack "$2" --markdown --max-bytes "$budget"
  else
    preview_file "$2" "$3" "$budget"
  fi ;;
up)
  stack_env "${2:?usage: lab/ci.sh up ENV}"
  pulumi up --yes --stack "$2" --non-interactive --suppress-progress --color never ;;
drift)
  if [ -z "${2:-}" ] || [ -z "${3:-}" ]; then die "usage: lab/ci.sh drift ENV FILE"; fi
  stack_check "$2"
  build_rampart
  stack_env "$2"
  status=0
  "$rampart" drift --stack "$2" --markdown "$3" || status=$?
  # The live compliance report joins the drift issue: an object created out
  # of band fails its checklist item there, with its creator. Both commands
  # only read the cluster (the auditor's kubeconfig is enough).
  check=0
  "$rampart" check --live --stack "$2" --markdown "$3.check" >/dev/null || check=$?
  case $check in
  0) ;;
  2) [ "$status" = 1 ] || status=2 ;;
  *) die "rampart check --live --stack $2 failed (exit $check): see the log above" ;;
  esac
  if [ "$status" = 2 ]; then cat "$3.check" >>"$3"; fi
  drift_issue "$2" "$status" "$3" ;;
evidence)
  [ -n "${2:-}" ] || die "usage: lab/ci.sh evidence ENV"
  stack_check "$2"
  evidence "$2" ;;
drift-issue) drift_issue "${2:?usage: lab/ci.sh drift-issue ENV STATUS FILE}" "${3:?STATUS}" "${4:-}" ;;
preview-status) preview_status "${2:?usage: lab/ci.sh preview-status ENV STATUS FILE}" "${3:?STATUS}" "${4:?FILE}" ;;
comment) comment "${2:?usage: lab/ci.sh comment DIR PR}" "${3:?usage: lab/ci.sh comment DIR PR}" ;;
release-probe) release_probe "${2:-}" ;;
*) echo "usage: lab/ci.sh stacks | preview ENV [FILE] | preview-status ENV STATUS FILE | up ENV | drift ENV FILE | evidence ENV | drift-issue ENV STATUS FILE | comment DIR PR | release-probe TAG" >&2; exit 2 ;;
esac
