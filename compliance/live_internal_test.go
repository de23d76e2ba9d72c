package compliance

import (
	"testing"

	"github.com/rampart-dev/rampart/inventory"
)

// TestListedKinds_ReadsEverySpelling: the kinds an inventory says it
// listed decide which declared objects count as gone when absent, so every
// spelling of a core kind and a version after the group is understood; an
// inventory that does not say listed inventorykinds.All.
func TestListedKinds_ReadsEverySpelling(t *testing.T) {
	got := listedKinds(&inventory.Inventory{Kinds: []string{"networking.k8s.io/NetworkPolicy", "Pod", "/ServiceAccount",
		"core/Namespace", "v1/ConfigMap", "apps/v1/Deployment", "velero.io/Backup"}})
	for _, k := range []kindKey{{"networking.k8s.io", "NetworkPolicy"}, {"", "Pod"}, {"", "ServiceAccount"}, {"", "Namespace"},
		{"", "ConfigMap"}, {"apps", "Deployment"}, {"velero.io", "Backup"}} {
		if !got[k] {
			t.Errorf("%v not listed in %v", k, got)
		}
	}
	if len(got) != 7 {
		t.Errorf("%d kinds, want 7: %v", len(got), got)
	}
	if all := listedKinds(&inventory.Inventory{}); !all[kindKey{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"}] || !all[kindKey{"", "Pod"}] {
		t.Errorf("an inventory without kinds does not list inventorykinds.All: %v", all)
	}
}
