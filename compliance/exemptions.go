package compliance

import (
	lifecycle "github.com/rampart-dev/rampart/helpers/exemption"
)

// ExemptionRecord is one typed exemption of the stack with its lifecycle,
// read from the stack output "exemptions" (stacks.ExemptionsOutput): what
// the report's exemption register and the OSCAL plan of action and
// milestones list.
type ExemptionRecord struct {
	// Kind is "pod-security", "public-egress" or "break-glass".
	Kind string `json:"kind"`
	// Key is the exemption's config key path.
	Key string `json:"key,omitempty"`
	// Subject is what is exempted (the namespace, the gateway's ports, the
	// break-glass group).
	Subject string `json:"subject"`
	// Level is a Pod Security exemption's enforced level.
	Level         string `json:"level,omitempty"`
	Justification string `json:"justification"`
	Control       string `json:"control,omitempty"`
	lifecycle.Approval
	// BuiltIn: Rampart's default exemption, which the stack has not written
	// (and so not approved).
	BuiltIn bool `json:"builtIn,omitempty"`
}

// exemptionRecords reads the stack output "exemptions". An entry of an
// older stack (namespace, level, justification, control only) reads as a
// Pod Security exemption without approval.
func (s *state) exemptionRecords() []ExemptionRecord {
	v, _ := s.output("exemptions")
	l, _ := v.([]any)
	var out []ExemptionRecord
	for _, e := range l {
		m := asMap(e)
		str := func(k string) string { v, _ := m[k].(string); return v }
		r := ExemptionRecord{Kind: str("kind"), Key: str("key"), Subject: str("subject"), Level: str("level"),
			Justification: str("justification"), Control: str("control"),
			Approval: lifecycle.Approval{Owner: str("owner"), ApprovedBy: str("approvedBy"), Ticket: str("ticket"), Expires: str("expires")}}
		r.BuiltIn, _ = m["builtIn"].(bool)
		if r.Kind == "" && str("namespace") != "" {
			r.Kind = "pod-security"
		}
		if r.Subject == "" {
			r.Subject = str("namespace")
		}
		if r.Kind != "" {
			out = append(out, r)
		}
	}
	return out
}
