// Package netpolicy holds the NetworkPolicy pieces every component builds
// its policies from (peers by address or label, TCP ports), the CIDR and
// port checks of their config keys, and the API server's endpoints, the one
// peer every controller needs. Components own which flows they open; this
// package owns how a flow is spelled and checked.
package netpolicy

import (
	"net/netip"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Ports are the given ports of one protocol ("TCP" or "UDP").
func Ports(protocol string, ports ...int) networkingv1.NetworkPolicyPortArray {
	var out networkingv1.NetworkPolicyPortArray
	for _, p := range ports {
		out = append(out, networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String(protocol), Port: pulumi.Int(p)})
	}
	return out
}

// TCP are the given TCP ports.
func TCP(ports ...int) networkingv1.NetworkPolicyPortArray { return Ports("TCP", ports...) }

// IPPeers are ipBlock peers, one per CIDR, each masked to its network
// address (10.96.0.1/24 is rendered 10.96.0.0/24, the form the API server
// stores). The CIDRs must have passed CheckCIDRs.
func IPPeers(cidrs ...string) networkingv1.NetworkPolicyPeerArray {
	var out networkingv1.NetworkPolicyPeerArray
	for _, c := range cidrs {
		out = append(out, networkingv1.NetworkPolicyPeerArgs{
			IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(netip.MustParsePrefix(c).Masked().String())},
		})
	}
	return out
}

// Selector selects pods (or namespaces) by labels; nil or empty labels
// select every one, so callers validate them first.
func Selector(labels map[string]string) *metav1.LabelSelectorArgs {
	return &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(labels)}
}

// PodPeer is a peer of the pods with the labels in the policy's namespace.
func PodPeer(labels map[string]string) networkingv1.NetworkPolicyPeerArgs {
	return networkingv1.NetworkPolicyPeerArgs{PodSelector: Selector(labels)}
}

// NamespaceSelector selects one namespace by the kubernetes.io/metadata.name
// label the API server sets on every namespace (so the selector cannot be
// claimed by labelling another namespace).
func NamespaceSelector(namespace string) *metav1.LabelSelectorArgs {
	return Selector(map[string]string{"kubernetes.io/metadata.name": namespace})
}

// NamespacePeer is a peer of every pod of the namespace.
func NamespacePeer(namespace string) networkingv1.NetworkPolicyPeerArgs {
	return networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: NamespaceSelector(namespace)}
}

// PodsIn is a peer of the pods with the labels in the namespace.
func PodsIn(namespace string, labels map[string]string) networkingv1.NetworkPolicyPeerArgs {
	return networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: NamespaceSelector(namespace), PodSelector: Selector(labels)}
}

// Selects reports whether a matchLabels selector sel selects pods carrying
// labels: every key and value of sel is among labels. An empty sel selects
// nothing here: Rampart never means "every pod" by it.
func Selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		// The key must be present: a selector's "app": "" does not
		// select a pod without the label.
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// Disjoint reports whether no pod can carry labels both matchLabels
// selectors select: they share a key with different values. {app: web} and
// {tier: back} are not disjoint: a pod labelled with both takes both.
func Disjoint(a, b map[string]string) bool {
	for k, v := range a {
		if w, ok := b[k]; ok && w != v {
			return true
		}
	}
	return false
}
