package nodetraffic

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// Cyclonus's traffic model (pkg/matcher.Traffic in cyclonus v0.5.6, read by
// `cyclonus analyze --mode query-traffic --traffic-path`).
type simTraffic struct {
	Source           simPeer
	Destination      simPeer
	ResolvedPort     int
	ResolvedPortName string
	Protocol         string
}

type simPeer struct {
	Internal *simInternal
	IP       string
}

type simInternal struct {
	PodLabels       map[string]string
	NamespaceLabels map[string]string
	Namespace       string
}

// cyclonus prints one "Is allowed? | true|false" footer per traffic, in
// the order of the traffic file (tablewriter upper-cases footers).
var simVerdict = regexp.MustCompile(`(?i)is allowed\?\s*\|\s*(true|false)\s*\|`)

// Simulate computes the matrix with the cyclonus simulator from the
// NetworkPolicies stored in namespaces (read live through the node's
// kubeconfig: the objects as the API server keeps them), the pods' labels
// and IPs and their namespaces' labels. It never looks at the dataplane.
func Simulate(t testing.TB, n *Node, namespaces []string, clients, servers []Peer) *Matrix {
	t.Helper()
	path := labenv.RequireTool(t, "cyclonus", "build it with `bash lab/toolchain.sh cyclonus`")
	nsLabels := map[string]map[string]string{}
	for _, ns := range append(append([]Peer{}, clients...), servers...) {
		if _, ok := nsLabels[ns.Namespace]; ok || ns.Namespace == "" {
			continue
		}
		out, err := n.Kubectl("", "get", "namespace", ns.Namespace, "-o", "jsonpath={.metadata.labels}")
		if err != nil {
			t.Fatal(err)
		}
		l := map[string]string{}
		if err := json.Unmarshal([]byte(out), &l); err != nil {
			t.Fatalf("namespace %s labels %q: %v", ns.Namespace, out, err)
		}
		nsLabels[ns.Namespace] = l
	}
	peer := func(p Peer) simPeer {
		if p.Namespace == "" {
			return simPeer{IP: p.IP}
		}
		return simPeer{IP: p.IP, Internal: &simInternal{PodLabels: p.Labels, NamespaceLabels: nsLabels[p.Namespace], Namespace: p.Namespace}}
	}
	var traffic []simTraffic
	for _, c := range clients {
		for _, s := range servers {
			traffic = append(traffic, simTraffic{Source: peer(c), Destination: peer(s), ResolvedPort: s.Port, Protocol: "TCP"})
		}
	}
	b, err := json.Marshal(traffic)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "traffic.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, "analyze", "--mode", "query-traffic", "--traffic-path", file,
		"-n", strings.Join(namespaces, ","))
	cmd.Env = append(os.Environ(), "KUBECONFIG="+n.Kubeconfig)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cyclonus analyze: %v\n%s", err, out)
	}
	found := simVerdict.FindAllStringSubmatch(string(out), -1)
	if len(found) != len(traffic) {
		t.Fatalf("cyclonus printed %d verdicts for %d traffics:\n%s", len(found), len(traffic), out)
	}
	m := NewMatrix(clients, servers)
	i := 0
	for _, c := range clients {
		for _, s := range servers {
			m.Set(c, s, strings.EqualFold(found[i][1], "true"), "cyclonus")
			i++
		}
	}
	return m
}
