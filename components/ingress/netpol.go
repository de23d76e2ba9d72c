package ingress

import (
	"fmt"
	"sort"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/kname"
)

// Envoy Gateway runs its proxies unprivileged: a listener on a port below
// 1024 binds the port + 10000 inside the pod, which is what a NetworkPolicy
// (applied after the Service's DNAT) sees.
const envoyPortShift = 10000

// newNetworkPolicy admits 80/443 from anywhere to the proxy pods only, and
// lets the proxies reach only the route backends' namespaces and ports. The
// namespace's default-deny (from the baseline) stays: nothing else gets in
// or out. NIS2 Art. 21(2)(e); seed 000 tenant isolation.
func newNetworkPolicy(ctx *pulumi.Context, name string, a *IngressArgs, opts ...pulumi.ResourceOption) error {
	in := []int{80, 443}
	if a.Mode == ModeGateway {
		in = append(in, 80+envoyPortShift, 443+envoyPortShift)
	}
	var inPorts networkingv1.NetworkPolicyPortArray
	for _, p := range in {
		inPorts = append(inPorts, networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(p)})
	}
	// Egress: one rule per backend namespace with exactly its ports.
	byNS := map[string][]int{}
	for _, r := range a.Routes {
		ns := r.Backend.Namespace
		if !containsInt(byNS[ns], r.Backend.Port) {
			byNS[ns] = append(byNS[ns], r.Backend.Port)
		}
	}
	nss := make([]string, 0, len(byNS))
	for ns := range byNS {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	// nil when no route exists: policyTypes Egress alone denies all, and an
	// empty array would be dropped by the API server (a perpetual diff).
	var egress networkingv1.NetworkPolicyEgressRuleArray
	for _, ns := range nss {
		sort.Ints(byNS[ns])
		var ports networkingv1.NetworkPolicyPortArray
		for _, p := range byNS[ns] {
			ports = append(ports, networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(p)})
		}
		egress = append(egress, networkingv1.NetworkPolicyEgressRuleArgs{
			To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{NamespaceSelector: &metav1.LabelSelectorArgs{
				MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String(ns)},
			}}},
			Ports: ports,
		})
	}
	// name is the Pulumi child's (<component>-netpol): two ingresses in one
	// namespace get distinct policies.
	objName := kname.Join(name)
	_, err := networkingv1.NewNetworkPolicy(ctx, name, &networkingv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(objName), Namespace: pulumi.String(a.Namespace),
			Labels:      pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("rampart")},
			Annotations: pulumi.ToStringMap(hardening.ManagedAnnotations()),
		},
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(a.ProxyPodLabels)},
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
				// No from: clients are anywhere on the internet.
				Ports: inPorts,
			}},
			Egress: egress,
		},
	}, append(opts, pulumi.DeleteBeforeReplace(true))...)
	if err != nil {
		return fmt.Errorf("create network policy: %w", err)
	}
	return nil
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
