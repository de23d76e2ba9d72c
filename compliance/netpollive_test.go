package compliance_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/inventory"
)

// exceptBlocklist is an egress ipBlock to every IPv4 address except the
// SSRF blocklist's IPv4 ranges: ssrf-blocklist holds, yet it reaches every
// other tenant's pod addresses outside those ranges, and the internet.
func exceptBlocklist(t *testing.T) string {
	t.Helper()
	var except []string
	for _, p := range netpol.SSRFBlocklist {
		if p.Addr().Is4() {
			except = append(except, p.String())
		}
	}
	b, err := json.Marshal(map[string]any{"cidr": "0.0.0.0/0", "except": except})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAssessLive_UndeclaredPolicyWithAnAllowRuleFailsNetpol: policies add
// up, so a NetworkPolicy the stack does not declare that allows anything
// opens traffic the stack never declared. Each of these, created out of
// band in tenant team-a, used to leave netpol passing: ingress from
// another tenant by name, from every namespace through matchExpressions
// Exists, egress to another tenant, egress to 0.0.0.0/0 except the
// blocklist. A deny-only undeclared policy opens nothing and passes.
func TestAssessLive_UndeclaredPolicyWithAnAllowRuleFailsNetpol(t *testing.T) {
	ref := inventory.Ref{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "team-a", Name: "extra"}
	for _, tc := range []struct{ name, spec string }{
		{"ingress from team-b by name", `{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"team-b"}}}]}]}`},
		{"ingress from every namespace by matchExpressions", `{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"from":[{"namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"Exists"}]}}]}]}`},
		{"egress to team-b", `{"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"team-b"}}}]}]}`},
		{"egress to 0.0.0.0/0 except the blocklist", `{"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{"ipBlock":` + exceptBlocklist(t) + `}]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dep, inv := liveLocal(t)
			inv.Objects = append(inv.Objects, liveObject(t, ref, `{"spec":`+tc.spec+`}`, inventory.Unmanaged, "kubectl-create"))
			a := compliance.AssessLive("local", dep, inv, now)
			sameItems(t, a, "netpol")
			e := failingFact(t, a, "netpol", ref.String())
			if !strings.Contains(e.Note, "an undeclared policy opens traffic the stack did not declare; policies add up") {
				t.Errorf("netpol fact %+v does not say the undeclared policy opens traffic", e)
			}
		})
	}
	dep, inv := liveLocal(t)
	inv.Objects = append(inv.Objects, liveObject(t, ref, `{"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}}`, inventory.Unmanaged, "kubectl-create"))
	if r := verdictOf(t, compliance.AssessLive("local", dep, inv, now), "netpol"); r.Verdict != compliance.Pass {
		t.Errorf("an undeclared deny-only policy: netpol %s, want pass: %+v", r.Verdict, r.Evidence)
	}
}
