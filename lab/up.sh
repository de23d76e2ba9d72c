#!/usr/bin/env bash
# `make up`: the embedded default. Builds the toolchain if missing, starts the
# lab, runs `pulumi up` on the local stack against the lab's kube-apiserver,
# prints the stack outputs and the hardening checklist.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=pulumi-env.sh
. lab/pulumi-env.sh
lab_ready up
. "$LAB_ENV"
export KUBECONFIG=$RAMPART_LAB_KUBECONFIG
pulumi stack select local --create --secrets-provider passphrase >/dev/null 2>&1 ||
  pulumi stack select local >/dev/null
t0=$(date +%s)
pulumi up --yes --stack local --suppress-progress --color never
echo "up: pulumi up took $(($(date +%s) - t0))s"
echo "== stack outputs (local)"
pulumi stack output --json --stack local
echo "== hardening checklist"
pulumi stack output --json --stack local | go run ./cmd/rampart check --outputs -
