package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/inventory"
)

// mdMarks are the verdict mdMarks of the report: plain characters that read in
// a terminal and in a PR comment alike (◐: a control half shown).
var mdMarks = map[compliance.Verdict]string{compliance.Pass: "✔", compliance.Fail: "✘", compliance.Exempt: "⚑", compliance.NotDeployed: "·", compliance.Partial: "◐"}

// mdOrder puts failing items first, then exemptions, passes, not deployed.
var mdOrder = map[compliance.Verdict]int{compliance.Fail: 0, compliance.Exempt: 1, compliance.Pass: 2, compliance.NotDeployed: 3}

// Markdown writes the report for a terminal or a PR comment: the summary,
// the items (failing first) with what each stands on (state, live,
// behaviour), the evidence of each failing item, the exemptions with their
// justification, rampart verify's checks and /readyz record (when added),
// the live read (unmanaged objects with their earliest field manager, the classification
// and judgement rules) and the framework controls (a partial one names the
// items the stack does not deploy). Facts of one item that read the same
// but for their object are one line with ×N and the objects (mdGroupShown).
func Markdown(w io.Writer, a *compliance.Assessment) error { return assessment{a}.markdown(w) }

func (a assessment) markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Compliance of stack %s (profile %s)\n\n", code(a.Stack), cell(cmp.Or(a.Profile, "unknown")))
	src := "the state as the last `pulumi up` recorded it (`--refresh` reads the live cluster first)"
	if a.Refreshed {
		src = "the state refreshed from the live cluster"
	}
	fmt.Fprintf(&b, "Evaluated from %s, %s.", src, a.Generated.UTC().Format("2006-01-02 15:04 MST"))
	if a.Live != nil {
		fmt.Fprintf(&b, " The live cluster %s was read through the Kubernetes API at %s: every object listed, declared or created out of band, is judged (see Live cluster).",
			code(cmp.Or(a.Live.Server, "unknown")), mdTime(a.Live.Read))
	}
	if a.Behaviour != nil {
		fmt.Fprintf(&b, " rampart verify exercised %s: %d checks, %d failed (see Behaviour).", code(cmp.Or(a.Behaviour.Server, "unknown")), len(a.Behaviour.Checks), a.Behaviour.Failed())
	}
	fmt.Fprintf(&b, "\n\n**%s**\n\n", a.Summary())
	if len(a.Controls) > 0 {
		fmt.Fprintf(&b, "Framework controls: %s (partial: some of its items are not deployed, none fails).\n\n", a.ControlSummary())
	}

	results := append([]compliance.Result(nil), a.Results...)
	sort.SliceStable(results, func(i, j int) bool { return mdOrder[results[i].Verdict] < mdOrder[results[j].Verdict] })
	b.WriteString("| | item | verdict | facts | stands on |\n|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | `%s` %s | %s | %s | %s |\n", mdMarks[r.Verdict], r.Item.ID, cell(r.Item.Title), r.Verdict, facts(r), standsOn(r))
	}
	for _, r := range results {
		if r.Verdict != compliance.Fail {
			continue
		}
		fmt.Fprintf(&b, "\n### %s `%s` fails\n\n| object | field | value | why |\n|---|---|---|---|\n", mdMarks[compliance.Fail], r.Item.ID)
		for _, g := range groupEvidence(only(r.Evidence, func(e compliance.Evidence) bool { return !e.OK && !e.Exempt }), factOf, evidenceObject) {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(mdObjects(g)), tableCode(g.Field), tableCode(g.Value), cell(g.Note))
		}
	}
	var ex []string
	for _, r := range a.Results {
		for _, g := range groupEvidence(only(r.Evidence, func(e compliance.Evidence) bool { return e.Exempt }), factOf, evidenceObject) {
			if g.N() == 1 {
				ex = append(ex, fmt.Sprintf("- %s %s %s: %s = %s, %s\n", mdMarks[compliance.Exempt], cell(g.Objects[0]), code(r.Item.ID), code(g.Field), code(g.Value), cell(g.Note)))
				continue
			}
			ex = append(ex, fmt.Sprintf("- %s ×%d %s %s: %s = %s, %s\n", mdMarks[compliance.Exempt], g.N(), cell(firstFew(g.Objects, mdGroupShown)),
				code(r.Item.ID), code(g.Field), code(g.Value), cell(g.Note)))
		}
	}
	b.WriteString("\n### Exemptions\n\n")
	if len(ex) == 0 {
		b.WriteString("None.\n")
	}
	b.WriteString(strings.Join(ex, ""))
	a.mdRegister(&b)
	a.mdBehaviour(&b)
	a.mdLive(&b)
	b.WriteString("\n### Framework controls\n\n| framework | control | verdict | items |\n|---|---|---|---|\n")
	for _, c := range a.Controls {
		fmt.Fprintf(&b, "| %s | %s | %s %s | %s |\n", cell(c.Framework), cell(c.Control), mdMarks[c.Verdict], c.Verdict, cell(controlItems(c)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// only keeps the facts keep accepts.
func only(ev []compliance.Evidence, keep func(compliance.Evidence) bool) []compliance.Evidence {
	var out []compliance.Evidence
	for _, e := range ev {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// mdObjects names a group's objects in a table cell: the object alone, or
// "×N: " and the first few.
func mdObjects(g evidenceGroup) string {
	if g.N() == 1 {
		return g.Objects[0]
	}
	return fmt.Sprintf("×%d: %s", g.N(), firstFew(g.Objects, mdGroupShown))
}

// controlItems lists a control's items, each the stack does not deploy
// marked so when it deploys others ("tls-ingress, secrets-vault (not
// deployed)"): why a control is partial.
func controlItems(c compliance.ControlResult) string {
	out := make([]string, 0, len(c.Items))
	for _, id := range c.Items {
		if slices.Contains(c.Undeployed, id) {
			id += " (not deployed)"
		}
		out = append(out, id)
	}
	return strings.Join(out, ", ")
}

// facts summarises an item's evidence for the item table.
func facts(r compliance.Result) string {
	var ok, bad, exempt int
	for _, e := range r.Evidence {
		switch {
		case e.Exempt:
			exempt++
		case e.OK:
			ok++
		default:
			bad++
		}
	}
	switch {
	case r.Verdict == compliance.NotDeployed && len(r.Evidence) > 0:
		return cell(r.Evidence[0].Note)
	case r.Verdict == compliance.NotDeployed:
		return "nothing in the state"
	case bad > 0:
		return fmt.Sprintf("%d of %d fail", bad, len(r.Evidence))
	case exempt > 0:
		return fmt.Sprintf("%d hold, %d exempt", ok, exempt)
	}
	return fmt.Sprintf("%d hold", ok)
}

// evidenceObject names what a fact is about: a resource of the state by
// its kind and logical name, a declared live object the same (marked
// live), an object the stack does not declare by its Kubernetes name with
// its origin and provenance, a behaviour check as rampart verify's.
func evidenceObject(e compliance.Evidence) string {
	switch {
	case e.Source == compliance.FromBehaviour:
		return "rampart verify"
	case e.Object != "" && e.Origin == string(inventory.Declared) && e.URN != "":
		return objectName(e.URN) + " (live)"
	case e.Object != "" && e.Origin == "":
		return e.Object + " (live)"
	case e.Object != "":
		return fmt.Sprintf("%s (%s, %s)", e.Object, e.Origin, cmp.Or(e.Creator, "provenance unknown"))
	}
	return objectName(e.URN)
}

// standsOn is what an item's verdict stands on ("state, live"); "—" for an
// item not deployed.
func standsOn(r compliance.Result) string {
	if r.Verdict == compliance.NotDeployed {
		return "—"
	}
	var out []string
	for _, s := range r.Sources() {
		out = append(out, string(s))
	}
	return strings.Join(out, ", ")
}

// objectName names a resource by its kind and logical name ("NetworkPolicy
// team-a-policies-default-deny-all"); "stack" when the fact is not a resource's.
func objectName(urn string) string {
	if urn == "" {
		return "stack"
	}
	if k := kind(urn); k != "" {
		return k + " " + shortURN(urn)
	}
	return shortURN(urn)
}

// shortURN is a URN's logical name (as the assessment's own, which it
// does not export).
func shortURN(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// kind is the last part of a URN's type ("NetworkPolicy").
func kind(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return ""
	}
	t := parts[2]
	if i := strings.LastIndex(t, "$"); i >= 0 {
		t = t[i+1:]
	}
	if i := strings.LastIndex(t, ":"); i >= 0 {
		t = t[i+1:]
	}
	return t
}

// mdText escapes plain text for Markdown: line breaks become spaces (a
// newline would end the table row or list item), HTML's <, > and & become
// entities (no raw HTML, no <!-- hiding the rest of the report), and the
// punctuation Markdown acts on is backslash-escaped (| would split a table
// cell, ` open a code span, * _ ~ [ ] emphasis and links).
var mdText = strings.NewReplacer(
	"\r\n", " ", "\n", " ", "\r", " ",
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`, "[", `\[`, "]", `\]`,
)

// cell makes s safe as plain text inside a Markdown table cell or list
// item (see mdText).
func cell(s string) string { return mdText.Replace(s) }

// code renders s as an inline code span that s cannot break out of: line
// breaks become spaces, the fence is one backtick longer than the longest
// run of backticks in s, and a space pads s when it starts or ends with a
// backtick (CommonMark strips one such space on each side). Inside a code
// span < and <!-- are literal text. For list items only: in a table, | would
// still split the row.
func code(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// tableCode is code for a table cell: GitHub's table parser splits rows on
// an unescaped | even inside a code span, so | is escaped there. Field
// paths and values read as written (brackets, quotes, JSON), unescaped.
func tableCode(s string) string { return code(strings.ReplaceAll(s, "|", `\|`)) }
