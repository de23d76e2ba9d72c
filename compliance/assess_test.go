package compliance_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/compliance/report"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/netpol"
)

var now = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// failing lists the IDs of the failing items.
func failing(a *compliance.Assessment) []string {
	var out []string
	for _, r := range a.Results {
		if r.Verdict == compliance.Fail {
			out = append(out, r.Item.ID)
		}
	}
	return out
}

func verdictOf(t *testing.T, a *compliance.Assessment, id string) compliance.Result {
	t.Helper()
	r, ok := a.Result(id)
	if !ok {
		t.Fatalf("no result for %s", id)
	}
	return r
}

func rendered(t *testing.T, a *compliance.Assessment) string {
	t.Helper()
	var md, js strings.Builder
	if err := report.Markdown(&md, a); err != nil {
		t.Fatal(err)
	}
	if err := report.JSON(&js, a); err != nil {
		t.Fatal(err)
	}
	return md.String() + js.String()
}

// TestAssess_RenderedStacksPassEveryItemTheyDeploy: the real program's
// resources for the committed local and prod stacks fail no item, and each
// stack deploys what its file enables.
func TestAssess_RenderedStacksPassEveryItemTheyDeploy(t *testing.T) {
	for file, deployed := range map[string][]string{
		"Pulumi.local.yaml": {"tls-ingress", "netpol", "pss-restricted", "ssrf-blocklist", "security-headers", "rbac-bindings"},
		"Pulumi.prod.yaml": {"tls-ingress", "netpol", "pss-restricted", "ssrf-blocklist", "security-headers",
			"keycloak-bruteforce", "token-lifespans", "rbac-no-default-admin", "secrets-vault", "secrets-kms", "rbac-bindings"},
	} {
		t.Run(file, func(t *testing.T) {
			a := compliance.Assess("test", renderedDeployment(t, file), now)
			if a.Failed() {
				t.Errorf("failing items %v:\n%s", failing(a), rendered(t, a))
			}
			for _, r := range a.Results {
				want := compliance.NotDeployed
				if slices.Contains(deployed, r.Item.ID) {
					want = compliance.Pass
				}
				if r.Verdict != want {
					t.Errorf("%s = %s, want %s; evidence %+v", r.Item.ID, r.Verdict, want, r.Evidence)
				}
			}
			if len(a.Results) != len(compliance.Checklist()) {
				t.Errorf("%d results for %d checklist items", len(a.Results), len(compliance.Checklist()))
			}
		})
	}
}

// TestAssess_EachWeakeningFailsExactlyItsItemNamingTheObject: one
// out-of-band weakening at a time makes exactly the item that covers it
// fail, with evidence naming the object and field.
func TestAssess_EachWeakeningFailsExactlyItsItemNamingTheObject(t *testing.T) {
	// Policies add up: egress to everyone also opens the SSRF blocklist, and
	// an unexcepted ipBlock is a rule netpol fails too.
	alsoFails := map[string][]string{
		"default-deny opened to all egress": {"ssrf-blocklist"},
		"ipBlock 0.0.0.0/0 without except":  {"netpol"},
	}
	for _, tc := range []struct {
		name, item, urnSuffix, field string
		edit                         func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3
	}{
		{"default-deny deleted", "netpol", "::team-b-ns", netpol.DefaultDenyName,
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				return without(t, dep, "team-b-policies-"+netpol.DefaultDenyName)
			}},
		{"default-deny opened to all egress", "netpol", "::team-a-policies-" + netpol.DefaultDenyName, "spec",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				spec := at(t, find(t, &dep, "team-a-policies-"+netpol.DefaultDenyName).Outputs, "spec").(map[string]any)
				spec["egress"] = []any{map[string]any{}}
				return dep
			}},
		{"PSS enforce label removed", "pss-restricted", "::team-a-ns", namespace.LabelEnforce,
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				labels := at(t, find(t, &dep, "team-a-ns").Outputs, "metadata", "labels").(map[string]any)
				delete(labels, namespace.LabelEnforce)
				return dep
			}},
		{"ipBlock 0.0.0.0/0 without except", "ssrf-blocklist", "::team-a-policies-" + netpol.AllowDNSName, "ipBlock",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				spec := at(t, find(t, &dep, "team-a-policies-"+netpol.AllowDNSName).Outputs, "spec").(map[string]any)
				spec["egress"] = append(spec["egress"].([]any), map[string]any{
					"to":    []any{map[string]any{"ipBlock": map[string]any{"cidr": "0.0.0.0/0"}}},
					"ports": []any{map[string]any{"port": 22.0}},
				})
				return dep
			}},
		{"TLS floor lowered to 1.1", "tls-ingress", "::ingress-tls-floor", "spec.tls.minVersion",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				tls := at(t, find(t, &dep, "ingress-tls-floor").Outputs, "spec", "tls").(map[string]any)
				tls["minVersion"] = "1.1"
				return dep
			}},
		{"HSTS header dropped", "security-headers", "::ingress-route-ingress-team-a-platform-rampart-test", "Strict-Transport-Security",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				mod := at(t, find(t, &dep, "ingress-route-ingress-team-a-platform-rampart-test").Outputs,
					"spec", "rules", 0, "filters", 0, "responseHeaderModifier").(map[string]any)
				mod["set"] = mod["set"].([]any)[1:]
				return dep
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := compliance.Assess("test", tc.edit(t, renderedDeployment(t, "Pulumi.local.yaml")), now)
			want := append([]string{tc.item}, alsoFails[tc.name]...)
			got := failing(a)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("failing items = %v, want %v", got, want)
			}
			var named bool
			for _, e := range verdictOf(t, a, tc.item).Evidence {
				if !e.OK && !e.Exempt && strings.HasSuffix(e.URN, tc.urnSuffix) && strings.Contains(e.Field, tc.field) && e.Note != "" {
					named = true
				}
			}
			if !named {
				t.Errorf("no failing evidence on *%s field %s: %+v", tc.urnSuffix, tc.field, verdictOf(t, a, tc.item).Evidence)
			}
			if md := rendered(t, a); !strings.Contains(md, "### ✘ `"+tc.item+"` fails") {
				t.Errorf("report shows no failing section for %s:\n%s", tc.item, md)
			}
		})
	}
}

// TestAssess_SSRFEvidenceNamesTheOpenRanges: the failing ipBlock's note
// lists the blocklisted ranges it admits, the metadata range among them.
func TestAssess_SSRFEvidenceNamesTheOpenRanges(t *testing.T) {
	dep := renderedDeployment(t, "Pulumi.local.yaml")
	spec := at(t, find(t, &dep, "rampart-system-policies-"+netpol.GatewayEgressName).Outputs, "spec").(map[string]any)
	ib := at(t, spec, "egress", 1, "to", 0, "ipBlock").(map[string]any)
	if ib["cidr"] != "203.0.113.10/32" {
		t.Fatalf("gateway egress rule 1 is %v, not the public-api backend's address", ib)
	}
	// Widened to every address with only part of the blocklist excepted.
	ib["cidr"], ib["except"] = "0.0.0.0/0", []any{"10.0.0.0/8"}
	r := verdictOf(t, compliance.Assess("test", dep, now), "ssrf-blocklist")
	if r.Verdict != compliance.Fail {
		t.Fatalf("verdict %s", r.Verdict)
	}
	for _, e := range r.Evidence {
		if !e.OK {
			if !strings.Contains(e.Note, "169.254.0.0/16") || strings.Contains(e.Note, "10.0.0.0/8") || e.Field != "spec.egress[1].to[0].ipBlock" {
				t.Errorf("evidence %+v: want 169.254.0.0/16 named, the excepted 10.0.0.0/8 not", e)
			}
			return
		}
	}
	t.Fatal("no failing evidence")
}

// TestAssess_ExemptionsNeedTheStackRecord: falco's privileged label passes
// as an exemption whose justification is in the evidence; without the
// typed exemption in the stack outputs the same label fails.
func TestAssess_ExemptionsNeedTheStackRecord(t *testing.T) {
	dep := renderedDeployment(t, "Pulumi.local.yaml")
	a := compliance.Assess("test", dep, now)
	r := verdictOf(t, a, "pss-restricted")
	var ex []compliance.Evidence
	for _, e := range r.Evidence {
		if e.Exempt {
			ex = append(ex, e)
		}
	}
	if r.Verdict != compliance.Pass || len(ex) != 1 || !strings.HasSuffix(ex[0].URN, "::falco-ns") ||
		ex[0].Value != "privileged" || !strings.Contains(ex[0].Note, "Falco's kernel driver") {
		t.Fatalf("pss-restricted %s, exemptions %+v", r.Verdict, ex)
	}
	if md := rendered(t, a); !strings.Contains(md, "Namespace falco-ns `pss-restricted`") {
		t.Errorf("report lacks the exemption:\n%s", md)
	}

	find(t, &dep, "rampart-test").Outputs["exemptions"] = []any{}
	a = compliance.Assess("test", dep, now)
	if got := failing(a); !slices.Equal(got, []string{"pss-restricted"}) {
		t.Fatalf("without the exemption record: failing %v", got)
	}
}

// TestAssess_SecretsNeverAppear: the prod stack's secrets (the HSM PIN, the
// client secret, …), present in clear in the export as --show-secrets
// writes it, appear nowhere in the report; a field read from inside a
// secret shows as [secret].
func TestAssess_SecretsNeverAppear(t *testing.T) {
	dep := renderedDeployment(t, "Pulumi.prod.yaml")
	raw, _ := json.Marshal(dep)
	if !strings.Contains(string(raw), "placeholder-rampart:openbaoHsmPin") {
		t.Fatal("the test deployment carries no secret in clear: the test would prove nothing")
	}
	tls := at(t, find(t, &dep, "ingress-tls-floor").Outputs, "spec", "tls").(map[string]any)
	tls["minVersion"] = map[string]any{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "1.0"}
	a := compliance.Assess("test", dep, now)
	out := rendered(t, a)
	if strings.Contains(out, "placeholder-") || strings.Contains(out, `"1.0"`) {
		t.Error("a secret's plaintext is in the report")
	}
	var seen bool
	for _, e := range verdictOf(t, a, "tls-ingress").Evidence {
		if e.Field == "spec.tls.minVersion" && e.Value == "[secret]" && !e.OK {
			seen = true
		}
	}
	if !seen {
		t.Errorf("a secret TLS floor is not shown as [secret] and failed: %+v", verdictOf(t, a, "tls-ingress").Evidence)
	}
}

// TestAssess_EmptyStateDeploysNothing: nothing in the state, nothing fails.
func TestAssess_EmptyStateDeploysNothing(t *testing.T) {
	a := compliance.Assess("empty", apitype.DeploymentV3{}, now)
	if a.Failed() {
		t.Error("an empty stack fails")
	}
	for _, r := range a.Results {
		if r.Verdict != compliance.NotDeployed {
			t.Errorf("%s = %s", r.Item.ID, r.Verdict)
		}
	}
	for _, c := range a.Controls {
		if c.Verdict != compliance.NotDeployed {
			t.Errorf("%s %s = %s", c.Framework, c.Control, c.Verdict)
		}
	}
}

// TestAssess_ControlsRollUpFromTheirItems: a control fails when one of its
// items does, passes when all its items are deployed and pass, is partial
// when its deployed items pass but some are not deployed, and keeps every
// item.
func TestAssess_ControlsRollUpFromTheirItems(t *testing.T) {
	dep := without(t, renderedDeployment(t, "Pulumi.local.yaml"), "team-b-policies-"+netpol.DefaultDenyName)
	a := compliance.Assess("test", dep, now)
	want := map[string]compliance.Verdict{
		"NIS2 Art. 21(2)(e)":              compliance.Fail, // netpol fails, pss-restricted passes
		"ITSG-33 SC-7":                    compliance.Fail,
		"ITSG-33 CM-6, CM-7":              compliance.Pass,
		"NIS2 Art. 21(2)(i)":              compliance.Partial, // rbac-bindings (rampart:rbac) passes; the Keycloak items are not deployed
		"ISM ISM-1808":                    compliance.NotDeployed,
		"NIS2 Art. 21(2)(h)":              compliance.Partial, // tls-ingress passes, secrets-vault not deployed
		"CE+ CE-4 (secure configuration)": compliance.Partial, // pss-restricted passes, admission-webhooks is judged live only
		"ITSG-33 SC-7(5)":                 compliance.Pass,
		"DORA Art. 9(4)(c)":               compliance.Fail,
		"CE+ AC-1..AC-5":                  compliance.Fail,
		"ISM ISM-1552":                    compliance.Pass,    // tls-ingress alone
		"ISM ISM-1584":                    compliance.Partial, // as CE+ CE-4
		"ITSG-33 AU-2, AU-9, AU-11":       compliance.NotDeployed,
	}
	got := map[string]compliance.ControlResult{}
	for _, c := range a.Controls {
		got[c.Framework+" "+c.Control] = c
		if c.Control == "N/A" {
			t.Errorf("N/A rolled up as a control: %+v", c)
		}
	}
	for k, v := range want {
		if got[k].Verdict != v {
			t.Errorf("%s = %+v, want %s", k, got[k], v)
		}
	}
	if items := got["NIS2 Art. 21(2)(e)"].Items; !slices.Equal(items, []string{"netpol", "pss-restricted", "ssrf-blocklist", "security-headers"}) {
		t.Errorf("NIS2 Art. 21(2)(e) items = %v", items)
	}
}

// TestMarkdown_SummaryFailingEvidenceAndControls: the report opens with the
// counts, lists failing items first and their evidence by object name, and
// ends with the control roll-up.
func TestMarkdown_SummaryFailingEvidenceAndControls(t *testing.T) {
	dep := without(t, renderedDeployment(t, "Pulumi.local.yaml"), "team-b-policies-"+netpol.DefaultDenyName)
	a := compliance.Assess("local", dep, now)
	a.Refreshed = true
	var b strings.Builder
	if err := report.Markdown(&b, a); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"## Compliance of stack `local` (profile local)",
		"the state refreshed from the live cluster",
		"**5 pass, 1 fail, 0 exempt, 11 not deployed**", // admission-webhooks: live only
		"| ✘ | `netpol` NetworkPolicy applied to every namespace (default-deny, DNS, tenant isolation) | fail | 1 of ",
		"| Namespace team-b-ns | `NetworkPolicy team-b/default-deny-all` | `absent` | no default-deny NetworkPolicy in namespace team-b",
		"| NIS2 | Art. 21(2)(e) | ✘ fail | netpol, pss-restricted, ssrf-blocklist, security-headers |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Index(md, "`netpol`") > strings.Index(md, "`tls-ingress`") {
		t.Error("the failing item is not listed first")
	}
	var back compliance.Assessment
	var js strings.Builder
	if err := report.JSON(&js, a); err != nil || json.Unmarshal([]byte(js.String()), &back) != nil || len(back.Results) != len(a.Results) || !back.Failed() {
		t.Errorf("JSON does not round-trip: %v", err)
	}
}
