package keycloak

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const tKeycloakCR = "kubernetes:k8s.keycloak.org/v2alpha1:Keycloak"

func serverArgs() *ServerArgs {
	return &ServerArgs{
		Namespace: "identity", Hostname: "https://id.example.org", TLSSecret: "keycloak-tls",
		DB:                   Database{Host: "postgres.identity.svc", Secret: "keycloak-db"},
		BootstrapAdminSecret: "keycloak-bootstrap-client",
	}
}

func runServer(t *testing.T, a *ServerArgs) (*recmock.Recorder, map[string]any) {
	t.Helper()
	rec := recmock.New()
	if err := rec.Run(func(ctx *pulumi.Context) error { _, err := NewServer(ctx, "kc", a); return err }); err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	cr, err := rec.Get(tKeycloakCR, "kc-keycloak")
	if err != nil {
		t.Fatal(err)
	}
	if cr.ParentName() != "kc" {
		t.Errorf("Keycloak CR parent %q, want kc", cr.ParentName())
	}
	return rec, cr.Plain()
}

func TestServer_DeploysPinnedKeycloakWithExternalDBAndNoAdminUser(t *testing.T) {
	a := serverArgs()
	pinned := "quay.io/keycloak/keycloak:" + KeycloakVersion + "@sha256:" + strings.Repeat("ab", 32)
	a.Images.Overrides = map[string]string{"keycloak/keycloak": pinned}
	rec, cr := runServer(t, a)
	if rec.Len() != 2 {
		t.Errorf("%d resources: %v", rec.Len(), rec.Names())
	}
	for _, c := range []struct {
		want  any
		steps []any
	}{
		{"identity", []any{"metadata", "namespace"}},
		{"kc", []any{"metadata", "name"}},
		{pinned, []any{"spec", "image"}},
		{false, []any{"spec", "startOptimized"}},
		{float64(2), []any{"spec", "instances"}},
		{"postgres", []any{"spec", "db", "vendor"}},
		{"keycloak-db", []any{"spec", "db", "usernameSecret", "name"}},
		{"password", []any{"spec", "db", "passwordSecret", "key"}},
		{float64(5432), []any{"spec", "db", "port"}},
		{false, []any{"spec", "http", "httpEnabled"}},
		{"keycloak-tls", []any{"spec", "http", "tlsSecret"}},
		{true, []any{"spec", "hostname", "strict"}},
		{false, []any{"spec", "ingress", "enabled"}},
		{"impersonation", []any{"spec", "features", "disabled", 0}},
		{"keycloak-bootstrap-client", []any{"spec", "bootstrapAdmin", "service", "secret"}},
	} {
		at(t, cr, c.want, c.steps...)
	}
	if _, ok := recmock.Path(cr, "spec", "bootstrapAdmin", "user"); ok {
		t.Errorf("a bootstrap admin user is configured; only a service-account client may be bootstrapped")
	}
}

func TestServer_PodTemplatePassesPSSRestricted(t *testing.T) {
	for _, optimized := range []bool{false, true} {
		a := serverArgs()
		if optimized {
			a.Images.Overrides = map[string]string{"keycloak/keycloak": "registry.example.org/keycloak@sha256:" + strings.Repeat("cd", 32)}
			a.Optimized = true
		}
		_, cr := runServer(t, a)
		tmpl, ok := recmock.Path(cr, "spec", "unsupported", "podTemplate", "spec")
		if !ok {
			t.Fatal("no pod template")
		}
		spec, err := hardening.PodSpecFromMap(tmpl.(map[string]any))
		if err != nil {
			t.Fatal(err)
		}
		spec.Containers[0].Image = "x" // the operator fills it in
		if err := hardening.CheckRestricted(spec); err != nil {
			t.Errorf("optimized=%v: %v", optimized, err)
		}
		if ro := *spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem; ro != optimized {
			t.Errorf("optimized=%v: readOnlyRootFilesystem=%v", optimized, ro)
		}
		at(t, cr, optimized, "spec", "startOptimized")
	}
}

func TestNewServer_RejectsBadConfigBeforeRegisteringAnything(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(a *ServerArgs)
		path    string
		contain string
	}{
		{"http hostname", func(a *ServerArgs) { a.Hostname = "http://id.example.org" }, "hostname", "https://"},
		{"no tls secret", func(a *ServerArgs) { a.TLSSecret = "" }, "tlsSecret", "existing Secret"},
		{"no db secret", func(a *ServerArgs) { a.DB.Secret = "" }, "db.secret", "existing Secret"},
		{"shared secret", func(a *ServerArgs) { a.BootstrapAdminSecret = "keycloak-db" }, "bootstrapAdminSecret", "must not share"},
		{"bad namespace", func(a *ServerArgs) { a.Namespace = "Identity" }, "namespace", "namespace"},
		{"bad port", func(a *ServerArgs) { a.DB.Port = 70000 }, "db.port", "TCP port"},
		{"too many instances", func(a *ServerArgs) { a.Instances = 20 }, "instances", "1-9"},
		{"bad digest", func(a *ServerArgs) {
			a.Images.Overrides = map[string]string{"keycloak/keycloak": "quay.io/keycloak/keycloak@sha256:xyz"}
		}, `images.overrides["keycloak/keycloak"]`, "digest is not"},
		{"unpinned custom image", func(a *ServerArgs) {
			a.Images.Overrides, a.Optimized = map[string]string{"keycloak/keycloak": "registry.example.org/keycloak:latest"}, true
		}, `images.overrides["keycloak/keycloak"]`, "pinned by digest"},
		{"optimized upstream image", func(a *ServerArgs) { a.Optimized = true }, "optimized", "not pre-built"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := serverArgs()
			tc.mutate(a)
			rec := recmock.New()
			err := rec.Run(func(ctx *pulumi.Context) error { _, err := NewServer(ctx, "kc", a); return err })
			if err == nil || !strings.Contains(err.Error(), tc.path+": ") || !strings.Contains(err.Error(), tc.contain) {
				t.Errorf("want %s (%s), got %v", tc.path, tc.contain, err)
			}
			if rec.Len() != 0 {
				t.Errorf("%d resources registered", rec.Len())
			}
		})
	}
}
