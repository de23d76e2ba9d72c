package nodetraffic_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
	"github.com/rampart-dev/rampart/tests/nodetraffic"
)

// gwPrefix keeps this stack's namespaces (and its Envoy Gateway install)
// apart from the other node tests' and from `make up`'s.
const gwPrefix = "ng-"

// fetched is one line of `probe fetch` (lab/tools/probe/cmd/probe/fetch.go).
type fetched struct {
	OK       bool                `json:"ok"`
	Error    string              `json:"error"`
	Version  string              `json:"version"`
	Cipher   string              `json:"cipher"`
	ALPN     string              `json:"alpn"`
	Chain    []string            `json:"chain"`
	Status   int                 `json:"status"`
	Headers  map[string][]string `json:"headers"`
	Location string              `json:"location"`
	Body     string              `json:"body"`
}

// vantage runs `probe fetch` from one place: a client pod, or the node's
// own network namespace.
type vantage struct {
	name  string
	fetch func(t *testing.T, args ...string) fetched
}

// aeadSuites are the TLS 1.2 suites Rampart allows (DefaultCiphers, in Go's
// names); TLS 1.3 suites are all AEAD.
var aeadSuites = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
}

// TestNodeGateway_HandshakesRedirectHeadersAndDrift_RealEnvoy: Rampart's
// program with Envoy Gateway's chart on (the lab's stack overlay: the chart
// from the module zip, the images built here by digest, the CRDs left to
// the lab) is deployed onto the node with the real Pulumi CLI. Envoy
// Gateway's real controller creates the real Envoy proxy; the listeners'
// certificates are signed by the lab OpenBao's PKI role (the stand-in for
// cert-manager's controller, lab/node/gateway-certs.sh); the Gateway must
// report Programmed. Then, by traffic from a client pod in a namespace
// Rampart does not manage and from the node's own network:
//   - TLS 1.1 fails on every HTTPS listener; 1.2 and 1.3 succeed with AEAD
//     suites only and ALPN h2; the chain verifies to the lab OpenBao's root;
//   - plain HTTP gets a 301 to https;
//   - team-a's backend answers with HSTS (≥ 1 year, includeSubDomains) and
//     the five security headers with their exact values;
//   - a route team-b writes for team-a's host is refused and team-a's host
//     still reaches team-a's backend;
//   - the real pods' ports: the proxy's 10080/10443 are open to anyone, the
//     controller's xDS (18000) only to the proxies, and a pod with the
//     proxies' labels cannot reach the metadata address that an unmanaged
//     pod reaches;
//   - drift: the ClientTrafficPolicy's floor lowered to 1.0 out of band makes
//     a 1.1 handshake succeed and `rampart drift` exit 2 naming it; `rampart
//     drift --fix` restores it and 1.1 fails again.
func TestNodeGateway_HandshakesRedirectHeadersAndDrift_RealEnvoy(t *testing.T) {
	n := nodetraffic.RequireNode(t)
	labenv.RequireCommand(t, "pulumi")
	env := labenv.Require(t, "RAMPART_NODE_STACK_OVERLAY", "RAMPART_NODE_NETNS")
	probeBin := labenv.RequireTool(t, "probe", "build it with `bash lab/toolchain.sh probe`")
	repo := labenv.RepoRoot(t)
	t.Setenv("KUBECONFIG", n.Kubeconfig)
	teamA, teamB, ingNS, outside := gwPrefix+"team-a", gwPrefix+"team-b", gwPrefix+"rampart-ingress", gwPrefix+"outside"
	hostA, hostB := "team-a.platform.rampart.test", "team-b.platform.rampart.test"

	work := t.TempDir()
	testkit.WriteProject(t, "../..", work)
	cfg := testkit.PrefixedLocalConfig(gwPrefix)
	route := func(host, ns string) map[string]any {
		return map[string]any{"host": host, "namespace": ns, "backend": map[string]any{"service": "web", "port": 8080}}
	}
	cfg["rampart:ingress"] = map[string]any{"enabled": true, "namespace": ingNS, "domain": "platform.rampart.test",
		"routes": []any{route(hostA, teamA), route(hostB, teamB)}}
	stackFile, _ := json.Marshal(map[string]any{"config": cfg})
	if err := os.WriteFile(filepath.Join(work, "Pulumi.nodegateway.yaml"), stackFile, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stk, err := auto.UpsertStackInlineSource(ctx, "nodegateway", "rampart", stacks.Program,
		auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert the nodegateway stack: %v", err)
	}
	overlay := readOverlay(t, env["RAMPART_NODE_STACK_OVERLAY"])
	if err := stk.SetAllConfigWithOptions(ctx, overlay, &auto.ConfigOptions{Path: true}); err != nil {
		t.Fatalf("the lab's stack overlay: %v", err)
	}
	if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("clean up a previous run: %v", err)
	}
	t.Cleanup(func() {
		_, _ = n.Kubectl("", "delete", "namespace", outside, "--wait=false", "--ignore-not-found")
		_, _ = stk.Destroy(ctx)
	})
	start := time.Now()
	if _, err := stk.Up(ctx, optup.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("pulumi up of Rampart's program with Envoy Gateway on the node: %v", err)
	}
	t.Logf("pulumi up with Envoy Gateway's chart in %s", time.Since(start).Round(time.Millisecond))

	// The route backends (probe servers behind Service web:8080) and the
	// clients: one in a namespace Rampart does not manage, one carrying the
	// proxies' labels in the ingress namespace (the metadata check).
	n.Apply(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: "+outside+"}")
	caOut, err := exec.Command("bash", filepath.Join(repo, "lab/node/gateway-certs.sh"), n.Kubeconfig, ingNS).Output()
	if err != nil {
		t.Fatalf("lab/node/gateway-certs.sh: %v", err)
	}
	caFile := strings.TrimSpace(string(caOut))
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	caCM, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "ingress-ca", "namespace": outside}, "data": map[string]string{"ca.crt": string(caPEM)}})
	manifests := []string{string(caCM), clientWithCA(n, outside), podYAML(n, ingNS, "proxy-standin", envoyLabels, "pause")}
	for _, ns := range []string{teamA, teamB} {
		// The pod's name is its hostname, the first word of probe serve's answer.
		manifests = append(manifests, podYAML(n, ns, "web-"+ns, map[string]string{"app": "web"}, "serve", `":8080"`),
			fmt.Sprintf(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":%q},"spec":{"selector":{"app":"web"},"ports":[{"port":8080,"targetPort":8080}]}}`, ns))
	}
	n.Apply(t, manifests...)
	for _, ns := range []string{teamA, teamB, outside} {
		if _, err := n.Kubectl("", "wait", "-n", ns, "--for=condition=Ready", "pod", "--all", "--timeout=90s"); err != nil {
			t.Fatalf("pods in %s not Ready: %v", ns, err)
		}
	}
	gw := strings.TrimSpace(kubectl(t, n, "get", "gateways.gateway.networking.k8s.io", "-n", ingNS, "-o", "jsonpath={.items[0].metadata.name}"))
	if _, err := n.Kubectl("", "wait", "-n", ingNS, "--for=condition=Programmed", "gateways.gateway.networking.k8s.io/"+gw, "--timeout=240s"); err != nil {
		out, _ := n.Kubectl("", "get", "-n", ingNS, "gateways.gateway.networking.k8s.io/"+gw, "-o", "yaml")
		pods, _ := n.Kubectl("", "get", "pods", "-n", ingNS, "-o", "wide")
		t.Fatalf("Gateway %s/%s is not Programmed: %v\n%s\n%s", ingNS, gw, err, out, pods)
	}
	sel := "gateway.envoyproxy.io/owning-gateway-name=" + gw + ",gateway.envoyproxy.io/owning-gateway-namespace=" + ingNS
	svcIP := strings.TrimSpace(kubectl(t, n, "get", "service", "-n", ingNS, "-l", sel, "-o", "jsonpath={.items[0].spec.clusterIP}"))
	proxyPod := strings.TrimSpace(kubectl(t, n, "get", "pods", "-n", ingNS, "-l", sel, "-o", "jsonpath={.items[0].metadata.name}"))
	t.Logf("Gateway %s/%s Programmed; proxy Service %s, pod %s", ingNS, gw, svcIP, proxyPod)

	vantages := []vantage{
		{"client pod in " + outside, func(t *testing.T, args ...string) fetched {
			out, err := n.Kubectl("", append([]string{"exec", "-n", outside, "client", "--", "/probe", "fetch", "-ca", "/ca/ca.crt"}, args...)...)
			return parseFetch(t, out, err)
		}},
		{"the node's network", func(t *testing.T, args ...string) fetched {
			out, err := exec.Command("nsenter", append([]string{"--net=" + env["RAMPART_NODE_NETNS"], probeBin, "fetch", "-ca", caFile}, args...)...).Output()
			return parseFetch(t, string(out), err)
		}},
	}
	https := func(v vantage, t *testing.T, host string, args ...string) fetched {
		return v.fetch(t, append(args, "-connect", svcIP+":443", "https://"+host+"/")...)
	}
	// TLS 1.1 is tried until the proxy has its listeners (the Gateway is
	// Programmed when the proxy is available, its first xDS push may follow).
	for _, v := range vantages {
		t.Run(v.name, func(t *testing.T) {
			for _, host := range []string{hostA, hostB} {
				var r fetched
				for range 30 {
					if r = https(v, t, host, "-min", "1.3"); r.OK {
						break
					}
					time.Sleep(time.Second)
				}
				if !r.OK || r.Version != "TLS 1.3" || r.ALPN != "h2" || !slices.Contains(aeadSuites, r.Cipher) {
					t.Errorf("%s with TLS 1.3: %+v, want TLS 1.3, h2, an AEAD suite", host, r)
				}
				if len(r.Chain) < 2 || r.Chain[len(r.Chain)-1] != "Rampart lab ingress root" || r.Chain[0] != host {
					t.Errorf("%s: chain %v, want %s up to the lab OpenBao's root", host, r.Chain, host)
				}
				r13 := r
				if r = https(v, t, host, "-min", "1.2", "-max", "1.2"); !r.OK || r.Version != "TLS 1.2" || r.ALPN != "h2" || !slices.Contains(aeadSuites, r.Cipher) {
					t.Errorf("%s with TLS 1.2: %+v, want TLS 1.2, h2, an AEAD suite", host, r)
				}
				r12 := r
				if r = https(v, t, host, "-min", "1.1", "-max", "1.1"); r.OK {
					t.Errorf("%s: a TLS 1.1 handshake succeeded (%s, %s)", host, r.Version, r.Cipher)
				}
				t.Logf("%s: %s %s %s; %s %s %s; TLS 1.1 refused (%s); chain %v", host, r13.Version, r13.Cipher, r13.ALPN,
					r12.Version, r12.Cipher, r12.ALPN, r.Error, r13.Chain)
				r = v.fetch(t, "-connect", svcIP+":80", "http://"+host+"/")
				if !r.OK || r.Status != 301 || r.Location != "https://"+host+"/" {
					t.Errorf("http://%s/: %+v, want 301 to https://%s/", host, r, host)
				}
			}
			r := https(v, t, hostA)
			if !r.OK || r.Status != 200 || !strings.HasPrefix(r.Body, "web-"+teamA+" ") {
				t.Fatalf("https://%s/: %+v, want 200 from team-a's web pod", hostA, r)
			}
			hsts := strings.Join(r.Headers["Strict-Transport-Security"], ",")
			if !strings.Contains(hsts, "max-age=31536000") || !strings.Contains(hsts, "includeSubDomains") {
				t.Errorf("Strict-Transport-Security %q, want max-age ≥ 31536000 with includeSubDomains", hsts)
			}
			for _, h := range ingress.SecurityHeaders {
				if got := r.Headers[http.CanonicalHeaderKey(h[0])]; len(got) != 1 || got[0] != h[1] {
					t.Errorf("%s: %q, want exactly %q", h[0], got, h[1])
				}
			}
		})
	}

	// team-b attaches a route for team-a's host: the listener refuses it.
	hijack := fmt.Sprintf(`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"hijack","namespace":%q},
"spec":{"parentRefs":[{"name":%q,"namespace":%q}],"hostnames":[%q],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]}}`, teamB, gw, ingNS, hostA)
	n.Apply(t, hijack)
	time.Sleep(3 * time.Second)
	status := kubectl(t, n, "get", "httproute", "-n", teamB, "hijack", "-o", "jsonpath={.status.parents[*].conditions[?(@.type==\"Accepted\")].status}")
	if strings.Contains(status, "True") {
		t.Errorf("team-b's route for %s was Accepted by the Gateway", hostA)
	}
	for range 3 {
		if r := https(vantages[0], t, hostA); !r.OK || !strings.HasPrefix(r.Body, "web-"+teamA+" ") {
			t.Errorf("with team-b's hijack route, %s answered %+v", hostA, r)
		}
	}

	// The real pods' ports, and the metadata address.
	controllerPod := strings.TrimSpace(kubectl(t, n, "get", "pods", "-n", ingNS, "-l", "control-plane=envoy-gateway", "-o", "jsonpath={.items[0].metadata.name}"))
	proxyIP, controllerIP := n.PodIP(t, ingNS, proxyPod), n.PodIP(t, ingNS, controllerPod)
	nodetraffic.StartOutside(t, n.GWNetns, []string{"169.254.169.254"}, 80)
	for _, c := range []struct {
		ns, pod, target string
		open            bool
	}{
		{outside, "client", proxyIP + ":10443", true},
		{outside, "client", proxyIP + ":10080", true},
		{outside, "client", controllerIP + ":" + fmt.Sprint(ingress.XDSPort), false},
		{ingNS, "proxy-standin", controllerIP + ":" + fmt.Sprint(ingress.XDSPort), true},
		{outside, "client", "169.254.169.254:80", true},
		{ingNS, "proxy-standin", "169.254.169.254:80", false},
	} {
		line, ok := n.Exec(t, c.ns, c.pod, "connect", c.target)
		if ok != c.open {
			t.Errorf("%s/%s → %s: %s, want open=%v", c.ns, c.pod, c.target, line, c.open)
		}
	}

	// Drift: the floor lowered out of band to 1.0, with a CBC suite beside
	// the AEAD ones: TLS 1.0 and 1.1 have no AEAD suite, and Envoy's own
	// default list is AEAD only, so a lowered floor alone opens nothing.
	ctp := strings.TrimSpace(kubectl(t, n, "get", "clienttrafficpolicies.gateway.envoyproxy.io", "-n", ingNS, "-o", "jsonpath={.items[0].metadata.name}"))
	kubectl(t, n, "patch", "clienttrafficpolicies.gateway.envoyproxy.io", "-n", ingNS, ctp, "--type=json",
		`-p=[{"op":"replace","path":"/spec/tls/minVersion","value":"1.0"},{"op":"add","path":"/spec/tls/ciphers/-","value":"ECDHE-ECDSA-AES128-SHA"}]`)
	weak := false
	for range 30 {
		if r := https(vantages[1], t, hostA, "-min", "1.1", "-max", "1.1"); r.OK {
			weak = true
			break
		}
		time.Sleep(time.Second)
	}
	if !weak {
		t.Fatal("with the ClientTrafficPolicy's floor at 1.0 and a CBC suite, a TLS 1.1 handshake still fails: the drift is not observable")
	}
	rampart := testkit.BuildRampart(t, "../..")
	stackFlags := []string{"--stack", stk.Name(), "--dir", work, "-q"}
	report := driftReport(t, rampart, stackFlags)
	var found []string
	for _, c := range report.Changes {
		found = append(found, c.URN)
	}
	if !slices.ContainsFunc(found, func(urn string) bool { return strings.Contains(urn, "ClientTrafficPolicy") }) {
		t.Fatalf("rampart drift did not report the ClientTrafficPolicy; it found:\n%s", strings.Join(found, "\n"))
	}
	if code, out := rampart(t, append([]string{"drift", "--fix"}, stackFlags...)...); code != 0 && code != 2 {
		t.Fatalf("rampart drift --fix: exit %d\n%s", code, out)
	}
	restored := false
	for range 30 {
		if r := https(vantages[1], t, hostA, "-min", "1.1", "-max", "1.1"); !r.OK {
			restored = true
			break
		}
		time.Sleep(time.Second)
	}
	if !restored {
		t.Fatal("after rampart drift --fix, a TLS 1.1 handshake still succeeds")
	}
}

// readOverlay reads the lab's stack overlay (lab/node/stack-overlay.sh):
// one KEY=VALUE per line, KEY a Pulumi config path.
func readOverlay(t *testing.T, file string) auto.ConfigMap {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the lab's stack overlay: %v (lab/lab.sh up node writes it)", err)
	}
	m := auto.ConfigMap{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=VALUE", file, line)
		}
		m[k] = auto.ConfigValue{Value: v}
	}
	return m
}

// clientWithCA is an idle probe client with the lab ingress root mounted at
// /ca (ConfigMap ingress-ca).
func clientWithCA(n *nodetraffic.Node, ns string) string {
	pod := podYAML(n, ns, "client", map[string]string{"app": "probe-client"}, "pause")
	return pod + "\n    volumeMounts: [{name: ca, mountPath: /ca, readOnly: true}]\n  volumes: [{name: ca, configMap: {name: ingress-ca}}]"
}

func kubectl(t *testing.T, n *nodetraffic.Node, args ...string) string {
	t.Helper()
	out, err := n.Kubectl("", args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// parseFetch decodes probe fetch's line; exit 1 with a line is a verdict.
func parseFetch(t *testing.T, out string, err error) fetched {
	t.Helper()
	var r fetched
	if jerr := json.Unmarshal([]byte(strings.TrimSpace(out)), &r); jerr != nil {
		t.Fatalf("probe fetch printed %q (%v): %v", out, err, jerr)
	}
	return r
}
