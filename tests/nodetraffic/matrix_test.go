package nodetraffic_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/tests/nodetraffic"
)

// Two namespaces, each with a probe server (HTTP :8080, behind a Service)
// and an idle probe client, all under the restricted Pod Security level.
var namespaces = []string{"nt-a", "nt-b"}

func namespaceYAML(ns string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %s
  labels:
    pod-security.kubernetes.io/enforce: restricted
    rampart.test/traffic: "true"
---
apiVersion: v1
kind: Service
metadata: {name: server, namespace: %s}
spec:
  selector: {app: server}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]`, ns, ns)
}

// podYAML is a probe pod as Rampart's restricted template runs it: uid
// 10000, no privilege escalation, every capability dropped, read-only root,
// RuntimeDefault seccomp, pinned to the node. Its requests are explicit and
// small: in Rampart's namespaces the LimitRange would give each
// container 250m, and the local-stack test's eight pods alone would then ask
// for the node's two CPUs, so the kubelet refused one with OutOfcpu whenever
// anything else ran (the CI failure of TestNodeTraffic_LocalStackPolicies).
func podYAML(n *nodetraffic.Node, ns, name string, labels map[string]string, args ...string) string {
	ports, probe := "", ""
	if args[0] == "serve" {
		ports = "\n    ports: [{name: http, containerPort: 8080, protocol: TCP}]"
		probe = "\n    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}"
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: %s
  labels: %s
spec:
  nodeName: %s
  terminationGracePeriodSeconds: 1
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 10000
    runAsGroup: 10000
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: probe
    image: %s
    imagePullPolicy: Never
    args: [%s]%s%s
    resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 64Mi}}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}`, name, ns, flowMap(labels), n.Name, n.Image, strings.Join(args, ", "), ports, probe)
}

// flowMap renders labels as a YAML flow mapping (JSON is YAML).
func flowMap(labels map[string]string) string {
	b, _ := json.Marshal(labels)
	return string(b)
}

// The policies under test: nt-a denies all ingress but from its own
// namespace; nt-b denies all ingress but from nt-a's clients on TCP 8080.
const policiesYAML = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress, namespace: nt-a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-same-namespace, namespace: nt-a}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress, namespace: nt-b}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-nt-a-clients, namespace: nt-b}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: nt-a}}
      podSelector: {matchLabels: {app: client}}
    ports: [{protocol: TCP, port: 8080}]`

// TestNodeTraffic_HandWrittenPoliciesHoldByTraffic_RealNode checks the
// harness, not Rampart's rendering (TestNodeTraffic_LocalStackPolicies_RealNode
// does that): on the lab's real node, with hand-written policies. With no
// policy every client reaches every server (the dataplane
// works, so a later deny is the policy's doing); with the policies the
// matrix measured by `probe connect` equals both the expected matrix and
// the one cyclonus computes from the stored policies. DNS resolves the
// servers' Services over UDP and TCP from a restricted pod.
func TestNodeTraffic_HandWrittenPoliciesHoldByTraffic_RealNode(t *testing.T) {
	n := nodetraffic.RequireNode(t)
	t.Cleanup(func() {
		_, _ = n.Kubectl("", "delete", "namespace", "nt-a", "nt-b", "--wait=false", "--ignore-not-found")
	})
	_, _ = n.Kubectl("", "delete", "namespace", "nt-a", "nt-b", "--ignore-not-found", "--timeout=60s")

	start := time.Now()
	// Services before pods: a name queried before its Service exists is
	// cached as missing by CoreDNS for 30 s.
	n.Apply(t, namespaceYAML("nt-a"), namespaceYAML("nt-b"))
	var manifests []string
	for _, ns := range namespaces {
		manifests = append(manifests, podYAML(n, ns, "server", map[string]string{"app": "server"}, "serve", `":8080"`),
			podYAML(n, ns, "client", map[string]string{"app": "client"}, "pause"))
	}
	n.Apply(t, manifests...)
	for _, ns := range namespaces {
		if _, err := n.Kubectl("", "wait", "-n", ns, "--for=condition=Ready", "pod", "--all", "--timeout=90s"); err != nil {
			t.Fatalf("probe pods in %s not Ready: %v", ns, err)
		}
	}
	t.Logf("probe pods Ready in %s", time.Since(start).Round(time.Millisecond))

	var clients, servers []nodetraffic.Peer
	for _, ns := range namespaces {
		clients = append(clients, nodetraffic.Peer{Namespace: ns, Pod: "client", Labels: map[string]string{"app": "client"}, IP: n.PodIP(t, ns, "client")})
		servers = append(servers, nodetraffic.Peer{Namespace: ns, Pod: "server", Labels: map[string]string{"app": "server"}, IP: n.PodIP(t, ns, "server"), Port: 8080})
	}

	open := nodetraffic.Probe(t, n, clients, servers)
	t.Logf("no policy (probe connect):\n%s", open)
	for _, c := range clients {
		for _, s := range servers {
			if !open.Get(c, s) {
				t.Fatalf("without any policy %s cannot reach %s: the dataplane is broken, no verdict below would mean anything", c, s)
			}
		}
	}

	for _, ns := range namespaces {
		for _, proto := range []string{"udp", "tcp"} {
			name := "server." + ns + ".svc.cluster.local"
			if line, ok := n.Exec(t, "nt-a", "client", "lookup", name, proto); !ok {
				t.Errorf("DNS over %s from nt-a/client: %s", strings.ToUpper(proto), line)
			}
		}
	}

	n.Apply(t, policiesYAML)
	want := nodetraffic.NewMatrix(clients, servers)
	expect := map[string]bool{"nt-a/client>nt-a/server": true, "nt-a/client>nt-b/server": true}
	for _, c := range clients {
		for _, s := range servers {
			want.Set(c, s, expect[c.String()+">"+s.String()], "expected")
		}
	}
	sim := nodetraffic.Simulate(t, n, namespaces, clients, servers)
	if d := sim.Diff(want, "cyclonus", "expectation"); len(d) > 0 {
		t.Errorf("simulator and expectation disagree:\n%s", strings.Join(d, "\n"))
	}
	// The enforcer applies a policy within its sync of the watch event:
	// re-probe until it holds, a bounded number of times.
	probeStart := time.Now()
	var got *nodetraffic.Matrix
	for range 20 {
		got = nodetraffic.Probe(t, n, clients, servers)
		if len(got.Diff(want, "dataplane", "expectation")) == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("with policies (probe connect; cyclonus agrees: %v), matrix in %s:\n%s",
		len(sim.Diff(got, "cyclonus", "dataplane")) == 0, time.Since(probeStart).Round(time.Millisecond), got)
	if d := got.Diff(want, "dataplane", "expectation"); len(d) > 0 {
		t.Errorf("dataplane and expectation disagree:\n%s", strings.Join(d, "\n"))
	}
	if d := got.Diff(sim, "dataplane", "cyclonus"); len(d) > 0 {
		t.Errorf("dataplane and cyclonus disagree:\n%s", strings.Join(d, "\n"))
	}
}
