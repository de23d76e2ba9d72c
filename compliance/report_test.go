package compliance_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
)

func TestChecklist_EveryItemMapsEveryFrameworkAndExistingFiles(t *testing.T) {
	for _, it := range compliance.Checklist() {
		for _, f := range compliance.Frameworks {
			if len(it.Controls[f]) == 0 || it.Controls[f][0] == "" {
				t.Errorf("%s: no %s control", it.ID, f)
			}
		}
		if it.Status == compliance.Enforced && len(it.Implementation) == 0 {
			t.Errorf("%s: enforced without implementation", it.ID)
		}
		for _, p := range it.Implementation {
			if _, err := os.Stat("../" + p); err != nil {
				t.Errorf("%s: implementation %s: %v", it.ID, p, err)
			}
		}
	}
}

func TestMarkdown_ListsExemptionsWithJustification(t *testing.T) {
	var b bytes.Buffer
	err := compliance.Markdown(&b, &compliance.StackFacts{Profile: "local", Namespaces: []string{"falco", "team-a"},
		PodSecurity: map[string]string{"falco": "privileged", "team-a": "restricted"},
		Exemptions:  []compliance.Exemption{{Namespace: "falco", Level: "privileged", Justification: "kernel driver", Control: "ISM-1034"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"- [x] Pod Security Standard set to restricted", "| team-a | restricted |", "**falco** enforces `privileged` under ISM-1034: kernel driver"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

// TestMarkdown_ShowsTheAuditLockAndSovereigntyExceptionsAsEvidence: the
// report prints the audit bucket's lock mode and retention and every ACME
// sovereignty exception from the stack outputs, and says so when none.
func TestMarkdown_ShowsTheAuditLockAndSovereigntyExceptionsAsEvidence(t *testing.T) {
	var b strings.Builder
	err := compliance.Markdown(&b, &compliance.StackFacts{Profile: "prod",
		AuditBucket: "rampart-audit", AuditLockMode: "COMPLIANCE", AuditRetentionDays: 2557, AuditRetentionPreset: "ism",
		SovereigntyExceptions: []compliance.SovereigntyException{{Issuer: "public-acme", Server: "https://acme-v02.api.letsencrypt.org/directory",
			CA: "Let's Encrypt", Justification: "public status page needs a browser-trusted certificate", Control: "NIS2 Art. 21(2)(h)", ApprovedBy: "CISO"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bucket `rampart-audit`: Object Lock `COMPLIANCE`, default retention 2557 days (preset `ism`)",
		"**public-acme** (https://acme-v02.api.letsencrypt.org/directory, Let's Encrypt) under NIS2 Art. 21(2)(h), approved by CISO"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := compliance.Markdown(&b, &compliance.StackFacts{Profile: "local"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"No audit bucket in this stack", "None: no issuer uses a US-controlled CA."} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
