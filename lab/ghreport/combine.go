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
// its unused share to the others), each with a note saying how much is shown.
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
		return utf8.RuneCountInString(fmt.Sprintf(foldOpen, env)+fmt.Sprintf(truncNote, 0, 0)+foldClose) + 40 // digits and a closing fence
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
		cut := cutAtLine(text, shares[i])
		fmt.Fprintf(&b, foldOpen, s.Env)
		b.WriteString(cut)
		if strings.Count(cut, "```")%2 == 1 {
			b.WriteString("\n```") // close a code block the cut left open
		}
		fmt.Fprintf(&b, truncNote, utf8.RuneCountInString(cut), n)
		b.WriteString(foldClose)
	}
	return b.String(), nil
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
	cut := cutAtLine(body, limit-utf8.RuneCountInString(note)-20)
	if strings.Count(cut, "```")%2 == 1 {
		cut += "\n```"
	}
	return cut + fmt.Sprintf(truncNote, utf8.RuneCountInString(cut), n)
}
