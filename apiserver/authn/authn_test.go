package authn_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/traits"
	"github.com/rampart-dev/rampart/apiserver/authn"
	"github.com/rampart-dev/rampart/internal/testca"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	api "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/apis/apiserver/install"
	"k8s.io/apiserver/pkg/apis/apiserver/validation"
	authenticationcel "k8s.io/apiserver/pkg/authentication/cel"
)

const issuer = "https://127.0.0.1:8443/realms/rampart-oidc"

// testCA returns a self-signed CA certificate in PEM.
func testCA(t *testing.T) string { return testca.PEM(t) }

// load decodes a rendering the way kube-apiserver reads --authentication-config
// (k8s.io/kubernetes pkg/kubeapiserver/options/authentication.go,
// loadAuthenticationConfigFromData: the apiserver.config.k8s.io scheme, strict
// decoding into the internal type) and validates it with the API server's own
// validation, CEL compilation included.
func load(t *testing.T, b []byte) *api.AuthenticationConfiguration {
	t.Helper()
	scheme := runtime.NewScheme()
	install.Install(scheme)
	obj, err := runtime.Decode(serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDecoder(), b)
	if err != nil {
		t.Fatalf("the API server's decoder refuses the rendering: %v\n%s", err, b)
	}
	cfg, ok := obj.(*api.AuthenticationConfiguration)
	if !ok {
		t.Fatalf("decoded %T, want AuthenticationConfiguration", obj)
	}
	if errs := validation.ValidateAuthenticationConfiguration(authenticationcel.NewDefaultCompiler(), cfg, []string{"https://kubernetes.default.svc"}); len(errs) > 0 {
		t.Fatalf("the API server's validation refuses the rendering: %v\n%s", errs.ToAggregate(), b)
	}
	return cfg
}

func TestRender_PassesTheAPIServersDecoderAndValidation(t *testing.T) {
	ca := testCA(t)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, []byte(ca), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]authn.Args{
		"inline CA":       {IssuerURL: issuer, CertificateAuthority: ca},
		"CA file":         {IssuerURL: issuer, CAFile: caFile},
		"system roots":    {IssuerURL: issuer},
		"two audiences":   {IssuerURL: issuer, Audiences: []string{"kubernetes", "kubectl"}},
		"other claims":    {IssuerURL: issuer, UsernameClaim: "email", GroupsClaim: "roles", UsernamePrefix: "sso:", GroupsPrefix: "sso-group:"},
		"url-shaped name": {IssuerURL: issuer, GroupsClaim: "https://example.com/groups"},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := authn.Render(&a)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), authn.Header) || !strings.Contains(string(b), "apiVersion: apiserver.config.k8s.io/v1\n") {
				t.Errorf("rendering lacks the header or the v1 apiVersion:\n%s", b)
			}
			cfg := load(t, b)
			d := a.WithDefaults()
			j := cfg.JWT[0]
			if len(cfg.JWT) != 1 || j.Issuer.URL != issuer || cfg.Anonymous != nil {
				t.Fatalf("want one JWT authenticator for %s and no anonymous section: %+v", issuer, cfg)
			}
			if a.CertificateAuthority != "" || a.CAFile != "" {
				if j.Issuer.CertificateAuthority != ca {
					t.Errorf("certificateAuthority = %q, want the CA's PEM", j.Issuer.CertificateAuthority)
				}
			}
			m := j.ClaimMappings
			if m.Username.Claim != d.UsernameClaim || *m.Username.Prefix != d.UsernamePrefix ||
				m.Groups.Claim != d.GroupsClaim || *m.Groups.Prefix != d.GroupsPrefix || m.UID.Claim != "sub" {
				t.Errorf("claim mappings = %+v, want %+v", m, d)
			}
			if strings.Join(j.Issuer.Audiences, ",") != strings.Join(d.Audiences, ",") {
				t.Errorf("audiences = %v, want %v", j.Issuer.Audiences, d.Audiences)
			}
		})
	}
}

func TestDefaults_PrefixEveryNameAndTakeTheKubernetesClient(t *testing.T) {
	d := authn.Args{}.WithDefaults()
	if d.UsernamePrefix != "oidc:" || d.GroupsPrefix != "oidc:" || strings.Join(d.Audiences, ",") != "kubernetes" ||
		d.UsernameClaim != "preferred_username" || d.GroupsClaim != "groups" {
		t.Errorf("defaults = %+v", d)
	}
}

// mapper compiles the rendering's rules with the API server's own compiler.
func mapper(t *testing.T, a authn.Args) authenticationcel.CELMapper {
	t.Helper()
	b, err := authn.Render(&a)
	if err != nil {
		t.Fatal(err)
	}
	m, errs := validation.CompileAndValidateJWTAuthenticator(authenticationcel.NewDefaultCompiler(), load(t, b).JWT[0], nil)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	return m
}

// passes evaluates rules against in (the token's claims or the mapped user)
// as the API server does: every rule must be true.
func passes(t *testing.T, eval func(context.Context, traits.Mapper) ([]authenticationcel.EvaluationResult, error), in map[string]any) bool {
	t.Helper()
	results, err := eval(context.Background(), types.DefaultTypeAdapter.NativeToValue(in).(traits.Mapper))
	if err != nil {
		t.Errorf("evaluating %v: %v (the API server would refuse the token, but not by a rule)", in, err)
		return false
	}
	for _, r := range results {
		if r.EvalResult.Value() != true {
			return false
		}
	}
	return true
}

func TestClaimRules_RequireASubjectAndAUsername(t *testing.T) {
	m := mapper(t, authn.Args{IssuerURL: issuer})
	for _, c := range []struct {
		claims map[string]any
		want   bool
	}{
		{map[string]any{"sub": "3f2a", "preferred_username": "alice"}, true},
		{map[string]any{"preferred_username": "alice"}, false},
		{map[string]any{"sub": "", "preferred_username": "alice"}, false},
		{map[string]any{"sub": "3f2a"}, false},
		{map[string]any{"sub": "3f2a", "preferred_username": ""}, false},
	} {
		if got := passes(t, m.ClaimValidationRules.EvalClaimMappings, c.claims); got != c.want {
			t.Errorf("claims %v: accepted = %v, want %v", c.claims, got, c.want)
		}
	}
}

// TestUserRules_RefuseSystemNames: the rules refuse a system: username or
// group whatever produced it (here: as if a hand edit had emptied the
// prefixes), and let the prefixed names through.
func TestUserRules_RefuseSystemNames(t *testing.T) {
	m := mapper(t, authn.Args{IssuerURL: issuer})
	user := func(name string, groups ...string) map[string]any {
		return map[string]any{"username": name, "uid": "3f2a", "groups": groups, "extra": map[string][]string{}}
	}
	for _, c := range []struct {
		user map[string]any
		want bool
	}{
		{user("oidc:alice", "oidc:platform-admins"), true},
		{user("oidc:system:admin", "oidc:system:masters"), true},
		{user("oidc:alice"), true},
		{user("system:admin", "oidc:viewers"), false},
		{user("oidc:alice", "oidc:viewers", "system:masters"), false},
	} {
		if got := passes(t, m.UserValidationRules.EvalUser, c.user); got != c.want {
			t.Errorf("user %v: accepted = %v, want %v", c.user, got, c.want)
		}
	}
}

func TestValidate_RefusesEachProblemAtItsKey(t *testing.T) {
	ca := testCA(t)
	missing := filepath.Join(t.TempDir(), "missing.crt")
	notPEM := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(notPEM, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args authn.Args
		key  string
	}{
		{"no issuer", authn.Args{}, "oidc.issuerURL"},
		{"http issuer", authn.Args{IssuerURL: "http://keycloak.example/realms/x"}, "oidc.issuerURL"},
		{"issuer with query", authn.Args{IssuerURL: issuer + "?x=1"}, "oidc.issuerURL"},
		{"issuer with credentials", authn.Args{IssuerURL: "https://u:p@keycloak.example/realms/x"}, "oidc.issuerURL"},
		{"both CAs", authn.Args{IssuerURL: issuer, CertificateAuthority: ca, CAFile: "/etc/ca.crt"}, "oidc.caFile"},
		{"unreadable CA file", authn.Args{IssuerURL: issuer, CAFile: missing}, "oidc.caFile"},
		{"CA file without a certificate", authn.Args{IssuerURL: issuer, CAFile: notPEM}, "oidc.caFile"},
		{"inline CA not PEM", authn.Args{IssuerURL: issuer, CertificateAuthority: "not a certificate"}, "oidc.certificateAuthority"},
		{"inline CA with trailing junk", authn.Args{IssuerURL: issuer, CertificateAuthority: ca + "junk"}, "oidc.certificateAuthority"},
		{"empty audience", authn.Args{IssuerURL: issuer, Audiences: []string{"kubernetes", ""}}, "oidc.audiences[1]"},
		{"duplicate audience", authn.Args{IssuerURL: issuer, Audiences: []string{"kubernetes", "kubernetes"}}, "oidc.audiences[1]"},
		{"system username prefix", authn.Args{IssuerURL: issuer, UsernamePrefix: "system:oidc:"}, "oidc.usernamePrefix"},
		{"system groups prefix", authn.Args{IssuerURL: issuer, GroupsPrefix: "system:"}, "oidc.groupsPrefix"},
		{"groups prefix that starts system:", authn.Args{IssuerURL: issuer, GroupsPrefix: "sys"}, "oidc.groupsPrefix"},
		{"username prefix that starts system:", authn.Args{IssuerURL: issuer, UsernamePrefix: "system"}, "oidc.usernamePrefix"},
		{"quote in a claim", authn.Args{IssuerURL: issuer, UsernameClaim: `it"s`}, "oidc.usernameClaim"},
		{"same claim twice", authn.Args{IssuerURL: issuer, GroupsClaim: "preferred_username"}, "oidc.groupsClaim"},
		{"quote in a claim name", authn.Args{IssuerURL: issuer, UsernameClaim: "it's"}, "oidc.usernameClaim"},
		{"relative path", authn.Args{IssuerURL: issuer, ConfigPath: "authentication-config.yaml"}, "oidc.configPath"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.args.Validate("oidc")
			if err == nil {
				t.Fatalf("%+v accepted", c.args)
			}
			if !strings.HasPrefix(err.Error(), c.key+": ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one problem at %s", err, c.key)
			}
			if _, err := authn.Render(&c.args); err == nil {
				t.Errorf("Render accepted %+v", c.args)
			}
		})
	}
}
