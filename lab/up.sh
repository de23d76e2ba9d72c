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
cfg=()
if [ "$RAMPART_LAB_NODE" = 1 ]; then
  # The node runs Envoy Gateway: the lab's additions (lab/node/overlay.sh:
  # the chart from the module zip, the images built here by digest) go into
  # a copy of Pulumi.local.yaml beside the state, never into the repository.
  cp Pulumi.local.yaml "$out/Pulumi.local.yaml"
  overlay=()
  while IFS= read -r kv; do overlay+=(--plaintext "$kv"); done <"$RAMPART_NODE_STACK_OVERLAY"
  pulumi config set-all --stack local --config-file "$out/Pulumi.local.yaml" --path "${overlay[@]}"
  cfg=(--config-file "$out/Pulumi.local.yaml")
fi
t0=$(date +%s)
pulumi up --yes --stack local "${cfg[@]}" --suppress-progress --color never
echo "up: pulumi up took $(($(date +%s) - t0))s"
if [ "$RAMPART_LAB_NODE" = 1 ]; then
  # cert-manager's controller cannot be had here: its stand-in signs each
  # listener's certificate with the lab OpenBao's PKI and writes the Secret.
  ca=$(bash lab/node/gateway-certs.sh "$KUBECONFIG" rampart-ingress)
  echo "== ingress (Envoy Gateway on the lab's node)"
  gw=$("$LAB_BIN/kubectl" get gateways.gateway.networking.k8s.io -n rampart-ingress -o jsonpath='{.items[0].metadata.name}')
  "$LAB_BIN/kubectl" wait -n rampart-ingress --for=condition=Programmed "gateways.gateway.networking.k8s.io/$gw" --timeout=240s
  svc=$("$LAB_BIN/kubectl" get service -n rampart-ingress -o jsonpath='{.items[0].spec.clusterIP}' \
    -l "gateway.envoyproxy.io/owning-gateway-name=$gw,gateway.envoyproxy.io/owning-gateway-namespace=rampart-ingress")
  # One HTTPS request from the node's network to the proxy, verified
  # against the lab OpenBao's root (no backend runs: Envoy answers 503).
  for _ in $(seq 30); do
    if line=$(nsenter --net="$RAMPART_NODE_NETNS" "$LAB_BIN/probe" fetch -ca "$ca" \
      -connect "$svc:443" https://team-a.platform.rampart.test/); then break; fi
    sleep 1
  done
  echo "up: https://team-a.platform.rampart.test/ via $svc:443: $line"
fi
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
