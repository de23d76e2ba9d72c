package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/rampart-dev/rampart/compliance"
)

func renderHTML(t *testing.T, a *compliance.Assessment) (string, *html.Node) {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, a); err != nil {
		t.Fatalf("HTML: %v", err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("parse the report: %v", err)
	}
	return b.String(), doc
}

func htWalk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		htWalk(c, f)
	}
}

func htAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func htText(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	htWalk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data + " ")
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

func htByID(doc *html.Node, id string) *html.Node {
	var found *html.Node
	htWalk(doc, func(n *html.Node) {
		if v, ok := htAttr(n, "id"); ok && v == id && found == nil {
			found = n
		}
	})
	return found
}

// TestHTML_IsSelfContained: nothing in the page is fetched — no script,
// stylesheet, font, image or frame, no src/href/srcset to anywhere, no CSS
// @import or url() — and the sample (whose state holds no URL) contains no
// http:// or https:// at all.
func TestHTML_IsSelfContained(t *testing.T) {
	out, doc := renderHTML(t, renderSample())
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", "http://", "https://", "@font-face"} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("report contains %q: it must load nothing", bad)
		}
	}
	htWalk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		for _, a := range n.Attr {
			switch a.Key {
			case "src", "srcset", "href", "action", "background", "poster", "data":
				t.Errorf("<%s %s=%q>: a resource reference in a self-contained report", n.Data, a.Key, a.Val)
			case "style":
				t.Errorf("<%s style=…>: styles belong in the one <style> element", n.Data)
			}
		}
	})
}

// TestHTML_IsSemanticAndPrintable: lang, title, one table per framework with
// a caption, header cells on every table, and print rules that break pages
// between sections and keep the badges' colours.
func TestHTML_IsSemanticAndPrintable(t *testing.T) {
	out, doc := renderHTML(t, renderSample())
	if h := doc.FirstChild; h == nil || h.Type != html.DoctypeNode || h.Data != "html" {
		t.Error("no <!DOCTYPE html>")
	}
	var lang, title string
	var tables, framework int
	captions := map[string]bool{}
	htWalk(doc, func(n *html.Node) {
		switch n.DataAtom {
		case atom.Html:
			lang, _ = htAttr(n, "lang")
		case atom.Title:
			title = htText(n)
		case atom.Table:
			tables++
			ths := 0
			htWalk(n, func(c *html.Node) {
				if c.DataAtom == atom.Th {
					ths++
				}
				if c.DataAtom == atom.Caption {
					captions[htText(c)] = true
				}
			})
			if ths == 0 {
				t.Errorf("a table without <th>: %.80s", htText(n))
			}
			if cls, _ := htAttr(n, "class"); cls == "framework" {
				framework++
			}
		}
	})
	if lang != "en" {
		t.Errorf("html lang = %q, want en", lang)
	}
	if !strings.Contains(title, "prod") || !strings.Contains(title, "FAIL") {
		t.Errorf("title %q does not name the stack and the outcome", title)
	}
	if framework != len(compliance.Frameworks) {
		t.Errorf("%d framework tables, want %d", framework, len(compliance.Frameworks))
	}
	for _, f := range compliance.Frameworks {
		if !captions[f] {
			t.Errorf("no table captioned %q", f)
		}
	}
	for _, want := range []string{"@media print", "break-before: page", "print-color-adjust: exact", "@page"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the CSS", want)
		}
	}
	for _, id := range []string{"summary", "items", "evidence", "exemptions", "controls", "counts"} {
		if htByID(doc, id) == nil {
			t.Errorf("no element id=%q", id)
		}
	}
}

// TestHTML_Header shows the stack, profile, generation time and whether the
// state was refreshed.
func TestHTML_Header(t *testing.T) {
	a := renderSample()
	_, doc := renderHTML(t, a)
	var header string
	htWalk(doc, func(n *html.Node) {
		if n.DataAtom == atom.Header {
			header = htText(n)
		}
	})
	for _, want := range []string{"Stack prod", "Profile production", "Generated 2026-12-03 08:00:00 UTC", "not refreshed"} {
		if !strings.Contains(header, want) {
			t.Errorf("header %q lacks %q", header, want)
		}
	}
	a.Refreshed = true
	_, doc = renderHTML(t, a)
	htWalk(doc, func(n *html.Node) {
		if n.DataAtom == atom.Header {
			header = htText(n)
		}
	})
	if strings.Contains(header, "not refreshed") || !strings.Contains(header, "refreshed from the live cluster") {
		t.Errorf("refreshed header: %q", header)
	}
}

// TestHTML_FailingItemsFirstAndMarked: the banner says FAIL with the count,
// the two failing items are the first rows, each with a FAIL badge (text,
// glyph and the fail colour) and the evidence note that says why.
func TestHTML_FailingItemsFirstAndMarked(t *testing.T) {
	out, doc := renderHTML(t, renderSample())
	summary := htText(htByID(doc, "banner"))
	if !strings.Contains(summary, "✗ FAIL 2 of 12 checklist items fail") {
		t.Errorf("summary banner: %q", summary)
	}
	for v, n := range map[string]string{"FAIL": "2", "EXEMPT": "1", "PASS": "6", "NOT DEPLOYED": "3"} {
		if !regexp.MustCompile(regexp.QuoteMeta(v) + ` ` + n + `\b`).MatchString(htText(htByID(doc, "counts"))) {
			t.Errorf("counts table %q lacks %s %s", htText(htByID(doc, "counts")), v, n)
		}
	}
	var rows []*html.Node
	htWalk(htByID(doc, "items"), func(n *html.Node) {
		if n.DataAtom == atom.Tr {
			if p := n.Parent; p != nil && p.DataAtom == atom.Tbody {
				rows = append(rows, n)
			}
		}
	})
	if len(rows) != 12 {
		t.Fatalf("%d item rows, want 12", len(rows))
	}
	wantOrder := []string{"fail", "fail", "exempt", "pass", "pass", "pass", "pass", "pass", "pass", "not-deployed", "not-deployed", "not-deployed"}
	for i, r := range rows {
		if cls, _ := htAttr(r, "class"); cls != wantOrder[i] {
			t.Errorf("row %d (%s) has class %q, want %q", i, htText(r), cls, wantOrder[i])
		}
	}
	first := htText(rows[0])
	if !strings.HasPrefix(first, "✗ FAIL tls-ingress") || !strings.Contains(first, "listener admin on port 8080 serves plain HTTP") {
		t.Errorf("first row %q: want the failing tls-ingress with its note", first)
	}
	if !strings.Contains(htText(rows[1]), "the STOA security hardening checklist wants X-XSS-Protection: 0") {
		t.Errorf("second row %q lacks the failing header's note", htText(rows[1]))
	}
	if !regexp.MustCompile(`\.badge\.fail \{ background: var\(--fail\)`).MatchString(out) || !strings.Contains(out, "--fail: "+FailColour) {
		t.Errorf("the fail badge is not filled with %s", FailColour)
	}
}

// TestHTML_EvidenceAndExemptions: every evidence line appears with its URN,
// field, value and note; the exemption's justification is in its own table.
func TestHTML_EvidenceAndExemptions(t *testing.T) {
	a := renderSample()
	_, doc := renderHTML(t, a)
	ev := htText(htByID(doc, "evidence"))
	for _, r := range a.Results {
		for _, e := range r.Evidence {
			for _, s := range []string{e.URN, e.Field, e.Value, e.Note} {
				if !strings.Contains(ev, strings.Join(strings.Fields(s), " ")) {
					t.Errorf("evidence section lacks %q (item %s)", s, r.Item.ID)
				}
			}
		}
	}
	if !strings.Contains(ev, "[secret]") {
		t.Error("a secret's placeholder is not shown")
	}
	ex := htText(htByID(doc, "exemptions"))
	if !strings.Contains(ex, "pss-restricted") || !strings.Contains(ex, "Falco's modern_ebpf probe needs host mounts") || !strings.Contains(ex, renderURN("rampart:namespace:Namespace$kubernetes:core/v1:Namespace", "falco")) {
		t.Errorf("exemptions section %q lacks the item, its resource or its justification", ex)
	}
	if !strings.Contains(ex, "secrets-vault") || !strings.Contains(ex, "the seal key is in the cloud KMS") {
		t.Errorf("exemptions section %q lacks the exempt item secrets-vault", ex)
	}
	rows := 0
	htWalk(htByID(doc, "exemptions"), func(n *html.Node) {
		if cls, _ := htAttr(n, "class"); n.DataAtom == atom.Tr && cls == "exempt" {
			rows++
		}
	})
	if rows != 2 {
		t.Errorf("%d exemption rows, want 2 (the passing item's exempted namespace and the exempt item)", rows)
	}
	if row := htText(htByID(doc, "item-pss-restricted")); !strings.Contains(row, "✓ PASS") || !strings.Contains(row, "exempted: Falco's modern_ebpf probe") {
		t.Errorf("pss-restricted row %q: want a pass that shows its exempted namespace", row)
	}
	ctl := htText(htByID(doc, "framework-NIS2"))
	if !strings.Contains(ctl, "Art. 21(2)(h) ✗ FAIL tls-ingress , secrets-vault Art. 21(2)(e) ✗ FAIL") {
		t.Errorf("NIS2 table %q: want Art. 21(2)(h) failing from tls-ingress and secrets-vault", ctl)
	}
}

// TestHTML_EscapesStateValues: values from the state cannot inject markup.
func TestHTML_EscapesStateValues(t *testing.T) {
	a := renderSample()
	a.Stack = `x"><script>alert(1)</script>`
	a.Results[0].Evidence[1].Value = `<img src=x onerror=alert(2)>`
	a.Results[0].Evidence[1].Note = `</td></tr></table><script>alert(3)</script>`
	a.Results[0].Evidence[1].URN = `urn:pulumi:"onmouseover="alert(4)`
	a.Controls[0].Control = `<b>bold</b>`
	out, doc := renderHTML(t, a)
	for _, bad := range []string{"<script>", "<img", "<b>bold"} {
		if strings.Contains(out, bad) {
			t.Errorf("unescaped %q in the report", bad)
		}
	}
	htWalk(doc, func(n *html.Node) {
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Img || n.DataAtom == atom.B) {
			t.Errorf("state value became a <%s> element", n.Data)
		}
		for _, at := range n.Attr {
			if strings.HasPrefix(at.Key, "on") {
				t.Errorf("state value became an attribute %s=%q", at.Key, at.Val)
			}
		}
	})
	if !strings.Contains(htText(htByID(doc, "evidence")), "<img src=x onerror=alert(2)>") {
		t.Error("the escaped value is not shown as text")
	}
}

// TestHTML_PassBanner: without a failing item the banner says PASS and no
// row is marked failing.
func TestHTML_PassBanner(t *testing.T) {
	a := renderSample()
	var kept []compliance.Result
	for _, r := range a.Results {
		if r.Verdict != compliance.Fail {
			kept = append(kept, r)
		}
	}
	a.Results, a.Controls = kept, renderRollUp(kept)
	out, doc := renderHTML(t, a)
	if s := htText(htByID(doc, "banner")); !strings.Contains(s, "✓ PASS") || strings.Contains(s, "FAIL") {
		t.Errorf("banner %q: want PASS only", s)
	}
	if s := htText(htByID(doc, "counts")); !strings.Contains(s, "✗ FAIL 0") {
		t.Errorf("counts %q: want FAIL 0", s)
	}
	if strings.Contains(out, `class="fail"`) || strings.Contains(out, `banner fail`) || strings.Contains(out, `badge fail`) {
		t.Error("a passing report marks something failing")
	}
}

// TestHTML_EmptyAssessment still renders a complete page.
func TestHTML_EmptyAssessment(t *testing.T) {
	out, doc := renderHTML(t, &compliance.Assessment{Stack: "dev"})
	if htByID(doc, "controls") == nil {
		t.Fatal("no controls section")
	}
	for _, want := range []string{"Generated</dt><dd>unknown", "No evidence was recorded.", "No exemption.", "No control roll-up was recorded.", "✓ PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("empty report lacks %q", want)
		}
	}
}
