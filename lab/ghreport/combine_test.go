package main

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// lines builds n lines of Markdown table rows, each about 60 characters.
func lines(env string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("| " + env + " | kubernetes:core/v1:ConfigMap | create | résumé-ünïcode |\n")
	}
	return b.String()
}

func TestCombine_FitsOrFoldsUnderTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		sections  []Section
		limit     int
		truncated []string // environments that must be folded and cut
		whole     []string // environments that must be shown whole
	}{
		{name: "small previews stay whole", sections: []Section{{"prod", lines("prod", 5)}, {"staging", lines("staging", 5)}},
			limit: MaxBody, whole: []string{"prod", "staging"}},
		{name: "one huge preview is cut, the short one kept", sections: []Section{{"prod", lines("prod", 5000)}, {"staging", lines("staging", 3)}},
			limit: MaxBody, truncated: []string{"prod"}, whole: []string{"staging"}},
		{name: "two huge previews share the room", sections: []Section{{"prod", lines("prod", 3000)}, {"staging", lines("staging", 3000)}},
			limit: MaxBody, truncated: []string{"prod", "staging"}},
		{name: "an open code block is closed", sections: []Section{{"prod", "```diff\n" + lines("prod", 3000) + "```\n"}},
			limit: 10000, truncated: []string{"prod"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := Combine(tc.sections, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(body); n > tc.limit {
				t.Errorf("body is %d characters, over the limit %d", n, tc.limit)
			}
			if !strings.HasPrefix(body, Marker+"\n") {
				t.Errorf("body does not start with the marker %q: %.80q", Marker, body)
			}
			if strings.Count(body, "```")%2 != 0 {
				t.Error("body leaves a code block open")
			}
			for _, env := range tc.truncated {
				if !strings.Contains(body, "<details><summary><b>"+env+"</b> (truncated)</summary>") {
					t.Errorf("%s is not folded although cut", env)
				}
			}
			if got := strings.Count(body, "…truncated:"); got != len(tc.truncated) {
				t.Errorf("%d truncation notes, want %d", got, len(tc.truncated))
			}
			for _, env := range tc.whole {
				if !strings.Contains(body, "### "+env+"\n\n"+strings.TrimRight(sectionText(tc.sections, env), "\n")) {
					t.Errorf("%s is not shown whole", env)
				}
			}
		})
	}
}

func sectionText(ss []Section, env string) string {
	for _, s := range ss {
		if s.Env == env {
			return s.Text
		}
	}
	return ""
}

func TestCombine_RefusesALimitWithNoRoom(t *testing.T) {
	if _, err := Combine([]Section{{"prod", lines("prod", 100)}}, 100); err == nil {
		t.Fatal("Combine accepted a 100-character limit for a 6,000-character preview")
	}
}

func TestFit_CutsOnlyWhatIsTooLong(t *testing.T) {
	short := "drift: 1 resource\n"
	if got := Fit(short, MaxBody); got != short {
		t.Errorf("Fit changed a body that fits: %q", got)
	}
	long := lines("prod", 5000)
	got := Fit(long, MaxBody)
	if n := utf8.RuneCountInString(got); n > MaxBody {
		t.Errorf("Fit left %d characters, over %d", n, MaxBody)
	}
	if !strings.Contains(got, "…truncated:") || !strings.HasPrefix(long, strings.SplitN(got, "\n\n…truncated", 2)[0]) {
		t.Error("Fit's result is not a prefix of the body followed by the truncation note")
	}
}

func TestReadSections_RejectsArgumentsWithoutEnvAndFile(t *testing.T) {
	for _, arg := range []string{"prod", "=x.md", "prod=", "prod=/nonexistent/preview.md"} {
		if _, err := readSections([]string{arg}); err == nil {
			t.Errorf("readSections(%q) succeeded", arg)
		}
	}
}
