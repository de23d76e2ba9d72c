// Package netpol provides the network policy component of a namespace:
// default-deny for ingress and egress, DNS egress on UDP and TCP 53, the STOA
// security hardening checklist's tenant isolation, and its gateway egress restriction with the SSRF
// blocklist excepted from every ipBlock. NIS2 Art. 21(2)(e); ISM-1182;
// ITSG-33 SC-7.
package netpol

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/kmeta"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:netpol:Policies"

// Policy object names, as in the seeds.
const (
	DefaultDenyName     = "default-deny-all"
	AllowDNSName        = "allow-dns"
	TenantIsolationName = "tenant-isolation"
	GatewayEgressName   = "gateway-egress"
)

// AppLabel names, on an app's policy (app-<name>), the app it governs: the
// compliance report judges those policies as the tenant's isolation.
const AppLabel = "rampart.dev/app"

// nsNameLabel is set by the API server on every namespace.
const nsNameLabel = "kubernetes.io/metadata.name"

// Policies is the set of network policies of one namespace.
type Policies struct {
	pulumi.ResourceState

	// Names are the NetworkPolicy object names created, sorted.
	Names pulumi.StringArrayOutput `pulumi:"names"`
}

// NewPolicies registers the namespace's policies. namespace is the
// namespace's name output, so the policies wait for the namespace.
func NewPolicies(ctx *pulumi.Context, name string, namespace pulumi.StringInput, args *PoliciesArgs, opts ...pulumi.ResourceOption) (*Policies, error) {
	if args == nil {
		return nil, errors.New("netpol: args are required")
	}
	a := args.withDefaults()
	if err := a.Validate("netpol " + name); err != nil {
		return nil, err
	}
	comp := &Policies{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("netpol %q: register: %w", name, err)
	}
	appOf := map[string]string{} // policy object → app name
	specs := map[string]*networkingv1.NetworkPolicySpecArgs{
		DefaultDenyName: {
			PodSelector: &metav1.LabelSelectorArgs{},
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
		},
		AllowDNSName: dnsSpec(a.DNS),
	}
	switch {
	case len(a.Apps) > 0:
		edges := Edges(a.Apps)
		for _, app := range a.Apps {
			specs[AppPolicyName(app.Name)] = appSpec(app, a.Apps, edges, a.Ingress)
			appOf[AppPolicyName(app.Name)] = app.Name
		}
	case a.Isolation:
		specs[TenantIsolationName] = isolationSpec(a.Namespace, a.Ingress)
	}
	if a.Gateway != nil {
		specs[GatewayEgressName] = gatewaySpec(*a.Gateway)
	}
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, obj := range names {
		meta := kmeta.Meta(obj, namespace)
		if app, ok := appOf[obj]; ok {
			meta.Labels = pulumi.ToStringMap(kmeta.Labels(map[string]string{AppLabel: app}))
		}
		if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+obj, &networkingv1.NetworkPolicyArgs{
			Metadata: meta,
			Spec:     specs[obj],
		}, pulumi.Parent(comp),
			// The object name is fixed, so a replacement must delete first:
			// creating first would upsert the same object, then delete it.
			pulumi.DeleteBeforeReplace(true)); err != nil {
			return nil, fmt.Errorf("netpol %q: create %s: %w", name, obj, err)
		}
	}
	comp.Names = pulumi.ToStringArray(names).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"names": comp.Names}); err != nil {
		return nil, fmt.Errorf("netpol %q: register outputs: %w", name, err)
	}
	return comp, nil
}

func ports(proto Protocol, nums ...int) networkingv1.NetworkPolicyPortArray {
	var out networkingv1.NetworkPolicyPortArray
	for _, n := range nums {
		out = append(out, networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String(string(proto)), Port: pulumi.Int(n)})
	}
	return out
}

func dnsSpec(d DNS) *networkingv1.NetworkPolicySpecArgs {
	peers := networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{
		NamespaceSelector: netpolicy.NamespaceSelector(d.Namespace),
		PodSelector:       netpolicy.Selector(d.PodLabels),
	}}
	if d.NodeLocalCIDR != "" {
		peers = append(peers, networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(d.NodeLocalCIDR)}})
	}
	return &networkingv1.NetworkPolicySpecArgs{
		PodSelector: &metav1.LabelSelectorArgs{},
		PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
		Egress: networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{
			To:    peers,
			Ports: append(ports(UDP, 53), ports(TCP, 53)...),
		}},
	}
}

// isolationSpec admits every pod of the namespace, and the proxies on the
// route ports only; egress stays inside the namespace.
func isolationSpec(ns string, proxies *IngressPeer) *networkingv1.NetworkPolicySpecArgs {
	in := networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
		From: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: netpolicy.NamespaceSelector(ns)}},
	}}
	if proxies != nil && len(proxies.Ports) > 0 {
		in = append(in, networkingv1.NetworkPolicyIngressRuleArgs{
			From:  networkingv1.NetworkPolicyPeerArray{netpolicy.PodsIn(proxies.Namespace, proxies.PodLabels)},
			Ports: netpolicy.TCP(proxies.Ports...),
		})
	}
	return &networkingv1.NetworkPolicySpecArgs{
		PodSelector: &metav1.LabelSelectorArgs{},
		PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
		Ingress:     in,
		Egress: networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{PodSelector: &metav1.LabelSelectorArgs{}}},
		}},
	}
}

func peerArgs(p Peer) networkingv1.NetworkPolicyPeerArgs {
	out := netpolicy.PodPeer(p.PodLabels)
	if p.NamespaceLabels != nil {
		out.NamespaceSelector = netpolicy.Selector(p.NamespaceLabels)
	}
	return out
}

func gatewaySpec(g Gateway) *networkingv1.NetworkPolicySpecArgs {
	var rules networkingv1.NetworkPolicyEgressRuleArray
	if cp := g.ControlPlane; cp != nil {
		rules = append(rules, networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{peerArgs(*cp)}, Ports: ports(TCP, cp.Port),
		})
	}
	for _, b := range g.InClusterBackends {
		rules = append(rules, networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{peerArgs(b)}, Ports: ports(TCP, b.Port),
		})
	}
	// Each backend written as an address: exactly it, on its port.
	for _, e := range g.Endpoints {
		rules = append(rules, networkingv1.NetworkPolicyEgressRuleArgs{
			To: netpolicy.IPPeers(netip.PrefixFrom(e.Addr, e.Addr.BitLen()).String()), Ports: ports(TCP, e.Port),
		})
	}
	// Any public address only as a written decision: every address minus
	// the SSRF blocklist of each address family, on its ports.
	if pe := g.PublicEgress; pe != nil {
		rules = append(rules, networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{
				networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("0.0.0.0/0"), Except: pulumi.ToStringArray(exceptFor(false))}},
				networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("::/0"), Except: pulumi.ToStringArray(exceptFor(true))}},
			},
			Ports: ports(TCP, pe.Ports...),
		})
	}
	for _, t := range g.AllowedTargets {
		cidr := Canonical(netip.MustParsePrefix(t.CIDR).Masked()).String() // validated
		rules = append(rules, networkingv1.NetworkPolicyEgressRuleArgs{
			To:    networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(cidr)}}},
			Ports: ports(TCP, t.Ports...),
		})
	}
	return &networkingv1.NetworkPolicySpecArgs{
		PodSelector: netpolicy.Selector(g.PodLabels),
		PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
		Egress:      rules,
	}
}
