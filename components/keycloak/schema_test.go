package keycloak

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/internal/recmock"
)

// everyKey is a realm config section with every key RealmArgs has, spelled
// as the stack files and Pulumi.yaml spell them. Values are non-zero so a
// re-encoding keeps every key.
const everyKey = `{
  "realm": "platform",
  "displayName": "Sovereign Platform",
  "sslRequired": "external",
  "verifyEmail": true,
  "smtp": {"host": "smtp.example.org", "port": 465, "implicitTls": true, "from": "no-reply@example.org",
           "fromDisplayName": "Platform", "username": "keycloak"},
  "bruteForce": {"permanentLockout": true, "maxLoginFailures": 4, "waitIncrement": "2m", "maxFailureWait": "30m",
                 "quickLoginCheck": "500ms", "minimumQuickLoginWait": "2m", "failureReset": "24h"},
  "sessions": {"accessToken": "10m", "ssoIdle": "20m", "ssoMax": "8h", "clientIdle": "20m", "clientMax": "8h",
               "offlineIdle": "72h", "offlineMax": "720h", "loginTimeout": "15m", "accessCode": "30s",
               "userActionToken": "10m", "adminActionToken": "24h", "allowRefreshTokenReuse": true},
  "passwordPolicy": {"minLength": 16, "maxLength": 256, "digits": 2, "lowerCase": 2, "upperCase": 2, "specialChars": 2,
                     "allowUsername": true, "allowEmail": true, "history": 24, "hash": "pbkdf2-sha256",
                     "hashIterations": 700000, "expireDays": 365},
  "otp": {"type": "totp", "algorithm": "HmacSHA256", "digits": 8, "period": "1m", "lookAheadWindow": 2},
  "webAuthn": {"relyingPartyName": "Platform", "relyingPartyId": "platform.example.org", "userVerification": "required",
               "attachment": "platform", "signatureAlgorithms": ["ES256"],
               "acceptableAAGUIDs": ["ee882879-721c-4913-9775-3dfcce97072a"]},
  "events": {"expiration": "43800h", "listeners": ["jboss-logging", "email"], "adminDetails": true},
  "clients": [{"clientId": "gateway", "kind": "confidential", "redirectUris": ["https://gateway.example.org/cb"],
               "webOrigins": ["https://gateway.example.org"], "serviceAccount": true}],
  "kubernetesClient": {"enabled": true, "clientId": "k8s", "redirectUris": ["http://localhost:8000"]}
}`

// decodeArgs decodes doc strictly, as a config layer would.
func decodeArgs(t *testing.T, doc string) *RealmArgs {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	var a RealmArgs
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return &a
}

// jsonKeys lists the key paths of every json-tagged field reachable from t.
func jsonKeys(t reflect.Type, prefix string, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[Duration]() {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[prefix+name] = true
		jsonKeys(t.Field(i).Type, prefix+name+".", out)
	}
}

// docKeys lists the key paths of a JSON document (list elements merged).
func docKeys(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out[prefix+k] = true
			docKeys(e, prefix+k+".", out)
		}
	case []any:
		for _, e := range x {
			docKeys(e, prefix, out)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

func TestRealmArgs_DecodesEveryConfigKeyStrictlyAndExactly(t *testing.T) {
	a := decodeArgs(t, everyKey)

	// Every field has a key in the document, and nothing else is in it.
	var doc any
	if err := json.Unmarshal([]byte(everyKey), &doc); err != nil {
		t.Fatal(err)
	}
	want, got := map[string]bool{}, map[string]bool{}
	jsonKeys(reflect.TypeFor[RealmArgs](), "", want)
	docKeys(doc, "", got)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("keys of RealmArgs:\n%v\nkeys of the document:\n%v", sortedKeys(want), sortedKeys(got))
	}

	// Re-encoding gives the same document: each key landed in its own field,
	// with its exact spelling (encoding/json matches case-insensitively on
	// decode, so only the round trip proves the case).
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc, back) {
		t.Errorf("round trip changed the document:\n%s", b)
	}

	if a.Sessions.AccessToken.String() != "10m" || a.BruteForce.QuickLoginCheck.Value().Milliseconds() != 500 ||
		a.PasswordPolicy.HashIterations != 700000 || *a.OTP.LookAheadWindow != 2 || a.WebAuthn.RelyingPartyID != "platform.example.org" ||
		a.Clients[0].Kind != ClientConfidential || *a.SMTP.Port != 465 || a.KubernetesClient.ClientID != "k8s" {
		t.Errorf("decoded args: %+v", a)
	}
	a.SMTP.Password = pulumi.String("injected by the config layer")
	if err := a.Validate(""); err != nil {
		t.Errorf("the example section is valid: %v", err)
	}
}

func TestRealmArgs_SMTPPasswordIsNeverAKey(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"smtp": {"password": "x"}}`))
	dec.DisallowUnknownFields()
	var a RealmArgs
	if err := dec.Decode(&a); err == nil {
		t.Errorf("smtp.password decoded; it must come from a secret")
	}
	b, _ := json.Marshal(RealmArgs{SMTP: &SMTP{Host: "h", Password: pulumi.String("secret")}})
	if bytes.Contains(b, []byte("secret")) || bytes.Contains(b, []byte("assword")) {
		t.Errorf("encoded args carry the password: %s", b)
	}
}

// minimal is the smallest valid section; partial overrides are added to it.
const minimal = `"realm": "platform", "verifyEmail": false,
  "clients": [{"clientId": "kube-apiserver", "redirectUris": ["http://localhost:8000"]}]`

func realmOf(t *testing.T, doc string) map[string]any {
	t.Helper()
	rec, _ := run(t, decodeArgs(t, doc))
	return get(t, rec, tRealm, "r-realm")
}

func TestRealmArgs_PartialSessionsKeepTheOtherDefaults(t *testing.T) {
	r := realmOf(t, `{`+minimal+`, "sessions": {"accessToken": "10m"}}`)
	for k, v := range map[string]any{
		"accessTokenLifespan": "10m0s", "ssoSessionIdleTimeout": "15m0s", "ssoSessionMaxLifespan": "10h0m0s",
		"clientSessionIdleTimeout": "15m0s", "offlineSessionMaxLifespan": "720h0m0s", "accessCodeLifespan": "1m0s",
		"actionTokenGeneratedByAdminLifespan": "12h0m0s", "revokeRefreshToken": true,
	} {
		at(t, r, v, k)
	}
}

func TestRealmArgs_PartialBruteForceKeepsTheOtherDefaults(t *testing.T) {
	r := realmOf(t, `{`+minimal+`, "bruteForce": {"maxFailureWait": "30m"}}`)
	for k, v := range map[string]any{
		"maxFailureWaitSeconds": float64(1800), "maxLoginFailures": float64(5), "waitIncrementSeconds": float64(60),
		"quickLoginCheckMilliSeconds": float64(1000), "minimumQuickLoginWaitSeconds": float64(60),
		"failureResetTimeSeconds": float64(43200), "permanentLockout": false,
	} {
		at(t, r, v, "securityDefenses", "bruteForceDetection", k)
	}
}

func TestRealmArgs_PartialPasswordPolicyKeepsTheOtherDefaults(t *testing.T) {
	for _, c := range []struct{ policy, want string }{
		{`{"minLength": 16}`, strings.Replace(DefaultPasswordPolicy().String(), "length(15)", "length(16)", 1)},
		{`{"digits": 2}`, strings.Replace(DefaultPasswordPolicy().String(), "digits(1)", "digits(2)", 1)},
		// The iteration default follows the hash given.
		{`{"hash": "pbkdf2-sha256"}`, strings.Replace(strings.Replace(DefaultPasswordPolicy().String(),
			"pbkdf2-sha512", "pbkdf2-sha256", 1), "210000", "600000", 1)},
		// An explicit 0 where 0 is valid is kept, not replaced by the default.
		{`{"digits": 0, "lowerCase": 0, "upperCase": 0, "specialChars": 0, "history": 0}`,
			"length(15) and maxLength(128) and notUsername and notEmail and hashAlgorithm(pbkdf2-sha512) and hashIterations(210000)"},
	} {
		r := realmOf(t, `{`+minimal+`, "passwordPolicy": `+c.policy+`}`)
		at(t, r, c.want, "passwordPolicy")
	}
}

func TestRealmArgs_ExplicitZeroIsKeptWhereValid(t *testing.T) {
	r := realmOf(t, `{`+minimal+`, "otp": {"lookAheadWindow": 0}}`)
	at(t, r, float64(0), "otpPolicy", "lookAheadWindow")
}

func TestNewRealm_RejectsAnExplicitZeroInsteadOfTakingTheDefault(t *testing.T) {
	for _, c := range []struct{ section, path, why, fix string }{
		{`"sessions": {"accessToken": "0s"}`, `sessions.accessToken: "0s"`, `not "unset"`, "remove the key for the default 5m0s"},
		{`"bruteForce": {"failureReset": "-1h"}`, `bruteForce.failureReset: "-1h"`, `not "unset"`, "remove the key for the default 12h0m0s"},
		{`"otp": {"period": "0s"}`, `otp.period: "0s"`, `not "unset"`, "remove the key for the default 30s"},
		{`"events": {"expiration": "0s"}`, `events.expiration: "0s"`, `not "unset"`, "remove the key for the default 8760h0m0s"},
		{`"passwordPolicy": {"minLength": 0}`, "passwordPolicy.minLength: 0", `not "unset"`, "remove the key for the default 15"},
		{`"passwordPolicy": {"hashIterations": 0}`, "passwordPolicy.hashIterations: 0", `not "unset"`, "remove the key for the default 210000"},
		{`"events": {"listeners": []}`, "events.listeners: []", `not "unset"`, `remove the key for the default ["jboss-logging"]`},
		{`"webAuthn": {"signatureAlgorithms": []}`, "webAuthn.signatureAlgorithms: []", `not "unset"`, "remove the key for the default [ES256, RS256]"},
		{`"bruteForce": {"maxLoginFailures": 0}`, "bruteForce.maxLoginFailures: 0", "a lockout after 0 failures is no lockout", "remove the key for the default 5, or use 3-5"},
		{`"otp": {"digits": 0}`, "otp.digits: 0", `not "unset"`, "remove the key for the default 6"},
		{`"smtp": {"host": "smtp.example.org", "from": "no-reply@example.org", "port": 0}`, "smtp.port: 0", `not "unset"`, "remove the key for the default 587"},
		{`"smtp": {"host": "smtp.example.org", "from": "no-reply@example.org", "implicitTls": true, "port": 0}`, "smtp.port: 0", `not "unset"`, "remove the key for the default 465"},
	} {
		rec := recmock.New()
		a := decodeArgs(t, `{`+minimal+`, `+c.section+`}`)
		err := rec.Run(func(ctx *pulumi.Context) error { _, err := NewRealm(ctx, "r", a); return err })
		if err == nil {
			t.Errorf("%s: accepted", c.section)
			continue
		}
		var line string
		for _, l := range strings.Split(err.Error(), "\n") {
			if strings.HasPrefix(l, c.path+": ") {
				line = l
			}
		}
		if !strings.Contains(line, c.why) || !strings.Contains(line, c.fix) {
			t.Errorf("%s: want %q with %q and %q, got:\n%v", c.section, c.path, c.why, c.fix, err)
		}
		if rec.Len() != 0 {
			t.Errorf("%s: %d resources registered", c.section, rec.Len())
		}
	}
}

func TestNewRealm_ReportsPathsRelativeToItsArgs(t *testing.T) {
	a := testArgs()
	a.Realm = "master"
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error { _, err := NewRealm(ctx, "r", a); return err })
	if err == nil || !strings.Contains(err.Error(), "keycloak \"r\": invalid args:\nrealm: \"master\": ") {
		t.Errorf("err = %v", err)
	}
	if err := a.Validate("cfg"); err == nil || !strings.HasPrefix(err.Error(), "cfg.realm: ") {
		t.Errorf("Validate(\"cfg\") = %v", err)
	}
}
