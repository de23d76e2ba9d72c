package identity_test

import (
	"testing"

	"github.com/rampart-dev/rampart/helpers/identity"
)

func TestGroups_AreDistinctAndTenantScoped(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range identity.Roles() {
		g := r.Group()
		if g == "" || seen[g] {
			t.Errorf("role %s has group %q (empty or shared)", r, g)
		}
		seen[g] = true
	}
	for _, r := range identity.TenantRoles() {
		if a, b := identity.TenantGroup("team-a", r), identity.TenantGroup("team-b", r); a == b || seen[a] {
			t.Errorf("tenant groups of %s are not distinct: %q %q", r, a, b)
		}
	}
	if got := identity.TenantGroup("team-a", identity.TenantAdmin); got != "team-a-tenant-admins" {
		t.Errorf("TenantGroup = %q", got)
	}
}
