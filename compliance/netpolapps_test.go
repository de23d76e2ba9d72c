package compliance_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
)

// TestAssess_AppPoliciesAreTheTenantsIsolation: the local stack's tenants
// isolate per app (no tenant-isolation policy); netpol passes on each app's
// policy, whose evidence names its peers and ports.
func TestAssess_AppPoliciesAreTheTenantsIsolation(t *testing.T) {
	r := verdictOf(t, compliance.Assess("test", renderedDeployment(t, "Pulumi.local.yaml"), now), "netpol")
	if r.Verdict != compliance.Pass {
		t.Fatalf("netpol = %s: %+v", r.Verdict, r.Evidence)
	}
	want := map[string]string{
		"::team-a-policies-app-web": "app web: ingress from rampart-ingress pods",
		"::team-a-policies-app-api": `app api: ingress from pods {"app":"web"}:9090; egress to nothing`,
		"::team-b-policies-app-web": "app web: ingress from rampart-ingress pods",
	}
	for suffix, value := range want {
		found := false
		for _, e := range r.Evidence {
			if strings.HasSuffix(e.URN, suffix) && e.OK && strings.Contains(e.Value, value) {
				found = true
			}
		}
		if !found {
			t.Errorf("no passing evidence on *%s containing %q: %+v", suffix, value, r.Evidence)
		}
	}
	for _, e := range r.Evidence {
		if strings.Contains(e.Field, netpol.TenantIsolationName) {
			t.Errorf("a tenant with apps was judged by a tenant-isolation policy: %+v", e)
		}
	}
}

// TestAssess_AWidenedAppPolicyFailsNetpol: an app policy that selects every
// pod, or a rule of it without ports or peers, fails netpol naming the
// policy.
func TestAssess_AWidenedAppPolicyFailsNetpol(t *testing.T) {
	for _, tc := range []struct {
		name, note string
		edit       func(spec map[string]any)
	}{
		{"every pod selected", "selects every pod of team-a", func(spec map[string]any) { spec["podSelector"] = map[string]any{} }},
		{"a rule without ports", "names no port", func(spec map[string]any) {
			delete(spec["ingress"].([]any)[0].(map[string]any), "ports")
		}},
		{"a namespace peer by a label other than its name", "does not name one namespace", func(spec map[string]any) {
			peer := spec["ingress"].([]any)[0].(map[string]any)["from"].([]any)[0].(map[string]any)
			peer["namespaceSelector"] = map[string]any{"matchLabels": map[string]any{"rampart.dev/tier": "platform"}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dep := renderedDeployment(t, "Pulumi.local.yaml")
			tc.edit(at(t, find(t, &dep, "team-a-policies-app-web").Outputs, "spec").(map[string]any))
			r := verdictOf(t, compliance.Assess("test", dep, now), "netpol")
			if r.Verdict != compliance.Fail {
				t.Fatalf("netpol = %s", r.Verdict)
			}
			var named bool
			for _, e := range r.Evidence {
				if !e.OK && strings.HasSuffix(e.URN, "::team-a-policies-app-web") && strings.Contains(e.Note, tc.note) {
					named = true
				}
			}
			if !named {
				t.Errorf("no failing evidence on app-web noting %q: %+v", tc.note, r.Evidence)
			}
		})
	}
}

// TestAssess_PublicEgressStandsOnlyOnTheWrittenDecision: with
// rampart:gateway.publicEgress the gateway's any-address rule is exempt,
// its justification in the evidence, and netpol passes; the same rule
// without the decision on record (an edited state or a policy widened by
// hand) fails netpol.
func TestAssess_PublicEgressStandsOnlyOnTheWrittenDecision(t *testing.T) {
	const why = "The partner API is served from a CDN whose addresses rotate hourly."
	gw := testkit.LocalGatewaySection()
	gw["publicEgress"] = map[string]any{"ports": []any{443}, "justification": why}
	dep := renderedWith(t, "Pulumi.local.yaml", map[string]any{"rampart:gateway": gw}, nil)
	r := verdictOf(t, compliance.Assess("test", dep, now), "netpol")
	if r.Verdict != compliance.Pass {
		t.Fatalf("netpol = %s: %+v", r.Verdict, r.Evidence)
	}
	exempt := 0
	for _, e := range r.Evidence {
		if e.Exempt && strings.Contains(e.Note, why) && strings.Contains(e.Note, "rampart:gateway.publicEgress") &&
			strings.HasSuffix(e.URN, "::rampart-system-policies-"+netpol.GatewayEgressName) {
			exempt++
		}
	}
	if exempt != 2 { // 0.0.0.0/0 and ::/0
		t.Errorf("%d exempt evidence with the justification, want 2 (IPv4 and IPv6): %+v", exempt, r.Evidence)
	}

	// The decision is the gateway's: the same rule in a tenant's policy, or
	// a slice of the internet (32.0.0.0/3) there, is not covered by it.
	for _, cidr := range []string{"0.0.0.0/0", "32.0.0.0/3"} {
		elsewhere := renderedWith(t, "Pulumi.local.yaml", map[string]any{"rampart:gateway": gw}, nil)
		spec := at(t, find(t, &elsewhere, "team-a-policies-"+netpol.AllowDNSName).Outputs, "spec").(map[string]any)
		spec["egress"] = append(spec["egress"].([]any), map[string]any{
			"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": cidr}}},
			"ports": []any{map[string]any{"port": 443.0, "protocol": "TCP"}},
		})
		if r := verdictOf(t, compliance.Assess("test", elsewhere, now), "netpol"); r.Verdict != compliance.Fail {
			t.Errorf("%s in team-a's policy under the gateway's decision: netpol = %s, want fail", cidr, r.Verdict)
		}
	}

	undecided := withoutOutput(dep, stacks.PublicEgressOutput)
	r = verdictOf(t, compliance.Assess("test", undecided, now), "netpol")
	if r.Verdict != compliance.Fail {
		t.Fatalf("without the decision on record netpol = %s", r.Verdict)
	}
	var named bool
	for _, e := range r.Evidence {
		if !e.OK && !e.Exempt && strings.Contains(e.Note, "reaches every public address") {
			named = true
		}
	}
	if !named {
		t.Errorf("no failing evidence on the any-address rule: %+v", r.Evidence)
	}
}

// withoutOutput is dep with the stack output key removed.
func withoutOutput(dep apitype.DeploymentV3, key string) apitype.DeploymentV3 {
	out := dep
	out.Resources = append([]apitype.ResourceV3(nil), dep.Resources...)
	outputs := map[string]any{}
	for k, v := range dep.Resources[0].Outputs {
		if k != key {
			outputs[k] = v
		}
	}
	out.Resources[0].Outputs = outputs
	return out
}
