package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/helpers/exemption"
	"github.com/rampart-dev/rampart/internal/oscalschema"
)

// exemptSample is the sample assessment with one exemption of each state:
// approved and running, expired, Rampart's default without approval.
func exemptSample() *compliance.Assessment {
	a := renderSample()
	a.Exemptions = []compliance.ExemptionRecord{
		{Kind: "pod-security", Key: "rampart:namespaces[7].exemption", Subject: "falco", Level: "privileged", Justification: "Falco's eBPF probe needs host access.",
			Control: "ISM-1034", Approval: exemption.Approval{Owner: "platform-team", ApprovedBy: "CISO", Ticket: "https://jira.example/browse/SEC-1", Expires: "2026-12-13"}},
		{Kind: "public-egress", Key: "rampart:gateway.publicEgress", Subject: "gateway egress to any public address on ports [443]", Justification: "CDN addresses rotate hourly.",
			Approval: exemption.Approval{Owner: "api-team", ApprovedBy: "CISO", Ticket: "SEC-2", Expires: "2026-12-01"}},
		{Kind: "pod-security", Key: "rampart:namespaces[7].exemption", Subject: "falco", Level: "privileged", Justification: "default", BuiltIn: true},
	}
	return a
}

func TestPOAM_ValidAgainstNISTSchema(t *testing.T) {
	schema := oscalschema.Require(t, OSCALVersion, oscalschema.POAM)
	for name, a := range map[string]*compliance.Assessment{"exempt": exemptSample(), "none": renderSample(), "empty": {Stack: "dev", Generated: fixedNow}} {
		var b bytes.Buffer
		if err := POAM(&b, a); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, v := range oscalschema.Violations(t, schema, b.Bytes()) {
			t.Errorf("%s: %s", name, v)
		}
	}
	// The schema is really applied: a risk without its statement is refused.
	var b bytes.Buffer
	if err := POAM(&b, exemptSample()); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(b.String(), `"statement":`, `"statement-x":`, 1)
	if len(oscalschema.Violations(t, schema, []byte(bad))) == 0 {
		t.Error("the schema accepted a risk without statement: the validation above proves nothing")
	}
	ar := oscalschema.Require(t, OSCALVersion, oscalschema.AssessmentResults)
	for _, v := range oscalschema.Violations(t, ar, []byte(mustOSCAL(t, exemptSample()))) {
		t.Errorf("assessment results with exemptions: %s", v)
	}
}

func TestPOAM_ListsEachExemptionWithOwnerApproverTicketAndDeadline(t *testing.T) {
	var b bytes.Buffer
	if err := POAM(&b, exemptSample()); err != nil {
		t.Fatal(err)
	}
	var doc poamDocument
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.POAM
	if len(p.Risks) != 3 || len(p.POAMItems) != 3 {
		t.Fatalf("%d risks, %d items; want 3 of each", len(p.Risks), len(p.POAMItems))
	}
	r := p.Risks[0]
	props := map[string]string{}
	for _, pr := range r.Props {
		props[pr.Name] = pr.Value
	}
	if r.Deadline != "2026-12-13T23:59:59Z" || r.Status != "deviation-approved" || props["owner"] != "platform-team" || props["approved-by"] != "CISO" ||
		props["ticket"] != "https://jira.example/browse/SEC-1" || props["age"] != "expires in 10 days" || len(r.Links) != 1 {
		t.Errorf("risk 0 = %+v", r)
	}
	if p.Risks[1].Status != "open" || p.Risks[2].Status != "open" {
		t.Errorf("expired / unapproved statuses = %q, %q; want open", p.Risks[1].Status, p.Risks[2].Status)
	}
	if p.POAMItems[0].RelatedRisks[0].RiskUUID != r.UUID {
		t.Error("poam-item 0 does not point at its risk")
	}
	// The assessment results of the same run link to it.
	ar := mustOSCAL(t, exemptSample())
	if !strings.Contains(ar, p.UUID) || !strings.Contains(ar, `"rel": "related"`) {
		t.Error("the assessment results do not link the POA&M")
	}
}

func TestMarkdown_RegisterListsEachExemptionWithItsAge(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, exemptSample()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{"### Exemption register", "| platform-team | CISO | https://jira.example/browse/SEC-1 | 2026-12-13 | expires in 10 days |",
		"| api-team | CISO | SEC-2 | 2026-12-01 | expired 2 days ago |", "no end date (Rampart default)"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
