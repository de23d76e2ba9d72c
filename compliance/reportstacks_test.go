package compliance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/compliance/report"
	"github.com/rampart-dev/rampart/internal/oscalschema"
)

// The reports of the committed stacks, rendered from the real program's
// resources (renderedDeployment): what a person reads, and what a GRC tool
// validates.

// nodeLocalDNS is the end of the prod stack's NodeLocal DNS egress
// exception (rampart:network.dns.nodeLocalCidr), which every namespace's
// allow-dns policy carries.
const nodeLocalDNS = "NodeLocal DNSCache, reached on port 53 only"

// TestReport_ProdShowsARepeatedExceptionOnce: the prod stack exempts the
// NodeLocal DNS range in every namespace's allow-dns policy, the same fact
// but for the policy; the Markdown writes it once with ×N and the first
// policies, the HTML once per table with ×N and every policy.
func TestReport_ProdShowsARepeatedExceptionOnce(t *testing.T) {
	a := compliance.Assess("prod", renderedDeployment(t, "Pulumi.prod.yaml"), now)
	var policies, urns []string
	for _, e := range verdictOf(t, a, "ssrf-blocklist").Evidence {
		if e.Exempt && strings.HasSuffix(e.Note, nodeLocalDNS) {
			policies = append(policies, e.URN[strings.LastIndex(e.URN, "::")+2:])
			urns = append(urns, e.URN)
		}
	}
	if len(policies) < 10 {
		t.Fatalf("%d NodeLocal DNS exceptions in the prod stack, want one per namespace (10 or more): the test would prove nothing", len(policies))
	}
	var md strings.Builder
	if err := report.Markdown(&md, a); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(md.String(), nodeLocalDNS); n != 1 {
		t.Errorf("Markdown writes the NodeLocal DNS exception %d times, want once:\n%s", n, md.String())
	}
	want := fmt.Sprintf("- ⚑ ×%d NetworkPolicy %s, ", len(policies), policies[0])
	more := fmt.Sprintf("NetworkPolicy %s and %d more `ssrf-blocklist`: `spec.egress[0].to[1].ipBlock` = `169.254.20.10/32`, ", policies[4], len(policies)-5)
	if !strings.Contains(md.String(), want) || !strings.Contains(md.String(), more) {
		t.Errorf("Markdown lacks the grouped line %q … %q:\n%s", want, more, md.String())
	}
	var h strings.Builder
	if err := report.HTML(&h, a); err != nil {
		t.Fatal(err)
	}
	// Once in the evidence table, once in the exemptions table, once in
	// the item's reasons (with ×N).
	if n := strings.Count(h.String(), nodeLocalDNS); n != 3 {
		t.Errorf("HTML writes the NodeLocal DNS exception %d times, want 3", n)
	}
	row := fmt.Sprintf(`<span class="count">×%d</span><ul class="objects"><li>%s</li></ul>`, len(urns), strings.Join(urns, "</li><li>"))
	for _, id := range []string{`id="evidence-ssrf-blocklist"`, `id="exemptions"`} {
		_, sec, _ := strings.Cut(h.String(), id)
		sec, _, _ = strings.Cut(sec, "</table>")
		if strings.Count(sec, row) != 1 {
			t.Errorf("HTML %s: want the %d exceptions as one row with ×%d and every policy", id, len(urns), len(urns))
		}
	}
	if !strings.Contains(h.String(), fmt.Sprintf("%s (×%d)", nodeLocalDNS, len(urns))) {
		t.Errorf("HTML does not count the %d exceptions in ssrf-blocklist's reasons", len(urns))
	}
}

// TestAssess_PartlyDeployedControlsArePartial: on the local stack CE+ CE-3
// (tls-ingress, security-headers, secrets-vault, secrets-kms) deploys two of
// its four items: partial, never pass, in the assessment and every rendering; and
// no control of either stack with an item not deployed passes.
func TestAssess_PartlyDeployedControlsArePartial(t *testing.T) {
	a := compliance.Assess("local", renderedDeployment(t, "Pulumi.local.yaml"), now)
	var ce3 compliance.ControlResult
	for _, c := range a.Controls {
		if c.Framework == "CE+" && c.Control == "CE-3" {
			ce3 = c
		}
	}
	if ce3.Verdict != compliance.Partial || !slices.Equal(ce3.Undeployed, []string{"secrets-vault", "secrets-kms"}) {
		t.Fatalf("local CE+ CE-3 = %+v, want partial, secrets-vault and secrets-kms not deployed", ce3)
	}
	var md strings.Builder
	if err := report.Markdown(&md, a); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| CE+ | CE-3 | ◐ partial | tls-ingress, security-headers, secrets-vault (not deployed), secrets-kms (not deployed) |") {
		t.Errorf("Markdown does not show CE+ CE-3 partial:\n%s", md.String())
	}
	var h strings.Builder
	if err := report.HTML(&h, a); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.String(), `<tr class="partial"><td>CE-3</td>`) || !strings.Contains(h.String(), `<code>secrets-vault</code> <span class="muted">(not deployed)</span>`) {
		t.Error("HTML does not show CE+ CE-3 partial with secrets-vault not deployed")
	}
	var js bytes.Buffer
	if err := report.JSON(&js, a); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"control": "CE-3",
      "verdict": "partial",`) {
		t.Error("JSON does not give CE+ CE-3 the verdict partial")
	}
	var o bytes.Buffer
	if err := report.OSCAL(&o, a); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AR struct {
			Results []struct {
				Findings []struct {
					Target struct {
						TargetID string `json:"target-id"`
						Status   struct{ State, Reason string }
						Impl     *struct{ State string } `json:"implementation-status"`
					}
				}
			}
		} `json:"assessment-results"`
	}
	if err := json.Unmarshal(o.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range doc.AR.Results[0].Findings {
		if f.Target.TargetID == "ce-plus_ce-3_smt" {
			found = true
			if f.Target.Status.State != "not-satisfied" || f.Target.Impl == nil || f.Target.Impl.State != "partial" {
				t.Errorf("OSCAL CE+ CE-3 target %+v: want not-satisfied, implementation-status partial", f.Target)
			}
		}
	}
	if !found {
		t.Error("no OSCAL finding for CE+ CE-3")
	}

	for _, file := range []string{"Pulumi.local.yaml", "Pulumi.prod.yaml"} {
		st := a
		if file != "Pulumi.local.yaml" {
			st = compliance.Assess("prod", renderedDeployment(t, file), now)
		}
		for _, c := range st.Controls {
			if len(c.Undeployed) > 0 && c.Verdict == compliance.Pass {
				t.Errorf("%s: %s %s passes with items not deployed: %+v", file, c.Framework, c.Control, c)
			}
		}
	}
}

// TestOSCAL_RenderedStacksAreValidAgainstNISTSchema: the assessment-results
// documents of the committed local and prod stacks are valid against NIST's
// published OSCAL assessment-results schema of the release they declare
// (installed by lab/oscal/install.sh).
func TestOSCAL_RenderedStacksAreValidAgainstNISTSchema(t *testing.T) {
	schema := oscalschema.Require(t, report.OSCALVersion, oscalschema.AssessmentResults)
	for _, file := range []string{"Pulumi.local.yaml", "Pulumi.prod.yaml"} {
		var b bytes.Buffer
		if err := report.OSCAL(&b, compliance.Assess("test", renderedDeployment(t, file), now)); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, v := range oscalschema.Violations(t, schema, b.Bytes()) {
			t.Errorf("%s: %s", file, v)
		}
	}
}
