package stacks_test

import (
	"slices"
	"testing"

	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
)

// TestNetworkIntent_LocalStatesTheDeclaredTraffic: the local stack's intent
// names every managed namespace with its tier, level and config key, the
// tenants admit the ingress namespace, the routes' backends, DNS and the
// gateway with the whole SSRF blocklist.
func TestNetworkIntent_LocalStatesTheDeclaredTraffic(t *testing.T) {
	_, cfg := testkit.RunStackFile(t, "..", "Pulumi.local.yaml")
	in := stacks.NetworkIntentOf(cfg)
	byName := map[string]stacks.IntentNamespace{}
	for _, n := range in.Namespaces {
		byName[n.Name] = n
	}
	if len(byName) != len(cfg.Namespaces)+len(cfg.Tenants) {
		t.Fatalf("%d namespaces in the intent, want %d platform + %d tenants", len(byName), len(cfg.Namespaces), len(cfg.Tenants))
	}
	for _, tc := range []struct {
		name, tier, key, level string
		ingressFrom            []string
	}{
		{"team-a", stacks.TierTenant, "rampart:tenants[0]", "restricted", []string{"rampart-ingress"}},
		{"team-b", stacks.TierTenant, "rampart:tenants[1]", "restricted", []string{"rampart-ingress"}},
		{"rampart-system", stacks.TierPlatform, "rampart:namespaces[1]", "restricted", nil},
		{"falco", stacks.TierPlatform, "rampart:namespaces[7]", "privileged", nil},
	} {
		n, ok := byName[tc.name]
		if !ok {
			t.Errorf("no namespace %s in the intent", tc.name)
			continue
		}
		if n.Tier != tc.tier || n.Key != tc.key || n.PodSecurity != tc.level || !slices.Equal(n.IngressFrom, tc.ingressFrom) {
			t.Errorf("%s = %+v, want tier %s key %s level %s ingressFrom %v", tc.name, n, tc.tier, tc.key, tc.level, tc.ingressFrom)
		}
	}
	if in.DNS.Namespace != "kube-system" || in.DNS.PodLabels["k8s-app"] != "kube-dns" || in.DNS.Port != 53 {
		t.Errorf("dns = %+v", in.DNS)
	}
	if !in.Ingress.Enabled || in.Ingress.Namespace != "rampart-ingress" || len(in.Ingress.ProxyPodLabels) == 0 {
		t.Errorf("ingress = %+v", in.Ingress)
	}
	want := []stacks.IntentBackend{
		{Namespace: "team-a", Port: 8080, Host: "team-a.platform.rampart.test", Key: "rampart:ingress.routes[0].backend"},
		{Namespace: "team-b", Port: 8080, Host: "team-b.platform.rampart.test", Key: "rampart:ingress.routes[1].backend"},
	}
	if !slices.Equal(in.Ingress.Backends, want) {
		t.Errorf("backends = %+v, want %+v", in.Ingress.Backends, want)
	}
	g := in.Gateway
	if g == nil || g.Namespace != "rampart-system" || g.PodLabels["app"] != "rampart-gateway" || g.HTTPSPort != 443 ||
		g.ControlPlane == nil || g.ControlPlane.Port != 8000 {
		t.Fatalf("gateway = %+v", g)
	}
	if len(in.Blocklist) != len(netpol.SSRFBlocklist) || !slices.Contains(in.Blocklist, "169.254.0.0/16") {
		t.Errorf("blocklist = %v, want netpol.SSRFBlocklist", in.Blocklist)
	}
}

// TestNetworkIntent_ProdCarriesAllowedTargetsAndNodeLocalDNS: the prod
// stack's justified exception and NodeLocal DNS reach the intent with their
// keys.
func TestNetworkIntent_ProdCarriesAllowedTargetsAndNodeLocalDNS(t *testing.T) {
	_, cfg := testkit.RunStackFile(t, "..", "Pulumi.prod.yaml")
	in := stacks.NetworkIntentOf(cfg)
	if in.DNS.NodeLocalCIDR != "169.254.20.10/32" {
		t.Errorf("dns.nodeLocalCidr = %q", in.DNS.NodeLocalCIDR)
	}
	g := in.Gateway
	if g == nil || len(g.AllowedTargets) != 1 {
		t.Fatalf("gateway = %+v", g)
	}
	want := stacks.IntentTarget{Name: "core-banking", CIDR: "10.40.12.0/24", Ports: []int{8443}, Key: "rampart:gateway.allowedTargets[0]"}
	if got := g.AllowedTargets[0]; got.Name != want.Name || got.CIDR != want.CIDR || !slices.Equal(got.Ports, want.Ports) || got.Key != want.Key {
		t.Errorf("allowedTargets[0] = %+v, want %+v", got, want)
	}
	var ports []int
	for _, b := range in.Ingress.Backends {
		ports = append(ports, b.Port)
	}
	if !slices.Equal(ports, []int{8443, 8443, 3000}) {
		t.Errorf("backend ports = %v", ports)
	}
}
