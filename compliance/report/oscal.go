package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rampart-dev/rampart/compliance"
)

// OSCALVersion is the OSCAL release whose assessment-results model OSCAL
// writes (1.1.3, the last 1.1.x release; its schema accepts the v5 UUIDs
// used here).
const OSCALVersion = "1.1.3"

// OSCALNamespace is the namespace of Rampart's own OSCAL props (OSCAL
// requires an ns on every prop name it does not define) and the name the
// document's v5 UUIDs derive from.
const OSCALNamespace = "https://github.com/rampart-dev/rampart/ns/oscal"

// oscalUUIDSpace is the v5 namespace for every UUID in the document.
var oscalUUIDSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte(OSCALNamespace))

// OSCAL writes the assessment as an OSCAL assessment-results document:
// one result for the stack, one observation per checklist item carrying its
// evidence, and one finding per item (target objective-id = the item's ID)
// and per framework control (target statement-id = "<framework>_<control>_smt").
// A pass is "satisfied" (with any exempted object's justification in the
// status remarks); fail, exempt and not deployed are "not-satisfied" (reason
// fail, or other with the justification in remarks), so a consumer
// that reads only the state never counts an exemption as met. A partial
// control is "not-satisfied" (reason other) too, its target's
// implementation-status "partial" naming the items not deployed.
//
// Evidence stays one relevant-evidence per fact, each with its own
// resource: the Markdown and HTML renderings group facts that read the
// same, a machine reading OSCAL wants every subject.
//
// Every UUID is a v5 UUID (deterministic: the same assessment always
// renders the same document). The document, the result, its observations
// and findings are statements of one assessment: their UUIDs derive from
// the stack, the generation time and the object's name (item ID, control),
// so a tool that deduplicates by UUID never merges two assessments; an
// item's identity across runs is its finding's target (objective-id = item
// ID, statement-id for a control), not a UUID. The inventory items (a
// resource URN, or for an object the stack does not declare its Kubernetes
// name, prop k8s-object, with its origin and prop creator: its earliest
// field manager and creation time) and the back-matter
// resources name the same thing in every run and keep stack-only UUIDs.
//
// With a live read (AssessLive) every fact carries its source and, for a
// live object, its name, origin and provenance; the back-matter records the
// classification and judgement rules. Behaviour checks (AddBehaviour) are
// TEST observations, one per item, next to its EXAMINE one (which holds
// only the state's and the cluster's facts), both linked from the item's
// finding; every item's observation and finding say what it stands on.
func OSCAL(w io.Writer, a *compliance.Assessment) error { return assessment{a}.oscal(w) }

func (a assessment) oscal(w io.Writer) error {
	if a.Generated.IsZero() {
		// OSCAL requires last-modified, start and collected: a date is not
		// invented for them.
		return fmt.Errorf("compliance report: OSCAL for stack %q: Assessment.Generated is zero; set it to the time the state was read (Assess does)", a.Stack)
	}
	b, err := json.MarshalIndent(a.oscalDoc(), "", "  ")
	if err != nil {
		return fmt.Errorf("compliance report: OSCAL for stack %q: %w", a.Stack, err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("compliance report: write OSCAL for stack %q: %w", a.Stack, err)
	}
	return nil
}

// oscalRunID is the UUID of a statement of this assessment: it changes with
// Generated (see OSCAL).
func (a assessment) oscalRunID(parts ...string) string {
	return a.oscalID(append([]string{"run", a.Generated.UTC().Format(time.RFC3339Nano)}, parts...)...)
}

// oscalID is the UUID of something that is the same in every run of the
// stack (a resource, the plan).
func (a assessment) oscalID(parts ...string) string {
	return uuid.NewSHA1(oscalUUIDSpace, []byte(strings.Join(append([]string{a.Stack}, parts...), "\x00"))).String()
}

// oscalNSProp is one of Rampart's props. OSCAL's string type has no line
// break and no leading or trailing space, and a prop needs a value: line
// breaks become spaces, the ends are trimmed, and an empty value says so.
func oscalNSProp(name, value string) oscalProp {
	value = strings.TrimSpace(strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(value))
	if value == "" {
		value = "(empty)"
	}
	return oscalProp{Name: name, NS: OSCALNamespace, Value: value}
}

// oscalLine makes s an OSCAL markup-line (a title): one line, not empty.
// Line breaks become spaces; an empty or blank s says so.
func oscalLine(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if strings.TrimSpace(s) == "" {
		return "(empty)"
	}
	return s
}

func (a assessment) oscalDoc() oscalDocument {
	when := a.Generated.UTC().Format(time.RFC3339)
	plan := a.oscalID("assessment-plan")
	state := "the last saved state (not refreshed from the live cluster)"
	if a.Refreshed {
		state = "the state refreshed from the live cluster"
	}
	overall := string(compliance.Pass)
	if a.Failed() {
		overall = string(compliance.Fail)
	}
	meta := []oscalProp{oscalNSProp("stack", a.Stack), oscalNSProp("refreshed", fmt.Sprint(a.Refreshed))}
	if a.Profile != "" {
		meta = append(meta, oscalNSProp("profile", a.Profile))
	}
	if a.Live != nil {
		meta = append(meta, oscalNSProp("live-server", cmp.Or(a.Live.Server, "unknown")))
		state += fmt.Sprintf(" and the live cluster %s (read through the Kubernetes API at %s)", cmp.Or(a.Live.Server, "unknown"), mdTime(a.Live.Read))
	}
	if a.Behaviour != nil {
		meta = append(meta, oscalNSProp("behaviour-server", cmp.Or(a.Behaviour.Server, "unknown")))
		state += ", with the behaviour rampart verify observed (TEST observations)"
	}
	res := oscalResult{
		UUID:  a.oscalRunID("result"),
		Title: oscalLine(fmt.Sprintf("Rampart checklist on stack %s", a.Stack)),
		Description: fmt.Sprintf("Each item of Rampart's hardening checklist evaluated against %s of stack %s: "+
			"the resources, fields and values read are each observation's relevant evidence.", state, a.Stack),
		Start:            when,
		End:              when,
		Props:            []oscalProp{oscalNSProp("verdict", overall)},
		ReviewedControls: a.oscalReviewedControls(),
	}
	inv := &oscalInventory{byID: map[string]int{}}
	obsOf := map[string][]string{}
	for _, r := range a.Results {
		obs := a.oscalObservation(r, when)
		ids := []string{obs.UUID}
		res.Observations = append(res.Observations, obs)
		if test, ok := a.oscalTestObservation(r, when); ok {
			ids = append(ids, test.UUID)
			res.Observations = append(res.Observations, test)
		}
		obsOf[r.Item.ID] = ids
		res.Findings = append(res.Findings, a.oscalItemFinding(r, ids))
		for _, e := range r.Evidence {
			a.oscalAddSubject(inv, e)
		}
	}
	if a.Live != nil {
		for _, o := range a.Live.Unmanaged {
			a.oscalAddSubject(inv, compliance.Evidence{Source: compliance.FromLive, Object: o.Object, Origin: o.Origin, Creator: o.Creator})
		}
	}
	for _, c := range a.Controls {
		res.Findings = append(res.Findings, a.oscalControlFinding(c, obsOf))
	}
	if len(inv.items) > 0 {
		res.LocalDefinitions = &oscalLocalDefinitions{InventoryItems: inv.items}
	}
	return oscalDocument{AssessmentResults: oscalAssessmentResults{
		UUID: a.oscalRunID("assessment-results"),
		Metadata: oscalMetadata{
			Title:        oscalLine(fmt.Sprintf("Rampart compliance assessment: stack %s", a.Stack)),
			LastModified: when,
			Version:      when,
			OSCALVersion: OSCALVersion,
			Props:        meta,
			Links:        a.oscalPOAMLinks(),
		},
		ImportAP: oscalImportAP{Href: "#" + plan,
			Remarks: "Rampart has no separate assessment plan: the plan is its hardening checklist, described in back-matter."},
		Results: []oscalResult{res},
		BackMatter: &oscalBackMatter{Resources: append([]oscalResource{{UUID: plan,
			Title:       "Rampart hardening checklist",
			Description: "Rampart's production hardening checklist (compliance/catalog.go), each item mapped to NIS2, DORA, Cyber Essentials Plus, ITSG-33 and ISM controls; every item is checked against the stack's deployed state (and, when read, the live cluster)."}},
			append(append(a.oscalLiveResources(), a.oscalPOAMResource()...), a.oscalISMCatalog()...)...)},
	}}
}

// oscalReviewedControls lists the assessed controls, one selection per
// framework in report order. OSCAL wants at least one selection: with no
// control roll-up it says "all" with the reason.
func (a assessment) oscalReviewedControls() oscalReviewedControls {
	var sels []oscalControlSelection
	for _, fc := range controlsByFramework(a.Controls) {
		sel := oscalControlSelection{Description: fc.Name + " controls supported by the checklist", Props: []oscalProp{oscalNSProp("framework", fc.Name)},
			Links: a.oscalISMLinks(fc.Name)}
		dup := map[string]bool{}
		for _, c := range fc.Controls {
			id := oscalControlToken(c.Framework, c.Control)
			if !dup[id] {
				dup[id] = true
				sel.IncludeControls = append(sel.IncludeControls, oscalSelectControl{ControlID: id})
			}
		}
		sels = append(sels, sel)
	}
	if len(sels) == 0 {
		sels = []oscalControlSelection{{Description: "no control roll-up was recorded: every control the checklist supports", IncludeAll: &struct{}{}}}
	}
	return oscalReviewedControls{ControlSelections: sels}
}

func (a assessment) oscalObservation(r compliance.Result, when string) oscalObservation {
	o := oscalObservation{
		UUID:        a.oscalRunID("observation", r.Item.ID),
		Title:       oscalLine(r.Item.Title),
		Description: fmt.Sprintf("Checklist item %s (%s): %s.", r.Item.ID, r.Item.Title, oscalVerdictSentence(r.Verdict)),
		Props:       []oscalProp{oscalNSProp("item", r.Item.ID), oscalNSProp("verdict", string(r.Verdict))},
		// EXAMINE, not TEST: the item is judged by reading the deployed
		// configuration, not by exercising it.
		Methods:   []string{"EXAMINE"},
		Collected: when,
	}
	if src := oscalSources(r); src != "" {
		o.Props = append(o.Props, oscalNSProp("stands-on", src))
	}
	seen := map[string]bool{}
	for _, e := range r.Evidence {
		if e.Source == compliance.FromBehaviour {
			continue // a TEST observation of its own (oscalTestObservation)
		}
		if id, title, ok := a.oscalSubjectOf(e); ok && !seen[id] {
			seen[id] = true
			o.Subjects = append(o.Subjects, oscalSubject{SubjectUUID: id, Type: "inventory-item", Title: oscalLine(title)})
		}
		sat := "satisfies the item"
		exempt := e.Exempt || (r.Verdict == compliance.Exempt && !e.OK)
		switch {
		case r.Verdict == compliance.NotDeployed:
			sat = "why the item is not deployed (remarks)"
		case exempt:
			sat = "does not satisfy the item, under an exemption (remarks: its justification)"
		case !e.OK:
			sat = "does not satisfy the item"
		}
		o.RelevantEvidence = append(o.RelevantEvidence, oscalRelevantEvidence{
			Description: fmt.Sprintf("%s = %s on %s (%s): %s", e.Field, e.Value, oscalSubjectName(e), cmp.Or(e.Source, compliance.FromState), sat),
			Props: append(oscalEvidenceProps(e), oscalNSProp("field", e.Field), oscalNSProp("value", e.Value),
				oscalNSProp("ok", fmt.Sprint(e.OK)), oscalNSProp("exempt", fmt.Sprint(exempt))),
			Remarks: e.Note,
		})
	}
	return o
}

func (a assessment) oscalItemFinding(r compliance.Result, obs []string) oscalFinding {
	f := oscalFinding{
		UUID:        a.oscalRunID("finding", r.Item.ID),
		Title:       oscalLine(r.Item.Title),
		Description: fmt.Sprintf("Checklist item %s on stack %s: %s.", r.Item.ID, a.Stack, oscalVerdictSentence(r.Verdict)),
		Props:       []oscalProp{oscalNSProp("verdict", string(r.Verdict))},
		Target: oscalFindingTarget{Type: "objective-id", TargetID: oscalToken(r.Item.ID), Title: oscalLine(r.Item.Title),
			Status: oscalStatus(r.Verdict, oscalNotes(r))},
	}
	for _, id := range obs {
		f.RelatedObservations = append(f.RelatedObservations, oscalRelatedObservation{ObservationUUID: id})
	}
	if src := oscalSources(r); src != "" {
		f.Props = append(f.Props, oscalNSProp("stands-on", src))
	}
	for _, fw := range oscalFrameworkOrder(r.Item.Controls) {
		for _, c := range r.Item.Controls[fw] {
			f.Props = append(f.Props, oscalNSProp("control", fw+" "+c))
		}
	}
	return f
}

func (a assessment) oscalControlFinding(c compliance.ControlResult, obsOf map[string][]string) oscalFinding {
	f := oscalFinding{
		UUID:  a.oscalRunID("control-finding", c.Framework, c.Control),
		Title: oscalLine(c.Framework + " " + c.Control),
		Description: fmt.Sprintf("%s %s rolled up from checklist items %s: %s.", c.Framework, c.Control,
			strings.Join(c.Items, ", "), oscalVerdictSentence(c.Verdict)),
		Props: []oscalProp{oscalNSProp("framework", c.Framework), oscalNSProp("verdict", string(c.Verdict))},
		Target: oscalFindingTarget{Type: "statement-id", TargetID: oscalControlToken(c.Framework, c.Control) + "_smt",
			Title: oscalLine(c.Framework + " " + c.Control), Status: oscalStatus(c.Verdict, "")},
	}
	if c.Verdict == compliance.Partial {
		// OSCAL's objective status has two states, and a partly deployed
		// control is not satisfied: a consumer reading only the state must
		// not count it as met. How much of it is in place is what the
		// target's implementation-status says ("used to qualify the status
		// value", OSCAL 1.1's finding target), whose "partial" is this
		// verdict; its remarks name the items missing.
		missing := fmt.Sprintf("not deployed: %s; deployed, none failing: %s", strings.Join(c.Undeployed, ", "), strings.Join(deployedItems(c), ", "))
		f.Target.Status.Remarks = "partial: the stack does not deploy every item of the control (" + missing + ")"
		f.Target.ImplementationStatus = &oscalImplementationStatus{State: "partial", Remarks: missing}
		for _, id := range c.Undeployed {
			f.Props = append(f.Props, oscalNSProp("not-deployed", id))
		}
	}
	for _, id := range c.Items {
		for _, u := range obsOf[id] {
			f.RelatedObservations = append(f.RelatedObservations, oscalRelatedObservation{ObservationUUID: u})
		}
	}
	return f
}

// oscalStatus maps a verdict to OSCAL's two states: only a pass is
// satisfied.
func oscalStatus(v compliance.Verdict, remarks string) oscalTargetStatus {
	switch v {
	case compliance.Pass:
		return oscalTargetStatus{State: "satisfied", Reason: "pass", Remarks: remarks}
	case compliance.Fail:
		return oscalTargetStatus{State: "not-satisfied", Reason: "fail", Remarks: remarks}
	case compliance.Exempt:
		return oscalTargetStatus{State: "not-satisfied", Reason: "other", Remarks: remarks}
	}
	return oscalTargetStatus{State: "not-satisfied", Reason: "other", Remarks: oscalVerdictSentence(v)}
}

// deployedItems are c's items the stack deploys.
func deployedItems(c compliance.ControlResult) []string {
	var out []string
	for _, id := range c.Items {
		if !slices.Contains(c.Undeployed, id) {
			out = append(out, id)
		}
	}
	return out
}

func oscalVerdictSentence(v compliance.Verdict) string {
	switch v {
	case compliance.Pass:
		return "pass: every resource it looks at is there with the right values"
	case compliance.Fail:
		return "FAIL: a resource is missing or a value is wrong"
	case compliance.Exempt:
		return "exempt: it does not hold, under a typed exemption with a justification"
	case compliance.NotDeployed:
		return "not deployed: the stack does not enable what it looks at"
	case compliance.Partial:
		return "partial: the items the stack deploys hold, but it does not deploy them all"
	}
	return "verdict " + string(v)
}

// oscalNotes are a failure's notes and every exemption's justification
// (prefixed "exempted <URN>:"), so a pass with exempted objects says so.
func oscalNotes(r compliance.Result) string {
	var notes []string
	for _, e := range r.Evidence {
		switch {
		case e.Exempt || (r.Verdict == compliance.Exempt && !e.OK):
			notes = append(notes, fmt.Sprintf("exempted %s: %s", oscalSubjectName(e), e.Note))
		case !e.OK && e.Note != "":
			notes = append(notes, e.Note)
		}
	}
	return strings.Join(notes, "; ")
}

func oscalFrameworkOrder(m map[string][]string) []string {
	var out []string
	for _, f := range compliance.Frameworks {
		if _, ok := m[f]; ok {
			out = append(out, f)
		}
	}
	var rest []string
	for f := range m {
		if !slices.Contains(compliance.Frameworks, f) {
			rest = append(rest, f)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// oscalControlToken makes an OSCAL token (letters, digits, '.', '-', '_'; a
// letter first) of a framework and a control label:
// ("NIS2", "Art. 21(2)(h)") → "nis2_art-21-2-h", ("CE+", "CE-3") → "ce-plus_ce-3".
// An ISM control is its id in ASD's catalog: ("ISM", "ISM-1182") → "ism-1182".
func oscalControlToken(framework, control string) string {
	if id, ok := oscalISMControlID(framework, control); ok {
		return id
	}
	return oscalToken(strings.ReplaceAll(framework, "+", "-plus")) + "_" + oscalToken(control)
}

// oscalToken lower-cases s and turns every run of other characters than ASCII
// letters and digits into one '-'; a result not starting with a letter gets
// "x-" in front.
func oscalToken(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	t := b.String()
	if t == "" || t[0] < 'a' || t[0] > 'z' {
		t = "x-" + t
	}
	return strings.TrimSuffix(t, "-")
}
