package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
)

// nastyValues break a Markdown report written naively: a backtick run
// closes a code span, | splits a table cell, line breaks end a row or list
// item, <!-- hides the rest of the document, HTML renders.
var nastyValues = []string{
	"a`b``c", "`lead", "trail`", "x | y", "line1\nline2", "cr\rhere", "crlf\r\nhere",
	"<!-- hide the rest", "<script>alert(1)</script>", `back\slash|`, "[link](javascript:x) *em* _u_ ~s~",
}

// unescapedPipe matches a | not escaped by a backslash.
var unescapedPipe = regexp.MustCompile(`(^|[^\\])(\\\\)*\|`)

// TestMarkdown_EscapesNastyEvidence: failing evidence and exemptions with
// nasty values keep every table row to its four cells on one line, leave
// no raw HTML or comment outside code spans, and show fields and values as
// code spans whose fence is longer than any backtick run inside (with | escaped
// in table cells).
func TestMarkdown_EscapesNastyEvidence(t *testing.T) {
	it := compliance.Checklist()[0]
	var fail, exempt []compliance.Evidence
	for _, v := range nastyValues {
		fail = append(fail, compliance.Evidence{URN: "urn:pulumi:s::p::kubernetes:core/v1:Namespace::" + v, Field: v, Value: v, Note: v})
		exempt = append(exempt, compliance.Evidence{URN: "urn:pulumi:s::p::kubernetes:core/v1:Namespace::ns", Field: v, Value: v, Note: v, Exempt: true})
	}
	a := &compliance.Assessment{Stack: "s`|<!--", Profile: "p|\n", Generated: fixedNow, Results: []compliance.Result{
		{Item: it, Verdict: compliance.Fail, Evidence: fail},
		{Item: compliance.Checklist()[1], Verdict: compliance.Exempt, Evidence: exempt},
	}}
	a.Controls = renderRollUp(a.Results)
	var b strings.Builder
	if err := Markdown(&b, a); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// Inside a code span < is literal text; everywhere else it must not be.
	outside := strings.ReplaceAll(out, code(a.Stack), "")
	for _, v := range nastyValues {
		outside = strings.ReplaceAll(outside, code(v), "")
	}
	for _, bad := range []string{"<!--", "<script", "\r"} {
		if strings.Contains(outside, bad) {
			t.Errorf("report holds raw %q outside code spans", bad)
		}
	}
	lines := strings.Split(out, "\n")
	rows, items := 0, 0
	for i, l := range lines {
		if strings.HasPrefix(l, "| ") && strings.Contains(l, "Namespace") {
			rows++
			if n := len(unescapedPipe.FindAllString(l, -1)); n != 5 {
				t.Errorf("line %d splits into %d cells, want 4: %q", i, n-1, l)
			}
			if v := nastyValues[rows-1]; !strings.Contains(l, " | "+tableCode(v)+" | "+tableCode(v)+" | ") {
				t.Errorf("line %d: field and value of %q are not the table code span %s: %q", i, v, tableCode(v), l)
			}
		}
		if strings.HasPrefix(l, "- "+mdMarks[compliance.Exempt]) {
			items++
		}
	}
	if rows != len(nastyValues) || items != len(nastyValues) {
		t.Errorf("%d failing rows and %d exemption lines, want %d each (a value broke a line):\n%s", rows, items, len(nastyValues), out)
	}
	for _, v := range []string{"a`b``c", "`lead", "trail`"} {
		if c := code(v); !strings.Contains(out, " = "+c+", ") {
			t.Errorf("exempt value %q not as code span %s", v, c)
		}
	}
	for v, want := range map[string]string{"a`b``c": "```a`b``c```", "`lead": "`` `lead ``", "plain": "`plain`", "l1\nl2": "`l1 l2`"} {
		if got := code(v); got != want {
			t.Errorf("code(%q) = %s, want %s", v, got, want)
		}
	}
}
