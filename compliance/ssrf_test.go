package compliance_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/components/netpol"
)

// TestAssess_AllowedTargetExemptMetadataTargetFails: in the rendered prod
// stack the allowedTargets range is an exempted fact carrying its written
// justification (the item still passes), and an egress ipBlock to the cloud
// metadata address added to a rendered policy fails ssrf-blocklist and
// netpol, naming the policy.
func TestAssess_AllowedTargetExemptMetadataTargetFails(t *testing.T) {
	dep := renderedDeployment(t, "Pulumi.prod.yaml")
	a := compliance.Assess("prod", dep, now)
	r := verdictOf(t, a, "ssrf-blocklist")
	if r.Verdict != compliance.Pass {
		t.Fatalf("ssrf-blocklist = %s: %+v", r.Verdict, r.Evidence)
	}
	var exempt bool
	for _, e := range r.Evidence {
		exempt = exempt || (e.Exempt && strings.HasPrefix(e.Value, "10.40.12.0/24") && strings.Contains(e.Note, "Core banking API"))
	}
	if !exempt {
		t.Errorf("the allowed target is not exempted with its justification: %+v", r.Evidence)
	}

	pol := find(t, &dep, "payments-policies-"+netpol.AllowDNSName)
	spec := at(t, pol.Outputs, "spec").(map[string]any)
	spec["egress"] = append(spec["egress"].([]any), map[string]any{
		"to": []any{map[string]any{"ipBlock": map[string]any{"cidr": "169.254.169.254/32"}}},
	})
	a = compliance.Assess("prod", dep, now)
	for _, id := range []string{"ssrf-blocklist", "netpol"} {
		r := verdictOf(t, a, id)
		named := false
		for _, e := range r.Evidence {
			named = named || (!e.OK && !e.Exempt && strings.HasSuffix(e.URN, "::payments-policies-"+netpol.AllowDNSName) && strings.Contains(e.Note, "169.254.169.254"))
		}
		if r.Verdict != compliance.Fail || !named {
			t.Errorf("%s = %s with a metadata ipBlock, want fail naming it: %+v", id, r.Verdict, r.Evidence)
		}
	}
}
