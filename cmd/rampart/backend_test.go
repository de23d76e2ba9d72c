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
	if err := judgeBackend(gb, "s3://state?region=eu-west-2"); err == nil || !strings.Contains(err.Error(), "s3.eu-west-2.amazonaws.com is run by Amazon Web Services, Inc., jurisdiction US") {
		t.Errorf("S3 in a UK region: err = %v, want the US operator refused", err)
	}
	// An endpoint written with a scheme, a path or in capitals is judged
	// by its host, never dropped.
	for _, u := range []string{"s3://state?endpoint=https://objects.example.us/", "s3://state?endpoint=HTTPS://objects.example.us/minio",
		"s3://state?endpoint=objects.example.us:9000"} {
		if err := judgeBackend(gb, u); err == nil || !strings.Contains(err.Error(), "objects.example.us is run by unknown") {
			t.Errorf("%s: err = %v, want objects.example.us refused", u, err)
		}
	}
	if err := judgeBackend(gb, "s3://state?endpoint=https://"); err == nil || !strings.Contains(err.Error(), "no host can be read") {
		t.Errorf("an endpoint without a host: err = %v, want a refusal", err)
	}
	for _, ok := range []string{"s3://state?endpoint=objects.sovereign.example.gov.uk", "s3://state?endpoint=https://objects.sovereign.example.gov.uk:9000/", "file:///var/lib/pulumi"} {
		if err := judgeBackend(gb, ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
