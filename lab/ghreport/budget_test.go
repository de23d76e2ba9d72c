package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rampart-dev/rampart/preview"
)

// bigPreview is a preview the way `rampart preview --markdown` writes it:
// a table, then one <details> block per resource with its values.
func bigPreview(env string, resources int) string {
	var b strings.Builder
	b.WriteString("## Rampart preview of `" + env + "`\n\n| op | resource | type | changed |\n|---|---|---|---|\n")
	for i := 0; i < resources; i++ {
		fmt.Fprintf(&b, "\n<details><summary>update <code>%s-%d</code>: 10 changes</summary>\n\n| property | old → new |\n|---|---|\n", env, i)
		for j := 0; j < 10; j++ {
			b.WriteString("| `spec.hard.pods` | `2` → `8` |\n")
		}
		b.WriteString("\n</details>\n")
	}
	return b.String()
}

// checkNesting fails unless every <details> in body is closed and every
// environment's section starts at the top level (not inside another
// environment's fold).
func checkNesting(t *testing.T, body string, envs []string) {
	t.Helper()
	if o, c := strings.Count(body, "<details>"), strings.Count(body, "</details>"); o != c {
		t.Errorf("<details> opened %d times, closed %d", o, c)
	}
	for _, env := range envs {
		i := strings.Index(body, "<b>"+env+"</b>")
		if i < 0 {
			i = strings.Index(body, "### "+env+"\n")
		}
		if i < 0 {
			t.Errorf("no section for %s", env)
			continue
		}
		// The fold's own <details> opens just before the name.
		pre := strings.TrimSuffix(body[:i], "<details><summary>")
		if d := strings.Count(pre, "<details>") - strings.Count(pre, "</details>"); d != 0 {
			t.Errorf("%s's section starts %d <details> deep: it is folded into an earlier environment", env, d)
		}
	}
}

func TestCombine_CutInsideAnEnvironmentsDetailsClosesIt(t *testing.T) {
	for _, envs := range [][]string{{"prod", "staging"}, {"dev", "prod", "staging"}} {
		t.Run(strings.Join(envs, "+"), func(t *testing.T) {
			var sections []Section
			for _, env := range envs {
				sections = append(sections, Section{env, bigPreview(env, 300)})
			}
			body, err := Combine(sections, MaxBody)
			if err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(body); n > MaxBody {
				t.Errorf("body is %d characters, over %d", n, MaxBody)
			}
			if got := strings.Count(body, "(truncated)</summary>"); got != len(envs) {
				t.Fatalf("%d sections folded, want %d (the test needs every one cut)", got, len(envs))
			}
			checkNesting(t, body, envs)
		})
	}
}

func TestFit_ClosesDetailsTheCutLeavesOpen(t *testing.T) {
	body := Fit(bigPreview("prod", 300), 20000)
	if n := utf8.RuneCountInString(body); n > 20000 {
		t.Errorf("body is %d characters, over 20000", n)
	}
	checkNesting(t, body, nil)
}

// TestBudget_PreviewsCappedAtTheirShareCombineWhole renders real previews
// (package preview) at the share Budget gives, as lab/ci.sh preview does,
// and checks the combined comment needs no cut at all.
func TestBudget_PreviewsCappedAtTheirShareCombineWhole(t *testing.T) {
	envs := []string{"dev", "prod", "staging"}
	share, err := Budget(envs)
	if err != nil {
		t.Fatal(err)
	}
	if want := (MaxBody - 200) / 3; share < want-100 || share > want+100 {
		t.Errorf("share %d, want about %d", share, want)
	}
	var sections []Section
	for _, env := range envs {
		p := &preview.Plan{Stack: env}
		for i := 0; i < 400; i++ {
			s := preview.Step{Op: "update", Type: "kubernetes:core/v1:ConfigMap", Name: fmt.Sprintf("cm-%d", i),
				Diffs: []string{"data.a", "data.b"}}
			for j := 0; j < 8; j++ {
				s.Changes = append(s.Changes, preview.Change{Path: fmt.Sprintf("data.k%d", j), Kind: "update",
					Old: strings.Repeat("ö", 60), New: strings.Repeat("x", 60)})
			}
			p.Steps = append(p.Steps, s)
		}
		var b bytes.Buffer
		if err := p.Markdown(&b, preview.WithMaxBytes(share)); err != nil {
			t.Fatal(err)
		}
		if b.Len() > share || b.Len() < share/2 {
			t.Fatalf("%s's preview is %d bytes, want close to and at most its share %d", env, b.Len(), share)
		}
		sections = append(sections, Section{env, b.String()})
	}
	body, err := Combine(sections, MaxBody)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, "…truncated") {
		t.Error("previews within their share were cut again by Combine")
	}
	if n := utf8.RuneCountInString(body); n > MaxBody {
		t.Errorf("body is %d characters, over %d", n, MaxBody)
	}
	checkNesting(t, body, envs)
}

func TestBudget_RefusesNoOrTooManyEnvironments(t *testing.T) {
	if _, err := Budget(nil); err == nil || !strings.Contains(err.Error(), "lab/ci.sh stacks") {
		t.Errorf("no environment: err = %v, want one naming lab/ci.sh stacks", err)
	}
	many := make([]string, 20)
	for i := range many {
		many[i] = fmt.Sprintf("env-%d", i)
	}
	if _, err := Budget(many); err == nil || !strings.Contains(err.Error(), "one comment per environment") {
		t.Errorf("20 environments: err = %v, want one saying the share is too small", err)
	}
	out, err := runWith(t, &fakeGitHub{}, "budget", "prod", "staging")
	want, _ := Budget([]string{"prod", "staging"})
	if err != nil || out != fmt.Sprintln(want) {
		t.Errorf("ghreport budget prod staging = %q, %v; want %d", out, err, want)
	}
}
