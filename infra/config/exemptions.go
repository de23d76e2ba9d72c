package config

import (
	"fmt"
	"time"

	"github.com/rampart-dev/rampart/helpers/exemption"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Clock is the time the config layer judges exemptions' expiry on. Tests
// replace it with a fixed time (and put it back); nothing else should.
var Clock = time.Now

// Exemption kinds, as the stack output "exemptions" names them.
const (
	KindPodSecurity  = "pod-security"
	KindPublicEgress = "public-egress"
	KindBreakGlass   = "break-glass"
	KindSovereignty  = "sovereignty"
)

// ExemptionRecord is one typed exemption of the stack, of any kind, with
// its lifecycle: what the stack output "exemptions", the report and the
// OSCAL plan of action and milestones list.
type ExemptionRecord struct {
	// Kind is KindPodSecurity, KindPublicEgress, KindSovereignty or
	// KindBreakGlass.
	Kind string
	// Key is the exemption's config key path, e.g.
	// "rampart:namespaces[7].exemption".
	Key string
	// Subject is what is exempted: the namespace, the gateway's ports, the
	// break-glass group.
	Subject string
	// Level is a Pod Security exemption's enforced level; "" otherwise.
	Level         string
	Justification string
	Control       string
	exemption.Approval
	// BuiltIn marks Rampart's default exemption (Falco's namespace when
	// rampart:namespaces is not written): it has no owner of the stack's
	// until the stack writes rampart:namespaces, so its approval is not
	// required.
	BuiltIn bool
}

// ExemptionRecords lists every typed exemption of the stack: the platform
// namespaces' Pod Security exemptions, the gateway's publicEgress, the
// sovereignty exceptions and the break-glass binding (when rampart:rbac is
// enabled).
func (c *Config) ExemptionRecords() []ExemptionRecord {
	var out []ExemptionRecord
	for i, n := range c.Namespaces {
		if e := n.Exemption; e != nil {
			out = append(out, ExemptionRecord{Kind: KindPodSecurity, Key: fmt.Sprintf("%s:namespaces[%d].exemption", Namespace, i),
				Subject: n.Name, Level: string(e.Level), Justification: e.Justification, Control: e.Control, Approval: e.Approval,
				BuiltIn: c.builtInNamespaces})
		}
	}
	if g := c.Gateway; g != nil && g.PublicEgress != nil {
		out = append(out, ExemptionRecord{Kind: KindPublicEgress, Key: Namespace + ":gateway.publicEgress",
			Subject:       fmt.Sprintf("gateway egress to any public address on ports %v", g.PublicEgress.Ports),
			Justification: g.PublicEgress.Justification, Approval: g.PublicEgress.Approval})
	}
	for i, x := range c.Sovereignty.Exceptions {
		out = append(out, ExemptionRecord{Kind: KindSovereignty, Key: fmt.Sprintf("%s:sovereignty.exceptions[%d]", Namespace, i),
			Subject: "the endpoint " + x.Host + " outside rampart:sovereignty.allowedJurisdictions", Justification: x.Justification,
			Control: x.Control, Approval: x.Approval})
	}
	if b := c.RBAC.BreakGlass; c.RBAC.Enabled && b != nil {
		out = append(out, ExemptionRecord{Kind: KindBreakGlass, Key: Namespace + ":rbac.breakGlass",
			Subject: "cluster-admin for group " + b.Group, Justification: b.Justification, Control: b.Control, Approval: b.Approval})
	}
	return out
}

// validateExemptions applies the lifecycle rules to every exemption:
// outside the local profile owner, approvedBy, ticket and expires are
// required (the lab's stacks live for a day and are nobody's risk
// decision; dev, staging and prod run workloads someone answers for), and
// in every profile an expired exemption is refused, as is one that runs
// more than a year.
func (c *Config) validateExemptions(l *verr.List, now time.Time) {
	for _, r := range c.ExemptionRecords() {
		r.Approval.Validate(l, r.Key, c.Profile != ProfileLocal && !r.BuiltIn, now)
	}
}

// ExemptionWarnings are the warnings preview and up log: one per exemption
// whose last day is at most exemption.WarnWithinDays after now.
func (c *Config) ExemptionWarnings(now time.Time) []string {
	var out []string
	for _, r := range c.ExemptionRecords() {
		if w := r.Approval.Warning(r.Key, now); w != "" {
			out = append(out, w)
		}
	}
	return out
}
