package compliance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/components/auditor"
	"github.com/rampart-dev/rampart/inventory"
)

// Kinds of the admission policies the verifier's delegated binding
// depends on.
const (
	policyKind        = "ValidatingAdmissionPolicy"
	policyBindingKind = "ValidatingAdmissionPolicyBinding"
	policyType        = "kubernetes:admissionregistration.k8s.io/v1:" + policyKind
)

// hold says whether the stack's verifier admission policy holds a
// binding's writes, and the note that says so (naming the policy) or why
// not.
type hold struct {
	ok   bool
	note string
}

// verifierPolicies are the names of the stack's verifier admission
// policies: the stack output checkers.policy, else every
// ValidatingAdmissionPolicy the state declares under rampart:checkers.
func (s *state) verifierPolicies() []string {
	if v, ok := s.output("checkers.policy"); ok {
		if n, ok := v.(string); ok && n != "" {
			return []string{n}
		}
	}
	var names []string
	for _, o := range s.under(auditor.TypeToken) {
		if o.Type == policyType && o.str("metadata.name") != "" {
			names = append(names, o.str("metadata.name"))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// verifierHold reports whether the stack's verifier policy holds the RBAC
// writes of subjects (delegatedBinding): a declared
// ValidatingAdmissionPolicy, live, failurePolicy Fail, matching RoleBinding
// creates and, through its match conditions, these subjects' requests; and
// a declared ValidatingAdmissionPolicyBinding of it, live, whose
// validationActions hold Deny. components/auditor renders both
// (<namespace>-verifier-probes-only).
func (s *state) verifierHold(subjects []subject) hold {
	names := s.verifierPolicies()
	if len(names) == 0 {
		return hold{note: "the roles it may bind are admin-like when bound cluster-wide, and the stack declares no verifier ValidatingAdmissionPolicy " +
			"(rampart:checkers) to confine the RoleBindings it writes"}
	}
	var problems []string
	for _, name := range names {
		h, problem := s.policyHolds(name, subjects)
		if problem == "" {
			return h
		}
		problems = append(problems, problem)
	}
	return hold{note: "the roles it may bind are admin-like when bound cluster-wide, and the verifier policy does not hold its writes: " +
		strings.Join(problems, "; ")}
}

// policyHolds checks one policy (see verifierHold); problem says what is
// missing.
func (s *state) policyHolds(name string, subjects []subject) (hold, string) {
	p := s.liveRef(inventory.Ref{Group: admissionGroup, Kind: policyKind, Name: name})
	switch {
	case p == nil:
		return hold{}, fmt.Sprintf("ValidatingAdmissionPolicy %s is missing from the cluster", name)
	case p.live.Origin != inventory.Declared:
		return hold{}, fmt.Sprintf("ValidatingAdmissionPolicy %s is not the one the stack declares (%s)", name, originText(p.live))
	}
	if fp := p.str("spec.failurePolicy"); fp != "" && fp != "Fail" {
		return hold{}, fmt.Sprintf("ValidatingAdmissionPolicy %s has failurePolicy %s live: a request it cannot evaluate is let through", name, fp)
	}
	if !matchesRoleBindingCreates(p) {
		return hold{}, fmt.Sprintf("ValidatingAdmissionPolicy %s does not match RoleBinding creates live", name)
	}
	var conditions []string
	for _, c := range listOf(p, "spec.matchConditions") {
		if x, ok := asMap(c)["expression"].(string); ok {
			conditions = append(conditions, x)
		}
	}
	for _, x := range subjects {
		// No match condition: the policy applies to every request it
		// matches, these subjects' included.
		if len(conditions) > 0 && !strings.Contains(strings.Join(conditions, "\n"), strconv.Quote(x.identity())) {
			return hold{}, fmt.Sprintf("ValidatingAdmissionPolicy %s's match condition does not name %s %s: it does not hold that identity's writes", name, x.kind, x.identity())
		}
	}
	var audit []string
	for _, b := range s.liveObjs {
		r := b.live.Ref
		if r.Group != admissionGroup || r.Kind != policyBindingKind || b.str("spec.policyName") != name || b.live.Origin != inventory.Declared {
			continue
		}
		actions := strs(asMap(asMap(b.Outputs)["spec"])["validationActions"])
		if slices.Contains(actions, "Deny") {
			return hold{ok: true, note: fmt.Sprintf("delegated binding held by ValidatingAdmissionPolicy %s (failurePolicy Fail, live; bound by %s with validationActions %s): "+
				"the RoleBindings it writes may bind its named roles only where the policy lets them, so they are judged as granted in a namespace",
				name, r.Name, strings.Join(actions, ","))}, ""
		}
		audit = append(audit, fmt.Sprintf("%s has validationActions [%s]", r.Name, strings.Join(actions, ",")))
	}
	if len(audit) > 0 {
		return hold{}, fmt.Sprintf("ValidatingAdmissionPolicy %s's declared binding %s live, without Deny: it refuses nothing", name, strings.Join(audit, ", "))
	}
	return hold{}, fmt.Sprintf("no declared ValidatingAdmissionPolicyBinding of ValidatingAdmissionPolicy %s is live: the policy enforces nothing", name)
}

// matchesRoleBindingCreates reports a policy whose matchConstraints take
// in the creation of RoleBindings.
func matchesRoleBindingCreates(p *object) bool {
	for _, r := range listOf(p, "spec.matchConstraints.resourceRules") {
		m := asMap(r)
		if anyOf(strs(m["apiGroups"]), rbacGroup, "*") && anyOf(strs(m["resources"]), "rolebindings", "*") &&
			anyOf(strs(m["operations"]), "CREATE", "*") {
			return true
		}
	}
	return false
}
