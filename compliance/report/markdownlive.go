package report

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/inventory"
)

// mdBehaviour writes the "Behaviour (rampart verify)" section: the checks,
// failures first, and the API server's /readyz?verbose as recorded.
func (a assessment) mdBehaviour(b *strings.Builder) {
	bh := a.Behaviour
	if bh == nil {
		return
	}
	fmt.Fprintf(b, "\n### Behaviour (rampart verify)\n\nRun on %s with probe image %s, %s to %s: %d checks, %d failed.\n\n",
		code(cmp.Or(bh.Server, "unknown")), code(cmp.Or(bh.ProbeImage, "unknown")), mdTime(bh.Started), mdTime(bh.Finished), len(bh.Checks), bh.Failed())
	if len(bh.Checks) > 0 {
		b.WriteString("| | item | check | expected | observed | why |\n|---|---|---|---|---|---|\n")
		for _, c := range bh.FailedFirst() {
			mark := mdMarks[compliance.Pass]
			if !c.OK {
				mark = mdMarks[compliance.Fail]
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", mark, tableCode(c.Item), cell(c.Name), cell(c.Expected), cell(c.Observed), cell(checkWhy(c)))
		}
	}
	if len(bh.Notes) > 0 {
		b.WriteString("\nNot checked in this run (neither pass nor fail):\n\n")
		for _, n := range bh.Notes {
			fmt.Fprintf(b, "- %s\n", cell(n))
		}
	}
	if bh.Readyz != "" {
		fence := strings.Repeat("`", max(3, longestRun(bh.Readyz, '`')+1))
		fmt.Fprintf(b, "\nThe API server's `/readyz?verbose`, as recorded:\n\n%stext\n%s\n%s\n", fence, strings.TrimRight(bh.Readyz, "\n"), fence)
	}
}

// checkWhy is a check's intent with its raw observation.
func checkWhy(c compliance.Check) string {
	if c.Detail == "" {
		return c.Why
	}
	return strings.TrimSpace(c.Why + " (observed: " + c.Detail + ")")
}

func longestRun(s string, c rune) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// mdTime is a time in UTC, "unknown" when zero.
func mdTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 MST")
}

// mdLive writes the "Live cluster" section: what was read, the objects
// nobody declared with their earliest field manager, the declared objects the cluster
// lacks, and the rules that classified and judged the objects.
func (a assessment) mdLive(b *strings.Builder) {
	l := a.Live
	if l == nil {
		return
	}
	fmt.Fprintf(b, "\n### Live cluster\n\nRead from %s at %s. Managed namespaces: %s. Kinds listed: %s.\n\nObjects by origin: %s.\n",
		code(cmp.Or(l.Server, "unknown")), mdTime(l.Read), cell(listOrNone(l.Namespaces)), cell(listOrNone(l.Kinds)), cell(originCounts(l.Counts)))
	b.WriteString("\n#### Unmanaged objects\n\n")
	if len(l.Unmanaged) == 0 {
		b.WriteString("None: every object listed is declared, owned by a declared object or created by a known controller.\n")
	} else {
		b.WriteString("| kind | object | origin | earliest field manager, creation |\n|---|---|---|---|\n")
		for _, o := range l.Unmanaged {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", cell(o.Kind), tableCode(o.Object), cell(o.Origin), cell(o.Creator))
		}
	}
	if len(l.Gone) > 0 {
		b.WriteString("\n#### Declared, absent from the cluster\n\n")
		for _, g := range l.Gone {
			fmt.Fprintf(b, "- %s\n", code(g))
		}
	}
	fmt.Fprintf(b, "\n#### Classification rules\n\n%s.\n\n", cell(compliance.ClassificationNote))
	if len(l.Rules) == 0 {
		b.WriteString("No controller rule was applied.\n")
	} else {
		b.WriteString("| rule | matches | reason |\n|---|---|---|\n")
		for _, r := range l.Rules {
			fmt.Fprintf(b, "| %s | %s | %s |\n", cell(r.Name), cell(controllerMatch(r)), cell(r.Reason))
		}
	}
	if len(l.AllowRules) > 0 {
		b.WriteString("\n#### Judgement rules\n\n| rule | allows | reason |\n|---|---|---|\n")
		for _, r := range l.AllowRules {
			fmt.Fprintf(b, "| %s | %s | %s |\n", cell(r.Name), cell(r.Grants), cell(r.Reason))
		}
	}
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// originCounts renders the counts in classification order, then any other
// origin by name.
func originCounts(n map[string]int) string {
	order := []string{string(inventory.Declared), string(inventory.Owned), string(inventory.KnownController), string(inventory.Unmanaged)}
	var rest []string
	for k := range n {
		if !slices.Contains(order, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	var out []string
	for _, k := range append(order, rest...) {
		if v, ok := n[k]; ok {
			out = append(out, fmt.Sprintf("%d %s", v, k))
		}
	}
	return listOrNone(out)
}

// controllerMatch says what a controller rule matches.
func controllerMatch(c inventory.Controller) string {
	var parts []string
	if len(c.Kinds) > 0 {
		parts = append(parts, "kinds "+strings.Join(c.Kinds, ", "))
	}
	if len(c.Names) > 0 {
		parts = append(parts, "names "+strings.Join(c.Names, ", "))
	}
	if len(c.Managers) > 0 {
		parts = append(parts, "field manager "+strings.Join(c.Managers, " or "))
	}
	if len(c.Labels) > 0 {
		keys := make([]string, 0, len(c.Labels))
		for k := range c.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var ls []string
		for _, k := range keys {
			ls = append(ls, k+"="+c.Labels[k])
		}
		parts = append(parts, "labels "+strings.Join(ls, ", "))
	}
	if len(parts) == 0 {
		return "any object"
	}
	return strings.Join(parts, "; ")
}
