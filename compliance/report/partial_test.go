package report

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
)

// partialSample is renderSample without its failing items: tls-ingress and
// security-headers pass, secrets-vault is not deployed, so CE+ CE-3 (those
// three items) is partial.
func partialSample() *compliance.Assessment {
	a := renderSample()
	var kept []compliance.Result
	for _, r := range a.Results {
		switch r.Item.ID {
		case "tls-ingress", "security-headers":
			r.Verdict, r.Evidence = compliance.Pass, r.Evidence[len(r.Evidence)-1:]
			r.Evidence[0].OK, r.Evidence[0].Note = true, ""
		case "secrets-vault":
			r.Verdict, r.Evidence = compliance.NotDeployed, nil
		}
		kept = append(kept, r)
	}
	a.Results, a.Controls = kept, renderRollUp(kept)
	return a
}

func ceThree(t *testing.T, a *compliance.Assessment) compliance.ControlResult {
	t.Helper()
	for _, c := range a.Controls {
		if c.Framework == "CE+" && c.Control == "CE-3" {
			return c
		}
	}
	t.Fatal("no CE+ CE-3 control")
	return compliance.ControlResult{}
}

// TestRenderers_ShowAPartialControl: a control some of whose items are not
// deployed reads partial in every rendering, with the missing item named,
// and counts as partial, never pass, in the summaries.
func TestRenderers_ShowAPartialControl(t *testing.T) {
	a := partialSample()
	if c := ceThree(t, a); c.Verdict != compliance.Partial || strings.Join(c.Undeployed, ",") != "secrets-vault" {
		t.Fatalf("sample's CE+ CE-3 = %+v, want partial without secrets-vault", c)
	}
	n := a.ControlCounts()

	var md strings.Builder
	if err := Markdown(&md, a); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| CE+ | CE-3 | ◐ partial | tls-ingress, security-headers, secrets-vault (not deployed) |",
		"Framework controls: " + a.ControlSummary()} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	if n[compliance.Partial] == 0 || !strings.Contains(a.ControlSummary(), " partial") {
		t.Errorf("control counts %v, summary %q: want the partial ones counted", n, a.ControlSummary())
	}

	_, doc := renderHTML(t, a)
	if row := htText(htByID(doc, "framework-CE+")); !strings.Contains(row, "CE-3 ◐ PARTIAL tls-ingress , security-headers , secrets-vault (not deployed)") {
		t.Errorf("HTML CE+ table %q: want CE-3 partial naming secrets-vault not deployed", row)
	}
	if counts := htText(htByID(doc, "control-counts")); !strings.Contains(counts, "◐ PARTIAL "+strconv.Itoa(n[compliance.Partial])) || !strings.Contains(counts, "✓ PASS "+strconv.Itoa(n[compliance.Pass])) {
		t.Errorf("HTML control counts %q, want %v", counts, n)
	}

	var js strings.Builder
	if err := JSON(&js, a); err != nil {
		t.Fatal(err)
	}
	var back compliance.Assessment
	if err := json.Unmarshal([]byte(js.String()), &back); err != nil {
		t.Fatal(err)
	}
	if c := ceThree(t, &back); c.Verdict != "partial" || strings.Join(c.Undeployed, ",") != "secrets-vault" {
		t.Errorf("JSON CE+ CE-3 = %+v", c)
	}

	doc2 := renderOSCAL(t, a)
	f, st := osFinding(t, doc2, "ce-plus_ce-3_smt")
	tg := f["target"].(osObj)
	is, _ := tg["implementation-status"].(osObj)
	if st["state"] != "not-satisfied" || st["reason"] != "other" || !strings.Contains(st["remarks"].(string), "not deployed: secrets-vault") {
		t.Errorf("OSCAL CE+ CE-3 status %v: want not-satisfied, other, naming secrets-vault", st)
	}
	if is["state"] != "partial" || !strings.Contains(is["remarks"].(string), "secrets-vault") {
		t.Errorf("OSCAL CE+ CE-3 implementation-status %v: want partial naming secrets-vault", is)
	}
	osCheck(t, "target", "finding.target", tg)
	for _, c := range a.Controls {
		if _, st := osFinding(t, doc2, oscalControlToken(c.Framework, c.Control)+"_smt"); c.Verdict == compliance.Partial && st["state"] == "satisfied" {
			t.Errorf("%s %s is partial but satisfied in OSCAL", c.Framework, c.Control)
		}
	}
}
