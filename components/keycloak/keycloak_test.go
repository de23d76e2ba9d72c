package keycloak

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	tRealm    = "keycloak:index/realm:Realm"
	tEvents   = "keycloak:index/realmEvents:RealmEvents"
	tAction   = "keycloak:index/requiredAction:RequiredAction"
	tRole     = "keycloak:index/role:Role"
	tGroup    = "keycloak:index/group:Group"
	tGroupRol = "keycloak:index/groupRoles:GroupRoles"
	tFlow     = "keycloak:authentication/flow:Flow"
	tSubflow  = "keycloak:authentication/subflow:Subflow"
	tExec     = "keycloak:authentication/execution:Execution"
	tExecCfg  = "keycloak:authentication/executionConfig:ExecutionConfig"
	tBindings = "keycloak:authentication/bindings:Bindings"
	tClient   = "keycloak:openid/client:Client"
	tMapper   = "keycloak:openid/groupMembershipProtocolMapper:GroupMembershipProtocolMapper"
	tDefRoles = "keycloak:index/defaultRoles:DefaultRoles"
	tScope    = "keycloak:openid/clientScope:ClientScope"
	tDefScope = "keycloak:openid/clientDefaultScopes:ClientDefaultScopes"
)

func testArgs() *RealmArgs {
	return &RealmArgs{
		Realm: "platform",
		SMTP:  &SMTP{Host: "smtp.example.org", From: "no-reply@example.org", Username: "keycloak", Password: pulumi.String("smtp-pass")},
		Clients: []Client{
			{ClientID: "kube-apiserver", RedirectURIs: []string{"http://localhost:8000", "http://localhost:18000"}},
			{ClientID: "gateway", Kind: ClientConfidential, RedirectURIs: []string{"https://gateway.example.org/oauth2/callback"},
				WebOrigins: []string{"https://gateway.example.org"}},
		},
		Tenants: []string{"team-a", "team-b"},
	}
}

func run(t *testing.T, args *RealmArgs) (*recmock.Recorder, *Realm) {
	t.Helper()
	rec := recmock.New()
	var comp *Realm
	err := rec.Run(func(ctx *pulumi.Context) error {
		var err error
		comp, err = NewRealm(ctx, "r", args)
		return err
	})
	if err != nil {
		t.Fatalf("NewRealm: %v", err)
	}
	return rec, comp
}

func get(t *testing.T, rec *recmock.Recorder, typ, name string) map[string]any {
	t.Helper()
	res, err := rec.Get(typ, name)
	if err != nil {
		t.Fatal(err)
	}
	if res.ParentName() != "r" {
		t.Errorf("%s %s: parent %q, want the component r", typ, name, res.ParentName())
	}
	return res.Plain()
}

func at(t *testing.T, m map[string]any, want any, steps ...any) {
	t.Helper()
	got, ok := recmock.Path(m, steps...)
	if !ok {
		t.Errorf("%v: missing, want %v", steps, want)
		return
	}
	if got != want {
		t.Errorf("%v = %#v, want %#v", steps, got, want)
	}
}

func TestNewRealm_RegistersEveryChildUnderTheComponent(t *testing.T) {
	rec, _ := run(t, testArgs())
	// Groups: one per role, and one per tenant (2) and tenant role (3).
	// Clients: the two of Clients and the kubernetes client, whose groups
	// mapper is on the groups client scope.
	want := map[string]int{TypeToken: 1, tRealm: 1, tEvents: 1, tAction: 2, tRole: 4, tGroup: 4 + 2*3, tGroupRol: 4,
		tFlow: 2, tSubflow: 3, tExec: 9, tExecCfg: 2, tBindings: 1, tClient: 3, tMapper: 3, tDefRoles: 1, tScope: 1, tDefScope: 1}
	total := 0
	for typ, n := range want {
		total += n
		if got := len(rec.ByType(typ)); got != n {
			t.Errorf("%s: %d registered, want %d", typ, got, n)
		}
	}
	if rec.Len() != total {
		t.Errorf("%d resources, want %d: %v", rec.Len(), total, rec.Names())
	}
	for _, res := range rec.All() {
		if res.Type == TypeToken {
			continue
		}
		if res.ParentName() != "r" || !strings.HasPrefix(res.Name, "r-") {
			t.Errorf("%s/%s: parent %q; children must be named r-<role> under the component", res.Type, res.Name, res.ParentName())
		}
	}
}

func TestRealm_DefaultsAreSeed000Hardening(t *testing.T) {
	rec, _ := run(t, testArgs())
	r := get(t, rec, tRealm, "r-realm")
	for k, v := range map[string]any{
		"realm": "platform", "enabled": true, "sslRequired": "all",
		"registrationAllowed": false, "editUsernameAllowed": false, "rememberMe": false, "verifyEmail": true,
		"duplicateEmailsAllowed": false,
		"accessTokenLifespan":    "5m0s", "ssoSessionIdleTimeout": "15m0s", "ssoSessionMaxLifespan": "10h0m0s",
		"clientSessionIdleTimeout": "15m0s", "clientSessionMaxLifespan": "10h0m0s",
		"offlineSessionIdleTimeout": "168h0m0s", "offlineSessionMaxLifespanEnabled": true, "offlineSessionMaxLifespan": "720h0m0s",
		"accessCodeLifespan": "1m0s", "accessCodeLifespanLogin": "10m0s",
		"actionTokenGeneratedByUserLifespan": "5m0s", "actionTokenGeneratedByAdminLifespan": "12h0m0s",
		"revokeRefreshToken": true, "refreshTokenMaxReuse": float64(0),
		"passwordPolicy": "length(15) and maxLength(128) and digits(1) and lowerCase(1) and upperCase(1) and specialChars(1) and notUsername and notEmail and passwordHistory(12) and hashAlgorithm(pbkdf2-sha512) and hashIterations(210000)",
	} {
		at(t, r, v, k)
	}
	bf := []any{"securityDefenses", "bruteForceDetection"}
	for k, v := range map[string]any{
		"permanentLockout": false, "maxLoginFailures": float64(5), "waitIncrementSeconds": float64(60),
		"maxFailureWaitSeconds": float64(900), "quickLoginCheckMilliSeconds": float64(1000),
		"minimumQuickLoginWaitSeconds": float64(60), "failureResetTimeSeconds": float64(43200),
	} {
		at(t, r, v, append(bf, k)...)
	}
	at(t, r, "DENY", "securityDefenses", "headers", "xFrameOptions")
	at(t, r, "totp", "otpPolicy", "type")
	at(t, r, float64(6), "otpPolicy", "digits")
	at(t, r, float64(30), "otpPolicy", "period")
	at(t, r, "required", "webAuthnPolicy", "userVerificationRequirement")
	at(t, r, "cross-platform", "webAuthnPolicy", "authenticatorAttachment")
	at(t, r, "ES256", "webAuthnPolicy", "signatureAlgorithms", 0)
}

func TestRealm_NewUsersGetNoOfflineAccessByDefault(t *testing.T) {
	rec, _ := run(t, testArgs())
	d := get(t, rec, tDefRoles, "r-default-roles")
	got, _ := d["defaultRoles"].([]any)
	if len(got) != 2 || got[0] != "account/view-profile" || got[1] != "account/manage-account" {
		t.Errorf("defaultRoles = %v, want the account console roles only", got)
	}
}

func TestRealm_MailGoesOverTLSWithASecretPassword(t *testing.T) {
	rec, _ := run(t, testArgs())
	r := get(t, rec, tRealm, "r-realm")
	for k, v := range map[string]any{"host": "smtp.example.org", "port": "587", "from": "no-reply@example.org",
		"fromDisplayName": "platform", "starttls": true, "ssl": false} {
		at(t, r, v, "smtpServer", k)
	}
	at(t, r, "smtp-pass", "smtpServer", "auth", "password")
	res, _ := rec.Get(tRealm, "r-realm")
	auth := res.Inputs["smtpServer"].ObjectValue()["auth"]
	if !auth.ContainsSecrets() {
		t.Errorf("SMTP password is not a Pulumi secret in the realm's inputs")
	}
}

func TestRealm_PermanentLockoutWhenConfigured(t *testing.T) {
	a := testArgs()
	a.BruteForce = BruteForce{PermanentLockout: true, MaxLoginFailures: new(3)}
	rec, _ := run(t, a)
	r := get(t, rec, tRealm, "r-realm")
	at(t, r, true, "securityDefenses", "bruteForceDetection", "permanentLockout")
	at(t, r, float64(3), "securityDefenses", "bruteForceDetection", "maxLoginFailures")
}

func TestRealm_RecordsLoginAndAdminEventsForTheRetentionPeriod(t *testing.T) {
	a := testArgs()
	a.Events.Expiration = DurationOf(5 * 365 * 24 * time.Hour)
	rec, _ := run(t, a)
	e := get(t, rec, tEvents, "r-events")
	at(t, e, "r-realm_id", "realmId")
	at(t, e, true, "eventsEnabled")
	at(t, e, true, "adminEventsEnabled")
	at(t, e, true, "adminEventsDetailsEnabled")
	at(t, e, float64(5*365*24*3600), "eventsExpiration")
	at(t, e, "jboss-logging", "eventsListeners", 0)
	if _, ok := e["enabledEventTypes"]; ok {
		t.Errorf("enabledEventTypes set: every event type must be saved")
	}
}

func TestRealm_EnablesTheSecondFactorRegisterActions(t *testing.T) {
	rec, _ := run(t, testArgs())
	for name, alias := range map[string]string{"r-action-configure-totp": "CONFIGURE_TOTP", "r-action-webauthn-register": "webauthn-register"} {
		ra := get(t, rec, tAction, name)
		at(t, ra, alias, "alias")
		at(t, ra, true, "enabled")
	}
}

func TestRealm_BrowserFlowDemandsHardwareKeyForPrivilegedAndOTPForOthers(t *testing.T) {
	rec, _ := run(t, testArgs())
	at(t, get(t, rec, tFlow, "r-browser-flow"), BrowserFlowAlias, "alias")
	at(t, get(t, rec, tBindings, "r-bindings"), BrowserFlowAlias, "browserFlow")
	at(t, get(t, rec, tBindings, "r-bindings"), DirectGrantFlowAlias, "directGrantFlow")
	type step struct{ typ, name, parent, what, req string }
	steps := []step{
		{tExec, "r-browser-cookie", BrowserFlowAlias, "auth-cookie", "ALTERNATIVE"},
		{tSubflow, "r-browser-forms", BrowserFlowAlias, BrowserFlowAlias + "-forms", "ALTERNATIVE"},
		{tExec, "r-browser-password", BrowserFlowAlias + "-forms", "auth-username-password-form", "REQUIRED"},
		{tSubflow, "r-browser-hardware-key", BrowserFlowAlias + "-forms", BrowserFlowAlias + "-hardware-key", "CONDITIONAL"},
		{tExec, "r-browser-hardware-key-condition", BrowserFlowAlias + "-hardware-key", "conditional-user-role", "REQUIRED"},
		{tExec, "r-browser-hardware-key-webauthn", BrowserFlowAlias + "-hardware-key", "webauthn-authenticator", "REQUIRED"},
		{tSubflow, "r-browser-otp", BrowserFlowAlias + "-forms", BrowserFlowAlias + "-otp", "CONDITIONAL"},
		{tExec, "r-browser-otp-condition", BrowserFlowAlias + "-otp", "conditional-user-role", "REQUIRED"},
		{tExec, "r-browser-otp-form", BrowserFlowAlias + "-otp", "auth-otp-form", "REQUIRED"},
	}
	// Keycloak appends executions in creation order: each must depend on the one before.
	order := map[string]int{}
	for i, res := range rec.All() {
		order[res.Name] = i
	}
	for i, s := range steps {
		m := get(t, rec, s.typ, s.name)
		at(t, m, s.parent, "parentFlowAlias")
		at(t, m, s.req, "requirement")
		if s.typ == tExec {
			at(t, m, s.what, "authenticator")
		} else {
			at(t, m, s.what, "alias")
		}
		if i > 0 && order[s.name] < order[steps[i-1].name] {
			t.Errorf("%s registered before %s", s.name, steps[i-1].name)
		}
	}
	for name, negate := range map[string]string{"r-browser-hardware-key-condition-config": "false", "r-browser-otp-condition-config": "true"} {
		c := get(t, rec, tExecCfg, name)
		at(t, c, RoleTenantAdmin, "config", "condUserRole")
		at(t, c, negate, "config", "negate")
	}
	b, _ := rec.Get(tBindings, "r-bindings")
	if len(b.Deps) < 11 {
		t.Errorf("bindings depend on %d resources; the flow must be complete before it is bound", len(b.Deps))
	}
}

func TestRealm_DirectGrantFlowDemandsOTPFromEveryUser(t *testing.T) {
	rec, _ := run(t, testArgs())
	at(t, get(t, rec, tFlow, "r-direct-grant-flow"), DirectGrantFlowAlias, "alias")
	order := map[string]int{}
	for i, res := range rec.All() {
		order[res.Name] = i
	}
	prev := "r-direct-grant-flow"
	for _, e := range []struct{ name, auth string }{
		{"r-direct-grant-username", "direct-grant-validate-username"},
		{"r-direct-grant-password", "direct-grant-validate-password"},
		{"r-direct-grant-otp", "direct-grant-validate-otp"},
	} {
		m := get(t, rec, tExec, e.name)
		at(t, m, e.auth, "authenticator")
		at(t, m, "REQUIRED", "requirement")
		at(t, m, DirectGrantFlowAlias, "parentFlowAlias")
		if order[e.name] < order[prev] {
			t.Errorf("%s registered before %s", e.name, prev)
		}
		prev = e.name
	}
}

func TestRealm_FourRolesFormACompositeChainMappedToGroups(t *testing.T) {
	rec, _ := run(t, testArgs())
	roles := PlatformRoles()
	if len(roles) != 4 {
		t.Fatalf("%d platform roles, the STOA security hardening checklist asks for 4", len(roles))
	}
	for _, r := range roles {
		m := get(t, rec, tRole, "r-role-"+r.Name)
		at(t, m, r.Name, "name")
		if r.Includes != "" {
			at(t, m, "r-role-"+r.Includes+"_id", "compositeRoles", 0)
		} else if _, ok := m["compositeRoles"]; ok {
			t.Errorf("%s: least-privileged role must not be composite", r.Name)
		}
		at(t, get(t, rec, tGroup, "r-group-"+r.Group), r.Group, "name")
		gr := get(t, rec, tGroupRol, "r-group-"+r.Group+"-roles")
		at(t, gr, "r-group-"+r.Group+"_id", "groupId")
		at(t, gr, "r-role-"+r.Name+"_id", "roleIds", 0)
		at(t, gr, true, "exhaustive")
		if len(r.Permissions) == 0 || r.Description == "" {
			t.Errorf("%s: permissions must be documented for the compliance report", r.Name)
		}
		if r.Privileged != (r.Name == RoleTenantAdmin || r.Name == RolePlatformAdmin) {
			t.Errorf("%s: privileged=%v; the admin roles need hardware keys", r.Name, r.Privileged)
		}
	}
}

func TestRealm_ClientsUseTheCodeFlowWithPKCEAndExactRedirects(t *testing.T) {
	rec, comp := run(t, testArgs())
	for _, c := range testArgs().Clients {
		m := get(t, rec, tClient, "r-client-"+c.ClientID)
		for k, v := range map[string]any{
			"clientId": c.ClientID, "standardFlowEnabled": true, "pkceCodeChallengeMethod": "S256",
			"implicitFlowEnabled": false, "directAccessGrantsEnabled": false, "oauth2DeviceAuthorizationGrantEnabled": false,
			"fullScopeAllowed": false, "clientSessionIdleTimeout": "15m0s", "clientSessionMaxLifespan": "10h0m0s",
			"accessTokenLifespan": "5m0s", "serviceAccountsEnabled": false,
		} {
			at(t, m, v, k)
		}
		for i, u := range c.RedirectURIs {
			at(t, m, u, "validRedirectUris", i)
		}
		mp := get(t, rec, tMapper, "r-client-"+c.ClientID+"-groups")
		at(t, mp, "groups", "claimName")
		at(t, mp, false, "fullPath")
		at(t, mp, "r-client-"+c.ClientID+"_id", "clientId")
	}
	at(t, get(t, rec, tClient, "r-client-kube-apiserver"), "PUBLIC", "accessType")
	at(t, get(t, rec, tClient, "r-client-gateway"), "CONFIDENTIAL", "accessType")
	if !pulumi.IsSecret(comp.ClientSecrets) {
		t.Errorf("ClientSecrets output is not a secret")
	}
}

func TestRealm_LocalProfileWithoutEmailVerificationDisablesSelfServiceReset(t *testing.T) {
	a := testArgs()
	f := false
	a.VerifyEmail = &f
	a.SMTP = nil
	rec, _ := run(t, a)
	r := get(t, rec, tRealm, "r-realm")
	if _, ok := r["smtpServer"]; ok {
		t.Errorf("smtpServer set without SMTP args")
	}
	at(t, r, false, "verifyEmail")
	at(t, r, false, "resetPasswordAllowed")
}

func TestNewRealm_RejectsNilArgs(t *testing.T) {
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error { _, err := NewRealm(ctx, "r", nil); return err })
	if err == nil || !strings.Contains(err.Error(), "args are required") {
		t.Fatalf("err = %v", err)
	}
	if rec.Len() != 0 {
		t.Errorf("%d resources registered: %v", rec.Len(), rec.Names())
	}
}

func TestNewRealm_DoesNotModifyTheCallersArgs(t *testing.T) {
	a := testArgs()
	run(t, a)
	if a.PasswordPolicy != nil || a.Sessions.AccessToken.IsSet() || a.Clients[0].Kind != "" ||
		a.KubernetesClient.Enabled != nil || a.KubernetesClient.RedirectURIs != nil {
		t.Errorf("NewRealm wrote defaults into the caller's args: %+v", a)
	}
}
