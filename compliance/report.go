package compliance

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exemption is one namespace exempted from restricted (from stack outputs).
type Exemption struct {
	Namespace     string `json:"namespace"`
	Level         string `json:"level"`
	Justification string `json:"justification"`
	Control       string `json:"control"`
}

// SovereigntyException is an ACME issuer accepted from a US-controlled CA,
// with its written justification (from the stack output).
type SovereigntyException struct {
	Issuer        string `json:"issuer"`
	Server        string `json:"server"`
	CA            string `json:"ca"`
	Justification string `json:"justification"`
	Control       string `json:"control"`
	ApprovedBy    string `json:"approvedBy"`
}

// StackFacts are the stack outputs a report reads.
type StackFacts struct {
	Profile     string            `json:"profile"`
	Namespaces  []string          `json:"namespaces"`
	PodSecurity map[string]string `json:"podSecurity"`
	Exemptions  []Exemption       `json:"exemptions"`
	// The audit bucket's lock, as the audit component registered it.
	AuditBucket          string `json:"auditBucket"`
	AuditLockMode        string `json:"auditLockMode"`
	AuditRetentionDays   int    `json:"auditRetentionDays"`
	AuditRetentionPreset string `json:"auditRetentionPreset"`
	// SovereigntyExceptions are the ACME issuers accepted from a
	// US-controlled CA.
	SovereigntyExceptions []SovereigntyException `json:"sovereigntyExceptions"`
}

// Markdown writes the checklist with what a stack can satisfy, the framework
// mapping and, when facts are given, the stack's namespaces and every
// exemption with its justification, from the stack's outputs. It judges
// nothing: Assessment.Markdown is the verdict from the deployed state. Kept
// for `rampart check --outputs` (deprecated).
func Markdown(w io.Writer, facts *StackFacts) error {
	var b strings.Builder
	mark := map[Status]string{Enforced: "[x]", Component: "[~]", Planned: "[ ]", OutOfScope: "[-]"}
	b.WriteString("## Hardening checklist (seed 000): what a Rampart stack can satisfy\n\n")
	b.WriteString("[x] every stack can (baseline)  [~] a stack can once it enables the component  [ ] planned  [-] out of scope\n\n")
	b.WriteString("This is not a verdict: `rampart check --stack <name> [--refresh]` evaluates a stack's deployed state.\n\n")
	for _, it := range Checklist() {
		fmt.Fprintf(&b, "- %s %s", mark[it.Status], it.Title)
		if len(it.Implementation) > 0 {
			fmt.Fprintf(&b, " — %s", strings.Join(it.Implementation, ", "))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Control mapping\n\n| item | " + strings.Join(Frameworks, " | ") + " |\n|---" + strings.Repeat("|---", len(Frameworks)) + "|\n")
	for _, it := range Checklist() {
		row := []string{it.ID}
		for _, f := range Frameworks {
			row = append(row, strings.Join(it.Controls[f], ", "))
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	if facts != nil {
		fmt.Fprintf(&b, "\n## Stack (profile %s)\n\n| namespace | enforced Pod Security level |\n|---|---|\n", facts.Profile)
		names := append([]string(nil), facts.Namespaces...)
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(&b, "| %s | %s |\n", n, facts.PodSecurity[n])
		}
		b.WriteString("\n## Exemptions\n\n")
		if len(facts.Exemptions) == 0 {
			b.WriteString("None: every namespace enforces restricted.\n")
		}
		for _, e := range facts.Exemptions {
			fmt.Fprintf(&b, "- **%s** enforces `%s` under %s: %s\n", e.Namespace, e.Level, e.Control, e.Justification)
		}
		b.WriteString("\n## Audit storage\n\n")
		if facts.AuditBucket == "" {
			b.WriteString("No audit bucket in this stack (rampart:audit is off).\n")
		} else {
			fmt.Fprintf(&b, "- bucket `%s`: Object Lock `%s`, default retention %d days (preset `%s`)\n",
				facts.AuditBucket, facts.AuditLockMode, facts.AuditRetentionDays, facts.AuditRetentionPreset)
		}
		b.WriteString("\n## Sovereignty exceptions (seed 004: no US-controlled CA)\n\n")
		if len(facts.SovereigntyExceptions) == 0 {
			b.WriteString("None: no issuer uses a US-controlled CA.\n")
		}
		for _, e := range facts.SovereigntyExceptions {
			fmt.Fprintf(&b, "- **%s** (%s, %s) under %s, approved by %s: %s\n", e.Issuer, e.Server, e.CA, e.Control, e.ApprovedBy, e.Justification)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
