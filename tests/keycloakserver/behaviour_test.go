package keycloakserver_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/keycloak"
	"github.com/rampart-dev/rampart/internal/testkit"
)

func TestRealm_ServerBacked_UserWithoutSecondFactorIsForcedIntoOTPEnrolment(t *testing.T) {
	d := deploy(t)
	u := newUser(t, d, "viewers")
	b := newBrowser(t, d)
	p := b.password(b.authorize(nil), u.name, u.password)
	if strings.HasPrefix(p.location, redirect) {
		t.Fatalf("a correct password alone completed the login (no second factor): %v", p)
	}
	if p.form("kc-totp-settings-form") == "" {
		t.Fatalf("after the password, want the OTP enrolment (CONFIGURE_TOTP) page, got %v", p)
	}
	// Skipping enrolment is not possible: the authorization request cannot
	// be resumed without it (a fresh request lands on the same step again).
	again := b.authorize(nil)
	if strings.HasPrefix(again.location, redirect) {
		t.Fatalf("a new authorization request completed without a second factor: %v", again)
	}
	var cred []map[string]any
	if _, err := d.adm.must("GET", "/"+d.realm+"/users/"+u.id+"/credentials", nil, &cred); err != nil {
		t.Fatal(err)
	}
	for _, c := range cred {
		if c["type"] != "password" {
			t.Errorf("user has a %v credential before enrolment", c["type"])
		}
	}
}

func TestRealm_ServerBacked_PrivilegedUserMustRegisterAHardwareKey(t *testing.T) {
	d := deploy(t)
	for _, group := range []string{"tenant-admins", "platform-admins"} {
		t.Run(group, func(t *testing.T) {
			u := newUser(t, d, group)
			b := newBrowser(t, d)
			p := b.password(b.authorize(nil), u.name, u.password)
			if strings.HasPrefix(p.location, redirect) {
				t.Fatalf("privileged login completed without a hardware key: %v", p)
			}
			if p.form("kc-totp-settings-form") != "" {
				t.Fatalf("privileged user offered TOTP instead of a hardware key: %v", p)
			}
			// The WebAuthn register page (required action webauthn-register)
			// carries the realm's policy to navigator.credentials.create.
			if p.form("register") == "" || !strings.Contains(p.body, `userVerificationRequirement`) {
				t.Fatalf("want the WebAuthn registration page, got %v", p)
			}
			for _, want := range []string{`userVerificationRequirement : 'required'`, `authenticatorAttachment : 'cross-platform'`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("registration page does not pass %s (user verification / attachment) to the authenticator", want)
				}
			}
		})
	}
}

func TestRealm_ServerBacked_LocksOutAfterFailures(t *testing.T) {
	d := deploy(t)
	u := newUser(t, d, "viewers")
	b := newBrowser(t, d)
	status := func() map[string]any {
		var s map[string]any
		if _, err := d.adm.must("GET", "/"+d.realm+"/attack-detection/brute-force/users/"+u.id, nil, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	const n = 5 // the default MaxLoginFailures
	p := b.authorize(nil)
	for i := 1; i <= n; i++ {
		// Further apart than QuickLoginCheck (1 s), so only the failure count
		// can lock the account, not the quick-login rule.
		time.Sleep(1100 * time.Millisecond)
		p = b.password(p, u.name, "Wrong-"+strongPassword())
		if p.form("kc-form-login") == "" {
			t.Fatalf("failure %d: want the login form again, got %v", i, p)
		}
		s := status()
		if i < n && s["disabled"] == true {
			t.Fatalf("locked after %d failures, want %d: %v", i, n, s)
		}
		if i == n-1 && s["numFailures"] != float64(n-1) {
			t.Errorf("after %d failures the server counts %v", i, s["numFailures"])
		}
	}
	s := status()
	if s["disabled"] != true {
		t.Fatalf("not locked after %d failures: %v", n, s)
	}
	// The right password no longer gets past the first factor.
	time.Sleep(1100 * time.Millisecond)
	p = b.password(p, u.name, u.password)
	if p.form("kc-totp-settings-form") != "" || strings.HasPrefix(p.location, redirect) || p.form("kc-form-login") == "" {
		t.Fatalf("locked user with the right password got past the login form: %v", p)
	}
	var usr map[string]any
	if _, err := d.adm.must("GET", "/"+d.realm+"/users/"+u.id, nil, &usr); err != nil {
		t.Fatal(err)
	}
	if usr["enabled"] != true {
		t.Errorf("temporary lockout disabled the account itself (that is permanent lockout): %v", usr["enabled"])
	}
	t.Logf("brute-force status after %d failures: %v", n, s)
}

func TestRealm_ServerBacked_PasswordPolicyRefusesWeakPasswords(t *testing.T) {
	d := deploy(t)
	u := newUser(t, d, "viewers")
	set := func(pw string) (int, string) {
		st, _, body, err := d.adm.do("PUT", "/"+d.realm+"/users/"+u.id+"/reset-password",
			map[string]any{"type": "password", "value": pw, "temporary": false})
		if err != nil {
			t.Fatal(err)
		}
		return st, string(body)
	}
	for _, tc := range []struct{ pw, why string }{
		// Each violates exactly one rule (Keycloak reports one).
		{"Sh0rt-pass!", "invalidPasswordMinLength"},
		{"alllowercaseletters-only1", "invalidPasswordMinUpperCaseChars"},
		{"ALLUPPERCASELETTERS-ONLY1", "invalidPasswordMinLowerCaseChars"},
		{"NoDigitsHere-Anywhere!", "invalidPasswordMinDigits"},
		{"NoSpecialChars1234Abc", "invalidPasswordMinSpecialChars"},
		{"password", "invalidPassword"},
		{u.name, "invalidPassword"},
		{u.password, "invalidPasswordHistory"}, // the current one
	} {
		st, body := set(tc.pw)
		if st != 400 || !strings.Contains(body, tc.why) {
			t.Errorf("password %q: HTTP %d %s; want 400 %s", tc.pw, st, body, tc.why)
		}
	}
	// The username as a long enough, complex password is still refused.
	long := u.name + "-Aa1!xyz"
	if st, body := set(strings.ToUpper(long[:1]) + long[1:]); st != 200 && st != 204 {
		t.Logf("username-prefixed password refused too: %d %s", st, body)
	}
	if st, body := set(strongPassword()); st != 204 {
		t.Errorf("a compliant password was refused: HTTP %d %s", st, body)
	}
	var creds []map[string]any
	if _, err := d.adm.must("GET", "/"+d.realm+"/users/"+u.id+"/credentials", nil, &creds); err != nil {
		t.Fatal(err)
	}
	for _, c := range creds {
		if c["type"] != "password" {
			continue
		}
		var data map[string]any
		_ = json.Unmarshal([]byte(fmt.Sprint(c["credentialData"])), &data)
		if data["algorithm"] != "pbkdf2-sha512" || data["hashIterations"] != float64(210000) {
			t.Errorf("stored password hash: %v; want pbkdf2-sha512 with 210000 iterations", data)
		}
	}
}

// login runs a full browser login for a new viewer: password, OTP
// enrolment with a computed TOTP code, code exchange with the PKCE verifier.
func login(t *testing.T, d *deployed) (*browser, tokens) {
	b, _, tk := loginAs(t, d)
	return b, tk
}

func loginAs(t *testing.T, d *deployed) (*browser, user, tokens) {
	t.Helper()
	u := newUser(t, d, "viewers")
	b := newBrowser(t, d)
	p := b.enrolOTP(b.password(b.authorize(nil), u.name, u.password))
	return b, u, b.exchange(b.code(p))
}

func TestRealm_ServerBacked_IssuedAccessTokenLives300Seconds(t *testing.T) {
	d := deploy(t)
	_, tk := login(t, d)
	c := claims(t, tk.AccessToken)
	exp, iat := c["exp"].(float64), c["iat"].(float64)
	if life := exp - iat; life != 300 || tk.ExpiresIn != 300 {
		t.Errorf("access token lives %v s (expires_in %d), want 300", life, tk.ExpiresIn)
	}
	if tk.RefreshExpiresIn != 900 {
		t.Errorf("refresh token lives %d s; want 900 (the 15 min SSO and client idle timeouts)", tk.RefreshExpiresIn)
	}
	if c["acr"] == nil {
		t.Errorf("no acr claim")
	}
	id := claims(t, tk.IDToken)
	groups, _ := id["groups"].([]any)
	if !slices.Contains(groups, any("viewers")) {
		t.Errorf("ID token groups claim = %v, want [viewers] for the kube API server's --oidc-groups-claim", id["groups"])
	}
	if id["aud"] != "kube-apiserver" {
		t.Errorf("ID token aud = %v, want kube-apiserver (--oidc-client-id)", id["aud"])
	}
}

func TestRealm_ServerBacked_RefreshTokenIsSingleUse(t *testing.T) {
	d := deploy(t)
	b, tk := login(t, d)
	st, next := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.RefreshToken}})
	if st != 200 || next.AccessToken == "" {
		t.Fatalf("first refresh: HTTP %d %s %s", st, next.Error, next.ErrorDescription)
	}
	st, replay := b.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tk.RefreshToken}})
	if st != 400 || replay.Error != "invalid_grant" {
		t.Errorf("replayed refresh token: HTTP %d %s %s; want 400 invalid_grant (revokeRefreshToken, max reuse 0)", st, replay.Error, replay.ErrorDescription)
	}
}

func TestRealm_ServerBacked_ClientsOnlyAllowTheCodeFlowWithPKCE(t *testing.T) {
	d := deploy(t)
	b := newBrowser(t, d)
	errorOf := func(p page) string {
		u, _ := url.Parse(p.location)
		if f, _ := url.ParseQuery(u.Fragment); f.Get("error") != "" {
			return f.Get("error")
		}
		return u.Query().Get("error")
	}
	if e := errorOf(b.authorize(url.Values{"code_challenge": {""}, "code_challenge_method": {""}})); e != "invalid_request" {
		t.Errorf("authorization request without PKCE: error %q, want invalid_request", e)
	}
	if e := errorOf(b.authorize(url.Values{"code_challenge_method": {"plain"}})); e != "invalid_request" {
		t.Errorf("PKCE plain: error %q, want invalid_request (S256 only)", e)
	}
	if e := errorOf(b.authorize(url.Values{"response_type": {"token"}})); e != "unauthorized_client" {
		t.Errorf("implicit flow: error %q, want unauthorized_client", e)
	}
	p := b.authorize(url.Values{"redirect_uri": {redirect + "/evil"}})
	if p.status != 400 || !strings.Contains(p.body, "Invalid parameter: redirect_uri") {
		t.Errorf("redirect URI outside the exact list: %v; want the invalid redirect_uri error page", p)
	}
	st, tk := b.token(url.Values{"grant_type": {"password"}, "username": {"nobody"}, "password": {"x"}})
	if st == 200 || (tk.Error != "unauthorized_client" && tk.Error != "invalid_client") {
		t.Errorf("direct access grant: HTTP %d %s; want it refused (it would bypass MFA)", st, tk.Error)
	}
}

func TestRealm_ServerBacked_RecordsLoginAndAdminEvents(t *testing.T) {
	d := deploy(t)
	u := newUser(t, d, "devops")
	b := newBrowser(t, d)
	b.password(b.authorize(nil), u.name, "Wrong-"+strongPassword())
	var cfg map[string]any
	if _, err := d.adm.must("GET", "/"+d.realm+"/events/config", nil, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["eventsExpiration"] != float64(365*24*3600) {
		t.Errorf("events expire after %v s, want the retention preset (365 days)", cfg["eventsExpiration"])
	}
	var admin []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := d.adm.must("GET", "/"+d.realm+"/admin-events?operationTypes=CREATE&resourceTypes=USER&max=1000", nil, &admin); err != nil {
			t.Fatal(err)
		}
		found := slices.ContainsFunc(admin, func(e map[string]any) bool {
			return e["resourcePath"] == "users/"+u.id && strings.Contains(fmt.Sprint(e["representation"]), u.name)
		})
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CREATE USER admin event with representation for %s (have %d events)", u.name, len(admin))
		}
		time.Sleep(300 * time.Millisecond)
	}
	var events []map[string]any
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		if _, err := d.adm.must("GET", "/"+d.realm+"/events?type=LOGIN_ERROR&user="+u.id, nil, &events); err != nil {
			t.Fatal(err)
		}
		if len(events) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(events) == 0 || events[0]["error"] != "invalid_user_credentials" || events[0]["clientId"] != "kube-apiserver" {
		t.Errorf("LOGIN_ERROR events for the bad password: %v", events)
	}
}

func TestRealm_ServerBacked_RolesAreACompositeChain(t *testing.T) {
	d := deploy(t)
	for _, r := range keycloak.PlatformRoles() {
		var comps []map[string]any
		if _, err := d.adm.must("GET", "/"+d.realm+"/roles/"+r.Name+"/composites", nil, &comps); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range comps {
			names = append(names, fmt.Sprint(c["name"]))
		}
		if r.Includes == "" && len(names) != 0 || r.Includes != "" && !slices.Equal(names, []string{r.Includes}) {
			t.Errorf("role %s composites = %v, want [%s]", r.Name, names, r.Includes)
		}
	}
}

func TestRealm_ServerBacked_NewUsersCannotObtainOfflineTokens(t *testing.T) {
	d := deploy(t)
	u := newUser(t, d, "viewers")
	b := newBrowser(t, d)
	p := b.enrolOTP(b.password(b.authorize(url.Values{"scope": {"openid offline_access"}}), u.name, u.password))
	st, tk := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {b.code(p)}, "redirect_uri": {redirect}, "code_verifier": {b.verifier}})
	if st != 400 || tk.Error != "not_allowed" {
		typ := ""
		if tk.RefreshToken != "" {
			typ = fmt.Sprint(claims(t, tk.RefreshToken)["typ"])
		}
		t.Fatalf("offline_access request by a new user: HTTP %d %s (refresh token type %q); want 400 not_allowed: offline_access is not a default role", st, tk.Error, typ)
	}
}

func TestRealm_ServerBacked_PermanentLockoutDisablesTheAccount(t *testing.T) {
	d := deploy(t)
	// A second realm from the same component, configured for permanent lockout.
	realm := "rampart-it-" + testkit.RandHex(4)
	rec := newRecorder(d)
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := keycloak.NewRealm(ctx, "perm", &keycloak.RealmArgs{
			// The production shape: e-mail verification with a mail server
			// (Keycloak stores it; nothing is sent: test users are pre-verified).
			Realm: realm,
			SMTP: &keycloak.SMTP{Host: "smtp.rampart.test", From: "no-reply@rampart.test", Username: "keycloak",
				Password: pulumi.String("smtp-" + testkit.RandHex(8))},
			BruteForce: keycloak.BruteForce{PermanentLockout: true, MaxLoginFailures: new(3)},
			Clients:    []keycloak.Client{{ClientID: "kube-apiserver", RedirectURIs: []string{redirect}}},
		})
		return err
	})
	t.Cleanup(func() { _, _, _, _ = d.adm.do("DELETE", "/"+realm, nil) })
	if err != nil {
		t.Fatal(err)
	}
	dd := *d
	dd.realm = realm
	u := newUser(t, &dd, "viewers")
	b := newBrowser(t, &dd)
	p := b.authorize(nil)
	for i := 0; i < 3; i++ {
		time.Sleep(1100 * time.Millisecond)
		p = b.password(p, u.name, "Wrong-"+strongPassword())
	}
	var usr map[string]any
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := d.adm.must("GET", "/"+realm+"/users/"+u.id, nil, &usr); err != nil {
			t.Fatal(err)
		}
		if usr["enabled"] == false || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if usr["enabled"] != false {
		t.Fatalf("after 3 failures with permanent lockout the account is still enabled: %v", usr["enabled"])
	}
	time.Sleep(1100 * time.Millisecond)
	p = b.password(p, u.name, u.password)
	if p.form("kc-totp-settings-form") != "" || strings.HasPrefix(p.location, redirect) {
		t.Fatalf("disabled user got past the password: %v", p)
	}
}

func TestRealm_ServerBacked_RapidFailuresTriggerTheQuickLoginLockout(t *testing.T) {
	d := deploy(t)
	// Two failures well inside QuickLoginCheck (1 s): a script, not a typo.
	// Keycloak compares the server-side times of the two failures; when the
	// two round trips together took 1 s or more (a loaded machine), the
	// premise did not hold and the attempt proves nothing either way: it is
	// repeated with a new user, a bounded number of times.
	const window = time.Second
	var s map[string]any
	for attempt := 1; ; attempt++ {
		u := newUser(t, d, "viewers")
		b := newBrowser(t, d)
		p := b.authorize(nil)
		start := time.Now()
		p = b.password(p, u.name, "Wrong-"+strongPassword())
		b.password(p, u.name, "Wrong-"+strongPassword())
		took := time.Since(start)
		if _, err := d.adm.must("GET", "/"+d.realm+"/attack-detection/brute-force/users/"+u.id, nil, &s); err != nil {
			t.Fatal(err)
		}
		if took < window {
			t.Logf("two failures within %s (attempt %d)", took.Round(time.Millisecond), attempt)
			break
		}
		if attempt == 3 {
			t.Fatalf("three attempts each took %s or more for two failed logins: the quick-login window (%s) could not be exercised", window, window)
		}
		t.Logf("attempt %d: the two failures took %s, not within %s: inconclusive, retrying", attempt, took.Round(time.Millisecond), window)
	}
	if s["disabled"] != true || s["numFailures"] != float64(2) {
		t.Fatalf("after two failures in quick succession: %v; want locked (minimumQuickLoginWait) at 2 failures", s)
	}
}

func TestRealm_ServerBacked_LoginPagesSendSecurityHeaders(t *testing.T) {
	d := deploy(t)
	b := newBrowser(t, d)
	u := b.realmURL("/protocol/openid-connect/auth?client_id=kube-apiserver&response_type=code&scope=openid&code_challenge_method=S256&code_challenge=" +
		strings.Repeat("a", 43) + "&redirect_uri=" + url.QueryEscape(redirect))
	resp, err := b.hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for h, want := range map[string]string{
		"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "X-Robots-Tag": "none",
		"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
		"Content-Security-Policy":   "frame-src 'self'; frame-ancestors 'none'; object-src 'none';",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("login page %s: %q, want %q", h, got, want)
		}
	}
}

func TestRealm_ServerBacked_PasswordGrantNeedsOTPEvenOnAClientThatAllowsIt(t *testing.T) {
	d := deploy(t)
	// A client someone enables direct grants on later (the platform's own
	// clients refuse the grant outright, see ClientsOnlyAllowTheCodeFlowWithPKCE).
	legacy := "legacy-cli-" + testkit.RandHex(3)
	if _, err := d.adm.must("POST", "/"+d.realm+"/clients", map[string]any{
		"clientId": legacy, "publicClient": true, "directAccessGrantsEnabled": true, "standardFlowEnabled": false,
	}, nil); err != nil {
		t.Fatal(err)
	}
	noOTP := newUser(t, d, "viewers")
	b, enrolled, _ := loginAs(t, d)
	b.client = legacy
	grant := func(u user, otp string) (int, tokens) {
		f := url.Values{"grant_type": {"password"}, "username": {u.name}, "password": {u.password}, "scope": {"openid"}}
		if otp != "" {
			f.Set("otp", otp)
		}
		return b.token(f)
	}
	if st, tk := grant(noOTP, ""); st == 200 {
		t.Errorf("password grant without any second factor succeeded (token for %s)", claims(t, tk.AccessToken)["preferred_username"])
	}
	if st, _ := grant(enrolled, ""); st == 200 {
		t.Errorf("password grant of an enrolled user succeeded without an OTP code")
	}
	// The code of the next 30 s step (look-ahead window 1): the current one
	// was spent on enrolment and codes are single-use.
	if st, tk := grant(enrolled, totp(b.otpSecret, time.Now().Add(30*time.Second))); st != 200 {
		t.Errorf("password grant with password and a valid OTP code: HTTP %d %s %s", st, tk.Error, tk.ErrorDescription)
	}
}
