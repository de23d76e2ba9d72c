#!/usr/bin/env bash
# The lab node's additions to a stack's configuration (sourced by
# lab/services/node.sh): what differs from a real cluster, and only that.
# `make up` sets them on a copy of Pulumi.local.yaml (never the repository's
# file) and the node tests on their own stacks, both with `pulumi config
# set-all --path`.

# node_stack_overlay: writes $NODE_DIR/stack-overlay, one Pulumi config path
# and value a line, and names it in lab.env (RAMPART_NODE_STACK_OVERLAY):
#   - Envoy Gateway's chart on, from the lab's copy of the chart in the
#     module zip (a local chart source: the local profile alone accepts one;
#     real stacks take oci:// only), its CRDs left to the lab (lab/services/crds.sh
#     installs them from the same module zip before any stack exists);
#   - the proxies' Service as ClusterIP (no load balancer here; the Gateway
#     gets the Service's address);
#   - the API server as the node's pods reach it: the kubernetes Service's
#     ClusterIP and the API server's own address;
#   - Envoy Gateway's two images as built here, by the digest containerd
#     computed at import (rampart:images.overrides; never an upstream
#     digest on a local image).
node_stack_overlay() {
  local f=$NODE_DIR/stack-overlay chart
  chart=$(bash "$LAB_DIR/toolchain.sh" dir envoy-gateway)/charts
  [ -f "$chart/gateway-helm/Chart.yaml" ] || lab_die "node: no gateway-helm chart in $chart (bash lab/toolchain.sh envoy-gateway)"
  cat >"$f.tmp" <<EOF
rampart:ingress.chart.enabled=true
rampart:ingress.chart.repository=$chart
rampart:ingress.chart.crds=false
rampart:ingress.serviceType=ClusterIP
rampart:ingress.apiServer.cidrs[0]=${NODE_SVC_CIDR%.0/*}.1/32
rampart:ingress.apiServer.cidrs[1]=$NODE_IP/32
rampart:images.overrides["envoyproxy/gateway"]=$(node_image_ref RAMPART_NODE_ENVOY_GATEWAY_IMAGE)
rampart:images.overrides["envoyproxy/envoy"]=$(node_image_ref RAMPART_NODE_ENVOY_IMAGE)
EOF
  mv "$f.tmp" "$f"
  lab_env_set RAMPART_NODE_STACK_OVERLAY "$f"
}
