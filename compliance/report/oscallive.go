package report

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/compliance"
)

// oscalInventory collects the inventory items: one per resource of the
// stack (by URN: a declared live object is the same resource) and one per
// object the stack does not declare (by its Kubernetes name).
type oscalInventory struct {
	items []oscalInventoryItem
	byID  map[string]int
}

// oscalSubjectOf is the inventory item a fact is about, if any: a behaviour
// check and a fact of the stack's outputs have none.
func (a assessment) oscalSubjectOf(e compliance.Evidence) (id, title string, ok bool) {
	switch {
	case e.Source == compliance.FromBehaviour:
		return "", "", false
	case e.URN != "":
		return a.oscalID("resource", e.URN), e.URN, true
	case e.Object != "":
		return a.oscalID("k8s-object", e.Object), e.Object, true
	}
	return "", "", false
}

// oscalAddSubject adds the inventory item of e's object once, and its
// Kubernetes name to a resource's item the first time a live fact names it.
func (a assessment) oscalAddSubject(inv *oscalInventory, e compliance.Evidence) {
	id, title, ok := a.oscalSubjectOf(e)
	if !ok {
		return
	}
	i, seen := inv.byID[id]
	if !seen {
		it := oscalInventoryItem{UUID: id, Description: title}
		if e.URN != "" {
			it.Props = append(it.Props, oscalNSProp("pulumi-urn", e.URN))
		}
		i = len(inv.items)
		inv.byID[id] = i
		inv.items = append(inv.items, it)
	}
	it := &inv.items[i]
	if e.Object == "" {
		return
	}
	for _, p := range it.Props {
		if p.Name == "k8s-object" {
			return
		}
	}
	kind, _, _ := strings.Cut(e.Object, " ")
	it.Props = append(it.Props, oscalNSProp("k8s-object", e.Object), oscalNSProp("k8s-kind", kind))
	if e.Origin != "" {
		it.Props = append(it.Props, oscalNSProp("origin", e.Origin))
	}
	if e.Creator != "" {
		it.Props = append(it.Props, oscalNSProp("creator", e.Creator))
	}
	if e.URN == "" {
		it.Description = fmt.Sprintf("Kubernetes object %s, not declared by the stack (%s; %s)", e.Object,
			cmp.Or(e.Origin, "origin unknown"), cmp.Or(e.Creator, "provenance unknown"))
	}
}

// oscalSubjectName names a fact's object in a sentence.
func oscalSubjectName(e compliance.Evidence) string {
	switch {
	case e.URN != "":
		return e.URN
	case e.Object != "":
		return e.Object
	case e.Source == compliance.FromBehaviour:
		return "the cluster (rampart verify)"
	}
	return "the stack"
}

// oscalEvidenceProps say where a fact comes from: its source, its
// resource's URN and its live object's name, origin and provenance
// (prop "creator": the earliest field manager and creation time).
func oscalEvidenceProps(e compliance.Evidence) []oscalProp {
	props := []oscalProp{oscalNSProp("source", string(cmp.Or(e.Source, compliance.FromState)))}
	if e.URN != "" {
		props = append(props, oscalNSProp("pulumi-urn", e.URN))
	}
	if e.Object != "" {
		props = append(props, oscalNSProp("k8s-object", e.Object))
	}
	if e.Origin != "" {
		props = append(props, oscalNSProp("origin", e.Origin))
	}
	if e.Creator != "" {
		props = append(props, oscalNSProp("creator", e.Creator))
	}
	return props
}

// oscalSources is what an item stands on ("state live"); "" when it is
// not deployed.
func oscalSources(r compliance.Result) string {
	if r.Verdict == compliance.NotDeployed {
		return ""
	}
	var out []string
	for _, s := range r.Sources() {
		out = append(out, string(s))
	}
	return strings.Join(out, " ")
}

// oscalTestObservation is the TEST observation of an item's behaviour
// checks (rampart verify exercised the cluster), if it has any.
func (a assessment) oscalTestObservation(r compliance.Result, when string) (oscalObservation, bool) {
	var checks []compliance.Evidence
	failed := 0
	for _, e := range r.Evidence {
		if e.Source == compliance.FromBehaviour {
			checks = append(checks, e)
			if !e.OK {
				failed++
			}
		}
	}
	if len(checks) == 0 {
		return oscalObservation{}, false
	}
	collected, on := when, ""
	if b := a.Behaviour; b != nil {
		if !b.Finished.IsZero() {
			collected = b.Finished.UTC().Format(time.RFC3339)
		}
		if b.Server != "" {
			on = " on " + b.Server
		}
	}
	o := oscalObservation{
		UUID:  a.oscalRunID("test-observation", r.Item.ID),
		Title: oscalLine(r.Item.Title + " (behaviour)"),
		Description: fmt.Sprintf("Checklist item %s exercised by rampart verify%s: %d checks, %d failed.",
			r.Item.ID, on, len(checks), failed),
		Props: []oscalProp{oscalNSProp("item", r.Item.ID), oscalNSProp("verdict", string(r.Verdict)), oscalNSProp("stands-on", string(compliance.FromBehaviour))},
		// TEST: the cluster was exercised (connections, dry runs, health
		// checks), not its configuration read.
		Methods:   []string{"TEST"},
		Collected: collected,
	}
	for _, e := range checks {
		sat := "as expected"
		if !e.OK {
			sat = "NOT as expected"
		}
		o.RelevantEvidence = append(o.RelevantEvidence, oscalRelevantEvidence{
			Description: fmt.Sprintf("%s: %s (%s)", e.Field, e.Value, sat),
			Props: []oscalProp{oscalNSProp("source", string(compliance.FromBehaviour)), oscalNSProp("check", e.Field),
				oscalNSProp("result", e.Value), oscalNSProp("ok", fmt.Sprint(e.OK))},
			Remarks: e.Note,
		})
	}
	return o, true
}

// oscalLiveResources are the back-matter records of a live read (the
// classification and judgement rules) and of a behaviour run (the API
// server's /readyz?verbose).
func (a assessment) oscalLiveResources() []oscalResource {
	var out []oscalResource
	if l := a.Live; l != nil {
		var b strings.Builder
		fmt.Fprintf(&b, "Objects read from %s at %s in namespaces %s; by origin: %s. %s.",
			cmp.Or(l.Server, "unknown"), mdTime(l.Read), listOrNone(l.Namespaces), originCounts(l.Counts), compliance.ClassificationNote)
		for _, r := range l.Rules {
			fmt.Fprintf(&b, " Controller rule %q (%s): %s.", r.Name, controllerMatch(r), r.Reason)
		}
		for _, r := range l.AllowRules {
			fmt.Fprintf(&b, " Judgement rule %q allows %s: %s.", r.Name, r.Grants, r.Reason)
		}
		out = append(out, oscalResource{UUID: a.oscalID("live-classification"), Title: "Live inventory: classification and judgement rules",
			Description: b.String()})
	}
	if b := a.Behaviour; b != nil && len(b.Notes) > 0 {
		out = append(out, oscalResource{UUID: a.oscalID("verify-notes"), Title: "What rampart verify did not check in this run",
			Description: strings.Join(b.Notes, " ")})
	}
	if b := a.Behaviour; b != nil && strings.TrimSpace(b.Readyz) != "" {
		out = append(out, oscalResource{UUID: a.oscalID("readyz"), Title: "kube-apiserver /readyz?verbose as recorded by rampart verify",
			Description: strings.TrimSpace(b.Readyz)})
	}
	return out
}
