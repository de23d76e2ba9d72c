package nodetraffic_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/tests/nodetraffic"
)

// The local stack's namespaces the matrix puts probes in (Pulumi.local.yaml):
// the two tenants, the ingress namespace and a platform namespace.
const (
	ingressNS  = "rampart-ingress"
	platformNS = "rampart-system"
)

var tenants = []string{"team-a", "team-b"}

// envoyLabels are the labels of Envoy Gateway's proxy pods, which the
// ingress namespace's own policy (ingress-netpol) selects: the ingress
// client stands in for the proxy.
var envoyLabels = map[string]string{"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}

// rendered runs the local stack's program under the recording mock and
// returns its Namespace and NetworkPolicy objects as JSON manifests, exactly
// as Rampart would send them, with the namespace names.
func rendered(t *testing.T) (namespaces, policies []string, names []string) {
	t.Helper()
	rec, _ := testkit.RunStackFile(t, "../..", "Pulumi.local.yaml")
	doc := func(r recmock.Resource) string {
		b, err := json.Marshal(r.Plain())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, r := range rec.ByType("kubernetes:core/v1:Namespace") {
		namespaces = append(namespaces, doc(r))
		name, ok := recmock.Path(r.Plain(), "metadata", "name")
		if !ok {
			t.Fatalf("rendered namespace %s has no metadata.name", r.Name)
		}
		names = append(names, name.(string))
	}
	for _, r := range rec.ByType("kubernetes:networking.k8s.io/v1:NetworkPolicy") {
		policies = append(policies, doc(r))
	}
	for _, want := range append([]string{ingressNS, platformNS}, tenants...) {
		if !slices.Contains(names, want) {
			t.Fatalf("the local stack renders no namespace %s (has %v)", want, names)
		}
	}
	if len(policies) == 0 {
		t.Fatal("the local stack renders no NetworkPolicy")
	}
	return namespaces, policies, names
}

// expectLocal is the expectation for the local stack: traffic
// within a namespace is allowed; the ingress namespace reaches tenants on
// their backend port (8080); everything else (tenant→tenant,
// tenant→ingress, to and from the platform namespace, to CoreDNS on a
// non-DNS port, to the API server) is denied.
func expectLocal(c, s nodetraffic.Peer) bool {
	if s.Namespace == "" || s.Namespace == "kube-system" {
		return false
	}
	if c.Namespace == s.Namespace {
		return true
	}
	return c.Namespace == ingressNS && slices.Contains(tenants, s.Namespace) && s.Port == 8080
}

// TestNodeTraffic_LocalStackPolicies_RealNode applies the Namespaces and
// NetworkPolicies the local stack renders to the lab's real node, puts a
// probe server and client in both tenants, the ingress namespace and a
// platform namespace, and checks every client→server pair (plus CoreDNS's
// non-DNS port and the API server) three ways: expectation, cyclonus over
// the stored policies, and `probe connect`. DNS must resolve over UDP and
// TCP from every client.
func TestNodeTraffic_LocalStackPolicies_RealNode(t *testing.T) {
	n := nodetraffic.RequireNode(t)
	nsDocs, polDocs, names := rendered(t)
	t.Cleanup(func() {
		_, _ = n.Kubectl("", append([]string{"delete", "namespace", "--wait=false", "--ignore-not-found"}, names...)...)
	})
	if _, err := n.Kubectl("", append([]string{"delete", "namespace", "--ignore-not-found", "--timeout=120s"}, names...)...); err != nil {
		t.Fatalf("removing a previous run's namespaces: %v", err)
	}

	start := time.Now()
	n.Apply(t, nsDocs...)
	probeNS := append([]string{ingressNS, platformNS}, tenants...)
	var manifests []string
	for _, ns := range probeNS {
		clientLabels := map[string]string{"app": "probe-client"}
		if ns == ingressNS {
			clientLabels = envoyLabels
		}
		manifests = append(manifests,
			podYAML(n, ns, "server", map[string]string{"app": "probe-server"}, "serve", `":8080"`),
			podYAML(n, ns, "client", clientLabels, "pause"))
	}
	n.Apply(t, manifests...)
	for _, ns := range probeNS {
		if _, err := n.Kubectl("", "wait", "-n", ns, "--for=condition=Ready", "pod", "--all", "--timeout=90s"); err != nil {
			t.Fatalf("probe pods in %s not Ready: %v", ns, err)
		}
	}
	t.Logf("%d namespaces rendered, %d probe pods Ready in %s", len(names), len(manifests), time.Since(start).Round(time.Millisecond))

	var clients, servers []nodetraffic.Peer
	for _, ns := range probeNS {
		cl := map[string]string{"app": "probe-client"}
		if ns == ingressNS {
			cl = envoyLabels
		}
		clients = append(clients, nodetraffic.Peer{Namespace: ns, Pod: "client", Labels: cl, IP: n.PodIP(t, ns, "client")})
		servers = append(servers, nodetraffic.Peer{Namespace: ns, Pod: "server", Labels: map[string]string{"app": "probe-server"},
			IP: n.PodIP(t, ns, "server"), Port: 8080})
	}
	nodeIP, err := n.Kubectl("", "get", "node", n.Name, "-o", `jsonpath={.status.addresses[?(@.type=="InternalIP")].address}`)
	if err != nil || nodeIP == "" {
		t.Fatalf("node %s has no InternalIP (%v)", n.Name, err)
	}
	servers = append(servers,
		nodetraffic.Peer{Namespace: "kube-system", Pod: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"},
			IP: n.PodIP(t, "kube-system", "coredns"), Port: 8080},
		nodetraffic.Peer{Pod: "apiserver", IP: nodeIP, Port: 6443})

	open := nodetraffic.Probe(t, n, clients, servers)
	t.Logf("before Rampart's policies (probe connect):\n%s", open)
	for _, c := range clients {
		for _, s := range servers {
			if !open.Get(c, s) {
				t.Fatalf("without any policy %s cannot reach %s:%d: the dataplane is broken", c, s, s.Port)
			}
		}
	}

	n.Apply(t, polDocs...)
	want := nodetraffic.NewMatrix(clients, servers)
	for _, c := range clients {
		for _, s := range servers {
			want.Set(c, s, expectLocal(c, s), "expected")
		}
	}
	sim := nodetraffic.Simulate(t, n, append(slices.Clone(names), "kube-system"), clients, servers)
	probeStart := time.Now()
	var got *nodetraffic.Matrix
	for range 20 {
		got = nodetraffic.Probe(t, n, clients, servers)
		if len(got.Diff(want, "dataplane", "expectation")) == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("Rampart's local-stack policies (probe connect), matrix in %s:\n%s", time.Since(probeStart).Round(time.Millisecond), got)
	for _, d := range [][]string{
		sim.Diff(want, "cyclonus", "expectation"),
		got.Diff(want, "dataplane", "expectation"),
		got.Diff(sim, "dataplane", "cyclonus"),
	} {
		if len(d) > 0 {
			t.Errorf("disagreement:\n%s", strings.Join(d, "\n"))
		}
	}

	// DNS: every client resolves a Service name over UDP and over TCP
	// (allow-dns), although all its other egress is denied.
	for _, c := range clients {
		for _, proto := range []string{"udp", "tcp"} {
			if line, ok := n.Exec(t, c.Namespace, c.Pod, "lookup", "kube-dns.kube-system.svc.cluster.local", proto); !ok {
				t.Errorf("DNS over %s from %s: %s", strings.ToUpper(proto), c, line)
			}
		}
	}
}
