// Package nodetraffic proves NetworkPolicies by traffic on the lab's node
// (lab/services/node.sh, issue 13): probe pods connect to each other with
// `kubectl exec`, the verdicts form a matrix, and the cyclonus simulator
// computes the same matrix from the policies alone. A policy the API server
// accepts can still be wrong; this is where it shows.
package nodetraffic

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// Node is the lab node's cluster as lab.env describes it.
type Node struct {
	Kubeconfig string // admin kubeconfig (API server through nsforward on 127.0.0.1)
	Name       string // the node's name; test pods set spec.nodeName (no scheduler)
	Image      string // the probe image, imported into the node's containerd
	DNSIP      string // CoreDNS's Service address
	GWNetns    string // the node's gateway network namespace file (its default route)
	kubectl    string
}

// RequireNode returns the lab node. The node is opt-in (`lab/lab.sh up
// node`): without it the test skips with the reason, unless
// RAMPART_REQUIRE_NODE=1, where a missing node is a failure.
func RequireNode(t testing.TB) *Node {
	t.Helper()
	keys := []string{"RAMPART_NODE_KUBECONFIG", "RAMPART_NODE_NAME", "RAMPART_NODE_IMAGE", "RAMPART_NODE_DNS_IP",
		"RAMPART_NODE_GW_NETNS"}
	if os.Getenv("RAMPART_REQUIRE_NODE") != "1" {
		env, err := labenv.Load()
		if err != nil || env["RAMPART_NODE_KUBECONFIG"] == "" {
			t.Skip("lab node not up: run `lab/lab.sh up node` (RAMPART_REQUIRE_NODE=1 makes this a failure)")
		}
	}
	env := labenv.Require(t, keys...)
	n := &Node{Kubeconfig: env["RAMPART_NODE_KUBECONFIG"], Name: env["RAMPART_NODE_NAME"],
		Image: env["RAMPART_NODE_IMAGE"], DNSIP: env["RAMPART_NODE_DNS_IP"], GWNetns: env["RAMPART_NODE_GW_NETNS"]}
	n.kubectl = labenv.RequireTool(t, "kubectl", "build it with `bash lab/toolchain.sh kube`")
	if _, err := n.Kubectl("", "get", "--raw", "/readyz"); err != nil {
		t.Fatalf("lab node's API server (kubeconfig %s) is not ready: %v; run `lab/lab.sh up node`", n.Kubeconfig, err)
	}
	return n
}

// Kubectl runs kubectl against the node with stdin (if any) and returns
// stdout; the error carries stderr.
func (n *Node) Kubectl(stdin string, args ...string) (string, error) {
	cmd := exec.Command(n.kubectl, append([]string{"--kubeconfig", n.Kubeconfig}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w: %s%s", strings.Join(args, " "), err, errb.String(), out.String())
	}
	return out.String(), nil
}

// Apply applies YAML or JSON manifests (server-side, so re-applies are
// no-ops). The stream starts with "---": kubectl reads a stream whose first
// byte is "{" as JSON only, and would stop at the second document's
// separator.
func (n *Node) Apply(t testing.TB, manifests ...string) {
	t.Helper()
	if _, err := n.Kubectl("---\n"+strings.Join(manifests, "\n---\n"), "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

// Exec runs a probe subcommand in pod ns/name and returns its one-line
// verdict and whether it succeeded. A failed check (exit 1) is a verdict,
// not an error; anything else (no such pod, exec refused) fails the test.
func (n *Node) Exec(t testing.TB, ns, pod string, probeArgs ...string) (string, bool) {
	t.Helper()
	line, ok, err := n.exec(ns, pod, probeArgs...)
	if err != nil {
		t.Fatal(err)
	}
	return line, ok
}

// exec is Exec without the test: safe to call from several goroutines.
func (n *Node) exec(ns, pod string, probeArgs ...string) (string, bool, error) {
	out, err := n.Kubectl("", append([]string{"exec", "-n", ns, pod, "--", "/probe"}, probeArgs...)...)
	line := strings.TrimSpace(out)
	if err == nil {
		return line, true, nil
	}
	for _, v := range []string{"REFUSED ", "TIMEOUT ", "ERROR ", "FAIL ", "READ-ONLY "} {
		if strings.HasPrefix(line, v) {
			return line, false, nil
		}
	}
	return "", false, fmt.Errorf("probe %s in %s/%s did not run: %w", strings.Join(probeArgs, " "), ns, pod, err)
}

// PodIP returns ns/pod's IP.
func (n *Node) PodIP(t testing.TB, ns, pod string) string {
	t.Helper()
	ip, err := n.Kubectl("", "get", "pod", "-n", ns, pod, "-o", "jsonpath={.status.podIP}")
	if err != nil || ip == "" {
		t.Fatalf("pod %s/%s has no IP (%v)", ns, pod, err)
	}
	return ip
}

// TokenKubeconfig writes a kubeconfig for ServiceAccount ns/sa: the admin
// kubeconfig's cluster (server and CA) with a short-lived token from the
// TokenRequest API, so a command runs with exactly that account's rights.
func (n *Node) TokenKubeconfig(t testing.TB, ns, sa string) string {
	t.Helper()
	token, err := n.Kubectl("", "create", "token", sa, "-n", ns, "--duration=1h")
	if err != nil {
		t.Fatalf("token for %s/%s (does the stack render it?): %v", ns, sa, err)
	}
	server, err := n.Kubectl("", "config", "view", "--raw", "--minify", "--flatten", "-o", "jsonpath={.clusters[0].cluster.server}")
	if err != nil {
		t.Fatal(err)
	}
	ca, err := n.Kubectl("", "config", "view", "--raw", "--minify", "--flatten", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}")
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: node, cluster: {server: %q, certificate-authority-data: %q}}]
users: [{name: %s, user: {token: %q}}]
contexts: [{name: %s, context: {cluster: node, user: %s}}]
current-context: %s
`, server, ca, sa, strings.TrimSpace(token), sa, sa, sa)
	path := filepath.Join(t.TempDir(), sa+".kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
