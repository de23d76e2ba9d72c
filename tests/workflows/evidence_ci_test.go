package workflows

import (
	"strings"
	"testing"
)

// TestCIEvidence_RefusesWithoutItsSettingsBeforeBuilding: the daily
// evidence step names the missing environment setting (or stack file)
// before it builds or runs anything.
func TestCIEvidence_RefusesWithoutItsSettingsBeforeBuilding(t *testing.T) {
	base := []string{"PULUMI_BACKEND_URL=file:///nonexistent", "PULUMI_CONFIG_PASSPHRASE=x", "GOFLAGS=-mod=bogus",
		"RAMPART_EVIDENCE_URL=s3://audit/evidence", "RAMPART_EVIDENCE_KEY=rampart-evidence",
		"RAMPART_EVIDENCE_TRANSIT_ADDR=https://bao.invalid:8200", "RAMPART_EVIDENCE_SIGN_TOKEN=t"}
	for _, tc := range []struct {
		name  string
		unset string
		args  []string
		want  string
	}{
		{"no destination", "RAMPART_EVIDENCE_URL", []string{"evidence", "prod"}, "RAMPART_EVIDENCE_URL is empty: set it in the prod-evidence environment"},
		{"no key", "RAMPART_EVIDENCE_KEY", []string{"evidence", "prod"}, "RAMPART_EVIDENCE_KEY is empty"},
		{"no token", "RAMPART_EVIDENCE_SIGN_TOKEN", []string{"evidence", "prod"}, "RAMPART_EVIDENCE_SIGN_TOKEN is empty"},
		{"no stack", "", []string{"evidence", "staging-that-does-not-exist"}, "no Pulumi.staging-that-does-not-exist.yaml"},
		{"no environment name", "", []string{"evidence"}, "usage: lab/ci.sh evidence ENV"},
		// Every setting given: the next step is the build (which -mod=bogus fails).
		{"complete", "", []string{"evidence", "prod"}, "go build ./cmd/rampart failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := append([]string{}, base...)
			if tc.unset != "" {
				env = append(env, tc.unset+"=")
			}
			out, status := script(t, env, "ci.sh", tc.args...)
			if status == 0 || !strings.Contains(out, tc.want) {
				t.Errorf("lab/ci.sh %q: exit %d, output %q; want a failure saying %q", tc.args, status, out, tc.want)
			}
		})
	}
}
