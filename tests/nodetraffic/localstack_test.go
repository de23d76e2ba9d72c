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

// Hosts outside the cluster, in a namespace the test creates: the cloud
// metadata address, two RFC 1918 addresses, the "public" backend team-a's
// web and the gateway declare (TEST-NET-3, outside every range of the SSRF
// blocklist) and another public address nobody declares (TEST-NET-2).
var outsideHosts = map[string]string{
	"metadata": "169.254.169.254", "rfc1918-10": "10.200.0.10", "rfc1918-192": "192.168.77.10", "public": "203.0.113.10",
	"public-other": "198.51.100.10",
}

// outsideNS is a namespace Rampart does not manage (no policy at all).
const outsideNS = "nt-outside"

// gatewayLabels and controlPlaneLabels are the local stack's
// rampart:gateway podLabels and controlPlane.podLabels (Pulumi.local.yaml).
var (
	gatewayLabels      = testkit.LocalGatewayLabels
	controlPlaneLabels = testkit.LocalControlPlaneLabels
)

// appPod is a probe pod of a tenant: the app its labels make it (Pulumi.local.yaml:
// team-a's web and api, team-b's web; "stray" is no app).
type appPod struct{ ns, name string }

// The tenants' probe pods: per app a server on 8080 and 9090 and a client
// pod carrying the same labels (two pods of one app reach each other only
// if the app declares it).
var appPods = []appPod{{"team-a", "web"}, {"team-a", "api"}, {"team-a", "stray"}, {"team-b", "web"}}

// expectLocal is the expectation for the local stack's apps and
// platform: within a platform namespace traffic is allowed; the ingress
// proxies reach each tenant's web on 8080 (its exposed port) only, never
// 9090 or api; team-a's web reaches api on 9090 and the declared public
// address on 443, nothing else; api, stray and team-b's web reach nothing
// but DNS; nothing reaches a tenant from another tenant; every namespace
// reaches CoreDNS on 53 only; the gateway reaches its one backend's address
// on 443 only (never another public address, the metadata address or a
// private range); a namespace Rampart does not manage reaches everything
// but Rampart's namespaces; everything else is denied.
func expectLocal(c, s nodetraffic.Peer) bool {
	rampartNS := s.Namespace != "" && s.Namespace != "kube-system" && s.Namespace != outsideNS
	app := func(p nodetraffic.Peer, ns, name string) bool { return p.Namespace == ns && p.Labels["app"] == name }
	switch {
	case c.Namespace == outsideNS:
		return !rampartNS
	case s.Namespace == "": // outside the cluster, or the API server on the node address
		declared := app(c, platformNS, gatewayLabels["app"]) || app(c, "team-a", "web")
		return declared && s.Pod == "public" && s.Port == 443
	case s.Namespace == "kube-system":
		return s.Port == 53 // allow-dns: CoreDNS on 53 only
	case slices.Contains(tenants, c.Namespace) || slices.Contains(tenants, s.Namespace):
		proxy := c.Namespace == ingressNS && c.Labels["app.kubernetes.io/component"] == "proxy"
		return (proxy && s.Labels["app"] == "web" && s.Port == 8080) ||
			(app(c, "team-a", "web") && app(s, "team-a", "api") && s.Port == 9090)
	}
	return c.Namespace == s.Namespace
}

// probeUntil re-probes until the dataplane matches want (the enforcer
// applies a change within its sync of the watch event), a bounded number of
// times, and returns the last matrix.
func probeUntil(t *testing.T, n *nodetraffic.Node, want *nodetraffic.Matrix) *nodetraffic.Matrix {
	t.Helper()
	var got *nodetraffic.Matrix
	for range 10 {
		got = nodetraffic.Probe(t, n, want.Clients, want.Servers)
		if len(got.Diff(want, "dataplane", "expectation")) == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	return got
}

// agree fails the test on any disagreement between the three matrices.
func agree(t *testing.T, what string, got, sim, want *nodetraffic.Matrix) {
	t.Helper()
	for _, d := range [][]string{
		sim.Diff(want, "cyclonus", "expectation"),
		got.Diff(want, "dataplane", "expectation"),
		got.Diff(sim, "dataplane", "cyclonus"),
	} {
		if len(d) > 0 {
			t.Errorf("%s: disagreement:\n%s", what, strings.Join(d, "\n"))
		}
	}
}

// TestNodeTraffic_LocalStackPolicies_RealNode applies the Namespaces and
// NetworkPolicies the local stack renders to the lab's real node and
// checks every client→server pair three ways (expectation, cyclonus over
// the stored policies, `probe connect`): in team-a its apps web and api and
// a pod of no app, in team-b its web, each serving 8080 and 9090 and each
// also a client; a server and client in the ingress namespace (the client
// carries Envoy's proxy labels) and the platform namespace (the client is
// the gateway, the server the control-plane API, also on its port 8000), a
// client in a namespace Rampart does not manage, CoreDNS's non-DNS port,
// the API server, and outside hosts (metadata address, RFC 1918, the
// declared public backend and another public address) on 443, 80 and 53.
// DNS must resolve over UDP and TCP from every client. Then drift: team-a's
// default-deny-all deleted out of band shows as a hole (the pod of no app
// is open), and re-applying the rendering closes it.
func TestNodeTraffic_LocalStackPolicies_RealNode(t *testing.T) {
	n := nodetraffic.RequireNode(t)
	nsDocs, polDocs, names := rendered(t)
	all := append(slices.Clone(names), outsideNS)
	// The local stack may be deployed on the node already (RAMPART_LAB_NODE=1
	// make up): its namespaces are then used as they are (the rendering
	// applied over them changes nothing) and only this test's pods are
	// removed afterwards; namespaces this test creates, it deletes.
	existing := map[string]bool{}
	for _, ns := range all {
		phase, err := n.Kubectl("", "get", "namespace", ns, "-o", "jsonpath={.status.phase}")
		switch {
		case err != nil: // absent
		case phase == "Terminating":
			if _, err := n.Kubectl("", "wait", "--for=delete", "namespace/"+ns, "--timeout=120s"); err != nil {
				t.Fatalf("namespace %s is still terminating: %v", ns, err)
			}
		default:
			existing[ns] = true
		}
	}
	podsOf := map[string][]string{} // the probe pods this test creates, by namespace
	t.Cleanup(func() {
		for _, ns := range all {
			if existing[ns] {
				_, _ = n.Kubectl("", append([]string{"delete", "pod", "-n", ns, "--wait=false", "--ignore-not-found"}, podsOf[ns]...)...)
			} else {
				_, _ = n.Kubectl("", "delete", "namespace", ns, "--wait=false", "--ignore-not-found")
			}
		}
	})
	var hostIPs []string
	for _, ip := range outsideHosts {
		hostIPs = append(hostIPs, ip)
	}
	slices.Sort(hostIPs)
	nodetraffic.StartOutside(t, n.GWNetns, hostIPs, 443, 80, 53)

	start := time.Now()
	n.Apply(t, nsDocs...)
	n.Apply(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: "+outsideNS+"}")
	probeNS := []string{ingressNS, platformNS}
	var clients, servers []nodetraffic.Peer
	var manifests []string
	add := func(ns, pod string, labels map[string]string, args ...string) {
		manifests = append(manifests, podYAML(n, ns, pod, labels, args...))
		podsOf[ns] = append(podsOf[ns], pod)
	}
	for _, ns := range probeNS {
		cl, sl, args := envoyLabels, map[string]string{"app": "probe-server"}, []string{"serve", `":8080"`}
		if ns == platformNS {
			cl, sl, args = gatewayLabels, controlPlaneLabels, []string{"serve", `":8080"`, `":8000"`}
		}
		add(ns, "server", sl, args...)
		add(ns, "client", cl, "pause")
		clients = append(clients, nodetraffic.Peer{Namespace: ns, Pod: "client", Labels: cl})
		servers = append(servers, nodetraffic.Peer{Namespace: ns, Pod: "server", Labels: sl, Port: 8080})
		if ns == platformNS {
			servers = append(servers, nodetraffic.Peer{Namespace: ns, Pod: "server", Labels: sl, Port: 8000})
		}
	}
	for _, p := range appPods {
		// The client is a second pod of the app: a pod's connection to its
		// own address never leaves it, so no policy can govern it.
		labels := map[string]string{"app": p.name}
		add(p.ns, p.name, labels, "serve", `":8080"`, `":9090"`)
		add(p.ns, p.name+"-client", labels, "pause")
		clients = append(clients, nodetraffic.Peer{Namespace: p.ns, Pod: p.name + "-client", Labels: labels})
		for _, port := range []int{8080, 9090} {
			servers = append(servers, nodetraffic.Peer{Namespace: p.ns, Pod: p.name, Labels: labels, Port: port})
		}
	}
	add(outsideNS, "client", map[string]string{"app": "probe-client"}, "pause")
	clients = append(clients, nodetraffic.Peer{Namespace: outsideNS, Pod: "client", Labels: map[string]string{"app": "probe-client"}})
	n.Apply(t, manifests...)
	// Only this test's pods: a stack deployed on the node (make up) leaves
	// pods that are never Ready in the same namespaces, such as the
	// completed certgen Job's in rampart-ingress.
	for ns, pods := range podsOf {
		args := append([]string{"wait", "-n", ns, "--for=condition=Ready", "--timeout=90s"}, prefixed("pod/", pods)...)
		if _, err := n.Kubectl("", args...); err != nil {
			t.Fatalf("probe pods in %s not Ready: %v", ns, err)
		}
	}
	t.Logf("%d namespaces rendered (%d already on the cluster), %d probe pods Ready in %s", len(names), len(existing), len(manifests),
		time.Since(start).Round(time.Millisecond))
	for i := range clients {
		clients[i].IP = n.PodIP(t, clients[i].Namespace, clients[i].Pod)
	}
	for i := range servers {
		servers[i].IP = n.PodIP(t, servers[i].Namespace, servers[i].Pod)
	}
	nodeIP, err := n.Kubectl("", "get", "node", n.Name, "-o", `jsonpath={.status.addresses[?(@.type=="InternalIP")].address}`)
	if err != nil || nodeIP == "" {
		t.Fatalf("node %s has no InternalIP (%v)", n.Name, err)
	}
	corednsIP := n.PodIP(t, "kube-system", "coredns")
	servers = append(servers,
		nodetraffic.Peer{Namespace: "kube-system", Pod: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"}, IP: corednsIP, Port: 53},
		nodetraffic.Peer{Namespace: "kube-system", Pod: "coredns", Labels: map[string]string{"k8s-app": "kube-dns"}, IP: corednsIP, Port: 8080},
		nodetraffic.Peer{Pod: "apiserver", IP: nodeIP, Port: 6443})
	for _, name := range []string{"metadata", "rfc1918-10", "rfc1918-192", "public", "public-other"} {
		servers = append(servers, nodetraffic.Peer{Pod: name, IP: outsideHosts[name], Port: 443})
	}
	servers = append(servers, nodetraffic.Peer{Pod: "public", IP: outsideHosts["public"], Port: 80},
		nodetraffic.Peer{Pod: "public", IP: outsideHosts["public"], Port: 53})

	// A deployed stack's policies are removed for the baseline; the rendering
	// applied below puts back the objects Pulumi.local.yaml renders, and the
	// cleanup puts back every other one this test deleted (a stack deployed
	// by `make up` also carries the Envoy Gateway chart's policies), so the
	// stack is left as it was found.
	for _, ns := range names {
		if existing[ns] {
			saved, err := n.Kubectl("", "get", "networkpolicy", "-n", ns, "-o", "json")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { restorePolicies(t, n, saved) })
			if _, err := n.Kubectl("", "delete", "networkpolicy", "--all", "-n", ns); err != nil {
				t.Fatal(err)
			}
		}
	}
	open := nodetraffic.Probe(t, n, clients, servers)
	t.Logf("before Rampart's policies (probe connect):\n%s", open)
	for _, c := range clients {
		for _, s := range servers {
			if !open.Get(c, s) {
				t.Fatalf("without any policy %s cannot reach %s: the dataplane is broken", c, s.Target())
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
	simNS := append(slices.Clone(all), "kube-system")
	sim := nodetraffic.Simulate(t, n, simNS, clients, servers)
	probeStart := time.Now()
	got := probeUntil(t, n, want)
	t.Logf("Rampart's local-stack policies (probe connect), matrix of %d pairs in %s:\n%s",
		len(clients)*len(servers), time.Since(probeStart).Round(time.Millisecond), got)
	agree(t, "local stack", got, sim, want)

	// DNS: every client resolves a Service name over UDP and over TCP
	// (allow-dns), although all its other egress is denied.
	for _, c := range clients {
		for _, proto := range []string{"udp", "tcp"} {
			if line, ok := n.Exec(t, c.Namespace, c.Pod, "lookup", "kube-dns.kube-system.svc.cluster.local", proto); !ok {
				t.Errorf("DNS over %s from %s: %s", strings.ToUpper(proto), c, line)
			}
		}
	}

	// Drift by traffic. team-a's default-deny-all deleted out of band: the
	// apps' policies still hold web and api, but the pod of no app is open
	// to every client that may send (the matrix shows the hole), and
	// cyclonus agrees.
	if _, err := n.Kubectl("", "delete", "networkpolicy", "-n", "team-a", "default-deny-all"); err != nil {
		t.Fatal(err)
	}
	holeSim := nodetraffic.Simulate(t, n, simNS, clients, servers)
	hole := probeUntil(t, n, holeSim)
	t.Logf("team-a's default-deny-all deleted out of band (probe connect):\n%s", hole)
	if d := hole.Diff(holeSim, "dataplane", "cyclonus"); len(d) > 0 {
		t.Errorf("drifted: dataplane and cyclonus disagree:\n%s", strings.Join(d, "\n"))
	}
	d := hole.Diff(want, "drifted dataplane", "expectation")
	if len(d) == 0 {
		t.Error("deleting team-a's default-deny-all left no hole in the matrix: the matrix cannot see drift")
	} else {
		t.Logf("the hole (%d pairs):\n%s", len(d), strings.Join(d, "\n"))
	}
	for _, line := range d {
		if !strings.Contains(line, "team-a/stray") {
			t.Errorf("a hole outside the pod of no app: the apps' own policies should still hold: %s", line)
		}
	}
	// Re-applying the rendering (what `rampart drift --fix` restores) closes it.
	n.Apply(t, polDocs...)
	got = probeUntil(t, n, want)
	agree(t, "policies re-applied", got, nodetraffic.Simulate(t, n, simNS, clients, servers), want)
}

// prefixed returns each name with prefix (kubectl's kind/name form).
func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// restorePolicies recreates the NetworkPolicies of a `kubectl get -o json`
// list that are absent now, as they were (their server-set metadata
// dropped, so they can be created again).
func restorePolicies(t *testing.T, n *nodetraffic.Node, list string) {
	t.Helper()
	var l struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(list), &l); err != nil {
		t.Errorf("restoring policies: %v", err)
		return
	}
	for _, it := range l.Items {
		md, _ := it["metadata"].(map[string]any)
		ns, _ := md["namespace"].(string)
		name, _ := md["name"].(string)
		if _, err := n.Kubectl("", "get", "networkpolicy", "-n", ns, name); err == nil {
			continue
		}
		for _, k := range []string{"resourceVersion", "uid", "creationTimestamp", "managedFields", "generation"} {
			delete(md, k)
		}
		delete(it, "status")
		b, err := json.Marshal(it)
		if err != nil {
			t.Errorf("restoring %s/%s: %v", ns, name, err)
			continue
		}
		if _, err := n.Kubectl(string(b), "create", "-f", "-"); err != nil {
			t.Errorf("restoring %s/%s: %v", ns, name, err)
		}
	}
}
