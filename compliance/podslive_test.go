package compliance_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/inventory"
)

// TestAssessLive_LoweredLabelAndPrivilegedPodFailPodSecurity: team-a's
// enforce label lowered live and a privileged pod admitted there both
// fail pss-restricted (the stack's intent stays restricted); a privileged
// pod in falco, whose typed exemption allows it, is exempt with the
// exemption's justification.
func TestAssessLive_LoweredLabelAndPrivilegedPodFailPodSecurity(t *testing.T) {
	dep, inv := liveLocal(t)
	ns := liveFind(t, inv, inventory.Ref{Kind: "Namespace", Name: "team-a"})
	ns.Object["metadata"].(map[string]any)["labels"].(map[string]any)[namespace.LabelEnforce] = "privileged"
	const privileged = `{"spec":{"containers":[{"name":"shell","image":"busybox","securityContext":{"privileged":true}}]}}`
	inv.Objects = append(inv.Objects,
		liveObject(t, inventory.Ref{Kind: "Pod", Namespace: "team-a", Name: "debug"}, privileged, inventory.Unmanaged, "kubectl-run"),
		liveObject(t, inventory.Ref{Kind: "Pod", Namespace: "falco", Name: "probe"}, privileged, inventory.Unmanaged, "kubectl-run"))
	if r := verdictOf(t, compliance.Assess("local", dep, now), "pss-restricted"); r.Verdict != compliance.Pass {
		t.Fatalf("the state alone: pss-restricted %s", r.Verdict)
	}
	a := compliance.AssessLive("local", dep, inv, now)
	sameItems(t, a, "pss-restricted")
	label := failingFact(t, a, "pss-restricted", "Namespace team-a")
	if label.Field != `metadata.labels["`+namespace.LabelEnforce+`"]` || label.Value != "privileged" || label.Source != compliance.FromLive {
		t.Errorf("label fact %+v: want the live enforce label privileged", label)
	}
	pod := failingFact(t, a, "pss-restricted", "Pod team-a/debug")
	if pod.Value != "violates restricted:latest" || !strings.Contains(pod.Note, "privileged") || !strings.Contains(pod.Note, "intent for namespace team-a is restricted") {
		t.Errorf("pod fact %+v: want restricted's failing checks named", pod)
	}
	var exempt bool
	for _, e := range verdictOf(t, a, "pss-restricted").Evidence {
		exempt = exempt || e.Object == "Pod falco/probe" && e.Exempt && strings.Contains(e.Note, "Falco's kernel driver") &&
			e.Value == "admitted at privileged:latest, not at restricted"
	}
	if !exempt {
		t.Errorf("the privileged pod in falco is not exempt under falco's exemption: %+v", verdictOf(t, a, "pss-restricted").Evidence)
	}
}

// TestAssessLive_PodTemplatesAndDefaultServiceAccount: a Deployment's and
// a CronJob's pod templates are judged like pods, and a default
// ServiceAccount that mounts its token fails.
func TestAssessLive_PodTemplatesAndDefaultServiceAccount(t *testing.T) {
	dep, inv := liveLocal(t)
	inv.Objects = append(inv.Objects,
		liveObject(t, inventory.Ref{Group: "apps", Kind: "Deployment", Namespace: "team-b", Name: "web"},
			`{"spec":{"template":{"spec":{"hostNetwork":true,"containers":[{"name":"web","image":"nginx"}]}}}}`, inventory.Unmanaged, "helm"),
		liveObject(t, inventory.Ref{Group: "batch", Kind: "CronJob", Namespace: "team-b", Name: "backup"},
			`{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"x","securityContext":{"runAsUser":0}}]}}}}}}`, inventory.Unmanaged, "helm"))
	sa := liveFind(t, inv, inventory.Ref{Kind: "ServiceAccount", Namespace: "team-a", Name: "default"})
	if sa.Object["automountServiceAccountToken"] != false {
		t.Fatalf("the state's default ServiceAccount %v does not turn automount off: the test would prove nothing", sa.Object)
	}
	delete(sa.Object, "automountServiceAccountToken")
	a := compliance.AssessLive("local", dep, inv, now)
	sameItems(t, a, "pss-restricted")
	if e := failingFact(t, a, "pss-restricted", "Deployment team-b/web"); e.Field != "spec.template.spec" || !strings.Contains(e.Note, "host namespaces") {
		t.Errorf("deployment fact %+v", e)
	}
	if e := failingFact(t, a, "pss-restricted", "CronJob team-b/backup"); e.Field != "spec.jobTemplate.spec.template.spec" || !strings.Contains(e.Note, "runAsNonRoot") {
		t.Errorf("cronjob fact %+v", e)
	}
	if e := failingFact(t, a, "pss-restricted", "ServiceAccount team-a/default"); e.Value != "(absent)" || !strings.Contains(e.Note, "mounts a token") {
		t.Errorf("service account fact %+v", e)
	}
}
