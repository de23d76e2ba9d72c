package netpol_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const npType = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

func run(t *testing.T, args *netpol.PoliciesArgs) (*recmock.Recorder, error) {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := netpol.NewPolicies(ctx, "team", pulumi.String(args.Namespace), args)
		return err
	})
	return rec, err
}

func spec(t *testing.T, rec *recmock.Recorder, obj string) map[string]any {
	t.Helper()
	r, err := rec.Get(npType, "team-"+obj)
	if err != nil {
		t.Fatal(err)
	}
	if r.ParentName() != "team" {
		t.Errorf("%s parent = %q", r.Name, r.ParentName())
	}
	if name, _ := recmock.Path(r.Plain(), "metadata", "name"); name != obj {
		t.Errorf("object name = %v, want %s", name, obj)
	}
	return r.Plain()["spec"].(map[string]any)
}

func TestPolicies_DefaultDenyAndDNSOnUDPAndTCP(t *testing.T) {
	rec, err := run(t, &netpol.PoliciesArgs{Namespace: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ByType(npType)); n != 2 {
		t.Fatalf("policies = %v, want default-deny and allow-dns only", rec.Names())
	}
	deny := spec(t, rec, netpol.DefaultDenyName)
	if fmt.Sprint(deny["policyTypes"]) != "[Ingress Egress]" || len(deny["podSelector"].(map[string]any)) != 0 {
		t.Errorf("default deny = %v", deny)
	}
	if deny["ingress"] != nil || deny["egress"] != nil {
		t.Errorf("default deny has rules: %v", deny)
	}
	dns := spec(t, rec, netpol.AllowDNSName)
	peer, _ := recmock.Path(dns, "egress", 0, "to", 0)
	p := peer.(map[string]any)
	if ns, _ := recmock.Path(p, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"); ns != "kube-system" {
		t.Errorf("dns namespace = %v", ns)
	}
	if app, _ := recmock.Path(p, "podSelector", "matchLabels", "k8s-app"); app != "kube-dns" {
		t.Errorf("dns pods = %v (namespace and pod selector must be one peer)", app)
	}
	ports, _ := recmock.Path(dns, "egress", 0, "ports")
	if fmt.Sprint(ports) != "[map[port:53 protocol:UDP] map[port:53 protocol:TCP]]" {
		t.Errorf("dns ports = %v", ports)
	}
}

func TestPolicies_NodeLocalDNSAddsIPBlock(t *testing.T) {
	rec, err := run(t, &netpol.PoliciesArgs{Namespace: "team-a", DNS: netpol.DNS{NodeLocalCIDR: "169.254.20.10/32"}})
	if err != nil {
		t.Fatal(err)
	}
	cidr, _ := recmock.Path(spec(t, rec, netpol.AllowDNSName), "egress", 0, "to", 1, "ipBlock", "cidr")
	if cidr != "169.254.20.10/32" {
		t.Errorf("node-local cidr = %v", cidr)
	}
}

func TestPolicies_TenantIsolationAdmitsItselfAndTheProxiesOnRoutePortsOnly(t *testing.T) {
	proxies := map[string]string{"app.kubernetes.io/name": "envoy"}
	rec, err := run(t, &netpol.PoliciesArgs{Namespace: "team-a", Isolation: true,
		Ingress: &netpol.IngressPeer{Namespace: "rampart-ingress", PodLabels: proxies, Ports: []int{8080}}})
	if err != nil {
		t.Fatal(err)
	}
	iso := spec(t, rec, netpol.TenantIsolationName)
	if own, _ := recmock.Path(iso, "ingress", 0, "from", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"); own != "team-a" {
		t.Errorf("ingress[0] from = %v, want team-a", own)
	}
	if ports, ok := recmock.Path(iso, "ingress", 0, "ports"); ok {
		t.Errorf("ingress[0] ports = %v, want none (every port within the tenant)", ports)
	}
	if ns, _ := recmock.Path(iso, "ingress", 1, "from", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"); ns != "rampart-ingress" {
		t.Errorf("ingress[1] namespace = %v, want rampart-ingress", ns)
	}
	if pod, _ := recmock.Path(iso, "ingress", 1, "from", 0, "podSelector", "matchLabels", "app.kubernetes.io/name"); pod != "envoy" {
		t.Errorf("ingress[1] pods = %v, want the proxies only", pod)
	}
	if port, _ := recmock.Path(iso, "ingress", 1, "ports", 0, "port"); port != 8080.0 && port != 8080 {
		t.Errorf("ingress[1] port = %v, want the route port 8080 only", port)
	}
	if to, _ := recmock.Path(iso, "egress", 0, "to", 0, "podSelector"); len(to.(map[string]any)) != 0 {
		t.Errorf("egress to = %v, want same-namespace pods", to)
	}
	// No route into the tenant: the proxies are not admitted at all.
	rec, err = run(t, &netpol.PoliciesArgs{Namespace: "team-a", Isolation: true,
		Ingress: &netpol.IngressPeer{Namespace: "rampart-ingress", PodLabels: proxies}})
	if err != nil {
		t.Fatal(err)
	}
	if rules, _ := recmock.Path(spec(t, rec, netpol.TenantIsolationName), "ingress"); len(rules.([]any)) != 1 {
		t.Errorf("ingress = %v, want the tenant's own rule only", rules)
	}
}

func TestPolicies_GatewayEgressReachesBackendsExactlyAndThePublicOnlyByDecision(t *testing.T) {
	g := &netpol.Gateway{
		PodLabels:    map[string]string{"app": "gateway"},
		ControlPlane: &netpol.Peer{PodLabels: map[string]string{"app": "control-plane-api"}, Port: 8000},
		AllowedTargets: []netpol.AllowedTarget{{Name: "core", CIDR: "10.40.12.0/24", Ports: []int{8443},
			Justification: "core banking API on the private network"}},
		Endpoints: []netpol.Endpoint{{Name: "pay", Addr: netip.MustParseAddr("203.0.113.10"), Port: 443},
			{Name: "pay6", Addr: netip.MustParseAddr("2001:db8::10"), Port: 8443}},
	}
	rec, err := run(t, &netpol.PoliciesArgs{Namespace: "gw", Gateway: g})
	if err != nil {
		t.Fatal(err)
	}
	gw := spec(t, rec, netpol.GatewayEgressName)
	if app, _ := recmock.Path(gw, "podSelector", "matchLabels", "app"); app != "gateway" {
		t.Errorf("gateway selector = %v", app)
	}
	if port, _ := recmock.Path(gw, "egress", 0, "ports", 0, "port"); port != float64(8000) {
		t.Errorf("control plane port = %v", port)
	}
	for i, want := range []string{"203.0.113.10/32 443", "2001:db8::10/128 8443", "10.40.12.0/24 8443"} {
		cidr, _ := recmock.Path(gw, "egress", i+1, "to", 0, "ipBlock", "cidr")
		port, _ := recmock.Path(gw, "egress", i+1, "ports", 0, "port")
		if got := fmt.Sprint(cidr, " ", port); got != want {
			t.Errorf("egress[%d] = %s, want %s", i+1, got, want)
		}
	}
	if rules, _ := recmock.Path(gw, "egress"); len(rules.([]any)) != 4 {
		t.Errorf("egress = %v, want the control plane, two backends and the allowed target: no public rule without publicEgress", rules)
	}

	g.PublicEgress = &netpol.PublicEgress{Ports: []int{443}, Justification: "a SaaS API whose addresses rotate hourly"}
	rec, err = run(t, &netpol.PoliciesArgs{Namespace: "gw", Gateway: g})
	if err != nil {
		t.Fatal(err)
	}
	gw = spec(t, rec, netpol.GatewayEgressName)
	v4, _ := recmock.Path(gw, "egress", 3, "to", 0, "ipBlock")
	v6, _ := recmock.Path(gw, "egress", 3, "to", 1, "ipBlock")
	if fmt.Sprint(v4) != "map[cidr:0.0.0.0/0 except:[127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 169.254.0.0/16 0.0.0.0/8 100.64.0.0/10]]" {
		t.Errorf("v4 block = %v", v4)
	}
	if fmt.Sprint(v6) != "map[cidr:::/0 except:[::1/128 fd00::/8 fc00::/8 fe80::/10 64:ff9b::/96 64:ff9b:1::/48]]" {
		t.Errorf("v6 block = %v", v6)
	}
	if port, _ := recmock.Path(gw, "egress", 3, "ports", 0, "port"); port != float64(443) {
		t.Errorf("public port = %v", port)
	}
}

func TestBlocked_CoversSeedRangesAndMetadata(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.31.255.255", "192.168.1.1", "169.254.169.254", "::1", "fd00:ec2::254", "::ffff:10.0.0.1",
		"0.0.0.0", "100.100.100.200", "fe80::1", "fc00::1"} {
		if _, ok := netpol.BlockedAddr(netip.MustParseAddr(a)); !ok {
			t.Errorf("%s not blocked", a)
		}
	}
	for _, a := range []string{"8.8.8.8", "172.32.0.1", "2001:db8::1", "193.0.0.1"} {
		if _, ok := netpol.BlockedAddr(netip.MustParseAddr(a)); ok {
			t.Errorf("%s blocked", a)
		}
	}
}

func TestPolicies_RejectBadArgsAndRegisterNothing(t *testing.T) {
	gw := func(mut func(*netpol.Gateway)) *netpol.Gateway {
		g := &netpol.Gateway{PodLabels: map[string]string{"app": "gw"}}
		mut(g)
		return g
	}
	cases := []struct {
		name string
		args netpol.PoliciesArgs
		want string
	}{
		{"bad namespace", netpol.PoliciesArgs{Namespace: "Bad_NS"}, ".namespace: \"Bad_NS\""},
		{"bad node-local cidr", netpol.PoliciesArgs{Namespace: "a", DNS: netpol.DNS{NodeLocalCIDR: "169.254.20.10"}}, ".dns.nodeLocalCidr"},
		{"empty gateway selector", netpol.PoliciesArgs{Namespace: "a", Gateway: &netpol.Gateway{}}, ".gateway.podLabels"},
		{"bad port", netpol.PoliciesArgs{Namespace: "a", Gateway: gw(func(g *netpol.Gateway) {
			g.ControlPlane = &netpol.Peer{PodLabels: map[string]string{"app": "cp"}, Port: 70000}
		})}, ".gateway.controlPlane.port: 70000"},
		{"unjustified private target", netpol.PoliciesArgs{Namespace: "a", Gateway: gw(func(g *netpol.Gateway) {
			g.AllowedTargets = []netpol.AllowedTarget{{Name: "db", CIDR: "10.0.0.0/24", Ports: []int{5432}}}
		})}, ".gateway.allowedTargets[0].justification"},
		{"ipv4-mapped private target without justification", netpol.PoliciesArgs{Namespace: "a", Gateway: gw(func(g *netpol.Gateway) {
			g.AllowedTargets = []netpol.AllowedTarget{{Name: "md", CIDR: "::ffff:169.254.169.254/128", Ports: []int{80}}}
		})}, ".gateway.allowedTargets[0].justification"},
		{"whitespace justification", netpol.PoliciesArgs{Namespace: "a", Gateway: gw(func(g *netpol.Gateway) {
			g.AllowedTargets = []netpol.AllowedTarget{{Name: "db", CIDR: "10.0.0.0/24", Ports: []int{5432}, Justification: strings.Repeat(" ", 25)}}
		})}, ".gateway.allowedTargets[0].justification"},
		{"node-local dns range", netpol.PoliciesArgs{Namespace: "a", DNS: netpol.DNS{NodeLocalCIDR: "0.0.0.0/0"}}, ".dns.nodeLocalCidr: \"0.0.0.0/0\": NodeLocal DNSCache is one address"},
		{"public egress without ports", netpol.PoliciesArgs{Namespace: "a", Gateway: gw(func(g *netpol.Gateway) {
			g.PublicEgress = &netpol.PublicEgress{Justification: "a SaaS API whose addresses rotate hourly"}
		})}, ".gateway.publicEgress.ports: []: no ports"},
		{"public egress without a justification", netpol.PoliciesArgs{Namespace: "a", Gateway: gw(func(g *netpol.Gateway) {
			g.PublicEgress = &netpol.PublicEgress{Ports: []int{443}, Justification: "because"}
		})}, `.gateway.publicEgress.justification: "because": egress to any public address is a written decision`},
		{"explicit empty dns selector", netpol.PoliciesArgs{Namespace: "a", DNS: netpol.DNS{PodLabels: map[string]string{}}},
			`.dns.podLabels: {}: {} is not "unset": an empty selector would open port 53 to every pod of the DNS namespace — remove the key for the default {k8s-app: kube-dns}`},
		{"metadata target", netpol.PoliciesArgs{Namespace: "a", Gateway: gw(func(g *netpol.Gateway) {
			g.AllowedTargets = []netpol.AllowedTarget{{Name: "md", CIDR: "169.254.169.0/24", Ports: []int{80}, Justification: "we really want the metadata service"}}
		})}, "contains the cloud metadata address"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := run(t, &tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if rec.Len() != 0 {
				t.Fatalf("registered %v", rec.Names())
			}
		})
	}
}

// TestSSRFBlocklist_HoldsNAT64Prefixes: the well-known (RFC 6052) and
// local-use (RFC 8215) NAT64 prefixes are blocklisted ranges, so an "::/0"
// ipBlock must except them (a NAT64 gateway turns 64:ff9b::a9fe:a9fe into
// 169.254.169.254), and a range inside them is refused as a target without
// a justification; an address check still decodes the well-known prefix.
func TestSSRFBlocklist_HoldsNAT64Prefixes(t *testing.T) {
	for _, c := range []string{"64:ff9b::a9fe:a9fe/128", "64:ff9b::/96", "64:ff9b:1::/48", "64:ff9b:1:2::/64"} {
		if _, ok := netpol.Blocked(netip.MustParsePrefix(c)); !ok {
			t.Errorf("%s not in the SSRF blocklist", c)
		}
	}
	if h, ok := netpol.Check(netip.MustParseAddr("64:ff9b::a9fe:a9fe")); !ok || h.Addr != netip.MustParseAddr("169.254.169.254") {
		t.Errorf("Check(64:ff9b::a9fe:a9fe) = %+v, %v; want the embedded 169.254.169.254", h, ok)
	}
	if h, ok := netpol.Check(netip.MustParseAddr("64:ff9b::5db8:d822")); ok {
		t.Errorf("NAT64 address of public 93.184.216.34 refused: %+v", h)
	}
}
