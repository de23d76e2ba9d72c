package compliance

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// mdMarks are the verdict mdMarks of the report: plain characters that read in
// a terminal and in a PR comment alike.
var mdMarks = map[Verdict]string{Pass: "✔", Fail: "✘", Exempt: "⚑", NotDeployed: "·"}

// mdOrder puts failing items first, then exemptions, passes, not deployed.
var mdOrder = map[Verdict]int{Fail: 0, Exempt: 1, Pass: 2, NotDeployed: 3}

// Counts returns how many items got each verdict.
func (a *Assessment) Counts() map[Verdict]int {
	n := map[Verdict]int{}
	for _, r := range a.Results {
		n[r.Verdict]++
	}
	return n
}

// Summary is the one-line count: "9 pass, 1 fail, 0 exempt, 3 not deployed".
func (a *Assessment) Summary() string {
	n := a.Counts()
	return fmt.Sprintf("%d pass, %d fail, %d exempt, %d not deployed", n[Pass], n[Fail], n[Exempt], n[NotDeployed])
}

// Markdown writes the report for a terminal or a PR comment: the summary,
// the items (failing first), the evidence of each failing item, the
// exemptions with their justification, and the framework controls.
func (a *Assessment) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Compliance of stack `%s` (profile %s)\n\n", a.Stack, cmp.Or(a.Profile, "unknown"))
	src := "the state as the last `pulumi up` recorded it (`--refresh` reads the live cluster first)"
	if a.Refreshed {
		src = "the state refreshed from the live cluster"
	}
	fmt.Fprintf(&b, "Evaluated from %s, %s.\n\n**%s**\n\n", src, a.Generated.UTC().Format("2006-01-02 15:04 MST"), a.Summary())

	results := append([]Result(nil), a.Results...)
	sort.SliceStable(results, func(i, j int) bool { return mdOrder[results[i].Verdict] < mdOrder[results[j].Verdict] })
	b.WriteString("| | item | verdict | facts |\n|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | `%s` %s | %s | %s |\n", mdMarks[r.Verdict], r.Item.ID, cell(r.Item.Title), r.Verdict, facts(r))
	}
	for _, r := range results {
		if r.Verdict != Fail {
			continue
		}
		fmt.Fprintf(&b, "\n### %s `%s` fails\n\n| object | field | value | why |\n|---|---|---|---|\n", mdMarks[Fail], r.Item.ID)
		for _, e := range r.Evidence {
			if !e.OK && !e.Exempt {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(objectName(e.URN)), cell(e.Field), cell(e.Value), cell(e.Note))
			}
		}
	}
	var ex []string
	for _, r := range a.Results {
		for _, e := range r.Evidence {
			if e.Exempt {
				ex = append(ex, fmt.Sprintf("- %s %s `%s`: %s = `%s`, %s\n", mdMarks[Exempt], objectName(e.URN), r.Item.ID, e.Field, e.Value, e.Note))
			}
		}
	}
	b.WriteString("\n### Exemptions\n\n")
	if len(ex) == 0 {
		b.WriteString("None.\n")
	}
	b.WriteString(strings.Join(ex, ""))
	b.WriteString("\n### Framework controls\n\n| framework | control | verdict | items |\n|---|---|---|---|\n")
	for _, c := range a.Controls {
		fmt.Fprintf(&b, "| %s | %s | %s %s | %s |\n", c.Framework, cell(c.Control), mdMarks[c.Verdict], c.Verdict, strings.Join(c.Items, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// facts summarises an item's evidence for the item table.
func facts(r Result) string {
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
	case r.Verdict == NotDeployed && len(r.Evidence) > 0:
		return cell(r.Evidence[0].Note)
	case r.Verdict == NotDeployed:
		return "nothing in the state"
	case bad > 0:
		return fmt.Sprintf("%d of %d fail", bad, len(r.Evidence))
	case exempt > 0:
		return fmt.Sprintf("%d hold, %d exempt", ok, exempt)
	}
	return fmt.Sprintf("%d hold", ok)
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

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// JSON writes the assessment for machines, indented.
func (a *Assessment) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}
