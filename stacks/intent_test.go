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
		apps                   []string
	}{
		{"team-a", stacks.TierTenant, "rampart:tenants[0]", "restricted", []string{"web", "api"}},
		{"team-b", stacks.TierTenant, "rampart:tenants[1]", "restricted", []string{"web"}},
		{"rampart-system", stacks.TierPlatform, "rampart:namespaces[1]", "restricted", nil},
		{"falco", stacks.TierPlatform, "rampart:namespaces[7]", "privileged", nil},
	} {
		n, ok := byName[tc.name]
		if !ok {
			t.Errorf("no namespace %s in the intent", tc.name)
			continue
		}
		var apps []string
		for _, a := range n.Apps {
			apps = append(apps, a.Name)
		}
		if n.Tier != tc.tier || n.Key != tc.key || n.PodSecurity != tc.level || !slices.Equal(apps, tc.apps) || n.ProxyPorts != nil {
			t.Errorf("%s = %+v, want tier %s key %s level %s apps %v and no tenant-wide proxy ports", tc.name, n, tc.tier, tc.key, tc.level, tc.apps)
		}
	}
	if in.DNS.Namespace != "kube-system" || in.DNS.PodLabels["k8s-app"] != "kube-dns" || in.DNS.Port != 53 {
		t.Errorf("dns = %+v", in.DNS)
	}
	if !in.Ingress.Enabled || in.Ingress.Namespace != "rampart-ingress" || len(in.Ingress.ProxyPodLabels) == 0 {
		t.Errorf("ingress = %+v", in.Ingress)
	}
	want := []stacks.IntentBackend{
		{Namespace: "team-a", Port: 8080, Host: "team-a.platform.rampart.test", Key: "rampart:tenants[0].apps[0].expose[0]"},
		{Namespace: "team-b", Port: 8080, Host: "team-b.platform.rampart.test", Key: "rampart:tenants[1].apps[0].expose[0]"},
	}
	if !slices.Equal(in.Ingress.Backends, want) {
		t.Errorf("backends = %+v, want %+v", in.Ingress.Backends, want)
	}
	g := in.Gateway
	if g == nil || g.Namespace != "rampart-system" || g.PodLabels["app"] != "rampart-gateway" || g.PublicEgress != nil ||
		g.ControlPlane == nil || g.ControlPlane.Port != 8000 {
		t.Fatalf("gateway = %+v, want no public egress", g)
	}
	if len(g.Endpoints) != 1 || g.Endpoints[0].CIDR != "203.0.113.10/32" || !slices.Equal(g.Endpoints[0].Ports, []int{443}) || g.Endpoints[0].Key != "rampart:gateway.backends[0]" {
		t.Errorf("gateway endpoints = %+v, want the public-api backend's address on 443", g.Endpoints)
	}
	web := byName["team-a"].Apps[0]
	if !slices.Equal(web.Exposed, []int{8080}) || len(web.To) != 2 || web.To[0].Namespace != "team-a" || web.To[0].PodLabels["app"] != "api" ||
		!slices.Equal(web.To[0].Ports, []int{9090}) || web.To[1].CIDR != "203.0.113.10/32" {
		t.Errorf("team-a web = %+v, want exposed 8080, to api:9090 and 203.0.113.10/32", web)
	}
	if api := byName["team-a"].Apps[1]; len(api.From) != 1 || api.From[0].PodLabels["app"] != "web" || len(api.To) != 0 || len(api.Exposed) != 0 {
		t.Errorf("team-a api = %+v, want from web only", api)
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
	if g == nil || len(g.AllowedTargets) != 2 || g.AllowedTargets[1].Name != "registry" || len(g.Endpoints) != 0 {
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
