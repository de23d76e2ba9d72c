package keycloakserver_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/keycloak"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
)

// redirect is the kube API server client's redirect (kubelogin's default
// loopback callback); nothing listens there: the tests read the code from
// Keycloak's redirect instead of following it.
const redirect = "http://localhost:8000"

// deployed is one apply of components/keycloak against the lab's Keycloak,
// shared by the tests of this package (a realm takes a few seconds to build).
type deployed struct {
	env     map[string]string
	adm     *admin
	be      *backend
	rec     *recmock.Recorder
	realm   string
	secrets map[string]string
	// users is the realm's user count right after the apply, calls the
	// number of admin API calls the apply made.
	users, calls int
	took         time.Duration
	err          error
}

var (
	once   sync.Once
	shared *deployed
)

// newRecorder returns a recording mock backed by d's server.
func newRecorder(d *deployed) *recmock.Recorder {
	rec := recmock.New()
	rec.OnNewResource = newBackend(d.adm).hook
	return rec
}

// deploy applies the component once (the first test that needs it pays).
func deploy(t *testing.T) *deployed {
	t.Helper()
	env := labenv.Require(t, "KEYCLOAK_URL", "KEYCLOAK_CA_FILE", "KEYCLOAK_ADMIN_USER", "KEYCLOAK_ADMIN_PASSWORD")
	once.Do(func() {
		// The kubernetes client is on by default; its tests log in as
		// members of the tenant's groups.
		shared = applyRealm(env, "rampart-it-"+testkit.RandHex(4), []string{"team-a", "team-b"}, []keycloak.Client{
			{ClientID: "kube-apiserver", RedirectURIs: []string{redirect}},
			{ClientID: "gateway", Kind: keycloak.ClientConfidential, RedirectURIs: []string{"https://gateway.rampart.test/oauth2/callback"},
				WebOrigins: []string{"https://gateway.rampart.test"}},
		})
	})
	if shared.err != nil {
		t.Fatalf("applying components/keycloak against %s: %v", env["KEYCLOAK_URL"], shared.err)
	}
	return shared
}

// applyRealm applies components/keycloak as realm, with the tenants' groups
// and the given clients, against the lab's Keycloak; d.err says what failed.
func applyRealm(env map[string]string, realm string, tenants []string, clients []keycloak.Client) *deployed {
	d := &deployed{env: env, realm: realm, rec: recmock.New()}
	if d.adm, d.err = newAdmin(env); d.err != nil {
		return d
	}
	d.be = newBackend(d.adm)
	d.rec.OnNewResource = d.be.hook
	f := false
	args := &keycloak.RealmArgs{
		Realm:       d.realm,
		VerifyEmail: &f, // the lab has no SMTP server (local profile)
		Clients:     clients,
		Tenants:     tenants,
	}
	start := time.Now()
	d.err = d.rec.Run(func(ctx *pulumi.Context) error {
		comp, err := keycloak.NewRealm(ctx, "kc", args)
		if err != nil {
			return err
		}
		comp.ClientSecrets.ApplyT(func(m map[string]string) error { d.secrets = m; return nil })
		return nil
	})
	d.took = time.Since(start)
	d.calls = len(d.adm.calls)
	if d.err == nil {
		var users []map[string]any
		_, d.err = d.adm.must("GET", "/"+d.realm+"/users", nil, &users)
		d.users = len(users)
	}
	return d
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil && shared.adm != nil && os.Getenv("RAMPART_KEEP_REALM") == "" {
		if st, _, b, err := shared.adm.do("DELETE", "/"+shared.realm, nil); err != nil || st != 204 {
			println("cleanup: delete realm", shared.realm, st, string(b), err)
		}
	}
	os.Exit(code)
}

func TestRealm_ServerBacked_KeycloakAcceptsAndKeepsEveryResource(t *testing.T) {
	d := deploy(t)
	t.Logf("applied %d resources in %s (%d admin API calls)", d.rec.Len(), d.took.Round(time.Millisecond), d.calls)
	var realm map[string]any
	if _, err := d.adm.must("GET", "/"+d.realm, nil, &realm); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"sslRequired": "all", "bruteForceProtected": true, "permanentLockout": false, "failureFactor": 5.0,
		"accessTokenLifespan": 300.0, "ssoSessionIdleTimeout": 900.0, "revokeRefreshToken": true, "refreshTokenMaxReuse": 0.0,
		"registrationAllowed": false, "browserFlow": keycloak.BrowserFlowAlias, "directGrantFlow": keycloak.DirectGrantFlowAlias,
		"webAuthnPolicyUserVerificationRequirement": "required", "otpPolicyType": "totp",
	} {
		if realm[k] != want {
			t.Errorf("realm %s = %v, want %v", k, realm[k], want)
		}
	}
	if got, want := realm["passwordPolicy"], keycloak.DefaultPasswordPolicy().String(); got != want {
		t.Errorf("passwordPolicy = %v, want %v", got, want)
	}
	if d.users != 0 {
		t.Errorf("the component left %d users in the realm (no default admin may exist)", d.users)
	}
	var roles []map[string]any
	if _, err := d.adm.must("GET", "/"+d.realm+"/roles", nil, &roles); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range roles {
		names[str(r["name"])] = true
	}
	for _, r := range keycloak.PlatformRoles() {
		if !names[r.Name] {
			t.Errorf("role %s missing on the server (have %v)", r.Name, names)
		}
	}
	if d.secrets["gateway"] == "" || len(d.secrets) != 1 {
		t.Errorf("client secrets output = %d entries; want the gateway's server-generated secret only", len(d.secrets))
	}
	if !strings.HasPrefix(d.env["KEYCLOAK_URL"], "https://") {
		t.Errorf("lab Keycloak is not served over TLS; sslRequired=all would not be exercised")
	}
}
