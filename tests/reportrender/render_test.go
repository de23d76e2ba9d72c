package reportrender

import (
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/compliance/report"
)

// browser finds Chromium: a missing one fails the test under `make test`
// (RAMPART_REQUIRE_LAB=1) and skips it elsewhere, with the fix either way.
func browser(t *testing.T) Browser {
	t.Helper()
	p, err := Find()
	if err != nil {
		if os.Getenv("RAMPART_REQUIRE_LAB") == "1" || !errors.Is(err, ErrNoChromium) {
			t.Fatalf("headless render: %v", err)
		}
		t.Skipf("headless render: %v", err)
	}
	return Browser{Path: p, Width: 1280, Height: 2400}
}

// sample is a small production report with one failing item.
func sample(failing bool) *compliance.Assessment {
	urn := func(typ, name string) string { return "urn:pulumi:prod::rampart::" + typ + "::" + name }
	gw := urn("rampart:ingress:Ingress$kubernetes:gateway.networking.k8s.io/v1:Gateway", "edge-gateway")
	items := map[string]compliance.Item{}
	for _, it := range compliance.Checklist() {
		items[it.ID] = it
	}
	tls := compliance.Result{Item: items["tls-ingress"], Verdict: compliance.Pass, Evidence: []compliance.Evidence{
		{URN: gw, Field: "spec.listeners[0].tls.mode", Value: "Terminate", OK: true},
	}}
	if failing {
		tls.Verdict = compliance.Fail
		tls.Evidence = append(tls.Evidence, compliance.Evidence{URN: gw, Field: "spec.listeners[2].tls", Value: "<none>", Note: "listener admin on port 8080 serves plain HTTP"})
	}
	a := &compliance.Assessment{
		Stack: "prod", Profile: "production", Generated: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC),
		Results: []compliance.Result{
			{Item: items["netpol"], Verdict: compliance.Pass, Evidence: []compliance.Evidence{
				{URN: urn("rampart:netpol:NetworkPolicies$kubernetes:networking.k8s.io/v1:NetworkPolicy", "apps-default-deny"), Field: "spec.policyTypes", Value: "[Ingress Egress]", OK: true}}},
			tls,
			{Item: items["pss-restricted"], Verdict: compliance.Exempt, Evidence: []compliance.Evidence{
				{URN: urn("rampart:namespace:Namespace$kubernetes:core/v1:Namespace", "falco"), Field: "metadata.labels[pod-security.kubernetes.io/enforce]", Value: "privileged",
					Note: "Falco's modern_ebpf probe needs host mounts", Exempt: true}}},
			{Item: items["keycloak-bruteforce"], Verdict: compliance.NotDeployed},
		},
	}
	for _, fw := range compliance.Frameworks {
		for _, r := range a.Results {
			a.Controls = append(a.Controls, compliance.ControlResult{Framework: fw, Control: r.Item.Controls[fw][0], Verdict: r.Verdict, Items: []string{r.Item.ID}})
		}
	}
	return a
}

func writeHTML(t *testing.T, dir string, a *compliance.Assessment) string {
	t.Helper()
	p := filepath.Join(dir, "report.html")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.HTML(f, a); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// keep copies the screenshot where people can open it: $RAMPART_REPORT_PNG
// when set, and a temp file when the test failed (t.TempDir is removed).
func keep(t *testing.T, png string) {
	t.Cleanup(func() {
		dst := os.Getenv("RAMPART_REPORT_PNG")
		if dst == "" && t.Failed() {
			f, err := os.CreateTemp("", "rampart-report-*.png")
			if err != nil {
				return
			}
			dst = f.Name()
			_ = f.Close()
		}
		if dst == "" {
			return
		}
		b, err := os.ReadFile(png)
		if err == nil {
			err = os.WriteFile(dst, b, 0o644)
		}
		t.Logf("screenshot copied to %s (%v)", dst, err)
	})
}

// failColour is report.FailColour as an RGB triple.
var failColour = [3]uint8{0xb0, 0x00, 0x20}

// pixels counts the pixels of the fail colour (±6 per channel, for any
// colour-space rounding), the non-white ones and the distinct colours.
func pixels(img image.Image) (fail, ink, colours int) {
	seen := map[[3]uint8]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
			seen[c] = true
			if c != [3]uint8{255, 255, 255} {
				ink++
			}
			if near(c[0], failColour[0]) && near(c[1], failColour[1]) && near(c[2], failColour[2]) {
				fail++
			}
		}
	}
	return fail, ink, len(seen)
}

func near(a, b uint8) bool { return a <= b+6 && b <= a+6 }

func screenshot(t *testing.T, br Browser, a *compliance.Assessment) (image.Image, string, time.Duration) {
	t.Helper()
	dir := t.TempDir()
	src := writeHTML(t, dir, a)
	out := filepath.Join(dir, "report.png")
	start := time.Now()
	if err := br.Screenshot(context.Background(), src, out); err != nil {
		t.Fatalf("render %s: %v", src, err)
	}
	took := time.Since(start)
	keep(t, out)
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", out, err)
	}
	return img, out, took
}

// TestReport_RendersInHeadlessChromium_FailureVisible: the report renders
// in a real browser to a non-blank 1280x2400 PNG in which the fail colour
// covers the banner and the failing item's badges; the same report without
// the failure has none of it.
func TestReport_RendersInHeadlessChromium_FailureVisible(t *testing.T) {
	br := browser(t)
	if report.FailColour != "#b00020" {
		t.Fatalf("FailColour is %s: update failColour here", report.FailColour)
	}
	img, path, took := screenshot(t, br, sample(true))
	t.Logf("screenshot %s rendered in %v", path, took.Round(time.Millisecond))
	if b := img.Bounds(); b.Dx() != br.Width || b.Dy() != br.Height {
		t.Fatalf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), br.Width, br.Height)
	}
	fail, ink, colours := pixels(img)
	t.Logf("fail-colour pixels %d, non-white %d, distinct colours %d", fail, ink, colours)
	if ink < 50_000 || colours < 20 {
		t.Errorf("screenshot looks blank: %d non-white pixels, %d colours", ink, colours)
	}
	// The banner alone is about 1130x80 px; each FAIL badge about 120x24.
	if fail < 20_000 {
		t.Errorf("only %d pixels of the fail colour %s: the failure is not visibly marked", fail, report.FailColour)
	}
	passImg, _, tookPass := screenshot(t, br, sample(false))
	pf, _, _ := pixels(passImg)
	t.Logf("passing report rendered in %v: %d fail-colour pixels", tookPass.Round(time.Millisecond), pf)
	if pf > 0 {
		t.Errorf("the passing report has %d fail-colour pixels (failing one: %d): the colour does not mark the failure only", pf, fail)
	}
}

// TestReport_DOMInHeadlessChromium: the document Chromium builds holds the
// summary, the failing item first in the items table, the evidence, the
// exemption and one table per framework.
func TestReport_DOMInHeadlessChromium(t *testing.T) {
	br := browser(t)
	src := writeHTML(t, t.TempDir(), sample(true))
	dom, err := br.DumpDOM(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<html lang="en">`, `<section id="summary">`, `✗ FAIL`, `1 of 4 checklist items fail`,
		`<table id="counts" class="counts">`, `<section id="items" class="page">`,
		`<tr class="fail" id="item-tls-ingress">`, `listener admin on port 8080 serves plain HTTP`,
		`<section id="exemptions" class="page">`, `Falco's modern_ebpf probe needs host mounts`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %q", want)
		}
	}
	for _, fw := range compliance.Frameworks {
		if !strings.Contains(dom, `<caption>`+fw+`</caption>`) {
			t.Errorf("DOM has no %s table", fw)
		}
	}
	items := dom[strings.Index(dom, `<section id="items"`):]
	if i, j := strings.Index(items, `id="item-tls-ingress"`), strings.Index(items, `id="item-netpol"`); i < 0 || j < 0 || i > j {
		t.Errorf("the failing item is not listed before the passing one (%d, %d)", i, j)
	}
	if n := strings.Count(dom, "<table"); n < 3+len(compliance.Frameworks) {
		t.Errorf("%d tables in the DOM, want counts + items + evidence + exemptions + %d frameworks", n, len(compliance.Frameworks))
	}
}
