package keycloakserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/keycloak"
	"github.com/rampart-dev/rampart/helpers/identity"
)

// kubectl is a browser logging in through the kubernetes client, as kubelogin
// does (authorization code, PKCE S256, redirect to its loopback listener).
func kubectl(t *testing.T, d *deployed) *browser {
	b := newBrowser(t, d)
	b.client = keycloak.DefaultKubernetesClientID
	return b
}

// groupPath is the path newUser puts a user in for a tenant's group.
func groupPath(tenant string, r identity.Role) string {
	return r.Group() + "/" + identity.TenantGroup(tenant, r)
}

// realmRoles returns the user's realm roles: direct (the user's own
// mappings) or effective (with groups, parent groups and composites).
func realmRoles(t *testing.T, d *deployed, u user, effective bool) []string {
	t.Helper()
	p := "/" + d.realm + "/users/" + u.id + "/role-mappings/realm"
	if effective {
		p += "/composite"
	}
	var roles []map[string]any
	if _, err := d.adm.must("GET", p, nil, &roles); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range roles {
		if n := str(r["name"]); slices.Contains(identity.Roles(), identity.Role(n)) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// userinfo calls the userinfo endpoint with an access token.
func (b *browser) userinfo(accessToken string) map[string]any {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.realmURL("/protocol/openid-connect/userinfo"), nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	p := b.do(req)
	var c map[string]any
	if err := json.Unmarshal([]byte(p.body), &c); err != nil || p.status != 200 {
		b.t.Fatalf("userinfo: HTTP %d: %s", p.status, p.body)
	}
	return c
}

func TestKubernetesClient_ServerBacked_TenantDevOpsTokenCarriesExactlyItsTenantGroupAndTheInheritedRole(t *testing.T) {
	d := deploy(t)
	u := newUser(t, d, groupPath("team-a", identity.DevOps))
	b := kubectl(t, d)
	p := b.password(b.authorize(nil), u.name, u.password)
	// devops is not privileged, inherited or not: TOTP, not a hardware key.
	if p.form("kc-totp-settings-form") == "" {
		t.Fatalf("after the password, want the OTP enrolment page, got %v", p)
	}
	tk := b.exchange(b.code(b.enrolOTP(p)))

	id := claims(t, tk.IDToken)
	t.Logf("ID token: groups=%v aud=%v azp=%v scope(access)=%v", id["groups"], id["aud"], id["azp"], claims(t, tk.AccessToken)["scope"])
	want := []any{"team-a-devops"}
	if g, _ := id["groups"].([]any); !slices.Equal(g, want) {
		t.Errorf("ID token groups = %v, want exactly %v (the tenant group, not its parent, not a path)", id["groups"], want)
	}
	// Keycloak's ID token aud is the client id, a single string: the API
	// server's --oidc-client-id.
	if id["aud"] != keycloak.DefaultKubernetesClientID || id["azp"] != keycloak.DefaultKubernetesClientID {
		t.Errorf("ID token aud = %v, azp = %v; want %s", id["aud"], id["azp"], keycloak.DefaultKubernetesClientID)
	}
	if id["sub"] != u.id {
		t.Errorf("ID token sub = %v, want the user id %s (the basic scope)", id["sub"], u.id)
	}
	if id["preferred_username"] != u.name {
		t.Errorf("ID token preferred_username = %v, want %s (the profile scope)", id["preferred_username"], u.name)
	}
	if g, _ := claims(t, tk.AccessToken)["groups"].([]any); !slices.Equal(g, want) {
		t.Errorf("access token groups = %v, want %v", g, want)
	}
	if g, _ := b.userinfo(tk.AccessToken)["groups"].([]any); !slices.Equal(g, want) {
		t.Errorf("userinfo groups = %v, want %v", g, want)
	}

	// The role comes only through the parent group.
	if direct := realmRoles(t, d, u, false); len(direct) != 0 {
		t.Errorf("user has direct platform roles %v; the test needs them inherited", direct)
	}
	if eff := realmRoles(t, d, u, true); !slices.Equal(eff, []string{keycloak.RoleDevOps, keycloak.RoleViewer}) {
		t.Errorf("effective realm roles = %v, want [devops viewer] (devops from the parent group, viewer its composite)", eff)
	}
}

func TestKubernetesClient_ServerBacked_UserInNoGroupGetsNoGroupsClaim(t *testing.T) {
	d := deploy(t)
	u := newUser(t, d)
	b := kubectl(t, d)
	tk := b.exchange(b.code(b.enrolOTP(b.password(b.authorize(nil), u.name, u.password))))
	id := claims(t, tk.IDToken)
	g, present := id["groups"]
	t.Logf("ID token of a user in no group: groups present=%v value=%v", present, g)
	// Keycloak leaves the claim out rather than sending [].
	if present {
		t.Errorf("ID token of a user in no group has groups = %#v; want the claim absent", g)
	}
	if eff := realmRoles(t, d, u, true); len(eff) != 0 {
		t.Errorf("user in no group holds platform roles %v", eff)
	}
}

func TestKubernetesClient_ServerBacked_TenantAdminInheritsTheHardwareKeyRequirement(t *testing.T) {
	d := deploy(t)
	u := newUser(t, d, groupPath("team-a", identity.TenantAdmin))
	b := kubectl(t, d)
	p := b.password(b.authorize(nil), u.name, u.password)
	if p.form("kc-totp-settings-form") != "" || p.form("register") == "" {
		t.Fatalf("member of team-a-tenant-admins: want the WebAuthn registration (tenant-admin inherited), got %v", p)
	}
	tk := b.exchange(b.code(b.register(newSoftKey(t, true), p)))
	if n := webauthnCredentials(t, d, u); n != 1 {
		t.Errorf("%d WebAuthn credentials after registration", n)
	}
	id := claims(t, tk.IDToken)
	t.Logf("ID token: groups=%v aud=%v", id["groups"], id["aud"])
	if g, _ := id["groups"].([]any); !slices.Equal(g, []any{"team-a-tenant-admins"}) {
		t.Errorf("ID token groups = %v, want [team-a-tenant-admins]", id["groups"])
	}
	if eff := realmRoles(t, d, u, true); !slices.Contains(eff, keycloak.RoleTenantAdmin) || slices.Contains(eff, keycloak.RolePlatformAdmin) {
		t.Errorf("effective realm roles = %v, want tenant-admin (inherited) and not platform-admin", eff)
	}
}

func TestKubernetesClient_ServerBacked_AcceptsKubeloginsRedirectsOnlyAndRequiresPKCE(t *testing.T) {
	d := deploy(t)
	b := kubectl(t, d)
	for _, r := range keycloak.KubeloginRedirectURIs() {
		if p := b.authorize(url.Values{"redirect_uri": {r}}); p.form("kc-form-login") == "" {
			t.Errorf("kubelogin redirect %s: want the login form, got %v", r, p)
		}
	}
	for _, r := range []string{"http://localhost:8001", "http://127.0.0.1:8000", "http://localhost:8000/evil"} {
		if p := b.authorize(url.Values{"redirect_uri": {r}}); p.status != 400 || !strings.Contains(p.body, "Invalid parameter: redirect_uri") {
			t.Errorf("redirect %s outside the exact list: %v", r, p)
		}
	}
	p := b.authorize(url.Values{"code_challenge": {""}, "code_challenge_method": {""}})
	loc, _ := url.Parse(p.location)
	if e := loc.Query().Get("error"); e != "invalid_request" {
		t.Errorf("authorization request without PKCE: %v (error %q), want invalid_request", p, e)
	}
	var cs []map[string]any
	if _, err := d.adm.must("GET", "/"+d.realm+"/clients?clientId="+keycloak.DefaultKubernetesClientID, nil, &cs); err != nil || len(cs) != 1 {
		t.Fatalf("kubernetes client: %v %v", cs, err)
	}
	var scopes []map[string]any
	if _, err := d.adm.must("GET", fmt.Sprintf("/%s/clients/%s/default-client-scopes", d.realm, cs[0]["id"]), nil, &scopes); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range scopes {
		names = append(names, str(s["name"]))
	}
	slices.Sort(names)
	if want := []string{"acr", "basic", "email", "groups", "profile"}; !slices.Equal(names, want) {
		t.Errorf("default scopes on the server = %v, want %v", names, want)
	}
}
