package preview_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/preview"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const (
	defaultDeny = "team-a-policies-default-deny-all"
	quota       = "team-a-quota"
)

// raisedQuota is the update event of team-a's quota with pods raised.
func raisedQuota(t *testing.T, dep apitype.DeploymentV3) events.EngineEvent {
	t.Helper()
	q := find(t, dep, quota)
	in := clone(q.Inputs).(map[string]any)
	in["spec"].(map[string]any)["hard"].(map[string]any)["pods"] = "99"
	return stepEvent(apitype.OpUpdate, q, in, "spec.hard.pods")
}

func TestPlanned_AppliesCreateUpdateReplaceAndDelete(t *testing.T) {
	dep := localDeployment(t)
	deny, q := find(t, dep, defaultDeny), find(t, dep, quota)
	upd := raisedQuota(t, dep)

	created := deny
	created.URN = "urn:pulumi:test::rampart::rampart:netpol:Policies$kubernetes:networking.k8s.io/v1:NetworkPolicy::team-a-policies-extra"
	createdIn := clone(deny.Inputs).(map[string]any)
	createdIn["metadata"].(map[string]any)["name"] = "extra"
	createdOut := map[string]any{"metadata": map[string]any{"name": "extra", "uid": "u-1"}}

	dns := find(t, dep, "team-a-policies-allow-dns")
	dnsIn := clone(dns.Inputs).(map[string]any)
	dnsIn["metadata"].(map[string]any)["labels"] = map[string]any{"replaced": "yes"}

	evs := []events.EngineEvent{
		stepEvent(apitype.OpDelete, deny, nil),
		upd,
		stepEvent(apitype.OpCreate, created, createdIn),
		outputsEvent(string(created.URN), string(created.Type), createdOut),
		// A delete-before-replace: the replacement keeps the URN.
		stepEvent(apitype.OpDeleteReplaced, dns, nil),
		stepEvent(apitype.OpReplace, dns, dnsIn),
		stepEvent(apitype.OpCreateReplacement, dns, dnsIn),
		outputsEvent(stackURN, "pulumi:pulumi:Stack", map[string]any{"profile": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "extra": "x"}),
	}
	got := preview.Planned(dep, evs)

	if len(got.Resources) != len(dep.Resources) {
		t.Errorf("planned has %d resources, want %d (one deleted, one created)", len(got.Resources), len(dep.Resources))
	}
	count := map[string]int{}
	byURN := map[string]apitype.ResourceV3{}
	for _, r := range got.Resources {
		count[string(r.URN)]++
		byURN[string(r.URN)] = r
	}
	if count[string(deny.URN)] != 0 {
		t.Error("the deleted default-deny is still in the planned state")
	}
	if r := byURN[string(q.URN)]; r.Outputs != nil || r.Inputs["spec"].(map[string]any)["hard"].(map[string]any)["pods"] != "99" {
		t.Errorf("updated quota = inputs %v, outputs %v; want the new inputs and no stale outputs", r.Inputs, r.Outputs)
	}
	if r := byURN[string(created.URN)]; r.Outputs["metadata"].(map[string]any)["uid"] != "u-1" || r.Inputs == nil {
		t.Errorf("created policy = %+v; want the preview's outputs and its inputs", r)
	}
	if count[string(dns.URN)] != 1 || byURN[string(dns.URN)].Inputs["metadata"].(map[string]any)["labels"] == nil {
		t.Errorf("replaced policy: %d entries, %+v; want one, with its new inputs", count[string(dns.URN)], byURN[string(dns.URN)])
	}
	stack := byURN[stackURN].Outputs
	if stack["profile"] != "local" || stack["extra"] != "x" {
		t.Errorf("stack outputs = %v; want the known new ones merged and unknown ones kept", stack)
	}
	// The input deployment is not changed.
	if find(t, dep, quota).Inputs["spec"].(map[string]any)["hard"].(map[string]any)["pods"] == "99" {
		t.Error("Planned changed the current deployment")
	}
}

func TestCompare_DeletingATenantsDefaultDenyFlipsItsControls(t *testing.T) {
	dep := localDeployment(t)
	if a := compliance.Assess("test", dep, now); a.Failed() {
		t.Fatalf("the local stack fails before any change: %s", a.Summary())
	}
	deny := find(t, dep, defaultDeny)
	plan := preview.PlanOf("local", []events.EngineEvent{stepEvent(apitype.OpDelete, deny, nil), raisedQuota(t, dep)})
	imp := plan.Compare(dep, now, nil)

	var netpol *preview.ItemFlip
	for i, it := range imp.Items {
		if it.ID == "netpol" {
			netpol = &imp.Items[i]
		}
	}
	if netpol == nil || netpol.From != compliance.Pass || netpol.To != compliance.Fail {
		t.Fatalf("items = %+v; want netpol pass → fail", imp.Items)
	}
	if len(netpol.Causes) != 1 || netpol.Causes[0].Op != "delete" || netpol.Causes[0].Name != defaultDeny {
		t.Errorf("netpol causes = %+v; want the delete of %s only (not the quota)", netpol.Causes, defaultDeny)
	}
	// DORA Art. 9(4)(c) and CE+ AC-1..AC-5 also hold items the local stack
	// does not deploy (the Keycloak ones): they were partial, never pass.
	want := map[string]string{"NIS2": "Art. 21(2)(e)", "DORA": "Art. 9(4)(c)", "ITSG-33": "SC-7", "ISM": "ISM-1182", "CE+": "AC-1..AC-5"}
	from := map[string]compliance.Verdict{"NIS2": compliance.Pass, "DORA": compliance.Partial, "ITSG-33": compliance.Pass, "ISM": compliance.Pass, "CE+": compliance.Partial}
	got := map[string]preview.ControlFlip{}
	for _, c := range imp.Controls {
		if c.Control == want[c.Framework] {
			got[c.Framework] = c
		}
	}
	for f, ctl := range want {
		c, ok := got[f]
		if !ok || c.From != from[f] || c.To != compliance.Fail || !c.Regression() {
			t.Errorf("%s %s: %+v; want %s → fail (controls: %+v)", f, ctl, c, from[f], imp.Controls)
			continue
		}
		if len(c.Causes) == 0 || c.Causes[0].Name != defaultDeny {
			t.Errorf("%s %s causes = %+v", f, ctl, c.Causes)
		}
	}
	if len(imp.Regressions()) == 0 {
		t.Error("no regression: the preview would exit 0")
	}

	var md strings.Builder
	plan.Impact = imp
	if err := plan.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	top, sec := strings.Index(out, "### Control impact"), strings.Index(out, "### ⚠ security-relevant")
	if top < 0 || sec < 0 || top > sec {
		t.Fatalf("the control impact is not at the top:\n%s", out)
	}
	for _, s := range []string{
		"regress to fail**: the preview fails (exit 2)",
		"| NIS2 | Art. 21(2)(e) | pass → **fail** | netpol | delete `" + defaultDeny + "` |",
		"delete `" + defaultDeny + "`",
		"| `netpol` — NetworkPolicy applied to every namespace",
		"no default-deny NetworkPolicy in namespace team-a",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("comment lacks %q:\n%s", s, out[:sec])
		}
	}
}

func TestCompare_RaisingAQuotaFlipsNothing(t *testing.T) {
	dep := localDeployment(t)
	plan := preview.PlanOf("local", []events.EngineEvent{raisedQuota(t, dep)})
	imp := plan.Compare(dep, now, nil)
	if len(imp.Controls)+len(imp.Items) != 0 || len(imp.Regressions()) != 0 {
		t.Fatalf("a quota raise flips %+v / %+v", imp.Controls, imp.Items)
	}
	plan.Impact = imp
	var md strings.Builder
	if err := plan.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "### Control impact\nNo checklist item or framework control changes verdict") {
		t.Errorf("comment:\n%s", md.String())
	}
}

// TestCompare_ApprovalHookSuppressesARegression: the exemption lifecycle
// plugs in as an Approval; one covering every failing fact makes the
// regression exempted (exit 0), the flip still shown.
func TestCompare_ApprovalHookSuppressesARegression(t *testing.T) {
	dep := localDeployment(t)
	plan := preview.PlanOf("local", []events.EngineEvent{stepEvent(apitype.OpDelete, find(t, dep, defaultDeny), nil)})
	approved := func(framework, _ string, e compliance.Evidence) bool {
		return strings.Contains(e.Note, "team-a")
	}
	imp := plan.Compare(dep, now, approved)
	if len(imp.Regressions()) != 0 {
		t.Errorf("regressions %+v despite the approval", imp.Regressions())
	}
	exempted := 0
	for _, c := range imp.Controls {
		if c.Exempted {
			exempted++
		}
	}
	if exempted == 0 {
		t.Errorf("no control marked exempted: %+v", imp.Controls)
	}
	// The default approval (facts marked Exempt) covers none of them.
	if len(plan.Compare(dep, now, preview.DefaultApproval).Regressions()) == 0 {
		t.Error("DefaultApproval suppressed a regression")
	}
}
