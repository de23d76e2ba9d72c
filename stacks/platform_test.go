package stacks_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/helpers/identity"
	"github.com/rampart-dev/rampart/internal/recmock"
)

// The realm gets the groups of every tenant of rampart:tenants: the stack
// passes them, the realm has no key of its own for them.
func TestProgram_RealmHasTheGroupsOfEveryTenant(t *testing.T) {
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(platformConfig(), platformSecrets...)); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"team-a", "team-b"} { // validConfig's rampart:tenants
		for _, r := range identity.TenantRoles() {
			g := rec.MustGet(t, "keycloak:index/group:Group", "keycloak-group-"+identity.TenantGroup(tenant, r))
			if p, _ := recmock.Path(g.Plain(), "parentId"); p != "keycloak-group-"+r.Group()+"_id" {
				t.Errorf("%s: parent %v, want the %s group", identity.TenantGroup(tenant, r), p, r.Group())
			}
		}
	}
	c := rec.MustGet(t, "keycloak:openid/client:Client", "keycloak-kubernetes-client")
	if id, _ := recmock.Path(c.Plain(), "clientId"); id != "kubernetes" {
		t.Errorf("kubernetes client id = %v", id)
	}
}

// A bad tenant name is reported once, at its own key.
func TestProgram_BadTenantNameIsReportedAtRampartTenantsOnly(t *testing.T) {
	cfg := platformConfig()
	cfg["rampart:tenants"] = js([]any{map[string]any{"name": "Team_A"}})
	err := recmock.New().Run(program, recmock.WithConfig(cfg, platformSecrets...))
	if err == nil || !strings.Contains(err.Error(), `rampart:tenants[0].name: "Team_A"`) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "rampart:keycloak.tenants") {
		t.Errorf("tenant reported under a key that does not exist:\n%v", err)
	}
}
