package report

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/compliance"
)

// htmlReport is the page's template: one document, its CSS inline, no
// script, font, image or stylesheet fetched from anywhere, so the file can be
// mailed, archived as evidence, opened offline and printed as it is.
//
//go:embed html_report.tmpl
var htmlReport string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"verdictClass": htmlVerdictClass,
	"verdictMark":  htmlVerdictMark,
	"upper":        strings.ToUpper,
	"source":       htmlSource,
	"standsOn":     standsOn,
	"ruleMatch":    controllerMatch,
	"when":         mdTime,
	"origins":      originCounts,
	"checkWhy":     checkWhy,
	"undeployed":   slices.Contains[[]string, string],
}).Parse(htmlReport))

// FailColour is the fail badge's and banner's colour (the template's --fail;
// a test keeps the two equal): a dark red that keeps white text readable
// (contrast 7.3:1) and stays dark in grey-scale print. The render test
// counts its pixels to prove the failure is visible.
const FailColour = "#b00020"

// HTML writes a self-contained, print-friendly report (no external scripts,
// styles or fonts): header, PASS/FAIL banner and counts, the items (failing
// first, with what each stands on) with their evidence and its source, the
// exemptions with their justification, rampart verify's checks, the live
// read (unmanaged objects, classification rules) when there is one, and
// one control roll-up table per framework (a partial control marks the
// items the stack does not deploy). Facts of one item that read the same
// but for their resource are one row with ×N and every resource.
func HTML(w io.Writer, a *compliance.Assessment) error {
	if err := htmlTemplate.Execute(w, newHTMLView(a)); err != nil {
		return fmt.Errorf("compliance report: render HTML for stack %q: %w", a.Stack, err)
	}
	return nil
}

// htmlView is what the template reads: the assessment already sorted and
// counted, so the template holds no logic beyond loops.
type htmlView struct {
	A         *compliance.Assessment
	Failed    bool
	Generated string
	Counts    []htmlVerdictCount
	Total     int
	// ControlCounts are the framework controls per verdict
	// (htmlControlOrder), nil without a control roll-up.
	ControlCounts []htmlVerdictCount
	Items         []htmlItem     // failing first, then exempt, pass, not deployed
	Evidence      []htmlEvidence // the items that have evidence, in Items order
	Exemptions    []htmlExemption
	Frameworks    []controlsOfFramework
	// Checks are the behaviour checks, failures first (nil without a
	// rampart verify run).
	Checks []compliance.Check
	// Classification is ClassificationNote, for the live section.
	Classification string
}

// htmlItem is a result with the lines that say why it is not a plain pass:
// the notes of its failing evidence (or the field and value when a note is
// missing), and each exemption's justification; a line that several facts
// share is shown once, "(×N)" after it.
type htmlItem struct {
	compliance.Result
	Why []string
}

// htmlEvidence is an item with its evidence table's rows.
type htmlEvidence struct {
	compliance.Result
	Rows []htmlEvidenceRow
}

// htmlEvidenceRow is one row of an item's evidence table: the facts that
// read the same (source, field, value, OK, note) but for their resource.
type htmlEvidenceRow struct {
	evidenceGroup
	Exempted bool
}

// htmlExemption is the exempted facts of one item under one justification:
// an item that passes with some objects exempted lists them here as much
// as an item whose verdict is exempt.
type htmlExemption struct {
	Item      compliance.Item
	Verdict   compliance.Verdict
	Note      string
	Resources []string
}

type htmlVerdictCount struct {
	Verdict compliance.Verdict
	N       int
}

type controlsOfFramework struct {
	Name     string
	Controls []compliance.ControlResult
}

// htmlVerdictOrder puts what needs action first.
var htmlVerdictOrder = []compliance.Verdict{compliance.Fail, compliance.Exempt, compliance.Pass, compliance.NotDeployed}

// htmlControlOrder is htmlVerdictOrder for controls, which may be partial.
var htmlControlOrder = []compliance.Verdict{compliance.Fail, compliance.Partial, compliance.Exempt, compliance.Pass, compliance.NotDeployed}

func htmlVerdictRank(v compliance.Verdict) int {
	for i, o := range htmlVerdictOrder {
		if v == o {
			return i
		}
	}
	return len(htmlVerdictOrder)
}

func newHTMLView(a *compliance.Assessment) htmlView {
	v := htmlView{A: a, Failed: a.Failed(), Generated: "unknown", Total: len(a.Results)}
	if !a.Generated.IsZero() {
		v.Generated = a.Generated.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	n := map[compliance.Verdict]int{}
	for _, r := range a.Results {
		n[r.Verdict]++
	}
	for _, vd := range htmlVerdictOrder {
		v.Counts = append(v.Counts, htmlVerdictCount{vd, n[vd]})
	}
	if len(a.Controls) > 0 {
		cn := a.ControlCounts()
		for _, vd := range htmlControlOrder {
			v.ControlCounts = append(v.ControlCounts, htmlVerdictCount{vd, cn[vd]})
		}
	}
	sorted := append([]compliance.Result(nil), a.Results...)
	sort.SliceStable(sorted, func(i, j int) bool { return htmlVerdictRank(sorted[i].Verdict) < htmlVerdictRank(sorted[j].Verdict) })
	for _, r := range sorted {
		v.Items = append(v.Items, htmlItem{r, htmlWhy(r)})
		if len(r.Evidence) > 0 {
			v.Evidence = append(v.Evidence, htmlEvidenceOf(r))
		}
		exempted := only(r.Evidence, func(e compliance.Evidence) bool { return htmlExempted(r, e) })
		for _, g := range groupEvidence(exempted, func(e compliance.Evidence) string { return e.Note }, htmlResource) {
			v.Exemptions = append(v.Exemptions, htmlExemption{r.Item, r.Verdict, g.Note, distinct(g.Objects)})
		}
	}
	v.Frameworks = controlsByFramework(a.Controls)
	if a.Behaviour != nil {
		v.Checks = a.Behaviour.FailedFirst()
	}
	v.Classification = compliance.ClassificationNote
	return v
}

// htmlResource names the object of a fact in the Resource column: its URN
// when the stack declares it, else its Kubernetes name.
func htmlResource(e compliance.Evidence) string {
	if e.URN != "" {
		return e.URN
	}
	if e.Source == compliance.FromBehaviour {
		return "rampart verify: " + e.Field
	}
	return e.Object
}

// htmlSource says what a fact stands on, with a live object's name,
// origin and provenance (earliest field manager, creation time).
func htmlSource(e compliance.Evidence) string {
	switch {
	case e.Source == compliance.FromLive && e.Object != "" && e.Origin != "":
		return fmt.Sprintf("live: %s, %s, %s", e.Object, e.Origin, cmp.Or(e.Creator, "provenance unknown"))
	case e.Source == compliance.FromLive && e.Object != "":
		return "live: " + e.Object
	case e.Source == "":
		return string(compliance.FromState)
	}
	return string(e.Source)
}

// htmlExempted: the fact is under an exemption (marked, or the item's
// verdict is exempt and the fact does not hold).
func htmlExempted(r compliance.Result, e compliance.Evidence) bool {
	return e.Exempt || (r.Verdict == compliance.Exempt && !e.OK)
}

// distinct keeps the first of each string, in order: a resource exempted
// on several fields under one justification is listed once.
func distinct(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// htmlEvidenceOf groups r's facts into its evidence table's rows.
func htmlEvidenceOf(r compliance.Result) htmlEvidence {
	type row struct {
		source   string
		fact     fact
		exempted bool
	}
	key := func(e compliance.Evidence) row { return row{htmlSource(e), factOf(e), htmlExempted(r, e)} }
	out := htmlEvidence{Result: r}
	for _, g := range groupEvidence(r.Evidence, key, htmlResource) {
		out.Rows = append(out.Rows, htmlEvidenceRow{g, htmlExempted(r, g.Evidence)})
	}
	return out
}

func htmlWhy(r compliance.Result) []string {
	var out []string
	n := map[string]int{}
	for _, e := range r.Evidence {
		var line string
		switch {
		case htmlExempted(r, e):
			line = "exempted: " + e.Note
		case e.OK:
			continue
		case e.Note != "":
			line = e.Note
		default:
			line = fmt.Sprintf("%s = %s", e.Field, e.Value)
		}
		if n[line] == 0 {
			out = append(out, line)
		}
		n[line]++
	}
	for i, line := range out {
		if n[line] > 1 {
			out[i] = fmt.Sprintf("%s (×%d)", line, n[line])
		}
	}
	return out
}

// controlsByFramework makes one table per framework: Frameworks' order first, then
// any other framework by name, each keeping the assessment's control order.
func controlsByFramework(cs []compliance.ControlResult) []controlsOfFramework {
	by := map[string][]compliance.ControlResult{}
	for _, c := range cs {
		by[c.Framework] = append(by[c.Framework], c)
	}
	var out []controlsOfFramework
	for _, f := range compliance.Frameworks {
		if len(by[f]) > 0 {
			out = append(out, controlsOfFramework{f, by[f]})
			delete(by, f)
		}
	}
	rest := make([]string, 0, len(by))
	for f := range by {
		rest = append(rest, f)
	}
	sort.Strings(rest)
	for _, f := range rest {
		out = append(out, controlsOfFramework{f, by[f]})
	}
	return out
}

// htmlVerdictClass is the CSS class of a verdict's badge and row.
func htmlVerdictClass(v compliance.Verdict) string {
	switch v {
	case compliance.Pass, compliance.Fail, compliance.Exempt:
		return string(v)
	case compliance.NotDeployed:
		return "not-deployed"
	case compliance.Partial:
		return "partial"
	}
	return "unknown"
}

// htmlVerdictMark is a glyph beside the badge's text, so a verdict reads without
// colour (grey-scale print, colour blindness).
func htmlVerdictMark(v compliance.Verdict) string {
	switch v {
	case compliance.Pass:
		return "✓"
	case compliance.Fail:
		return "✗"
	case compliance.Exempt:
		return "!"
	case compliance.NotDeployed:
		return "–"
	case compliance.Partial:
		return "◐"
	}
	return "?"
}
