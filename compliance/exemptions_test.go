package compliance_test

import (
	"testing"

	"github.com/rampart-dev/rampart/compliance"
)

// TestAssess_ReadsEveryExemptionWithItsApproval: the stack output
// "exemptions" in the program's shape (kind, key, subject, the approval)
// reaches Assessment.Exemptions; an older entry (namespace only) reads as
// a Pod Security exemption without approval.
func TestAssess_ReadsEveryExemptionWithItsApproval(t *testing.T) {
	dep := renderedDeployment(t, "Pulumi.local.yaml")
	find(t, &dep, "rampart-test").Outputs["exemptions"] = []any{
		map[string]any{"kind": "pod-security", "key": "rampart:namespaces[7].exemption", "subject": "falco", "namespace": "falco", "level": "privileged",
			"justification": "Falco's kernel driver needs host access", "control": "ISM-1034", "owner": "platform-team", "approvedBy": "CISO",
			"ticket": "SEC-1", "expires": "2027-01-31", "builtIn": false},
		map[string]any{"kind": "public-egress", "key": "rampart:gateway.publicEgress", "subject": "gateway egress on [443]", "justification": "CDN",
			"owner": "api-team", "approvedBy": "CISO", "ticket": "SEC-2", "expires": "2027-02-01"},
		map[string]any{"namespace": "old", "level": "baseline", "justification": "older stack", "control": "x"},
	}
	a := compliance.Assess("test", dep, now)
	if len(a.Exemptions) != 3 {
		t.Fatalf("exemptions = %+v", a.Exemptions)
	}
	if e := a.Exemptions[0]; e.Owner != "platform-team" || e.ApprovedBy != "CISO" || e.Ticket != "SEC-1" || e.Expires != "2027-01-31" || e.Subject != "falco" {
		t.Errorf("falco = %+v", e)
	}
	if e := a.Exemptions[2]; e.Kind != "pod-security" || e.Subject != "old" || e.Owner != "" {
		t.Errorf("older entry = %+v", e)
	}
	if r := verdictOf(t, a, "pss-restricted"); r.Verdict != compliance.Pass {
		t.Errorf("pss-restricted = %s with the new output shape", r.Verdict)
	}
}
