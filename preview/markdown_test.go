package preview

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// bigPlan is n updated NetworkPolicies with changes each, every value long
// enough to be cut to MaxValueLen.
func bigPlan(n, changes int) *Plan {
	p := &Plan{Stack: "prod"}
	for i := 0; i < n; i++ {
		s := Step{Op: "update", Type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", Component: "rampart:netpol:Policies",
			Name: fmt.Sprintf("team-%03d-policies-egress", i)}
		for j := 0; j < changes; j++ {
			path := fmt.Sprintf("spec.egress[%d].to[0].ipBlock.except", j)
			s.Diffs = append(s.Diffs, path)
			s.Changes = append(s.Changes, Change{Path: path, Kind: "update",
				Old: strings.Repeat("10.0.0.0/8|", 20), New: strings.Repeat("192.168.0.0/16`", 10)})
		}
		s.Security = security(&s)
		p.Steps = append(p.Steps, s)
	}
	return p
}

// checkMarkdown asserts what GitHub needs to render the comment: every
// <details> closed, and every table row with its header's cell count
// (an unescaped pipe in a value would add a cell).
func checkMarkdown(t *testing.T, md string) {
	t.Helper()
	if o, c := strings.Count(md, "<details>"), strings.Count(md, "</details>"); o != c {
		t.Errorf("%d <details> but %d </details>", o, c)
	}
	cells := func(line string) int { return strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") }
	want := 0
	for i, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = 0
			continue
		}
		if want == 0 {
			want = cells(line)
			continue
		}
		if got := cells(line); got != want {
			t.Errorf("line %d has %d pipes, its table %d: %q", i+1, got, want, line)
		}
	}
}

func TestMarkdown_GroupsByComponentWithControls(t *testing.T) {
	p := &Plan{Stack: "prod", Steps: []Step{
		{Op: "create", Type: "kubernetes:core/v1:Namespace", Name: "team-c-ns", Component: "rampart:namespace:Namespace"},
		{Op: "update", Type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", Name: "team-a-policies-gateway-egress",
			Component: "rampart:netpol:Policies", Diffs: []string{"spec.egress[2]"}},
	}}
	b := markdown(t, p)
	for _, want := range []string{"1 to create, 1 to update", "### rampart:netpol:Policies",
		"Controls: SSRF blocklist active", "NIS2 Art. 21(2)(e)", "| update | team-a-policies-gateway-egress | kubernetes:networking.k8s.io/v1:NetworkPolicy | spec.egress[2] |"} {
		if !strings.Contains(b, want) {
			t.Errorf("markdown lacks %q:\n%s", want, b)
		}
	}
	checkMarkdown(t, b)
}

func TestMarkdown_OversizedPlanStaysUnderMaxBytes(t *testing.T) {
	p := bigPlan(120, 30)
	full := markdown(t, p, WithMaxBytes(1<<30))
	if len(full) <= DefaultMaxBytes {
		t.Fatalf("test plan too small to need cutting: %d bytes", len(full))
	}
	checkMarkdown(t, full)
	if strings.Contains(full, "Truncated") {
		t.Error("an uncut comment says it was truncated")
	}
	for _, max := range []int{DefaultMaxBytes, 20000, 4000, 900, 120} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			var md string
			if max == DefaultMaxBytes {
				md = markdown(t, p) // the default
			} else {
				md = markdown(t, p, WithMaxBytes(max))
			}
			if len(md) > max {
				t.Fatalf("%d bytes > %d", len(md), max)
			}
			checkMarkdown(t, md)
			if !strings.Contains(md, "Truncated") {
				t.Errorf("no truncation note:\n%s", md[:min(len(md), 2000)])
			}
			if max >= 4000 && !strings.Contains(md, "### ⚠ security-relevant") {
				t.Error("the security section was cut")
			}
		})
	}
}

func TestMarkdown_CutsLongestValueListsFirst(t *testing.T) {
	p := bigPlan(6, 3)
	huge := bigPlan(1, 200).Steps[0]
	huge.Name = "team-zzz-huge"
	p.Steps = append(p.Steps, huge)
	full := markdown(t, p, WithMaxBytes(1<<30))
	limit := len(full) - 1000
	md := markdown(t, p, WithMaxBytes(limit))
	if len(md) > limit {
		t.Fatalf("%d bytes > %d", len(md), limit)
	}
	checkMarkdown(t, md)
	if !strings.Contains(md, "<details><summary>update <code>team-zzz-huge</code>: 200 changes</summary>\n\nValues cut") {
		t.Errorf("the longest list was not the one cut")
	}
	if n := strings.Count(md, "| `spec.egress["); n != 6*3 {
		t.Errorf("small lists were cut too: %d changes shown, want 18", n)
	}
	if !strings.Contains(md, "> **Truncated** to fit GitHub's comment limit: values of 1 resource cut (team-zzz-huge).") {
		t.Errorf("note does not say what was cut:\n%s", md[:600])
	}
}

func TestCode_SurvivesBackticksAndPipes(t *testing.T) {
	for in, want := range map[string]string{
		"a|b":   "`a\\|b`",
		"a`b":   "``a`b``",
		"`a`":   "`` `a` ``",
		"plain": "`plain`",
	} {
		if got := code(in); got != want {
			t.Errorf("code(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMarkdown_LineEndingsBackticksAndPipesStayInTheirCell: GitHub ends a
// table row at LF, CRLF and a lone CR; a pipe ends a cell even inside a code
// span; a backtick ends a code span. A value holding any of them must stay
// in its own cell of its own row.
func TestMarkdown_LineEndingsBackticksAndPipesStayInTheirCell(t *testing.T) {
	evil := "a\rb\r\nc\nd|e`f"
	md := apitype.StepEventMetadata{
		Op: apitype.OpUpdate, URN: quotaURN, Type: "kubernetes:core/v1:ConfigMap",
		Old: state(map[string]any{"data": map[string]any{"k": "old"}}, nil),
		New: state(map[string]any{"data": map[string]any{"k": evil}}, nil),
		DetailedDiff: map[string]apitype.PropertyDiff{
			"data.k": {Kind: apitype.DiffUpdate},
			// A key (so a path) holding the same characters.
			"data[\"x\ry|z\"]": {Kind: apitype.DiffAdd},
		},
	}
	s, _ := StepFromEvent(md)
	s.Name = "cm\rname|x"
	out := markdown(t, &Plan{Stack: "prod", Steps: []Step{s}})
	if strings.ContainsRune(out, '\r') {
		t.Fatalf("markdown holds a carriage return (ends a table row):\n%q", out)
	}
	if !strings.Contains(out, "| `data.k` | `old` → ``a⏎b⏎c⏎d\\|e`f`` |\n") {
		t.Errorf("value row not on one line with the pipe escaped and a longer fence:\n%s", out)
	}
	if !strings.Contains(out, "| update | cm name\\|x | kubernetes:core/v1:ConfigMap |") {
		t.Errorf("resource row broken by the name's CR or pipe:\n%s", out)
	}
	// Every table line has as many unescaped pipes as its header.
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		n := strings.Count(line, "|") - strings.Count(line, `\|`)
		switch {
		case strings.Contains(line, " → ") && n != 3:
			t.Errorf("value row %q has %d cell separators, want 3", line, n)
		case strings.HasPrefix(line, "| update ") && n != 5:
			t.Errorf("resource row %q has %d cell separators, want 5", line, n)
		}
	}
}

func TestCell_ReplacesEveryLineEnding(t *testing.T) {
	if got, want := cell("a\rb\r\nc\nd|e"), `a b c d\|e`; got != want {
		t.Errorf("cell = %q, want %q", got, want)
	}
}

// TestMarkdown_WarningsShowWithAndWithoutChanges: an exemption about to run
// out reaches the reviewer even when the plan changes nothing, one line
// per warning, its key first.
func TestMarkdown_WarningsShowWithAndWithoutChanges(t *testing.T) {
	warn := "rampart:namespaces[7].exemption: exemption expires in 10 days\n  (last day 2026-12-17, owner platform-team, ticket SEC-4711): renew it"
	for _, p := range []*Plan{
		{Stack: "prod", Warnings: []string{warn}},
		{Stack: "prod", Warnings: []string{warn}, Steps: []Step{{Op: "create", Type: "kubernetes:core/v1:Namespace", Name: "team-c-ns", Component: "rampart:namespace:Namespace"}}},
	} {
		b := markdown(t, p)
		want := "### ⚠ warnings\n- `rampart:namespaces[7].exemption: exemption expires in 10 days (last day 2026-12-17, owner platform-team, ticket SEC-4711): renew it`\n"
		if !strings.Contains(b, want) {
			t.Errorf("%d steps: markdown lacks the warning line %q:\n%s", len(p.Steps), want, b)
		}
		checkMarkdown(t, b)
	}
	if b := markdown(t, &Plan{Stack: "prod"}); strings.Contains(b, "warnings") {
		t.Errorf("a plan without warnings shows a warnings section:\n%s", b)
	}
	// Text from the config renders as written; repeats once; at most
	// maxWarnings lines.
	many := []string{"owner <details><summary>x @team", "owner <details><summary>x @team"}
	for i := 0; i < maxWarnings+5; i++ {
		many = append(many, fmt.Sprintf("warning %d", i))
	}
	b := markdown(t, &Plan{Stack: "prod", Warnings: many})
	if !strings.Contains(b, "- `owner <details><summary>x @team`\n") || strings.Count(b, "<details>") != 1 ||
		!strings.Contains(b, "- … and 6 more") || strings.Contains(b, "warning 19`") {
		t.Errorf("warnings not escaped, deduplicated or capped:\n%s", b)
	}
}
