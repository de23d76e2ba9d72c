package preview

import (
	"fmt"
	"html"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rampart-dev/rampart/compliance"
)

// DefaultMaxBytes caps the comment Markdown writes. GitHub refuses a
// comment over 65,536 characters; 60,000 bytes (never more characters than
// bytes) leaves room for a bot's own header and footer.
const DefaultMaxBytes = 60000

// Option changes how Markdown renders.
type Option func(*options)

type options struct{ maxBytes int }

// WithMaxBytes caps the comment at n bytes (default DefaultMaxBytes; n ≤ 0
// means the default). Over the cap, the longest per-resource value lists
// are cut first, then table rows of the largest groups (the security
// section's last), and the comment says what was cut.
func WithMaxBytes(n int) Option { return func(o *options) { o.maxBytes = n } }

// row is one step's table line and its folded value list.
type row struct {
	line    string // "| op | name | type | changed |\n"
	details string // <details> block with old → new, "" for none
	folded  string // the same block with its values cut
	cut     bool   // details replaced by folded
	dropped bool   // row left out altogether
	name    string
}

func (r *row) size() int {
	switch {
	case r.dropped:
		return 0
	case r.cut:
		return len(r.line) + len(r.folded)
	}
	return len(r.line) + len(r.details)
}

// group is one section: the security table or a component.
type group struct {
	head     string
	rows     []*row
	security bool // the ⚠ section, cut last
}

// droppedLine is the table line that stands for the rows left out.
func droppedLine(n int) string {
	return fmt.Sprintf("| … | %d more not shown | | |\n", n)
}

func (g *group) size() int {
	n, dropped := len(g.head), 0
	for _, r := range g.rows {
		n += r.size()
		if r.dropped {
			dropped++
		}
	}
	if dropped > 0 {
		n += len(droppedLine(dropped))
	}
	return n
}

func (g *group) render(b *strings.Builder) {
	b.WriteString(g.head)
	dropped := 0
	for _, r := range g.rows {
		if r.dropped {
			dropped++
			continue
		}
		b.WriteString(r.line)
	}
	if dropped > 0 {
		b.WriteString(droppedLine(dropped))
	}
	for _, r := range g.rows {
		switch {
		case r.dropped:
		case r.cut:
			b.WriteString(r.folded)
		default:
			b.WriteString(r.details)
		}
	}
}

// Markdown writes the plan as a PR comment: the change counts and the
// program's warnings (an exemption about to run out), then the control
// impact when
// the plan was assessed (Plan.Assess: the framework controls and checklist
// items that flip, with the steps causing each), then a ⚠
// security-relevant section (every step that replaces or deletes an object enforcing a control,
// or weakens one in place, with why), then the steps grouped by component
// with the controls each group implements, each changed resource's
// properties folded in a <details> block as old → new. Secrets show as
// SecretText. The comment stays within WithMaxBytes.
func (p *Plan) Markdown(w io.Writer, opts ...Option) error {
	o := options{maxBytes: DefaultMaxBytes}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxBytes <= 0 {
		o.maxBytes = DefaultMaxBytes
	}
	header := fmt.Sprintf("## Rampart preview of `%s`\n\n", p.Stack)
	if len(p.Steps) == 0 {
		_, err := io.WriteString(w, clamp(header+"No changes.\n"+warningSection(p.Warnings), o.maxBytes))
		return err
	}
	counts := map[string]int{}
	for _, s := range p.Steps {
		counts[s.Op]++
	}
	var ops []string
	for op, n := range counts {
		ops = append(ops, fmt.Sprintf("%d to %s", n, op))
	}
	sort.Strings(ops)
	header += strings.Join(ops, ", ") + "\n"
	header += warningSection(p.Warnings)

	header += impactSection(p.Impact)

	groups := append(securityGroup(p.Steps), componentGroups(p.Steps)...)
	fit(groups, len(header)+noteReserve, o.maxBytes)

	var b strings.Builder
	b.WriteString(header)
	if note := cutNote(groups); note != "" {
		b.WriteString("\n" + note + "\n")
	}
	for _, g := range groups {
		g.render(&b)
	}
	_, err := io.WriteString(w, clamp(b.String(), o.maxBytes))
	return err
}

// maxWarnings caps the warnings section, and maxWarningLen each warning,
// so the control impact below them stays in a comment of DefaultMaxBytes.
const (
	maxWarnings   = 20
	maxWarningLen = 400
)

// warningSection lists the preview's warnings under the counts, before
// the control impact: an exemption about to run out is the stack owner's
// to renew whatever the change is, so it shows even with no changes. Each
// is one code span, so text from the stack config (an owner, a ticket)
// renders as written, never as HTML, a link or a mention; repeats are
// shown once.
func warningSection(warnings []string) string {
	var uniq []string
	seen := map[string]bool{}
	for _, w := range warnings {
		w = strings.Join(strings.Fields(w), " ")
		if !seen[w] {
			seen[w] = true
			uniq = append(uniq, w)
		}
	}
	if len(uniq) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### ⚠ warnings\n")
	for i, w := range uniq {
		if i == maxWarnings {
			fmt.Fprintf(&b, "- … and %d more: run `pulumi preview` to see them all\n", len(uniq)-maxWarnings)
			break
		}
		if r := []rune(w); len(r) > maxWarningLen {
			w = string(r[:maxWarningLen]) + "…"
		}
		fmt.Fprintf(&b, "- %s\n", code(w))
	}
	return b.String()
}

func securityGroup(steps []Step) []*group {
	g := &group{security: true, head: "\n### ⚠ security-relevant\n" +
		"These steps replace or delete an object that enforces a control, or weaken one in place: review them first.\n\n" +
		"| op | resource | type | why |\n|---|---|---|---|\n"}
	for _, s := range steps {
		if s.Security != "" {
			g.rows = append(g.rows, &row{name: s.Name,
				line: fmt.Sprintf("| %s | %s | %s | %s |\n", s.Op, cell(s.Name), cell(s.Type), cell(s.Security))})
		}
	}
	if len(g.rows) == 0 {
		return nil
	}
	return []*group{g}
}

func componentGroups(steps []Step) []*group {
	items := map[string]compliance.Item{}
	for _, it := range compliance.Checklist() {
		items[it.ID] = it
	}
	byComp := map[string][]Step{}
	for _, s := range steps {
		byComp[s.Component] = append(byComp[s.Component], s)
	}
	comps := make([]string, 0, len(byComp))
	for c := range byComp {
		comps = append(comps, c)
	}
	sort.Strings(comps)
	var out []*group
	for _, c := range comps {
		title := c
		if c == "" {
			title = "outside any Rampart component"
		}
		var h strings.Builder
		fmt.Fprintf(&h, "\n### %s\n", title)
		for _, id := range componentItems[c] {
			it := items[id]
			var ctl []string
			for _, f := range compliance.Frameworks {
				ctl = append(ctl, f+" "+strings.Join(it.Controls[f], ", "))
			}
			fmt.Fprintf(&h, "Controls: %s — %s\n", it.Title, strings.Join(ctl, "; "))
		}
		h.WriteString("\n| op | resource | type | changed |\n|---|---|---|---|\n")
		g := &group{head: h.String()}
		for _, s := range byComp[c] {
			r := &row{name: s.Name,
				line: fmt.Sprintf("| %s | %s | %s | %s |\n", s.Op, cell(s.Name), cell(s.Type), cell(strings.Join(cutList(s.Diffs, 6), ", ")))}
			if len(s.Changes) > 0 {
				r.details, r.folded = details(s)
			}
			g.rows = append(g.rows, r)
		}
		out = append(out, g)
	}
	return out
}

// details renders a step's changes as a closed <details> block, and the
// folded form that replaces it when the comment is too long.
func details(s Step) (full, folded string) {
	summary := fmt.Sprintf("\n<details><summary>%s <code>%s</code>: %d %s</summary>\n\n",
		s.Op, html.EscapeString(oneLine.Replace(s.Name)), len(s.Changes), plural(len(s.Changes), "change", "changes"))
	var b strings.Builder
	b.WriteString(summary)
	b.WriteString("| property | old → new |\n|---|---|\n")
	for _, c := range s.Changes {
		path := code(c.Path)
		if strings.HasSuffix(c.Kind, "-replace") {
			path += " (forces replacement)"
		}
		fmt.Fprintf(&b, "| %s | %s → %s |\n", path, shown(c.Old), shown(c.New))
	}
	b.WriteString("\n</details>\n")
	folded = summary + "Values cut to fit the comment; `pulumi preview --diff` shows them.\n\n</details>\n"
	return b.String(), folded
}

// noteReserve is room kept for the truncation note.
const noteReserve = 600

// fit cuts the longest value lists first, then rows of the largest groups,
// until the groups fit in limit bytes beside fixed.
func fit(groups []*group, fixed, limit int) {
	total := func() int {
		n := fixed
		for _, g := range groups {
			n += g.size()
		}
		return n
	}
	t := total()
	if t <= limit {
		return
	}
	var rows []*row
	for _, g := range groups {
		for _, r := range g.rows {
			if r.details != "" {
				rows = append(rows, r)
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return len(rows[i].details) > len(rows[j].details) })
	for _, r := range rows {
		if t <= limit {
			return
		}
		before := r.size()
		r.cut = true
		t -= before - r.size()
	}
	// Still too long: drop rows from the end of the component group with
	// the most rows shown; the security section's rows go last.
	for t > limit {
		var big *group
		shown := 0
		for _, security := range []bool{false, true} {
			for _, g := range groups {
				n := 0
				for _, r := range g.rows {
					if !r.dropped {
						n++
					}
				}
				if g.security == security && n > shown {
					big, shown = g, n
				}
			}
			if big != nil {
				break
			}
		}
		if big == nil {
			return // nothing left to drop; clamp cuts the rest
		}
		for i := len(big.rows) - 1; i >= 0; i-- {
			if !big.rows[i].dropped {
				before := big.size()
				big.rows[i].dropped = true
				t -= before - big.size()
				break
			}
		}
	}
}

// cutNote says what fit cut, "" when nothing was.
func cutNote(groups []*group) string {
	var cut, dropped []string
	for _, g := range groups {
		for _, r := range g.rows {
			switch {
			case r.dropped:
				dropped = append(dropped, r.name)
			case r.cut:
				cut = append(cut, r.name)
			}
		}
	}
	if len(cut)+len(dropped) == 0 {
		return ""
	}
	var parts []string
	if len(cut) > 0 {
		parts = append(parts, fmt.Sprintf("values of %d %s cut (%s)", len(cut), plural(len(cut), "resource", "resources"),
			cell(strings.Join(cutList(cut, 5), ", "))))
	}
	if len(dropped) > 0 {
		parts = append(parts, fmt.Sprintf("%d table %s left out", len(dropped), plural(len(dropped), "row", "rows")))
	}
	note := "> **Truncated** to fit GitHub's comment limit: " + strings.Join(parts, "; ") +
		". Run `pulumi preview --diff` for the whole plan.\n"
	return truncBytes(note, noteReserve-2)
}

// clamp is the last guard for a cap too small for even the tables: it cuts
// at a line end, closes any open <details>, and says so.
func clamp(s string, capBytes int) string {
	if len(s) <= capBytes {
		return s
	}
	const tail = "\n\n> **Truncated**: the comment limit is too small for this plan.\n"
	closing := "\n</details>\n"
	limit := capBytes - len(tail) - len(closing)
	if limit <= 0 {
		return truncBytes(tail, capBytes)
	}
	s = s[:limit]
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[:i+1]
	}
	if strings.Count(s, "<details>") > strings.Count(s, "</details>") {
		s += closing
	}
	return s + tail
}

// truncBytes cuts s to at most n bytes on a rune boundary.
func truncBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// cell makes s safe inside a table cell: a pipe would end the cell, a line
// ending (LF, CR or CRLF: GitHub ends a row at each) the row. A pipe is
// escaped even inside a code span, where GitHub's table parser still
// splits on it and then drops the backslash.
func cell(s string) string {
	return cellEscapes.Replace(s)
}

var cellEscapes = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ")

// oneLine turns every line ending into a space (an HTML summary line).
var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// code puts s in a code span that survives backticks in s, safe in a cell.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + cell(s) + pad + fence
}

// shown renders one side of a change: a marker as plain text, a value as
// code.
func shown(v string) string {
	switch v {
	case SecretText, Unknown, Removed, None:
		return v
	}
	return code(v)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
