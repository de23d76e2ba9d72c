package compliance

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exemption is one namespace exempted from restricted (from stack outputs).
type Exemption struct {
	Namespace     string `json:"namespace"`
	Level         string `json:"level"`
	Justification string `json:"justification"`
	Control       string `json:"control"`
}

// StackFacts are the stack outputs a report reads.
type StackFacts struct {
	Profile     string            `json:"profile"`
	Namespaces  []string          `json:"namespaces"`
	PodSecurity map[string]string `json:"podSecurity"`
	Exemptions  []Exemption       `json:"exemptions"`
}

// Markdown writes the checklist, the framework mapping and, when facts are
// given, the stack's namespaces and every exemption with its justification.
func Markdown(w io.Writer, facts *StackFacts) error {
	var b strings.Builder
	mark := map[Status]string{Enforced: "[x]", Component: "[~]", Planned: "[ ]", OutOfScope: "[-]"}
	b.WriteString("## Hardening checklist (seed 000)\n\n")
	b.WriteString("[x] enforced in every stack  [~] component exists, enabled where its provider is installed  [ ] planned  [-] out of scope\n\n")
	for _, it := range Checklist() {
		fmt.Fprintf(&b, "- %s %s", mark[it.Status], it.Title)
		if len(it.Implementation) > 0 {
			fmt.Fprintf(&b, " — %s", strings.Join(it.Implementation, ", "))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Control mapping\n\n| item | " + strings.Join(Frameworks, " | ") + " |\n|---" + strings.Repeat("|---", len(Frameworks)) + "|\n")
	for _, it := range Checklist() {
		row := []string{it.ID}
		for _, f := range Frameworks {
			row = append(row, strings.Join(it.Controls[f], ", "))
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	if facts != nil {
		fmt.Fprintf(&b, "\n## Stack (profile %s)\n\n| namespace | enforced Pod Security level |\n|---|---|\n", facts.Profile)
		names := append([]string(nil), facts.Namespaces...)
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(&b, "| %s | %s |\n", n, facts.PodSecurity[n])
		}
		b.WriteString("\n## Exemptions\n\n")
		if len(facts.Exemptions) == 0 {
			b.WriteString("None: every namespace enforces restricted.\n")
		}
		for _, e := range facts.Exemptions {
			fmt.Fprintf(&b, "- **%s** enforces `%s` under %s: %s\n", e.Namespace, e.Level, e.Control, e.Justification)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
