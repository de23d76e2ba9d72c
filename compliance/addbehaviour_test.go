package compliance_test

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/compliance/report"
)

// TestAddBehaviour_FailedCheckFailsItsItemWithATestObservation: a failed
// check fails its item and the controls it rolls up to; an item the state
// does not deploy is judged on its checks; the OSCAL document carries the
// checks as a TEST observation linked from the item's finding, the EXAMINE
// observation keeping only the state's and the cluster's facts.
func TestAddBehaviour_FailedCheckFailsItsItemWithATestObservation(t *testing.T) {
	dep, inv := liveLocal(t)
	a := compliance.AssessLive("local", dep, inv, now)
	b := &compliance.Behaviour{Server: inv.Server, ProbeImage: "rampart-probe@sha256:0123", Started: now, Finished: now.Add(time.Minute),
		Readyz: "[+]ping ok\n[+]kms-providers ok\nreadyz check passed\n",
		Checks: []compliance.Check{
			{Item: "netpol", Name: "team-a → team-b 10.244.0.7:8080/TCP", Expected: "closed", Observed: "open", Why: "tenants are isolated: rampart:tenants[1]", Detail: "connected in 3ms"},
			{Item: "netpol", Name: "team-a → kube-dns 53/UDP", Expected: "open", Observed: "open", OK: true, Why: "DNS egress"},
		}}
	if a.Failed() {
		t.Fatalf("the clean assessment fails %v", failing(a))
	}
	a.AddBehaviour(b)
	if a.Behaviour != b {
		t.Error("a.Behaviour is not the run")
	}
	sameItems(t, a, "netpol")
	r := verdictOf(t, a, "netpol")
	if !slices.Equal(r.Sources(), []compliance.Source{compliance.FromLive, compliance.FromBehaviour}) {
		t.Errorf("netpol stands on %v", r.Sources())
	}
	var fact bool
	for _, e := range r.Evidence {
		fact = fact || e.Source == compliance.FromBehaviour && !e.OK && e.Field == "team-a → team-b 10.244.0.7:8080/TCP" &&
			e.Value == "expected closed, observed open" && e.Note == "tenants are isolated: rampart:tenants[1]; observed: connected in 3ms"
	}
	if !fact {
		t.Errorf("no failing behaviour fact: %+v", r.Evidence)
	}
	for _, c := range a.Controls {
		if c.Framework == "ITSG-33" && c.Control == "SC-7" && c.Verdict != compliance.Fail {
			t.Errorf("ITSG-33 SC-7 (netpol) = %s after the failed check", c.Verdict)
		}
	}

	var js strings.Builder
	if err := report.OSCAL(&js, a); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AR struct {
			Results []struct {
				Observations []struct {
					UUID     string   `json:"uuid"`
					Methods  []string `json:"methods"`
					Props    []struct{ Name, Value string }
					Evidence []struct {
						Description string `json:"description"`
					} `json:"relevant-evidence"`
				} `json:"observations"`
				Findings []struct {
					Target struct {
						TargetID string `json:"target-id"`
					} `json:"target"`
					Related []struct {
						UUID string `json:"observation-uuid"`
					} `json:"related-observations"`
				} `json:"findings"`
			} `json:"results"`
		} `json:"assessment-results"`
	}
	if err := json.Unmarshal([]byte(js.String()), &doc); err != nil {
		t.Fatal(err)
	}
	res := doc.AR.Results[0]
	methods := map[string]string{}
	for _, o := range res.Observations {
		item := ""
		for _, p := range o.Props {
			if p.Name == "item" {
				item = p.Value
			}
		}
		if item != "netpol" {
			continue
		}
		methods[o.UUID] = strings.Join(o.Methods, ",")
		for _, e := range o.Evidence {
			if behaviour := strings.Contains(e.Description, "team-a → "); behaviour != (o.Methods[0] == "TEST") {
				t.Errorf("%s observation holds %q", o.Methods[0], e.Description)
			}
		}
	}
	for _, f := range res.Findings {
		if f.Target.TargetID != "netpol" {
			continue
		}
		var linked []string
		for _, r := range f.Related {
			linked = append(linked, methods[r.UUID])
		}
		if !slices.Equal(linked, []string{"EXAMINE", "TEST"}) {
			t.Errorf("netpol finding links observations %v, want its EXAMINE and TEST ones", linked)
		}
	}
	md := rendered(t, a)
	i := strings.Index(md, "### Behaviour (rampart verify)")
	if i < 0 || !strings.Contains(md[i:], "| ✘ | `netpol` | team-a → team-b 10.244.0.7:8080/TCP | closed | open | tenants are isolated: rampart:tenants\\[1\\] (observed: connected in 3ms) |\n| ✔ |") ||
		!strings.Contains(md[i:], "[+]kms-providers ok") {
		t.Errorf("behaviour section: failed check first, then the passing one, and /readyz:\n%s", md)
	}

	// Not deployed by the state: judged on its checks.
	s := compliance.Assess("local", dep, now)
	if verdictOf(t, s, "rbac-no-default-admin").Verdict != compliance.NotDeployed {
		t.Fatal("rbac-no-default-admin is deployed by the local state")
	}
	s.AddBehaviour(&compliance.Behaviour{Checks: []compliance.Check{{Item: "rbac-no-default-admin", Name: "system:anonymous may not list pods",
		Expected: "refused", Observed: "refused", OK: true, Why: "no broad binding"}}})
	if r := verdictOf(t, s, "rbac-no-default-admin"); r.Verdict != compliance.Pass || !slices.Equal(r.Sources(), []compliance.Source{compliance.FromBehaviour}) {
		t.Errorf("rbac-no-default-admin with a passing check = %s on %v", r.Verdict, r.Sources())
	}
}

// What a verify run did not check shows beside its checks in every
// rendering, so an absent check is never read as a pass.
func TestAddBehaviour_NotesShowInEveryReport(t *testing.T) {
	a := compliance.Assess("local", apitype.DeploymentV3{}, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	a.AddBehaviour(&compliance.Behaviour{Server: "https://127.0.0.1:6443", Notes: []string{"no --private-address given: no private-address check was made"}})
	for name, render := range map[string]func(io.Writer, *compliance.Assessment) error{"markdown": report.Markdown, "html": report.HTML, "oscal": report.OSCAL, "json": report.JSON} {
		var b bytes.Buffer
		if err := render(&b, a); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "no private-address check was made") {
			t.Errorf("%s report lacks the run's note", name)
		}
	}
}
