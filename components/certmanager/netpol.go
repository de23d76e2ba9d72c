package certmanager

import (
	"fmt"
	"net/netip"
	"sort"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/netpolicy"
)

// NetworkPolicy object names this component adds to cert-manager's
// namespace, on top of the baseline's default-deny and DNS policies.
const (
	PolicyAPIServerEgress = "cert-manager-apiserver-egress"
	PolicyWebhookIngress  = "cert-manager-webhook-ingress"
	PolicyOpenBaoEgress   = "cert-manager-openbao-egress"
	PolicyACMEEgress      = "cert-manager-acme-egress"
)

// componentLabel selects the chart's pods of one component (chart v1.21.2
// labels every pod app.kubernetes.io/instance=<release> and
// app.kubernetes.io/component=controller|webhook|cainjector|startupapicheck).
func componentSelector(component string) *metav1.LabelSelectorArgs {
	m := pulumi.StringMap{"app.kubernetes.io/instance": pulumi.String(ReleaseName)}
	if component != "" {
		m["app.kubernetes.io/component"] = pulumi.String(component)
	}
	return &metav1.LabelSelectorArgs{MatchLabels: m}
}

// policySpecs are exactly the flows cert-manager needs: every pod to the
// API server; the webhook from the API server; the controller to the
// issuer's OpenBao and to the ACME directory (and the DNS-01 nameserver).
func policySpecs(a *CertManagerArgs) map[string]*networkingv1.NetworkPolicySpecArgs {
	specs := map[string]*networkingv1.NetworkPolicySpecArgs{
		PolicyAPIServerEgress: {
			PodSelector: componentSelector(""),
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress: networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{
				To: netpolicy.IPPeers(a.APIServer.CIDRs...), Ports: netpolicy.TCP(a.APIServer.Ports...),
			}},
		},
		PolicyWebhookIngress: {
			PodSelector: componentSelector("webhook"),
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
				From: netpolicy.IPPeers(a.APIServer.CIDRs...), Ports: netpolicy.TCP(*a.APIServer.WebhookPort),
			}},
		},
	}
	if o := a.OpenBao; o.Namespace != "" || len(o.CIDRs) > 0 {
		to := netpolicy.IPPeers(o.CIDRs...)
		if o.Namespace != "" {
			to = networkingv1.NetworkPolicyPeerArray{netpolicy.NamespacePeer(o.Namespace)}
		}
		specs[PolicyOpenBaoEgress] = &networkingv1.NetworkPolicySpecArgs{
			PodSelector: componentSelector("controller"),
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress:      networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{To: to, Ports: netpolicy.TCP(*o.Port)}},
		}
	}
	if m := a.ACME; m != nil {
		rules := networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{To: netpolicy.IPPeers(m.EgressCIDRs...), Ports: netpolicy.TCP(443)}}
		if d := m.DNS01; d != nil {
			ap := netip.MustParseAddrPort(d.Nameserver)
			bits := 32
			if ap.Addr().Is6() {
				bits = 128
			}
			rules = append(rules, networkingv1.NetworkPolicyEgressRuleArgs{
				To:    netpolicy.IPPeers(netip.PrefixFrom(ap.Addr(), bits).String()),
				Ports: append(netpolicy.TCP(int(ap.Port())), netpolicy.Ports("UDP", int(ap.Port()))...),
			})
		}
		specs[PolicyACMEEgress] = &networkingv1.NetworkPolicySpecArgs{
			PodSelector: componentSelector("controller"),
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress:      rules,
		}
	}
	return specs
}

func (c *CertManager) policies(ctx *pulumi.Context, name string, a *CertManagerArgs) ([]pulumi.Resource, []string, error) {
	specs := policySpecs(a)
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []pulumi.Resource
	for _, obj := range names {
		np, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+obj, &networkingv1.NetworkPolicyArgs{
			Metadata: c.objMeta(obj, a.Namespace),
			Spec:     specs[obj],
		}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
		if err != nil {
			return nil, nil, fmt.Errorf("network policy %s: %w", obj, err)
		}
		out = append(out, np)
	}
	return out, names, nil
}
