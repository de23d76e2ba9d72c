package preview

import (
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/components/auditor"
	"github.com/rampart-dev/rampart/components/certmanager"
	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/components/keycloak"
	"github.com/rampart-dev/rampart/components/kms"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/components/rbac"
	"github.com/rampart-dev/rampart/components/runtime"
)

// TestComponentItems_KnowsEveryComponentAndOnlyChecklistItems: the grouping
// spells the components' type tokens out (the package must not import the
// components); this keeps them in step, and every item id in the
// checklist.
func TestComponentItems_KnowsEveryComponentAndOnlyChecklistItems(t *testing.T) {
	for _, tok := range []string{namespace.TypeToken, netpol.TypeToken, openbao.TypeToken, pki.TypeToken, kms.TypeToken,
		keycloak.TypeToken, ingress.TypeToken, certmanager.TypeToken, audit.TypeToken, audit.AgentTypeToken,
		runtime.TypeToken, rbac.TypeToken, auditor.TypeToken} {
		if len(componentItems[tok]) == 0 {
			t.Errorf("component %s carries no checklist item: its changes would show outside any Rampart component", tok)
		}
	}
	ids := map[string]bool{}
	for _, it := range compliance.Checklist() {
		ids[it.ID] = true
	}
	for tok, items := range componentItems {
		for _, id := range items {
			if !ids[id] {
				t.Errorf("componentItems[%s] names %q, not a checklist item", tok, id)
			}
		}
	}
}
