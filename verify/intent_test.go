package verify

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
)

// localIntent is the local stack's declared intent, as the program states
// it (Pulumi.local.yaml: two tenants, the default platform namespaces, the
// ingress with one route per tenant on 8080, the gateway in rampart-system).
func localIntent(t *testing.T) *Intent {
	t.Helper()
	_, cfg := testkit.RunStackFile(t, "..", "Pulumi.local.yaml")
	in := stacks.NetworkIntentOf(cfg)
	return &in
}

// deploymentWith is a deployment whose stack resource exports v as the
// network intent, the way the state holds it (JSON values).
func deploymentWith(t *testing.T, v any) apitype.DeploymentV3 {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return apitype.DeploymentV3{Resources: []apitype.ResourceV3{{
		URN: resource.URN("urn:pulumi:local::rampart::pulumi:pulumi:Stack::rampart-local"), Type: "pulumi:pulumi:Stack",
		Outputs: map[string]any{"profile": "local", stacks.NetworkIntentOutput: out},
	}}}
}

func TestIntentFromDeployment_ReadsTheStackOutputBack(t *testing.T) {
	want := localIntent(t)
	got, err := IntentFromDeployment(deploymentWith(t, want))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Errorf("round trip changed the intent:\n got %s\nwant %s", b, a)
	}
}

func TestIntentFromDeployment_WithoutTheOutputSaysToRunUp(t *testing.T) {
	dep := apitype.DeploymentV3{Resources: []apitype.ResourceV3{{Type: "pulumi:pulumi:Stack", Outputs: map[string]any{"profile": "local"}}}}
	if _, err := IntentFromDeployment(dep); err == nil || !strings.Contains(err.Error(), "pulumi up") {
		t.Errorf("err = %v, want one saying to run pulumi up", err)
	}
	if _, err := IntentFromDeployment(deploymentWith(t, map[string]any{"namespaces": []any{}})); err == nil {
		t.Error("an intent without namespaces was accepted")
	}
}

// Peers of the local stack's probes: pods of no app (teamA, teamB), pods
// of the declared apps (Pulumi.local.yaml: team-a's web and api, team-b's
// web), platform pods, the proxies and the gateway, and pods of a namespace
// the stack does not manage.
var (
	teamA      = Peer{Namespace: "team-a", Managed: true}
	teamB      = Peer{Namespace: "team-b", Managed: true}
	webA       = Peer{Namespace: "team-a", Managed: true, Labels: map[string]string{"app": "web"}}
	apiA       = Peer{Namespace: "team-a", Managed: true, Labels: map[string]string{"app": "api"}}
	webB       = Peer{Namespace: "team-b", Managed: true, Labels: map[string]string{"app": "web"}}
	system     = Peer{Namespace: "rampart-system", Managed: true}
	ingressPod = Peer{Namespace: "rampart-ingress", Managed: true}
	proxy      = Peer{Namespace: "rampart-ingress", Managed: true, Role: "ingress proxy pod",
		Labels: map[string]string{"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}}
	gateway   = Peer{Namespace: "rampart-system", Managed: true, Role: "gateway pod", Labels: map[string]string{"app": "rampart-gateway"}}
	unmanaged = Peer{Namespace: "rampart-verify-abc123", Labels: map[string]string{"app": "probe"}}
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func nsOf(in *Intent, name string) *stacks.IntentNamespace {
	for i := range in.Namespaces {
		if in.Namespaces[i].Name == name {
			return &in.Namespaces[i]
		}
	}
	panic("no namespace " + name)
}

// appOfIntent is app name of tenant ns.
func appOfIntent(in *Intent, ns, name string) *stacks.IntentApp {
	n := nsOf(in, ns)
	for i := range n.Apps {
		if n.Apps[i].Name == name {
			return &n.Apps[i]
		}
	}
	panic("no app " + name + " in " + ns)
}

// publicEgress is a written publicEgress decision on ports.
func publicEgress(ports ...int) *stacks.IntentPublicEgress {
	return &stacks.IntentPublicEgress{Ports: ports, Justification: "a SaaS API whose addresses rotate hourly", Key: "rampart:gateway.publicEgress"}
}

// TestExpect_LocalStack: every expectation of the local stack, each with
// the intent change that must flip it (where the intent can flip it: a
// tenant's egress stays within itself whatever another tenant admits, so
// tenant → tenant stays closed), so no expectation can be right by
// accident: the verdicts come from the intent, not from a table. setup,
// when set, changes the local intent before the first verdict.
func TestExpect_LocalStack(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(in *Intent)
		expect  func(x *expecter) Expectation
		want    string
		why     []string // substrings of Why
		item    string
		mutate  func(in *Intent)
		flipped string
	}{
		{"a pod of no app within its tenant", nil, func(x *expecter) Expectation { return x.Pod(teamA, teamA, ProbePort) },
			Closed, []string{"belongs to no app of team-a", "rampart:tenants[0].apps"}, ItemNetpol,
			func(in *Intent) { nsOf(in, "team-a").Apps = nil }, Open},
		{"web → api on its declared port", nil, func(x *expecter) Expectation { return x.Pod(webA, apiA, 9090) },
			Open, []string{"app web reaches", "rampart:tenants[0].apps[0].allow (app api)", "app api admits"}, ItemNetpol,
			func(in *Intent) { appOfIntent(in, "team-a", "web").To = nil }, Closed},
		{"web → api on another port", nil, func(x *expecter) Expectation { return x.Pod(webA, apiA, 8080) },
			Closed, []string{"app web, which reaches only its allow.to peers"}, ItemNetpol,
			func(in *Intent) {
				appOfIntent(in, "team-a", "web").To[0].Ports = []int{8080, 9090}
				appOfIntent(in, "team-a", "api").From[0].Ports = []int{8080, 9090}
			}, Open},
		{"api → web", nil, func(x *expecter) Expectation { return x.Pod(apiA, webA, 8080) },
			Closed, []string{"app api, which reaches only its allow.to peers", "rampart:tenants[0].apps[1]"}, ItemNetpol,
			func(in *Intent) {
				p := stacks.IntentAppPeer{Namespace: "team-a", Ports: []int{8080}, Key: "k"}
				api, web := appOfIntent(in, "team-a", "api"), appOfIntent(in, "team-a", "web")
				api.To = append(api.To, stacks.IntentAppPeer{Namespace: p.Namespace, PodLabels: web.PodLabels, Ports: p.Ports, Key: p.Key})
				web.From = append(web.From, stacks.IntentAppPeer{Namespace: p.Namespace, PodLabels: api.PodLabels, Ports: p.Ports, Key: p.Key})
			}, Open},
		{"proxy → web on its exposed port", nil, func(x *expecter) Expectation { return x.Pod(proxy, webA, 8080) },
			Open, []string{"rampart:tenants[0].apps[0].expose[0]", "app web admits the ingress proxies on its exposed port 8080"}, ItemNetpol,
			func(in *Intent) { appOfIntent(in, "team-a", "web").Exposed = nil }, Closed},
		{"proxy → web on a port it does not expose", nil, func(x *expecter) Expectation { return x.Pod(proxy, webA, 9090) },
			Closed, []string{"the route backends (rampart:ingress.routes)", "app web admits only the proxies on [8080]"}, ItemNetpol,
			func(in *Intent) {
				in.Ingress.Backends = append(in.Ingress.Backends, stacks.IntentBackend{Namespace: "team-a", Port: 9090, Key: "k"})
				web := appOfIntent(in, "team-a", "web")
				web.Exposed = append(web.Exposed, 9090)
			}, Open},
		{"proxy → api, which is not exposed", nil, func(x *expecter) Expectation { return x.Pod(proxy, apiA, 8080) },
			Closed, []string{"app api admits only the proxies on []"}, ItemNetpol,
			func(in *Intent) { appOfIntent(in, "team-a", "api").Exposed = []int{8080} }, Open},
		{"proxy → team-b's web, route removed", nil, func(x *expecter) Expectation { return x.Pod(proxy, webB, 8080) },
			Open, []string{"rampart:tenants[1].apps[0].expose[0]"}, ItemNetpol,
			func(in *Intent) { in.Ingress.Backends = in.Ingress.Backends[:1] }, Closed},
		{"ingress proxy with the entry point off", nil, func(x *expecter) Expectation { return x.Pod(proxy, webA, 8080) },
			Open, nil, ItemNetpol, func(in *Intent) { in.Ingress.Enabled = false }, Closed},
		{"a tenant without apps admits the proxies on its route ports", func(in *Intent) {
			b := nsOf(in, "team-b")
			b.Apps, b.ProxyPorts = nil, []int{8080}
		}, func(x *expecter) Expectation { return x.Pod(proxy, teamB, 8080) },
			Open, []string{"team-b admits the ingress proxies on its route port 8080"}, ItemNetpol,
			func(in *Intent) { nsOf(in, "team-b").ProxyPorts = nil }, Closed},
		{"a tenant without apps, a plain pod of the ingress namespace", func(in *Intent) {
			b := nsOf(in, "team-b")
			b.Apps, b.ProxyPorts = nil, []int{8080}
		}, func(x *expecter) Expectation { return x.Pod(ingressPod, teamB, 8080) },
			Closed, []string{"rampart-ingress's egress is limited to its own namespace, DNS (rampart:namespaces[0])", "team-b admits only itself and the ingress proxies on its route ports [8080]"}, ItemNetpol, nil, ""},
		{"tenant → tenant", nil, func(x *expecter) Expectation { return x.Pod(webB, webA, 8080) },
			Closed, []string{"app web, which reaches only its allow.to peers and DNS (rampart:tenants[1].apps[0])"}, ItemNetpol, nil, ""},
		{"unmanaged → tenant app", nil, func(x *expecter) Expectation { return x.Pod(unmanaged, webA, 8080) },
			Closed, []string{"app web admits only the proxies on [8080] and its allow.from peers"}, ItemNetpol,
			func(in *Intent) {
				web := appOfIntent(in, "team-a", "web")
				web.From = append(web.From, stacks.IntentAppPeer{Namespace: unmanaged.Namespace, PodLabels: unmanaged.Labels, Ports: []int{8080}, Key: "k"})
			}, Open},
		{"unmanaged → platform", nil, func(x *expecter) Expectation { return x.Pod(unmanaged, system, ProbePort) },
			Closed, []string{"rampart-system admits only itself (rampart:namespaces[1])"}, ItemNetpol, nil, ""},
		{"unmanaged → unmanaged", nil, func(x *expecter) Expectation { return x.Pod(unmanaged, unmanaged, ProbePort) },
			Open, []string{"neither namespace is managed"}, ItemNetpol, nil, ""},
		{"tenant app → unmanaged", nil, func(x *expecter) Expectation { return x.Pod(webA, unmanaged, ProbePort) },
			Closed, []string{"app web, which reaches only its allow.to peers"}, ItemNetpol,
			func(in *Intent) {
				web := appOfIntent(in, "team-a", "web")
				web.To = append(web.To, stacks.IntentAppPeer{Namespace: unmanaged.Namespace, PodLabels: unmanaged.Labels, Ports: []int{ProbePort}, Key: "k"})
			}, Open},
		{"tenant → ingress namespace", nil, func(x *expecter) Expectation { return x.Pod(webA, ingressPod, ProbePort) },
			Closed, []string{"rampart-ingress admits only itself"}, ItemNetpol, nil, ""},
		{"tenant → DNS", nil, func(x *expecter) Expectation { return x.DNS(teamA, "udp") },
			Open, []string{"kube-system pods k8s-app=kube-dns", "53/UDP", "rampart:network.dns"}, ItemNetpol, nil, ""},
		{"gateway → its backend's address", nil, func(x *expecter) Expectation { return x.Outside(gateway, addr("203.0.113.10"), 443) },
			Open, []string{"rampart:gateway.backends[0] (public-api) opens 203.0.113.10/32 on [443]"}, ItemNetpol,
			func(in *Intent) { in.Gateway.Endpoints = nil }, Closed},
		{"gateway → another public address", nil, func(x *expecter) Expectation { return x.Outside(gateway, addr("198.51.100.7"), 443) },
			Closed, []string{"its backends' addresses (rampart:gateway.backends)"}, ItemNetpol,
			func(in *Intent) { in.Gateway.PublicEgress = publicEgress(443) }, Open},
		{"gateway → public on a port publicEgress does not name", func(in *Intent) { in.Gateway.PublicEgress = publicEgress(443) },
			func(x *expecter) Expectation { return x.Outside(gateway, addr("198.51.100.7"), 80) },
			Closed, []string{"addresses outside the SSRF blocklist on [443] (rampart:gateway.publicEgress)"}, ItemNetpol,
			func(in *Intent) { in.Gateway.PublicEgress.Ports = []int{80} }, Open},
		{"gateway → metadata under publicEgress", func(in *Intent) { in.Gateway.PublicEgress = publicEgress(443) },
			func(x *expecter) Expectation { return x.Outside(gateway, addr("169.254.169.254"), 443) },
			Closed, []string{"SSRF blocklist entry 169.254.0.0/16"}, ItemSSRF,
			func(in *Intent) {
				in.Blocklist = slices.DeleteFunc(in.Blocklist, func(s string) bool { return s == "169.254.0.0/16" })
			}, Open},
		{"gateway → RFC 1918", nil, func(x *expecter) Expectation { return x.Outside(gateway, addr("10.0.0.1"), 443) },
			Closed, []string{"SSRF blocklist entry 10.0.0.0/8"}, ItemSSRF,
			func(in *Intent) {
				in.Gateway.AllowedTargets = append(in.Gateway.AllowedTargets, stacks.IntentTarget{Name: "core", CIDR: "10.0.0.0/24", Ports: []int{443}, Key: "rampart:gateway.allowedTargets[0]"})
			}, Open},
		{"gateway → IPv4-mapped metadata", nil, func(x *expecter) Expectation { return x.Outside(gateway, addr("::ffff:169.254.169.254"), 443) },
			Closed, []string{"169.254.0.0/16"}, ItemSSRF, nil, ""},
		{"a plain pod of the gateway's namespace → public", nil, func(x *expecter) Expectation { return x.Outside(system, addr("203.0.113.10"), 443) },
			Closed, []string{"rampart-system's egress is limited"}, ItemNetpol, nil, ""},
		{"gateway → public without a gateway", nil, func(x *expecter) Expectation { return x.Outside(gateway, addr("203.0.113.10"), 443) },
			Open, nil, ItemNetpol, func(in *Intent) { in.Gateway = nil }, Closed},
		{"web → its declared public address", nil, func(x *expecter) Expectation { return x.Outside(webA, addr("203.0.113.10"), 443) },
			Open, []string{"app web reaches 203.0.113.10/32 on [443] (rampart:tenants[0].apps[0].allow.to[1])"}, ItemNetpol,
			func(in *Intent) { web := appOfIntent(in, "team-a", "web"); web.To = web.To[:1] }, Closed},
		{"web → another public address", nil, func(x *expecter) Expectation { return x.Outside(webA, addr("198.51.100.7"), 443) },
			Closed, []string{"app web, which reaches only its allow.to peers"}, ItemNetpol, nil, ""},
		{"tenant → metadata", nil, func(x *expecter) Expectation { return x.Outside(webA, addr("169.254.169.254"), 80) },
			Closed, []string{"app web", "SSRF blocklist entry 169.254.0.0/16"}, ItemSSRF, nil, ""},
		{"tenant → NodeLocal DNS", nil, func(x *expecter) Expectation { return x.Outside(teamA, addr("169.254.20.10"), 53) },
			Closed, nil, ItemSSRF, func(in *Intent) { in.DNS.NodeLocalCIDR = "169.254.20.10/32" }, Open},
		{"privileged pod in a tenant", nil, func(x *expecter) Expectation { return x.DryRun("team-a") },
			Refused, []string{"team-a enforces Pod Security restricted (rampart:tenants[0])"}, ItemPSS,
			func(in *Intent) { nsOf(in, "team-a").PodSecurity = "privileged" }, Admitted},
		{"privileged pod in falco", nil, func(x *expecter) Expectation { return x.DryRun("falco") },
			Admitted, []string{"rampart:namespaces[7].exemption"}, ItemPSS,
			func(in *Intent) { nsOf(in, "falco").PodSecurity = "restricted" }, Refused},
		{"privileged pod at baseline", nil, func(x *expecter) Expectation { return x.DryRun("falco") },
			Admitted, nil, ItemPSS, func(in *Intent) { nsOf(in, "falco").PodSecurity = "baseline" }, Refused},
		{"baseline pod in a tenant", nil, func(x *expecter) Expectation { return x.DryRunBaseline("team-a") },
			Refused, []string{"team-a enforces Pod Security restricted (rampart:tenants[0])"}, ItemPSS,
			func(in *Intent) { nsOf(in, "team-a").PodSecurity = "baseline" }, Admitted},
		{"baseline pod in falco", nil, func(x *expecter) Expectation { return x.DryRunBaseline("falco") },
			Admitted, []string{"rampart:namespaces[7].exemption"}, ItemPSS,
			func(in *Intent) { nsOf(in, "falco").PodSecurity = "restricted" }, Refused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := localIntent(t)
			if tc.setup != nil {
				tc.setup(in)
			}
			x, err := newExpecter(in)
			if err != nil {
				t.Fatal(err)
			}
			e := tc.expect(x)
			if e.Verdict != tc.want || e.Item != tc.item {
				t.Fatalf("expected %s (%s), want %s (%s); why: %s", e.Verdict, e.Item, tc.want, tc.item, e.Why)
			}
			for _, w := range tc.why {
				if !strings.Contains(e.Why, w) {
					t.Errorf("why %q lacks %q", e.Why, w)
				}
			}
			if tc.mutate == nil {
				return
			}
			tc.mutate(in)
			x, err = newExpecter(in)
			if err != nil {
				t.Fatal(err)
			}
			if f := tc.expect(x); f.Verdict != tc.flipped {
				t.Errorf("after changing the intent: %s, want %s; why: %s", f.Verdict, tc.flipped, f.Why)
			}
		})
	}
}

// TestProbeBindingFromDeployment reads the checkers output's shape
// (stacks/checkers.go): the probe role and the verifier's subjects.
func TestProbeBindingFromDeployment(t *testing.T) {
	dep := deploymentWith(t, localIntent(t))
	if role, subjects := ProbeBindingFromDeployment(dep); role != "" || subjects != nil {
		t.Errorf("without checkers: %q %v", role, subjects)
	}
	dep.Resources[0].Outputs["checkers"] = map[string]any{
		"verifierProbeRole": "rampart-checkers-verifier-probes",
		"verifierSubjects": []any{
			map[string]any{"kind": "ServiceAccount", "name": "rampart-verifier", "namespace": "rampart-system"},
			map[string]any{"kind": "Group", "name": "platform-verifiers", "apiGroup": "rbac.authorization.k8s.io"},
		},
	}
	role, subjects := ProbeBindingFromDeployment(dep)
	if role != "rampart-checkers-verifier-probes" || len(subjects) != 2 ||
		subjects[0].Namespace != "rampart-system" || subjects[1].Kind != "Group" || subjects[1].APIGroup != "rbac.authorization.k8s.io" {
		t.Errorf("role %q subjects %+v", role, subjects)
	}
}
