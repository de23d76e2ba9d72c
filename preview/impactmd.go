package preview

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/compliance"
)

// maxCauses caps the steps named in one cell of the impact tables.
const maxCauses = 3

// impactSection renders the control impact: the controls that flip per
// framework, then the items, each with the steps that cause it; "" when
// the plan was not assessed. It is never cut to fit the comment (the
// value lists and tables below are): it is what the reviewer reads first.
func impactSection(imp *Impact) string {
	if imp == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### Control impact\n")
	if len(imp.Controls)+len(imp.Items) == 0 {
		b.WriteString("No checklist item or framework control changes verdict: the planned state assesses like the current one (`rampart check`, state only).\n")
		return b.String()
	}
	reg := imp.Regressions()
	exempted := 0
	for _, c := range imp.Controls {
		if c.Regression() && c.Exempted {
			exempted++
		}
	}
	switch {
	case len(reg) > 0:
		fmt.Fprintf(&b, "**%d %s regress to fail**: the preview fails (exit 2) until the change is fixed or an approved exemption covers it.\n",
			len(reg), plural(len(reg), "control", "controls"))
	default:
		b.WriteString("No control regresses to fail.\n")
	}
	if exempted > 0 {
		fmt.Fprintf(&b, "%d failing %s covered by an approved exemption.\n", exempted, plural(exempted, "control is", "controls are"))
	}
	if len(imp.Controls) > 0 {
		b.WriteString("\n| framework | control | verdict | items | caused by |\n|---|---|---|---|---|\n")
		for _, c := range imp.Controls {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(c.Framework), cell(c.Control), flipText(c.From, c.To, c.Regression() && !c.Exempted),
				cell(strings.Join(c.Items, ", ")), causeText(c.Causes))
		}
	}
	if len(imp.Items) > 0 {
		b.WriteString("\n| item | verdict | caused by | why |\n|---|---|---|---|\n")
		for _, it := range imp.Items {
			var why []string
			for _, e := range it.Failing {
				why = append(why, e.Note)
			}
			fmt.Fprintf(&b, "| %s — %s | %s | %s | %s |\n", code(it.ID), cell(it.Title),
				flipText(it.From, it.To, it.To == compliance.Fail), causeText(it.Causes), cell(cut(strings.Join(cutList(why, 2), "; "), MaxValueLen*2)))
		}
	}
	return b.String()
}

// flipText is "pass → **fail**", the new verdict bold on a regression.
func flipText(from, to compliance.Verdict, bad bool) string {
	if bad {
		return fmt.Sprintf("%s → **%s**", from, to)
	}
	return fmt.Sprintf("%s → %s", from, to)
}

// causeText names the steps behind a flip: "delete `name`".
func causeText(cs []Cause) string {
	if len(cs) == 0 {
		return "no step of this plan names its resources"
	}
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Op+" "+code(c.Name))
	}
	return strings.Join(cutList(parts, maxCauses), ", ")
}
