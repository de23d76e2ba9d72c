package compliance_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/inventory"
)

// TestAssessLive_UnmanagedMutatingWebhookFails: a mutating webhook created
// out of band that matches every pod fails admission-webhooks, naming the
// webhook, what it matches and its failurePolicy; one a known controller
// created passes.
func TestAssessLive_UnmanagedMutatingWebhookFails(t *testing.T) {
	dep, inv := liveLocal(t)
	const hook = `{"webhooks":[{"name":"inject.example.com","failurePolicy":"Ignore","rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}]}]}`
	known := liveObject(t, inventory.Ref{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration", Name: "cert-manager-webhook"},
		`{"webhooks":[{"name":"webhook.cert-manager.io","rules":[{"operations":["CREATE","UPDATE"],"resources":["certificates"]}]}]}`, inventory.KnownController, "helm")
	known.Rule = "cert-manager"
	inv.Objects = append(inv.Objects, known)
	if a := compliance.AssessLive("local", dep, inv, now); verdictOf(t, a, "admission-webhooks").Verdict != compliance.Pass {
		t.Fatalf("a known controller's webhook fails: %+v", verdictOf(t, a, "admission-webhooks").Evidence)
	}
	inv.Objects = append(inv.Objects, liveObject(t, inventory.Ref{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration", Name: "injector"},
		hook, inventory.Unmanaged, "kubectl-client-side-apply"))
	a := compliance.AssessLive("local", dep, inv, now)
	sameItems(t, a, "admission-webhooks")
	e := failingFact(t, a, "admission-webhooks", "MutatingWebhookConfiguration injector")
	if e.Value != "inject.example.com (matches CREATE,UPDATE pods; failurePolicy Ignore)" || !strings.Contains(e.Note, "sees and can rewrite every matching request") {
		t.Errorf("webhook fact %+v", e)
	}
}
