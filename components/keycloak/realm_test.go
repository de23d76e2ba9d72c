package keycloak

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/internal/recmock"
)

func TestNewRealm_RejectsBadConfigBeforeRegisteringAnything(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(a *RealmArgs)
		path    string
		contain string
	}{
		{"master realm", func(a *RealmArgs) { a.Realm = "master" }, "realm", "admin realm"},
		{"realm name with capitals", func(a *RealmArgs) { a.Realm = "Platform" }, "realm", "lower-case"},
		{"ssl none", func(a *RealmArgs) { a.SSLRequired = "none" }, "sslRequired", "clear text"},
		{"access token 1h", func(a *RealmArgs) { a.Sessions.AccessToken = DurationOf(time.Hour) }, "sessions.accessToken", "between 1m0s and 15m0s"},
		{"negative access token", func(a *RealmArgs) { a.Sessions.AccessToken = DurationOf(-time.Minute) }, "sessions.accessToken", "between"},
		{"idle above max", func(a *RealmArgs) {
			a.Sessions.SSOIdle = DurationOf(2 * time.Hour)
			a.Sessions.SSOMax = DurationOf(time.Hour)
		}, "sessions.ssoIdle", "between 5m0s and 1h0m0s"},
		{"client idle above sso idle", func(a *RealmArgs) { a.Sessions.ClientIdle = DurationOf(time.Hour) }, "sessions.clientIdle", "at most ssoIdle"},
		{"offline max 1y", func(a *RealmArgs) { a.Sessions.OfflineMax = DurationOf(365 * 24 * time.Hour) }, "sessions.offlineMax", "90 days"},
		{"fractional lifespan", func(a *RealmArgs) { a.Sessions.AccessToken = DurationOf(5*time.Minute + 500*time.Millisecond) }, "sessions.accessToken", "whole seconds"},
		{"action token 30d", func(a *RealmArgs) { a.Sessions.AdminActionToken = DurationOf(30 * 24 * time.Hour) }, "sessions.adminActionToken", "between"},
		{"one login failure", func(a *RealmArgs) { a.BruteForce.MaxLoginFailures = new(1) }, "bruteForce.maxLoginFailures", "typos"},
		{"100 login failures", func(a *RealmArgs) { a.BruteForce.MaxLoginFailures = new(100) }, "bruteForce.maxLoginFailures", "guessing"},
		{"wait increment above max wait", func(a *RealmArgs) { a.BruteForce.WaitIncrement = DurationOf(time.Hour) }, "bruteForce.waitIncrement", "between"},
		{"failure reset below max wait", func(a *RealmArgs) { a.BruteForce.FailureReset = DurationOf(time.Minute) }, "bruteForce.failureReset", "at least maxFailureWait"},
		{"short password", func(a *RealmArgs) { a.PasswordPolicy = &PasswordPolicy{MinLength: 6} }, "passwordPolicy.minLength", "guessable"},
		{"classes exceed length", func(a *RealmArgs) { a.PasswordPolicy = &PasswordPolicy{MinLength: 8, Digits: 4, SpecialChars: 5} }, "passwordPolicy.minLength", "add up to 9"},
		{"weak iterations", func(a *RealmArgs) { a.PasswordPolicy = &PasswordPolicy{HashIterations: 27500} }, "passwordPolicy.hashIterations", "210000"},
		{"unknown hash", func(a *RealmArgs) { a.PasswordPolicy = &PasswordPolicy{Hash: "md5"} }, "passwordPolicy.hash", "not a supported"},
		{"otp 4 digits", func(a *RealmArgs) { a.OTP.Digits = new(4) }, "otp.digits", "6 or 8"},
		{"otp md5", func(a *RealmArgs) { a.OTP.Algorithm = "HmacMD5" }, "otp.algorithm", "HmacSHA1"},
		{"webauthn without UV", func(a *RealmArgs) { a.WebAuthn.UserVerification = UVPreferred }, "webAuthn.userVerification", "stolen key"},
		{"webauthn bad alg", func(a *RealmArgs) { a.WebAuthn.SignatureAlgorithms = []string{"ES256", "HS256"} }, "webAuthn.signatureAlgorithms[1]", "COSE"},
		{"webauthn rp id with scheme", func(a *RealmArgs) { a.WebAuthn.RelyingPartyID = "https://id.example.org" }, "webAuthn.relyingPartyId", "without scheme"},
		{"verify email without smtp", func(a *RealmArgs) { a.SMTP = nil }, "smtp", "verifyEmail is on"},
		{"smtp port 25", func(a *RealmArgs) { a.SMTP.Port = new(25) }, "smtp.port", "other than 25"},
		{"smtp bad from", func(a *RealmArgs) { a.SMTP.From = "keycloak" }, "smtp.from", "not an e-mail"},
		{"smtp user without password", func(a *RealmArgs) { a.SMTP.Password = nil }, "smtp.password", "needs a password"},
		{"events kept 1h", func(a *RealmArgs) { a.Events.Expiration = DurationOf(time.Hour) }, "events.expiration", "between 24h0m0s"},
		{"wildcard redirect", func(a *RealmArgs) { a.Clients[1].RedirectURIs = []string{"https://gateway.example.org/*"} }, "clients[1].redirectUris[0]", "wildcards"},
		{"http redirect", func(a *RealmArgs) { a.Clients[1].RedirectURIs = []string{"http://gateway.example.org/cb"} }, "clients[1].redirectUris[0]", "https://"},
		{"no redirect", func(a *RealmArgs) { a.Clients[0].RedirectURIs = nil }, "clients[0].redirectUris", "at least one"},
		{"wildcard origin", func(a *RealmArgs) { a.Clients[1].WebOrigins = []string{"+"} }, "clients[1].webOrigins[0]", "wildcard"},
		{"duplicate client", func(a *RealmArgs) { a.Clients[1].ClientID = "kube-apiserver" }, "clients[1].clientId", "unique"},
		{"public service account", func(a *RealmArgs) { a.Clients[0].ServiceAccount = true }, "clients[0].serviceAccount", "public client"},
		{"kubernetes client id taken by clients", func(a *RealmArgs) { a.KubernetesClient.ClientID = "kube-apiserver" }, "kubernetesClient.clientId", "clients[0] has the same"},
		{"kubernetes client wildcard redirect", func(a *RealmArgs) { a.KubernetesClient.RedirectURIs = []string{"http://localhost:*"} }, "kubernetesClient.redirectUris[0]", "wildcards"},
		{"kubernetes client empty redirects", func(a *RealmArgs) { a.KubernetesClient.RedirectURIs = []string{} }, "kubernetesClient.redirectUris", "at least one"},
		{"kubernetes client bad id", func(a *RealmArgs) { a.KubernetesClient.ClientID = "Kubernetes" }, "kubernetesClient.clientId", "lower-case"},
		{"tenant not a DNS label", func(a *RealmArgs) { a.Tenants = []string{"team-a", "Team_B"} }, "tenants[1]", "DNS label"},
		{"duplicate tenant", func(a *RealmArgs) { a.Tenants = []string{"team-a", "team-a"} }, "tenants[1]", "share their groups"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := testArgs()
			tc.mutate(a)
			rec := recmock.New()
			err := rec.Run(func(ctx *pulumi.Context) error { _, err := NewRealm(ctx, "r", a); return err })
			if err == nil {
				t.Fatal("NewRealm accepted the bad config")
			}
			var line string
			for _, l := range strings.Split(err.Error(), "\n") {
				if strings.HasPrefix(l, tc.path+": ") {
					line = l
				}
			}
			if line == "" || !strings.Contains(line, tc.contain) {
				t.Errorf("want a %q problem mentioning %q, got:\n%v", tc.path, tc.contain, err)
			}
			if rec.Len() != 0 {
				t.Errorf("%d resources registered: %v", rec.Len(), rec.Names())
			}
		})
	}
}

func TestValidate_ReportsEveryProblemAtOnceUnderTheCallersPath(t *testing.T) {
	a := testArgs()
	a.Sessions.AccessToken = DurationOf(time.Hour)
	a.BruteForce.MaxLoginFailures = new(1)
	a.withDefaults()
	err := a.Validate("rampart:keycloak")
	if err == nil {
		t.Fatal("no error")
	}
	for _, p := range []string{"rampart:keycloak.sessions.accessToken: \"1h0m0s\"", "rampart:keycloak.bruteForce.maxLoginFailures: 1"} {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("missing %q in:\n%v", p, err)
		}
	}
}
