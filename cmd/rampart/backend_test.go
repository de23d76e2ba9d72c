package main

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/helpers/sovereignty"
)

// TestJudgeBackend_StateOutsideTheRuleFailsPreview: Pulumi Cloud (US) under
// [GB] is refused with the backend, its operator, the rule and the fix; a
// backend declared in GB, or state on this machine, passes.
func TestJudgeBackend_StateOutsideTheRuleFailsPreview(t *testing.T) {
	gb := sovereignty.Policy{AllowedJurisdictions: []sovereignty.Jurisdiction{"GB"},
		Endpoints: []sovereignty.Endpoint{{Host: "objects.sovereign.example.gov.uk", Operator: "Sovereign Cloud Ltd", Jurisdiction: "GB"}}}
	err := judgeBackend(gb, "https://api.pulumi.com")
	for _, want := range []string{sovereignty.BackendKey + `: "https://api.pulumi.com": `, "run by Pulumi Corporation, jurisdiction US (table)",
		"rampart:sovereignty.allowedJurisdictions is [GB]", "declare its operator in rampart:sovereignty.endpoints"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Pulumi Cloud under [GB]: err = %v, want %q", err, want)
		}
	}
	if err := judgeBackend(gb, "s3://state?region=eu-west-2"); err == nil || !strings.Contains(err.Error(), "s3.eu-west-2.amazonaws.com") {
		t.Errorf("S3 not declared: err = %v, want the service host refused", err)
	}
	for _, ok := range []string{"s3://state?endpoint=objects.sovereign.example.gov.uk", "file:///var/lib/pulumi"} {
		if err := judgeBackend(gb, ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
