package preview

import (
	"fmt"
	"strings"
	"testing"
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
