package infra_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
)

// js renders a config object the way `pulumi config set --path` stores it.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func validConfig() map[string]string {
	return map[string]string{
		"rampart:profile": "prod",
		"rampart:domain":  "platform.example.gov.uk",
		"rampart:tenants": js([]any{map[string]any{"name": "team-a"}, map[string]any{"name": "team-b"}}),
		"rampart:gateway": js(map[string]any{
			"namespace": "rampart-system", "podLabels": map[string]string{"app": "gateway"},
			"controlPlane": map[string]any{"podLabels": map[string]string{"app": "control-plane-api"}, "port": 8000},
			"backends":     []any{map[string]any{"name": "public", "url": "https://93.184.216.34/"}},
		}),
	}
}

// stubResolver answers DNS for test hosts without the network.
func stubResolver(_ context.Context, host string) ([]netip.Addr, error) {
	m := map[string]string{"internal.example.com": "10.1.2.3", "metadata.example.com": "169.254.169.254", "api.example.com": "93.184.216.34"}
	if a, ok := m[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &netError{host}
}

type netError struct{ host string }

func (e *netError) Error() string { return "no such host " + e.host }

func program(ctx *pulumi.Context) error {
	cfg, err := config.LoadWith(ctx, stubResolver)
	if err != nil {
		return err
	}
	return infra.Run(ctx, cfg)
}

func TestProgram_ValidConfigRegistersBaseline(t *testing.T) {
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(validConfig())); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ByType("rampart:namespace:Namespace")); n != 10 {
		t.Errorf("namespaces = %d, want 8 platform + 2 tenants", n)
	}
	if _, err := rec.Get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "rampart-system-policies-gateway-egress"); err != nil {
		t.Error(err)
	}
	if p := rec.ByType("pulumi:providers:kubernetes"); len(p) != 1 {
		t.Fatalf("kubernetes providers = %d, want exactly one explicit provider", len(p))
	}
	for _, r := range rec.All() {
		if strings.HasPrefix(r.Type, "kubernetes:") && r.Provider == "" && r.Custom {
			t.Errorf("%s/%s has no explicit provider", r.Type, r.Name)
		}
	}
}

func TestProgram_KubeconfigSecretStaysSecret(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:kubeconfig"] = "apiVersion: v1\nkind: Config\n"
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg, "rampart:kubeconfig")); err != nil {
		t.Fatal(err)
	}
	p := rec.ByType("pulumi:providers:kubernetes")[0]
	if !p.IsSecret("kubeconfig") {
		t.Fatalf("provider kubeconfig input is not a secret: %v", p.Inputs["kubeconfig"])
	}
}

// TestProgram_RejectsInvalidConfigAndRegistersNothing: each bad config is
// reported with its exact key path, and no resource (not even the provider)
// is registered.
func TestProgram_RejectsInvalidConfigAndRegistersNothing(t *testing.T) {
	gw := func(mut func(g map[string]any)) string {
		g := map[string]any{"namespace": "rampart-system", "podLabels": map[string]string{"app": "gateway"}}
		mut(g)
		return js(g)
	}
	tenants := func(ts ...any) string { return js(ts) }
	cases := []struct {
		name   string
		set    map[string]string
		secret []string
		want   string
	}{
		{"missing profile", map[string]string{"rampart:profile": ""}, nil, "rampart:profile: \"\": missing"},
		{"unknown profile", map[string]string{"rampart:profile": "production"}, nil, "rampart:profile: \"production\": not a profile"},
		{"prod without domain", map[string]string{"rampart:domain": ""}, nil, "rampart:domain: \"\": required"},
		{"bad domain", map[string]string{"rampart:domain": "Not A Domain"}, nil, "rampart:domain: \"Not A Domain\""},
		{"tls 1.1", map[string]string{"rampart:ingress": js(map[string]any{"tlsMinVersion": "1.1"})}, nil, "rampart:ingress.tlsMinVersion: \"1.1\": TLS below 1.2"},
		{"tls garbage", map[string]string{"rampart:ingress": js(map[string]any{"tlsMinVersion": "tls13"})}, nil, "rampart:ingress.tlsMinVersion: \"tls13\": not a TLS version"},
		{"ingress mode", map[string]string{"rampart:ingress": js(map[string]any{"mode": "nginx"})}, nil, "rampart:ingress.mode: \"nginx\""},
		{"ingress namespace unknown", map[string]string{"rampart:ingress": js(map[string]any{"namespace": "ingress-nginx"})}, nil, "rampart:ingress.namespace: \"ingress-nginx\": not one of rampart:namespaces"},
		{"unknown field typo", map[string]string{"rampart:ingress": js(map[string]any{"tlsMinVerison": "1.3"})}, nil, "rampart:ingress: "},
		{"wrong shape", map[string]string{"rampart:tenants": js(map[string]any{"name": "x"})}, nil, "rampart:tenants: "},
		{"tenant upper case", map[string]string{"rampart:tenants": tenants(map[string]any{"name": "Team-A"})}, nil, "rampart:tenants[0].name: \"Team-A\""},
		{"tenant too long", map[string]string{"rampart:tenants": tenants(map[string]any{"name": strings.Repeat("t", 64)})}, nil, "rampart:tenants[0].name:"},
		{"duplicate tenant", map[string]string{"rampart:tenants": tenants(map[string]any{"name": "a"}, map[string]any{"name": "a"})}, nil, "rampart:tenants[1].name: \"a\": duplicate of rampart:tenants[0].name"},
		{"tenant collides with platform", map[string]string{"rampart:tenants": tenants(map[string]any{"name": "openbao"})}, nil, "rampart:tenants[0].name: \"openbao\": duplicate of rampart:namespaces[2].name"},
		{"reserved namespace", map[string]string{"rampart:tenants": tenants(map[string]any{"name": "kube-system"})}, nil, "rampart:tenants[0].name: \"kube-system\": reserved"},
		{"tenant quota quantity", map[string]string{"rampart:tenants": tenants(map[string]any{"name": "a", "quota": map[string]any{"limitsMemory": "lots"}})}, nil, "rampart:tenants[0].quota.limitsMemory: \"lots\""},
		{"pss level enum", map[string]string{"rampart:namespaces": js([]any{map[string]any{"name": "rampart-ingress"}, map[string]any{"name": "rampart-system"},
			map[string]any{"name": "falco", "exemption": map[string]any{"level": "root", "justification": "a long justification text", "control": "ISM-1034"}}})}, nil, "rampart:namespaces[2].exemption.level: \"root\""},
		{"exemption without justification", map[string]string{"rampart:namespaces": js([]any{map[string]any{"name": "rampart-ingress"}, map[string]any{"name": "rampart-system"},
			map[string]any{"name": "falco", "exemption": map[string]any{"level": "privileged", "control": "ISM-1034"}}})}, nil, "rampart:namespaces[2].exemption.justification: \"\""},
		{"gateway namespace unknown", map[string]string{"rampart:gateway": gw(func(g map[string]any) { g["namespace"] = "nowhere" })}, nil, "rampart:gateway.namespace: \"nowhere\""},
		{"gateway empty selector", map[string]string{"rampart:gateway": gw(func(g map[string]any) { delete(g, "podLabels") })}, nil, "rampart:gateway.podLabels"},
		{"gateway port out of range", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["controlPlane"] = map[string]any{"podLabels": map[string]string{"app": "cp"}, "port": 0}
		})}, nil, "rampart:gateway.controlPlane.port: 0"},
		{"https port out of range", map[string]string{"rampart:gateway": gw(func(g map[string]any) { g["httpsPort"] = 65536 })}, nil, "rampart:gateway.httpsPort: 65536"},
		{"bad allowed cidr", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["allowedTargets"] = []any{map[string]any{"name": "db", "cidr": "10.0.0.300/24", "ports": []int{5432}, "justification": "database on the private network"}}
		})}, nil, "rampart:gateway.allowedTargets[0].cidr: \"10.0.0.300/24\""},
		{"unjustified private target", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["allowedTargets"] = []any{map[string]any{"name": "db", "cidr": "192.168.10.0/24", "ports": []int{5432}}}
		})}, nil, "rampart:gateway.allowedTargets[0].justification"},
		{"backend loopback literal", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "https://127.0.0.1:8443/"}}
		})}, nil, "rampart:gateway.backends[0].url: \"https://127.0.0.1:8443/\": 127.0.0.1 resolves to 127.0.0.1, inside the SSRF blocklist entry 127.0.0.0/8"},
		{"backend metadata literal", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "https://169.254.169.254/latest/meta-data"}}
		})}, nil, "inside the SSRF blocklist entry 169.254.0.0/16"},
		{"backend ipv6 unique-local", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "https://[fd00:ec2::254]/"}}
		})}, nil, "inside the SSRF blocklist entry fd00::/8"},
		{"backend localhost", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "https://localhost/"}}
		})}, nil, "rampart:gateway.backends[0].url: \"https://localhost/\""},
		{"backend resolves private", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "https://internal.example.com/"}}
		})}, nil, "internal.example.com resolves to 10.1.2.3"},
		{"backend plain http", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "http://api.example.com/"}}
		})}, nil, "rampart:gateway.backends[0].url: \"http://api.example.com/\": backends must be reached over TLS"},
		{"dns node-local cidr", map[string]string{"rampart:network": js(map[string]any{"dns": map[string]any{"nodeLocalCidr": "169.254.20.10"}})}, nil, "rampart:network.dns.nodeLocalCidr"},
		{"plaintext kubeconfig", map[string]string{"rampart:kubeconfig": "apiVersion: v1"}, nil, "rampart:kubeconfig: [secret]: a credential stored in plaintext in the stack file — pulumi config rm rampart:kubeconfig && pulumi config set --secret rampart:kubeconfig"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			for k, v := range tc.set {
				if v == "" {
					delete(cfg, k)
				} else {
					cfg[k] = v
				}
			}
			rec := recmock.New()
			err := rec.Run(program, recmock.WithConfig(cfg, tc.secret...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if rec.Len() != 0 {
				t.Fatalf("registered %v despite invalid config", rec.Names())
			}
			if strings.Contains(err.Error(), "apiVersion: v1") {
				t.Fatalf("error leaks the secret value: %v", err)
			}
		})
	}
}

func TestProgram_ReportsEveryProblemAtOnce(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:profile"] = "qa"
	cfg["rampart:ingress"] = js(map[string]any{"tlsMinVersion": "1.0"})
	cfg["rampart:tenants"] = js([]any{map[string]any{"name": "A"}, map[string]any{"name": "b"}, map[string]any{"name": "b"}})
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error { return infra.Program(ctx) }, recmock.WithConfig(cfg))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"nothing was changed", "rampart:profile", "rampart:ingress.tlsMinVersion", "rampart:tenants[0].name", "rampart:tenants[2].name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if rec.Len() != 0 {
		t.Fatalf("registered %v", rec.Names())
	}
}
