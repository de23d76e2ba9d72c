package ingress

import (
	"cmp"
	"fmt"
	"sort"

	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/kmeta"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
)

// Envoy Gateway runs its proxies unprivileged: a listener on a port below
// 1024 binds the port + 10000 inside the pod, which is what a NetworkPolicy
// (applied after the Service's DNAT) sees.
const envoyPortShift = 10000

// newNetworkPolicy admits 80/443 from anywhere to the proxy pods only, and
// lets the proxies reach only the route backends' namespaces and pod ports. The
// namespace's default-deny (from the baseline) stays: nothing else gets in
// or out. NIS2 Art. 21(2)(e); the STOA security hardening checklist tenant isolation.
func newNetworkPolicy(ctx *pulumi.Context, name string, a *IngressArgs, opts ...pulumi.ResourceOption) error {
	in := []int{80, 443}
	if a.Mode == ModeGateway {
		in = append(in, 80+envoyPortShift, 443+envoyPortShift)
	}
	inPorts := netpolicy.TCP(in...)
	// Egress: one rule per backend namespace with exactly its ports.
	byNS := map[string][]int{}
	for _, r := range a.Routes {
		// The pod port: the policy sees traffic after the Service's
		// translation.
		ns, port := r.Backend.Namespace, cmp.Or(r.Backend.TargetPort, r.Backend.Port)
		if !containsInt(byNS[ns], port) {
			byNS[ns] = append(byNS[ns], port)
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
		egress = append(egress, networkingv1.NetworkPolicyEgressRuleArgs{
			To:    networkingv1.NetworkPolicyPeerArray{netpolicy.NamespacePeer(ns)},
			Ports: netpolicy.TCP(byNS[ns]...),
		})
	}
	// name is the Pulumi child's (<component>-netpol): two ingresses in one
	// namespace get distinct policies.
	objName := kname.Join(name)
	_, err := networkingv1.NewNetworkPolicy(ctx, name, &networkingv1.NetworkPolicyArgs{
		Metadata: kmeta.Meta(objName, pulumi.String(a.Namespace)),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: netpolicy.Selector(a.ProxyPodLabels),
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

// Envoy Gateway's controller as gateway-helm v1.9 deploys it (upstream
// github.com/envoyproxy/gateway, tag v1.9.0; the chart is unchanged in its
// templates' labels and ports up to the v1.9.1 chart Rampart pins).
const (
	// ReleaseName is the Helm release newChart installs; the chart's
	// selector labels carry it (charts/gateway-helm/templates/_helpers.tpl
	// "eg.selectorLabels": app.kubernetes.io/instance: {{ .Release.Name }}).
	ReleaseName = "envoy-gateway"
	// XDSPort is the controller's xDS gRPC server the proxies connect to
	// (charts/gateway-helm/values.tmpl.yaml deployment.ports "grpc" 18000).
	// The chart's other ports stay closed: ratelimit 18001 serves the rate
	// limit deployment (rate limiting stays off), wasm 18002 serves Wasm
	// modules to proxies (Rampart renders no EnvoyExtensionPolicy), metrics
	// 19001 has no scraper in the namespace's policies.
	// The topology injector's webhook (9443) is off (newChart): its
	// webhook configuration is a Helm hook the chart does not render.
	XDSPort = 18000
)

// controllerLabels select Envoy Gateway's controller pods
// (charts/gateway-helm/templates/envoy-gateway-deployment.yaml pod template:
// control-plane: envoy-gateway plus "eg.selectorLabels").
var controllerLabels = map[string]string{"control-plane": "envoy-gateway", "app.kubernetes.io/instance": ReleaseName}

// certgenLabels select the certgen Job's pod, which writes the xDS and
// webhook certificates through the API server before install and upgrade
// (charts/gateway-helm/templates/certgen.yaml pod template labels
// app: certgen; the Job carries no release label on its pods).
var certgenLabels = map[string]string{"app": "certgen"}

// Names of the chart's policies, suffixes of the component's name.
const (
	PolicyControllerAPIServer = "eg-apiserver"
	PolicyCertgenAPIServer    = "certgen-apiserver"
	PolicyControllerIngress   = "eg-xds"
	PolicyProxyXDS            = "proxy-xds"
)

// newChartNetworkPolicies opens, in the default-deny ingress namespace,
// exactly what Envoy Gateway needs besides the proxies' 80/443: the
// controller's and certgen's egress to the API server, the controller's
// xDS port to the proxy pods only, and
// the proxies' egress to that xDS port. Each policy names one direction
// only, so the namespace's default-deny still governs the other. Gateway
// mode with the chart only; NIS2 Art. 21(2)(e).
func newChartNetworkPolicies(ctx *pulumi.Context, name string, a *IngressArgs, opts ...pulumi.ResourceOption) ([]pulumi.Resource, error) {
	if a.Mode != ModeGateway || !a.Chart.Enabled {
		return nil, nil
	}
	apiEgress := networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{
		To: netpolicy.IPPeers(a.APIServer.CIDRs...), Ports: netpolicy.TCP(a.APIServer.Ports...),
	}}
	proxies := networkingv1.NetworkPolicyPeerArray{netpolicy.PodPeer(a.ProxyPodLabels)}
	controller := networkingv1.NetworkPolicyPeerArray{netpolicy.PodPeer(controllerLabels)}
	specs := []struct {
		suffix string
		spec   *networkingv1.NetworkPolicySpecArgs
	}{
		{PolicyControllerAPIServer, &networkingv1.NetworkPolicySpecArgs{
			PodSelector: netpolicy.Selector(controllerLabels),
			PolicyTypes: pulumi.ToStringArray([]string{"Egress"}), Egress: apiEgress,
		}},
		{PolicyCertgenAPIServer, &networkingv1.NetworkPolicySpecArgs{
			PodSelector: netpolicy.Selector(certgenLabels),
			PolicyTypes: pulumi.ToStringArray([]string{"Egress"}), Egress: apiEgress,
		}},
		{PolicyControllerIngress, &networkingv1.NetworkPolicySpecArgs{
			PodSelector: netpolicy.Selector(controllerLabels),
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{
				networkingv1.NetworkPolicyIngressRuleArgs{From: proxies, Ports: netpolicy.TCP(XDSPort)},
			},
		}},
		{PolicyProxyXDS, &networkingv1.NetworkPolicySpecArgs{
			PodSelector: netpolicy.Selector(a.ProxyPodLabels),
			PolicyTypes: pulumi.ToStringArray([]string{"Egress"}),
			Egress:      networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{To: controller, Ports: netpolicy.TCP(XDSPort)}},
		}},
	}
	var out []pulumi.Resource
	for _, s := range specs {
		child := name + "-" + s.suffix
		np, err := networkingv1.NewNetworkPolicy(ctx, child, &networkingv1.NetworkPolicyArgs{
			Metadata: kmeta.Meta(kname.Join(child), pulumi.String(a.Namespace)),
			Spec:     s.spec,
		}, append(opts, pulumi.DeleteBeforeReplace(true))...)
		if err != nil {
			return nil, fmt.Errorf("create network policy %s: %w", s.suffix, err)
		}
		out = append(out, np)
	}
	return out, nil
}
