package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
)

// ExemptionsOutput is the stack output listing every typed exemption with
// its lifecycle, for the compliance report and the OSCAL plan of action
// and milestones. A Pod Security exemption keeps its namespace and level
// keys (the pod security check reads them); every entry has kind, key,
// subject, justification, control, owner, approvedBy, ticket, expires and
// builtIn.
const ExemptionsOutput = "exemptions"

// exemptionsOutput renders config.Config.ExemptionRecords as the output.
func exemptionsOutput(cfg *config.Config) pulumi.Array {
	out := pulumi.Array{}
	for _, e := range cfg.ExemptionRecords() {
		m := map[string]any{
			"kind": e.Kind, "key": e.Key, "subject": e.Subject, "justification": e.Justification, "control": e.Control,
			"owner": e.Owner, "approvedBy": e.ApprovedBy, "ticket": e.Ticket, "expires": e.Expires, "builtIn": e.BuiltIn,
		}
		if e.Kind == config.KindPodSecurity {
			m["namespace"], m["level"] = e.Subject, e.Level
		}
		out = append(out, pulumi.ToMap(m))
	}
	return out
}
