package main

import (
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// MaxBody is GitHub's limit on a comment or issue body, in characters.
const MaxBody = 65536

// Section is one environment's report.
type Section struct {
	Env, Text string
}

// readSections reads ENV=FILE arguments in order.
func readSections(args []string) ([]Section, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("combine: no ENV=FILE argument (one per environment's preview)")
	}
	var out []Section
	for _, a := range args {
		env, file, ok := strings.Cut(a, "=")
		if !ok || env == "" || file == "" {
			return nil, fmt.Errorf("combine: %q: want ENV=FILE, e.g. prod=preview-prod.md", a)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("combine: %s: %w", env, err)
		}
		out = append(out, Section{Env: env, Text: string(b)})
	}
	return out, nil
}

const (
	title      = "## Rampart preview\n\n"
	truncNote  = "\n\n…truncated: %d of %d characters shown. The whole preview is in the workflow run's log.\n"
	foldOpen   = "<details><summary><b>%s</b> (truncated)</summary>\n\n"
	foldClose  = "\n</details>\n\n"
	openHeader = "### %s\n\n"
)

// Combine joins the sections under the marker. When the whole does not fit
// in limit characters, every section is folded into <details> and cut at a
// line boundary to an equal share of what is left (a short section leaves
// its unused share to the others), each with a note saying how much is shown
// and with whatever the cut left open (a code fence, the section's own
// <details>) closed, so every section stays at the top level. lab/ci.sh caps
// each preview at Budget, so with the workflows this cut is a safety net.
func Combine(sections []Section, limit int) (string, error) {
	head := Marker + "\n" + title
	var full strings.Builder
	full.WriteString(head)
	for _, s := range sections {
		fmt.Fprintf(&full, openHeader, s.Env)
		full.WriteString(strings.TrimRight(s.Text, "\n"))
		full.WriteString("\n\n")
	}
	if utf8.RuneCountInString(full.String()) <= limit {
		return full.String(), nil
	}
	overhead := func(env string) int {
		return utf8.RuneCountInString(fmt.Sprintf(foldOpen, env)+fmt.Sprintf(truncNote, 0, 0)+foldClose) + 20 // digits
	}
	budget := limit - utf8.RuneCountInString(head)
	for _, s := range sections {
		budget -= overhead(s.Env)
	}
	if budget < 0 {
		return "", fmt.Errorf("combine: --limit %d leaves no room for %d sections", limit, len(sections))
	}
	// Hand out the budget: sections shorter than an equal share keep all of
	// theirs, the rest share what remains.
	shares := make([]int, len(sections))
	left, open := budget, len(sections)
	done := make([]bool, len(sections))
	for changed := true; changed && open > 0; {
		changed = false
		for i, s := range sections {
			if n := utf8.RuneCountInString(s.Text); !done[i] && n <= left/open {
				shares[i], done[i], changed = n, true, true
				left -= n
				open--
			}
		}
	}
	for i := range sections {
		if !done[i] {
			shares[i] = left / open
		}
	}
	var b strings.Builder
	b.WriteString(head)
	for i, s := range sections {
		text := strings.TrimRight(s.Text, "\n")
		n := utf8.RuneCountInString(text)
		if n <= shares[i] {
			fmt.Fprintf(&b, openHeader, s.Env)
			b.WriteString(text)
			b.WriteString("\n\n")
			continue
		}
		cut, closers := cutClosed(text, shares[i])
		fmt.Fprintf(&b, foldOpen, s.Env)
		b.WriteString(cut)
		b.WriteString(closers)
		fmt.Fprintf(&b, truncNote, utf8.RuneCountInString(cut), n)
		b.WriteString(foldClose)
	}
	return b.String(), nil
}

// cutClosed cuts text at a line boundary so that the cut plus what closes
// the blocks the cut leaves open (a code fence, then every open <details>,
// innermost first) fits in limit characters. Without the closers a cut
// inside one environment's own <details> would fold every later
// environment into it.
func cutClosed(text string, limit int) (cut, closers string) {
	reserve := 0
	for {
		cut = cutAtLine(text, limit-reserve)
		closers = closing(cut)
		n := utf8.RuneCountInString(closers)
		if utf8.RuneCountInString(cut)+n <= limit || limit-reserve <= 0 {
			return cut, closers
		}
		reserve = max(n, reserve+1)
	}
}

// closing returns what closes the blocks s leaves open: an odd code fence,
// then one </details> per <details> opened and not closed.
func closing(s string) string {
	var b strings.Builder
	if strings.Count(s, "```")%2 == 1 {
		b.WriteString("\n```")
	}
	if open := openDetails(s); open > 0 {
		b.WriteString("\n\n" + strings.Repeat("</details>\n", open))
	}
	return b.String()
}

// openDetails counts the <details> elements s opens and does not close
// (case-insensitive, with or without attributes).
func openDetails(s string) int {
	l := strings.ToLower(s)
	open := strings.Count(l, "<details>") + strings.Count(l, "<details ") - strings.Count(l, "</details>")
	return max(open, 0)
}

// cutAtLine returns text's longest prefix of at most limit characters that
// ends at a line boundary (or limit characters, when the first line is longer).
func cutAtLine(text string, limit int) string {
	if limit <= 0 {
		return ""
	}
	runes := 0
	for i := range text {
		if runes == limit {
			if j := strings.LastIndexByte(text[:i], '\n'); j > 0 {
				return text[:j]
			}
			return text[:i]
		}
		runes++
	}
	return text
}

// Fit cuts a body that is longer than limit characters, with a note; a
// body that fits is returned unchanged.
func Fit(body string, limit int) string {
	n := utf8.RuneCountInString(body)
	if n <= limit {
		return body
	}
	note := fmt.Sprintf(truncNote, 0, n)
	cut, closers := cutClosed(body, limit-utf8.RuneCountInString(note)-20)
	return cut + closers + fmt.Sprintf(truncNote, utf8.RuneCountInString(cut), n)
}

// MinBudget is the smallest per-environment share Budget hands out: below
// it a preview holds little more than its header and tables are cut to
// nothing, so more environments need a comment per environment instead.
const MinBudget = 4096

// Budget is each environment's share of the combined comment, in bytes: the
// cap `rampart preview --max-bytes` gets (lab/ci.sh preview) so that every
// environment's section fits whole and Combine never cuts one. It is
// (MaxBody − the marker, title and every section's header) / len(envs); a
// character is at least one byte, so a preview within its share in bytes is
// within it in characters too.
func Budget(envs []string) (int, error) {
	if len(envs) == 0 {
		return 0, fmt.Errorf("budget: no environment given (lab/ci.sh passes every stack's, from lab/ci.sh stacks)")
	}
	overhead := utf8.RuneCountInString(Marker + "\n" + title)
	for _, env := range envs {
		overhead += utf8.RuneCountInString(fmt.Sprintf(openHeader, env)) + len("\n\n")
	}
	share := (MaxBody - overhead) / len(envs)
	if share < MinBudget {
		return 0, fmt.Errorf("budget: %d environments leave %d bytes each, under %d: a combined comment cannot show them; post one comment per environment", len(envs), share, MinBudget)
	}
	return share, nil
}
