//go:build tools

// Package tools pins kube-router v2.1.0 for the lab's node, which runs only
// its NetworkPolicy firewall controller (lab/services/node.sh). v2.1.0 is
// the only version the Go module proxy serves for the v2 module, and
// registry notes report security flaws in it: for this lab they do not
// matter, because kube-router runs only inside the node's throwaway network
// namespace, whose one interface leads to an empty gateway namespace (no
// outside network), with no router, service proxy, BGP or load balancer.
// It was chosen over kube-network-policies v0.8.0 because it enforces
// policies as is on this kernel (no CONFIG_NFT_QUEUE: kube-network-policies
// needs an iptables NFQUEUE shim and runs every new connection through a
// userspace verdict).
package tools

import _ "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
