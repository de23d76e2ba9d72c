package keycloak

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/identity"
	"github.com/rampart-dev/rampart/internal/recmock"
)

func TestRoles_NamesAndGroupsAreTheIdentityVocabulary(t *testing.T) {
	roles := PlatformRoles()
	if len(roles) != len(identity.Roles()) {
		t.Fatalf("%d platform roles, identity has %d", len(roles), len(identity.Roles()))
	}
	for i, r := range identity.Roles() {
		if roles[i].Name != string(r) || roles[i].Group != r.Group() {
			t.Errorf("PlatformRoles()[%d] = %s/%s, identity says %s/%s", i, roles[i].Name, roles[i].Group, r, r.Group())
		}
	}
	// The names Keycloak has always had: renaming a group or role would
	// replace it and drop its members.
	var groups []string
	for _, r := range roles {
		groups = append(groups, r.Group)
	}
	if want := []string{"viewers", "devops", "tenant-admins", "platform-admins"}; !slices.Equal(groups, want) {
		t.Errorf("role groups = %v, want %v", groups, want)
	}
}

func TestRealm_TenantGroupsAreSubgroupsOfTheirRoleGroupWithoutOwnRoles(t *testing.T) {
	rec, _ := run(t, testArgs())
	for _, tenant := range []string{"team-a", "team-b"} {
		for _, r := range identity.TenantRoles() {
			g := identity.TenantGroup(tenant, r)
			m := get(t, rec, tGroup, "r-group-"+g)
			at(t, m, g, "name")
			// The role comes from the parent: Keycloak gives subgroup members
			// their parents' role mappings (tests/keycloakserver shows it).
			at(t, m, "r-group-"+r.Group()+"_id", "parentId")
			if _, err := rec.Get(tGroupRol, "r-group-"+g+"-roles"); err == nil {
				t.Errorf("%s has its own role mapping; it must inherit its parent's", g)
			}
		}
		if _, err := rec.Get(tGroup, "r-group-"+tenant+"-platform-admins"); err == nil {
			t.Errorf("tenant %s got a platform-admins group; platform-admin is cluster-wide", tenant)
		}
	}
	for _, r := range identity.Roles() {
		if _, ok := get(t, rec, tGroup, "r-group-"+r.Group())["parentId"]; ok {
			t.Errorf("role group %s is not top-level", r.Group())
		}
	}
}

func TestRealm_NoTenantsNoTenantGroups(t *testing.T) {
	a := testArgs()
	a.Tenants = nil
	rec, _ := run(t, a)
	if n := len(rec.ByType(tGroup)); n != 4 {
		t.Errorf("%d groups without tenants, want the 4 role groups", n)
	}
}

// runWithClientID runs NewRealm and reads its KubernetesClientID output.
func runWithClientID(t *testing.T, args *RealmArgs) (*recmock.Recorder, string) {
	t.Helper()
	rec := recmock.New()
	// A plain value's output is not awaited by the run: wait for the apply.
	ids := make(chan string, 1)
	err := rec.Run(func(ctx *pulumi.Context) error {
		comp, err := NewRealm(ctx, "r", args)
		if err != nil {
			return err
		}
		comp.KubernetesClientID.ApplyT(func(s string) string { ids <- s; return s })
		return nil
	})
	if err != nil {
		t.Fatalf("NewRealm: %v", err)
	}
	select {
	case id := <-ids:
		return rec, id
	case <-time.After(10 * time.Second):
		t.Fatal("KubernetesClientID never resolved")
		return nil, ""
	}
}

func TestRealm_KubernetesClientIsPKCEOnlyWithKubeloginsExactRedirects(t *testing.T) {
	rec, id := runWithClientID(t, testArgs())
	m := get(t, rec, tClient, "r-kubernetes-client")
	for k, v := range map[string]any{
		"clientId": "kubernetes", "accessType": "PUBLIC", "standardFlowEnabled": true, "pkceCodeChallengeMethod": "S256",
		"implicitFlowEnabled": false, "directAccessGrantsEnabled": false, "oauth2DeviceAuthorizationGrantEnabled": false,
		"serviceAccountsEnabled": false, "fullScopeAllowed": false, "consentRequired": false,
		"accessTokenLifespan": "5m0s", "clientSessionIdleTimeout": "15m0s",
	} {
		at(t, m, v, k)
	}
	var uris []string
	for _, u := range m["validRedirectUris"].([]any) {
		uris = append(uris, u.(string))
	}
	if want := []string{"http://localhost:8000", "http://localhost:18000"}; !slices.Equal(uris, want) {
		t.Errorf("redirect URIs %v, want exactly kubelogin's %v", uris, want)
	}
	if w, _ := m["webOrigins"].([]any); len(w) != 0 {
		t.Errorf("web origins %v; a command-line client has none", w)
	}
	// No per-client mapper: the claim comes from the client scope only (two
	// mappers would both write it).
	if _, err := rec.Get(tMapper, "r-kubernetes-client-groups"); err == nil {
		t.Errorf("kubernetes client has its own groups mapper besides the scope's")
	}
	if id != "kubernetes" {
		t.Errorf("KubernetesClientID output = %q, want kubernetes", id)
	}
}

func TestRealm_GroupsClaimComesFromADefaultClientScopeOfTheKubernetesClient(t *testing.T) {
	rec, _ := run(t, testArgs())
	sc := get(t, rec, tScope, "r-scope-groups")
	at(t, sc, "groups", "name")
	at(t, sc, "r-realm_id", "realmId")
	mp := get(t, rec, tMapper, "r-scope-groups-mapper")
	for k, v := range map[string]any{
		"claimName": "groups", "fullPath": false, "addToIdToken": true, "addToAccessToken": true, "addToUserinfo": true,
		"clientScopeId": "r-scope-groups_id",
	} {
		at(t, mp, v, k)
	}
	if _, ok := mp["clientId"]; ok {
		t.Errorf("the scope's mapper is also bound to a client")
	}
	ds := get(t, rec, tDefScope, "r-kubernetes-client-scopes")
	at(t, ds, "r-kubernetes-client_id", "clientId")
	var got []string
	for _, s := range ds["defaultScopes"].([]any) {
		got = append(got, s.(string))
	}
	if want := []string{"basic", "acr", "profile", "email", "groups"}; !slices.Equal(got, want) {
		t.Errorf("default scopes = %v, want %v (sub, acr, username claims and groups; no roles or web-origins)", got, want)
	}
	res := rec.MustGet(t, tDefScope, "r-kubernetes-client-scopes")
	if !slices.ContainsFunc(res.Deps, func(u string) bool { return strings.HasSuffix(u, "::r-scope-groups-mapper") }) {
		t.Errorf("default scopes do not wait for the groups mapper: deps %v", res.Deps)
	}
}

func TestRealm_KubernetesClientCanBeRenamedOrTurnedOff(t *testing.T) {
	a := testArgs()
	a.KubernetesClient = KubernetesClient{ClientID: "k8s-prod", RedirectURIs: []string{"http://localhost:8000"}}
	rec, id := runWithClientID(t, a)
	m := get(t, rec, tClient, "r-kubernetes-client")
	at(t, m, "k8s-prod", "clientId")
	if u, _ := m["validRedirectUris"].([]any); len(u) != 1 {
		t.Errorf("redirect URIs %v, want the configured one only", u)
	}
	if id != "k8s-prod" {
		t.Errorf("KubernetesClientID = %q, want k8s-prod", id)
	}

	f := false
	a.KubernetesClient = KubernetesClient{Enabled: &f}
	rec, id = runWithClientID(t, a)
	for _, typ := range []string{tScope, tDefScope} {
		if n := len(rec.ByType(typ)); n != 0 {
			t.Errorf("%d %s with the kubernetes client off", n, typ)
		}
	}
	if _, err := rec.Get(tClient, "r-kubernetes-client"); err == nil {
		t.Errorf("kubernetes client created while disabled")
	}
	if id != "" {
		t.Errorf("KubernetesClientID = %q with the client off", id)
	}
	// Off, its id is free for an entry of clients.
	a.Clients = append(a.Clients, Client{ClientID: "kubernetes", RedirectURIs: []string{"http://localhost:8000"}})
	if err := a.Validate(""); err != nil {
		t.Errorf("clients entry named kubernetes with the kubernetes client off: %v", err)
	}
}
