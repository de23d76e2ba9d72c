package compliance

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/inventory"
)

// admissionGroup is the admission registration API group.
const admissionGroup = "admissionregistration.k8s.io"

// checkAdmissionWebhooks: every Mutating/ValidatingWebhookConfiguration
// the inventory lists (those reaching into a managed namespace) is
// declared by the stack, or owned by or created by a known controller. An
// undeclared one fails, naming its webhooks, what they match and their
// failurePolicy: it sees every matching request (and a mutating one
// rewrites the pod after it was written, past what the state shows). Only
// the live cluster can show one: without a read the item is not deployed.
func checkAdmissionWebhooks(s *state) (bool, []Evidence) {
	if s.inv == nil {
		return false, []Evidence{{Field: "admission webhooks", Value: "not read", OK: true,
			Note: "judged on the live cluster only (rampart check --live): the state holds only the webhooks the stack declares"}}
	}
	var ev []Evidence
	for _, o := range s.liveObjs {
		r := o.live.Ref
		if r.Group == admissionGroup && (r.Kind == "MutatingWebhookConfiguration" || r.Kind == "ValidatingWebhookConfiguration") {
			ev = append(ev, webhookEvidence(o))
		}
	}
	if len(ev) == 0 {
		ev = append(ev, Evidence{Field: "admission webhooks", Value: "none", OK: true, Source: FromLive,
			Note: "no Mutating/ValidatingWebhookConfiguration reaches a managed namespace"})
	}
	return true, ev
}

// webhookEvidence judges one webhook configuration by its origin.
func webhookEvidence(o *object) Evidence {
	var hooks []string
	for _, w := range listOf(o, "webhooks") {
		m := asMap(w)
		name, _ := m["name"].(string)
		fp, _ := m["failurePolicy"].(string)
		if fp == "" {
			fp = "Fail" // the API's default in admissionregistration/v1
		}
		var match []string
		for _, r := range asList(m["rules"]) {
			rm := asMap(r)
			match = append(match, strings.Join(strs(rm["operations"]), ",")+" "+strings.Join(strs(rm["resources"]), ","))
		}
		if len(match) == 0 {
			match = []string{"nothing"}
		}
		hooks = append(hooks, fmt.Sprintf("%s (matches %s; failurePolicy %s)", name, strings.Join(match, "; "), fp))
	}
	if len(hooks) == 0 {
		hooks = []string{"no webhook"}
	}
	lo := o.live
	e := Evidence{URN: o.URN, Field: "webhooks", Value: strings.Join(hooks, "; "), OK: true}
	switch {
	case lo.Origin == inventory.Declared:
		e.Note = "declared by the stack"
	case lo.Origin == inventory.KnownController:
		e.Note = "created by a known controller (rule " + lo.Rule + ")"
	case lo.Origin == inventory.Owned && !lo.IsUnmanaged():
		e.Note = originText(lo)
	default:
		e.OK = false
		verb := "sees"
		if lo.Ref.Kind == "MutatingWebhookConfiguration" {
			verb = "sees and can rewrite"
		}
		e.Note = fmt.Sprintf("undeclared admission webhook: it %s every matching request in the managed namespaces; "+
			"declare it in the stack, add a typed controller rule with its reason, or delete it", verb)
	}
	return e
}
