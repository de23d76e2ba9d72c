#!/usr/bin/env bash
# `make up`: the embedded default. Builds the toolchain if missing, starts the
# lab, runs `pulumi up` on the local stack against the lab's kube-apiserver,
# prints the stack outputs and the compliance report read from the stack's state
# and, through the Kubernetes API, from the live cluster (`rampart check --live`).
#
# The local stack runs on the lab's real node (lab/services/node.sh; issue
# 13); RAMPART_LAB_NODE=0 puts it on the node-less API server instead. The node's cluster is
# disposable (`lab/lab.sh down node` wipes it), so the stack's state, the
# CLI built for the report and the reports live in the node's folder and go
# with it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=pulumi-env.sh
. lab/pulumi-env.sh
out=$RAMPART_CACHE
if [ "$RAMPART_LAB_NODE" = 1 ]; then
  out=$LAB_STATE/node
  export RAMPART_STATE_DIR=$out/pulumi-state
  mkdir -p "$RAMPART_STATE_DIR"
  export PULUMI_BACKEND_URL="file://$RAMPART_STATE_DIR"
fi
lab_ready up
. "$LAB_ENV"
if [ "$RAMPART_LAB_NODE" = 1 ]; then
  export KUBECONFIG=$RAMPART_NODE_KUBECONFIG
else
  export KUBECONFIG=$RAMPART_LAB_KUBECONFIG
fi
if ! pulumi stack select local >/dev/null 2>&1; then
  # First run with this state: create the stack. Pulumi writes the salt of
  # this machine's passphrase into Pulumi.local.yaml; a salt already there
  # came from another machine (tests/layout refuses a committed one).
  if grep -q '^encryptionsalt:' Pulumi.local.yaml; then
    echo "up: Pulumi.local.yaml carries an encryptionsalt but the local stack does not exist here: the salt is another machine's; delete that line and run make up again" >&2
    exit 1
  fi
  pulumi stack init local --secrets-provider passphrase >/dev/null
fi
t0=$(date +%s)
pulumi up --yes --stack local --suppress-progress --color never
echo "up: pulumi up took $(($(date +%s) - t0))s"
echo "== stack outputs (local)"
pulumi stack output --json --stack local
# The compliance report is evidence read from the stack's state and the live
# cluster's objects in its namespaces (not the repository's checklist); the CLI is built, not `go run`, so its exit code
# (2: an item the stack enables fails) reaches make.
echo "== compliance (evidence from the state of stack local and the live cluster)"
reports=$out/reports
mkdir -p "$reports"
go build -o "$out/rampart" ./cmd/rampart
rc=0
"$out/rampart" check --live --stack local --html "$reports/local.html" --oscal "$reports/local.oscal.json" || rc=$?
echo "up: reports: $reports/local.html (open offline, print-friendly), $reports/local.oscal.json (OSCAL assessment results)"
case $rc in
0) ;;
2) echo "up: an item the stack enables fails: see the report above" >&2 ;;
*) echo "up: rampart check failed (exit $rc)" >&2 ;;
esac
exit "$rc"
