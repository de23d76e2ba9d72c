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

// Peers of the local stack's probes.
var (
	teamA      = Peer{Namespace: "team-a", Managed: true}
	teamB      = Peer{Namespace: "team-b", Managed: true}
	system     = Peer{Namespace: "rampart-system", Managed: true}
	ingressPod = Peer{Namespace: "rampart-ingress", Managed: true}
	proxy      = Peer{Namespace: "rampart-ingress", Managed: true, Role: "ingress proxy pod",
		Labels: map[string]string{"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}}
	gateway   = Peer{Namespace: "rampart-system", Managed: true, Role: "gateway pod", Labels: map[string]string{"app": "rampart-gateway"}}
	unmanaged = Peer{Namespace: "rampart-verify-abc123"}
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

// TestExpect_LocalStack: every expectation of the local stack, each with
// the intent change that must flip it (where the intent can flip it: a
// tenant's egress stays within itself whatever another tenant admits, so
// tenant → tenant stays closed), so no expectation can be right by
// accident: the verdicts come from the intent, not from a table.
func TestExpect_LocalStack(t *testing.T) {
	for _, tc := range []struct {
		name    string
		expect  func(x *expecter) Expectation
		want    string
		why     []string // substrings of Why
		item    string
		mutate  func(in *Intent)
		flipped string
	}{
		{"within a tenant", func(x *expecter) Expectation { return x.Pod(teamA, teamA, ProbePort) },
			Open, []string{"within team-a", "rampart:tenants[0]"}, ItemNetpol, nil, ""},
		{"tenant → tenant", func(x *expecter) Expectation { return x.Pod(teamA, teamB, 8080) },
			Closed, []string{"team-a's egress is limited", "team-b admits only itself and rampart-ingress (rampart:tenants[1])"}, ItemNetpol, nil, ""},
		{"unmanaged → tenant", func(x *expecter) Expectation { return x.Pod(unmanaged, teamA, 8080) },
			Closed, []string{"team-a admits only itself and rampart-ingress"}, ItemNetpol,
			func(in *Intent) { a := nsOf(in, "team-a"); a.IngressFrom = append(a.IngressFrom, unmanaged.Namespace) }, Open},
		{"unmanaged → platform", func(x *expecter) Expectation { return x.Pod(unmanaged, system, ProbePort) },
			Closed, []string{"rampart-system admits only itself (rampart:namespaces[1])"}, ItemNetpol,
			func(in *Intent) { s := nsOf(in, "rampart-system"); s.IngressFrom = []string{unmanaged.Namespace} }, Open},
		{"unmanaged → unmanaged", func(x *expecter) Expectation { return x.Pod(unmanaged, unmanaged, ProbePort) },
			Open, []string{"neither namespace is managed"}, ItemNetpol, nil, ""},
		{"tenant → unmanaged", func(x *expecter) Expectation { return x.Pod(teamA, unmanaged, ProbePort) },
			Closed, []string{"team-a's egress is limited to its own namespace, DNS (rampart:tenants[0])"}, ItemNetpol, nil, ""},
		{"ingress proxy → tenant backend", func(x *expecter) Expectation { return x.Pod(proxy, teamA, 8080) },
			Open, []string{"rampart:ingress.routes[0].backend", "team-a admits rampart-ingress (rampart:tenants[0]; rampart:ingress.namespace)"}, ItemNetpol,
			func(in *Intent) { nsOf(in, "team-a").IngressFrom = nil }, Closed},
		{"ingress proxy → tenant backend, route removed", func(x *expecter) Expectation { return x.Pod(proxy, teamB, 8080) },
			Open, []string{"rampart:ingress.routes[1].backend"}, ItemNetpol,
			func(in *Intent) { in.Ingress.Backends = in.Ingress.Backends[:1] }, Closed},
		{"ingress proxy → tenant on a port no route opens", func(x *expecter) Expectation { return x.Pod(proxy, teamA, ProbePort) },
			Closed, []string{"the route backends (rampart:ingress.routes)"}, ItemNetpol,
			func(in *Intent) {
				in.Ingress.Backends = append(in.Ingress.Backends, stacks.IntentBackend{Namespace: "team-a", Port: ProbePort, Key: "k"})
			}, Open},
		{"ingress proxy with the entry point off", func(x *expecter) Expectation { return x.Pod(proxy, teamA, 8080) },
			Open, nil, ItemNetpol, func(in *Intent) { in.Ingress.Enabled = false }, Closed},
		{"a plain pod of the ingress namespace → tenant", func(x *expecter) Expectation { return x.Pod(ingressPod, teamA, 8080) },
			Closed, []string{"rampart-ingress's egress is limited to its own namespace, DNS (rampart:namespaces[0])"}, ItemNetpol, nil, ""},
		{"tenant → ingress namespace", func(x *expecter) Expectation { return x.Pod(teamA, ingressPod, ProbePort) },
			Closed, []string{"rampart-ingress admits only itself"}, ItemNetpol, nil, ""},
		{"tenant → DNS", func(x *expecter) Expectation { return x.DNS(teamA, "udp") },
			Open, []string{"kube-system pods k8s-app=kube-dns", "53/UDP", "rampart:network.dns"}, ItemNetpol, nil, ""},
		{"gateway → public on its HTTPS port", func(x *expecter) Expectation { return x.Outside(gateway, addr("203.0.113.10"), 443) },
			Open, []string{"rampart:gateway.httpsPort"}, ItemNetpol, func(in *Intent) { in.Gateway.HTTPSPort = 8443 }, Closed},
		{"gateway → public on another port", func(x *expecter) Expectation { return x.Outside(gateway, addr("203.0.113.10"), 80) },
			Closed, []string{"on 443 only"}, ItemNetpol, func(in *Intent) { in.Gateway.HTTPSPort = 80 }, Open},
		{"gateway → metadata on its HTTPS port", func(x *expecter) Expectation { return x.Outside(gateway, addr("169.254.169.254"), 443) },
			Closed, []string{"SSRF blocklist entry 169.254.0.0/16"}, ItemSSRF,
			func(in *Intent) {
				in.Blocklist = slices.DeleteFunc(in.Blocklist, func(s string) bool { return s == "169.254.0.0/16" })
			}, Open},
		{"gateway → RFC 1918", func(x *expecter) Expectation { return x.Outside(gateway, addr("10.0.0.1"), 443) },
			Closed, []string{"SSRF blocklist entry 10.0.0.0/8"}, ItemSSRF,
			func(in *Intent) {
				in.Gateway.AllowedTargets = append(in.Gateway.AllowedTargets, stacks.IntentTarget{Name: "core", CIDR: "10.0.0.0/24", Ports: []int{443}, Key: "rampart:gateway.allowedTargets[0]"})
			}, Open},
		{"gateway → IPv4-mapped metadata", func(x *expecter) Expectation { return x.Outside(gateway, addr("::ffff:169.254.169.254"), 443) },
			Closed, []string{"169.254.0.0/16"}, ItemSSRF, nil, ""},
		{"a plain pod of the gateway's namespace → public", func(x *expecter) Expectation { return x.Outside(system, addr("203.0.113.10"), 443) },
			Closed, []string{"rampart-system's egress is limited"}, ItemNetpol, nil, ""},
		{"gateway → public without a gateway", func(x *expecter) Expectation { return x.Outside(gateway, addr("203.0.113.10"), 443) },
			Open, nil, ItemNetpol, func(in *Intent) { in.Gateway = nil }, Closed},
		{"tenant → metadata", func(x *expecter) Expectation { return x.Outside(teamA, addr("169.254.169.254"), 80) },
			Closed, []string{"team-a's egress is limited", "SSRF blocklist entry 169.254.0.0/16"}, ItemSSRF, nil, ""},
		{"tenant → NodeLocal DNS", func(x *expecter) Expectation { return x.Outside(teamA, addr("169.254.20.10"), 53) },
			Closed, nil, ItemSSRF, func(in *Intent) { in.DNS.NodeLocalCIDR = "169.254.20.10/32" }, Open},
		{"privileged pod in a tenant", func(x *expecter) Expectation { return x.DryRun("team-a") },
			Refused, []string{"team-a enforces Pod Security restricted (rampart:tenants[0])"}, ItemPSS,
			func(in *Intent) { nsOf(in, "team-a").PodSecurity = "privileged" }, Admitted},
		{"privileged pod in falco", func(x *expecter) Expectation { return x.DryRun("falco") },
			Admitted, []string{"rampart:namespaces[7].exemption"}, ItemPSS,
			func(in *Intent) { nsOf(in, "falco").PodSecurity = "restricted" }, Refused},
		{"privileged pod at baseline", func(x *expecter) Expectation { return x.DryRun("falco") },
			Admitted, nil, ItemPSS, func(in *Intent) { nsOf(in, "falco").PodSecurity = "baseline" }, Refused},
		{"baseline pod in a tenant", func(x *expecter) Expectation { return x.DryRunBaseline("team-a") },
			Refused, []string{"team-a enforces Pod Security restricted (rampart:tenants[0])"}, ItemPSS,
			func(in *Intent) { nsOf(in, "team-a").PodSecurity = "baseline" }, Admitted},
		{"baseline pod in falco", func(x *expecter) Expectation { return x.DryRunBaseline("falco") },
			Admitted, []string{"rampart:namespaces[7].exemption"}, ItemPSS,
			func(in *Intent) { nsOf(in, "falco").PodSecurity = "restricted" }, Refused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := localIntent(t)
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
