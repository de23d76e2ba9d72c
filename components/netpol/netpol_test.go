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

func TestPolicies_TenantIsolationAdmitsOwnAndIngressNamespace(t *testing.T) {
	rec, err := run(t, &netpol.PoliciesArgs{Namespace: "team-a", Isolation: true, IngressNamespaces: []string{"rampart-ingress"}})
	if err != nil {
		t.Fatal(err)
	}
	iso := spec(t, rec, netpol.TenantIsolationName)
	var from []string
	peers, _ := recmock.Path(iso, "ingress", 0, "from")
	for _, p := range peers.([]any) {
		v, _ := recmock.Path(p, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name")
		from = append(from, v.(string))
	}
	if strings.Join(from, ",") != "team-a,rampart-ingress" {
		t.Errorf("ingress from = %v", from)
	}
	if to, _ := recmock.Path(iso, "egress", 0, "to", 0, "podSelector"); len(to.(map[string]any)) != 0 {
		t.Errorf("egress to = %v, want same-namespace pods", to)
	}
}

func TestPolicies_GatewayEgressExceptsSSRFBlocklist(t *testing.T) {
	rec, err := run(t, &netpol.PoliciesArgs{Namespace: "gw", Gateway: &netpol.Gateway{
		PodLabels:    map[string]string{"app": "gateway"},
		ControlPlane: &netpol.Peer{PodLabels: map[string]string{"app": "control-plane-api"}, Port: 8000},
		AllowedTargets: []netpol.AllowedTarget{{Name: "core", CIDR: "10.40.12.0/24", Ports: []int{8443},
			Justification: "core banking API on the private network"}},
	}})
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
	v4, _ := recmock.Path(gw, "egress", 1, "to", 0, "ipBlock")
	v6, _ := recmock.Path(gw, "egress", 1, "to", 1, "ipBlock")
	if fmt.Sprint(v4) != "map[cidr:0.0.0.0/0 except:[127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 169.254.0.0/16 0.0.0.0/8 100.64.0.0/10]]" {
		t.Errorf("v4 block = %v", v4)
	}
	if fmt.Sprint(v6) != "map[cidr:::/0 except:[::1/128 fd00::/8 fc00::/8 fe80::/10 64:ff9b::/96 64:ff9b:1::/48]]" {
		t.Errorf("v6 block = %v", v6)
	}
	if port, _ := recmock.Path(gw, "egress", 1, "ports", 0, "port"); port != float64(443) {
		t.Errorf("https port = %v", port)
	}
	allowed, _ := recmock.Path(gw, "egress", 2, "to", 0, "ipBlock", "cidr")
	if allowed != "10.40.12.0/24" {
		t.Errorf("allowed target = %v", allowed)
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
		{"explicit https port 0", netpol.PoliciesArgs{Namespace: "a", Gateway: gw(func(g *netpol.Gateway) { g.HTTPSPort = new(0) })},
			`.gateway.httpsPort: 0: 0 is not "unset": it is no port, and a NetworkPolicy rule without a port opens every port — remove the key for the default 443`},
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
