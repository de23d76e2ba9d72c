package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/compliance"
)

// mdRegister writes the exemption register: every typed exemption with its
// owner, approver, ticket, last day and age on the day of the assessment
// ("expires in N days", "expired N days ago"). Rampart records no approval
// date, so the age is counted towards the end date, the one date that
// forces a decision.
func (a assessment) mdRegister(b *strings.Builder) {
	if len(a.Exemptions) == 0 {
		return
	}
	b.WriteString("\n### Exemption register\n\n| kind | subject | key | owner | approved by | ticket | expires | age |\n|---|---|---|---|---|---|---|---|\n")
	for _, e := range a.Exemptions {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(e.Kind), cell(e.Subject), tableCode(e.Key),
			cell(orNone(e.Owner, e.BuiltIn)), cell(orNone(e.ApprovedBy, e.BuiltIn)), cell(orNone(e.Ticket, e.BuiltIn)), cell(orNone(e.Expires, e.BuiltIn)), cell(registerAge(e, a.Generated)))
	}
}

// orNone shows a missing lifecycle field: Rampart's default exemption has
// none until the stack writes it; any other is missing.
func orNone(v string, builtIn bool) string {
	switch {
	case v != "":
		return v
	case builtIn:
		return "— (Rampart default: write it in the stack config to own it)"
	}
	return "— (missing)"
}

// registerAge is e's age on now; Rampart's default exemption has no end
// date until the stack writes one.
func registerAge(e compliance.ExemptionRecord, now time.Time) string {
	if e.Expires == "" && e.BuiltIn {
		return "no end date (Rampart default)"
	}
	return e.Approval.Age(now)
}
