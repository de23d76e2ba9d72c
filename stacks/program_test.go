package stacks_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/stacks"
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
	return stacks.Run(ctx, cfg)
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
		{"unknown field typo", map[string]string{"rampart:ingress": js(map[string]any{"tlsMinVerison": "1.3"})}, nil, `rampart:ingress.tlsMinVerison: (value not shown): unknown key — did you mean "tlsMinVersion"?`},
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
		{"https port, a removed key", map[string]string{"rampart:gateway": gw(func(g map[string]any) { g["httpsPort"] = 443 })}, nil,
			"rampart:gateway.httpsPort: (value not shown): removed — the gateway no longer reaches every public address on one port by default"},
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
		{"backend decimal loopback", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "https://2130706433/"}}
		})}, nil, "rampart:gateway.backends[0].url: \"https://2130706433/\": a numeric host that is not a canonical IP address"},
		{"backend short loopback", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "https://127.1/"}}
		})}, nil, "rampart:gateway.backends[0].url: \"https://127.1/\": a numeric host"},
		{"backend hex loopback", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "https://0x7f.1/"}}
		})}, nil, "rampart:gateway.backends[0].url: \"https://0x7f.1/\": a numeric host"},
		{"backend this-host", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "https://0.0.0.0/"}}
		})}, nil, "inside the SSRF blocklist entry 0.0.0.0/8"},
		{"backend alibaba metadata", map[string]string{"rampart:gateway": gw(func(g map[string]any) {
			g["backends"] = []any{map[string]any{"name": "b", "url": "https://100.100.100.200/"}}
		})}, nil, "inside the SSRF blocklist entry 100.64.0.0/10"},
		{"partial tenant quota clashing with the preset", map[string]string{"rampart:tenants": tenants(map[string]any{"name": "a", "quota": map[string]any{"requestsCpu": "32"}})}, nil,
			"rampart:tenants[0].quota.requestsCpu: \"32\": greater than limitsCpu \"16\""},
		{"skipAwait outside the lab", map[string]string{"rampart:kubernetes": js(map[string]any{"skipAwait": true})}, nil, "rampart:kubernetes.skipAwait: true: only the local lab"},
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
	err := rec.Run(func(ctx *pulumi.Context) error { return stacks.Program(ctx) }, recmock.WithConfig(cfg))
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

// testCA is a throwaway PEM certificate standing in for OpenBao's TLS CA.
var testCA = func() string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "openbao-tls-ca"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}()

const sum = "5f1ec39e8a0a6f0f2b7c2f6c1a4b8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8"

// Secret values the platform tests use; none may appear in an error.
const (
	testPin       = "hsm-pin-never-printed"
	testPassword  = "deployer-pass-never-printed"
	testKCSecret  = "kc-client-secret-never-printed"
	testSMTPPass  = "smtp-pass-never-printed"
	testVaultTokn = "vault-token-never-printed"
)

// platformConfig is validConfig with OpenBao, the PKI and Keycloak enabled
// and their secrets set (the keys in platformSecrets are Pulumi secrets).
func platformConfig() map[string]string {
	cfg := validConfig()
	cfg["rampart:openbao"] = js(platformOpenBao())
	cfg["rampart:pki"] = js(platformPKI())
	cfg["rampart:keycloak"] = js(platformKeycloak())
	cfg["rampart:openbaoHsmPin"] = testPin
	cfg["rampart:openbaoDeployerPassword"] = testPassword
	cfg["rampart:keycloakClientSecret"] = testKCSecret
	cfg["rampart:keycloakSmtpPassword"] = testSMTPPass
	return cfg
}

var platformSecrets = []string{"rampart:openbaoHsmPin", "rampart:openbaoDeployerPassword", "rampart:keycloakClientSecret",
	"rampart:keycloakSmtpPassword", "rampart:vaultToken", "rampart:kubeconfig"}

func platformOpenBao() map[string]any {
	return map[string]any{
		"enabled": true, "version": "2.6.2",
		"seal": map[string]any{
			"lib": "/openbao/hsm/lunaclient/lib/libCryptoki2_64.so", "tokenLabel": "openbao-prod", "keyLabel": "bao-root-key-aes",
			"mechanism": "0x1087", "pluginSha256": sum, "clientImage": "registry.example.gov.uk/hsm/luna-client@sha256:" + sum,
		},
	}
}

func platformPKI() map[string]any {
	return map[string]any{
		"enabled": true, "openbaoURL": "https://openbao.platform.example.gov.uk:8200", "organization": "Example",
		"roles":  []any{map[string]any{"name": "workloads", "allowedDomains": []string{"platform.example.gov.uk"}}},
		"issuer": map[string]any{"caBundlePEM": testCA},
	}
}

func platformKeycloak() map[string]any {
	return map[string]any{
		"enabled": true, "realm": "platform",
		"provider": map[string]any{"url": "https://id.platform.example.gov.uk"},
		"smtp":     map[string]any{"host": "smtp.example.gov.uk", "from": "no-reply@platform.example.gov.uk", "username": "keycloak"},
		"clients":  []any{map[string]any{"clientId": "kube-apiserver", "redirectUris": []string{"http://localhost:8000"}}},
	}
}

// with returns m with path (dot-separated) set to v; nil deletes the key.
func with(m map[string]any, path string, v any) map[string]any {
	keys := strings.Split(path, ".")
	cur := m
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	if v == nil {
		delete(cur, keys[len(keys)-1])
	} else {
		cur[keys[len(keys)-1]] = v
	}
	return m
}

func TestProgram_PlatformRegistersComponentsWithTheirProviders(t *testing.T) {
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(platformConfig(), platformSecrets...)); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"rampart:openbao:OpenBao", "rampart:pki:PKI", "rampart:keycloak:Realm",
		"pulumi:providers:vault", "pulumi:providers:keycloak", "pulumi:providers:kubernetes"} {
		if n := len(rec.ByType(typ)); n != 1 {
			t.Errorf("%s: %d registered, want 1", typ, n)
		}
	}
	var vaultRes, kcRes int
	for _, r := range rec.All() {
		if !r.Custom || strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		pkg, _, _ := strings.Cut(r.Type, ":")
		if pkg == "vault" {
			vaultRes++
		} else if pkg == "keycloak" {
			kcRes++
		}
		if !strings.Contains(r.Provider, "pulumi:providers:"+pkg+"::") {
			t.Errorf("%s/%s: provider %q, want the explicit %s provider", r.Type, r.Name, r.Provider, pkg)
		}
	}
	if vaultRes == 0 || kcRes == 0 {
		t.Fatalf("vault resources %d, keycloak resources %d: want both", vaultRes, kcRes)
	}
	// The cert-manager issuer is a Kubernetes object on the cluster's provider.
	iss, err := rec.Get("kubernetes:cert-manager.io/v1:ClusterIssuer", "pki-issuer")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(iss.Provider, "pulumi:providers:kubernetes::kubernetes") {
		t.Errorf("issuer provider = %q", iss.Provider)
	}
	if got, _ := recmock.Path(iss.Plain(), "spec", "vault", "server"); got != "https://openbao-active.openbao.svc:8200" {
		t.Errorf("issuer server = %v, want OpenBao's in-cluster address", got)
	}
	// OpenBao's objects land in its namespace, after it exists.
	sec, err := rec.Get("kubernetes:core/v1:Secret", "openbao-seal")
	if err != nil {
		t.Fatal(err)
	}
	if ns, _ := recmock.Path(sec.Plain(), "metadata", "namespace"); ns != "openbao" {
		t.Errorf("seal secret namespace = %v", ns)
	}
	if !sec.IsSecret("stringData") {
		t.Error("the seal Secret's data (HSM PIN, deployer password) is not a Pulumi secret")
	}
	ob := rec.ByType("rampart:openbao:OpenBao")[0]
	if len(ob.Deps) == 0 {
		t.Error("openbao does not depend on its namespace")
	}
	// Providers: userpass as the deployer, secrets stay secret.
	vp := rec.ByType("pulumi:providers:vault")[0]
	if u, _ := recmock.Path(vp.Plain(), "authLoginUserpass", "username"); u != "rampart-deployer" {
		t.Errorf("vault provider userpass username = %v", u)
	}
	if a, _ := recmock.Path(vp.Plain(), "address"); a != "https://openbao.platform.example.gov.uk:8200" {
		t.Errorf("vault provider address = %v", a)
	}
	kp := rec.ByType("pulumi:providers:keycloak")[0]
	if !kp.IsSecret("clientSecret") {
		t.Error("keycloak provider clientSecret is not a secret")
	}
	if !vp.IsSecret("authLoginUserpass") && !vp.IsSecret("token") {
		t.Error("vault provider credentials are not secret")
	}
}

func TestProgram_DisabledPlatformBuildsNoProviders(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:openbao"] = js(map[string]any{"enabled": false, "seal": map[string]any{"mechanism": "0x1085"}})
	cfg["rampart:pki"] = "{}"
	cfg["rampart:keycloak"] = "{}"
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"rampart:openbao:OpenBao", "rampart:pki:PKI", "rampart:keycloak:Realm", "pulumi:providers:vault", "pulumi:providers:keycloak"} {
		if n := len(rec.ByType(typ)); n != 0 {
			t.Errorf("%s: %d registered while disabled", typ, n)
		}
	}
}

func TestProgram_VaultTokenWhenOpenBaoIsNotBootstrappedHere(t *testing.T) {
	cfg := platformConfig()
	delete(cfg, "rampart:openbao")
	delete(cfg, "rampart:openbaoHsmPin")
	delete(cfg, "rampart:openbaoDeployerPassword")
	cfg["rampart:pki"] = js(with(platformPKI(), "issuer.server", "https://openbao.platform.example.gov.uk:8200"))
	cfg["rampart:vaultToken"] = testVaultTokn
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg, platformSecrets...)); err != nil {
		t.Fatal(err)
	}
	vp := rec.ByType("pulumi:providers:vault")
	if len(vp) != 1 || !vp[0].IsSecret("token") {
		t.Fatalf("vault provider = %+v, want one with a secret token", vp)
	}
	if _, ok := vp[0].Plain()["authLoginUserpass"]; ok {
		t.Error("userpass login configured without a deployer password")
	}
}

// TestProgram_RejectsInvalidPlatformConfigAndRegistersNothing: each bad
// OpenBao, PKI or Keycloak setting is reported with its exact key path
// before anything (not even a provider) is registered, and no secret value
// appears in the error.
func TestProgram_RejectsInvalidPlatformConfigAndRegistersNothing(t *testing.T) {
	ob := func(path string, v any) string { return js(with(platformOpenBao(), path, v)) }
	pk := func(path string, v any) string { return js(with(platformPKI(), path, v)) }
	kc := func(path string, v any) string { return js(with(platformKeycloak(), path, v)) }
	cases := []struct {
		name  string
		set   map[string]string
		plain []string // keys stored in plaintext instead of as secrets
		want  string
	}{
		{"seal mechanism aes cbc pad", map[string]string{"rampart:openbao": ob("seal.mechanism", "0x1085")}, nil,
			`rampart:openbao.seal.mechanism: "0x1085": 0x1085 is CKM_AES_CBC_PAD`},
		{"seal hmac mechanism", map[string]string{"rampart:openbao": ob("seal.hmacMechanism", "0x0251")}, nil,
			`rampart:openbao.seal.hmacMechanism: "0x0251": OpenBao's PKCS#11 seal has no HMAC step`},
		{"seal hmac key label", map[string]string{"rampart:openbao": ob("seal.hmacKeyLabel", "bao-hmac")}, nil,
			`rampart:openbao.seal.hmacKeyLabel: "bao-hmac"`},
		{"seal slot in hex", map[string]string{"rampart:openbao": ob("seal.slot", "0x2")}, nil,
			`rampart:openbao.seal.slot: "0x2": OpenBao takes the slot as a decimal string — set seal.slot to "2"`},
		{"plugin checksum missing", map[string]string{"rampart:openbao": ob("seal.pluginSha256", nil)}, nil,
			`rampart:openbao.seal.pluginSha256: ""`},
		{"even replicas", map[string]string{"rampart:openbao": ob("replicas", 2)}, nil, "rampart:openbao.replicas: 2: raft needs an odd cluster size"},
		{"explicit zero replicas", map[string]string{"rampart:openbao": ob("replicas", 0)}, nil,
			`rampart:openbao.replicas: 0: 0 is not "unset": a raft cluster of no servers runs no OpenBao at all — remove the key for the default 3`},
		{"seal slot beside token label", map[string]string{"rampart:openbao": ob("seal.slot", "2")}, nil,
			`rampart:openbao.seal.slot: "2": set beside seal.tokenLabel: both select the HSM token and both would be rendered into the seal stanza, where they may name different tokens — set only one`},
		{"openbao namespace not in stack", map[string]string{"rampart:openbao": ob("namespace", "vault")}, nil,
			`rampart:openbao.namespace: "vault": not a namespace of this stack`},
		{"openbao mode", map[string]string{"rampart:openbao": ob("mode", "vm")}, nil, `rampart:openbao.mode: "vm": unknown mode`},
		{"openbao unknown field", map[string]string{"rampart:openbao": ob("seal.hmac_mechanism", "0x0251")}, nil,
			`rampart:openbao.seal.hmac_mechanism: (value not shown): unknown key — did you mean "hmacMechanism"?`},
		{"openbao pin is not a config field", map[string]string{"rampart:openbao": ob("seal.pin", "1234")}, nil, `rampart:openbao.seal.pin: (value not shown): unknown key — a credential is never a key of an object: pulumi config set --secret rampart:<key>`},
		{"hsm pin plaintext", nil, []string{"rampart:openbaoHsmPin"},
			"rampart:openbaoHsmPin: [secret]: a credential stored in plaintext in the stack file — pulumi config rm rampart:openbaoHsmPin && pulumi config set --secret rampart:openbaoHsmPin"},
		{"hsm pin missing", map[string]string{"rampart:openbaoHsmPin": ""}, nil,
			`rampart:openbaoHsmPin: "": missing: rampart:openbao runs in chart mode`},
		{"deployer password plaintext", nil, []string{"rampart:openbaoDeployerPassword"},
			"rampart:openbaoDeployerPassword: [secret]: a credential stored in plaintext"},
		{"deployer password missing", map[string]string{"rampart:openbaoDeployerPassword": ""}, nil,
			`rampart:openbaoDeployerPassword: "": missing`},
		{"deployer token ttl", map[string]string{"rampart:openbao": ob("bootstrap.tokenMaxTtl", "72h")}, nil,
			`rampart:openbao.bootstrap.tokenMaxTtl: "72h": deployer tokens must stay short-lived`},
		{"pki role max ttl beyond intermediate", map[string]string{"rampart:pki": js(with(platformPKI(), "roles",
			[]any{map[string]any{"name": "workloads", "allowedDomains": []string{"platform.example.gov.uk"}, "maxTTL": "50000h"}}))}, nil,
			`rampart:pki.roles[0].maxTTL: "50000h": longer than the intermediate's 43800h`},
		{"pki role ttl beyond max ttl", map[string]string{"rampart:pki": js(with(platformPKI(), "roles",
			[]any{map[string]any{"name": "workloads", "allowedDomains": []string{"platform.example.gov.uk"}, "maxTTL": "24h", "ttl": "48h"}}))}, nil,
			`rampart:pki.roles[0].ttl: "48h": longer than the role's maxTTL 24h`},
		{"pki intermediate outlives root", map[string]string{"rampart:pki": pk("intermediate.maxLeaseTTL", "90000h")}, nil,
			`rampart:pki.intermediate.maxLeaseTTL: "90000h"`},
		{"pki without roles", map[string]string{"rampart:pki": pk("roles", []any{})}, nil, "rampart:pki.roles: \"[]\": no workload role"},
		{"pki rsa 2048 role", map[string]string{"rampart:pki": js(with(platformPKI(), "roles",
			[]any{map[string]any{"name": "workloads", "allowedDomains": []string{"platform.example.gov.uk"}, "keyType": "rsa", "keyBits": 2048}}))}, nil,
			"rampart:pki.roles[0].keyBits: 2048"},
		{"pki issuer over plain http", map[string]string{"rampart:pki": pk("issuer.server", "http://openbao.openbao.svc:8200")}, nil,
			`rampart:pki.issuer.server: "http://openbao.openbao.svc:8200": plain http`},
		{"pki url missing", map[string]string{"rampart:pki": pk("openbaoURL", nil)}, nil, `rampart:pki.openbaoURL: "": required`},
		{"pki unknown field", map[string]string{"rampart:pki": pk("issuer.kubernetesProvider", "x")}, nil, `rampart:pki.issuer.kubernetesProvider: (value not shown): unknown key`},
		{"pki both vault credentials", map[string]string{"rampart:vaultToken": testVaultTokn}, nil,
			"rampart:vaultToken: [secret]: set together with rampart:openbaoDeployerPassword"},
		{"pki without vault credentials", map[string]string{"rampart:openbao": "", "rampart:openbaoHsmPin": "", "rampart:openbaoDeployerPassword": "",
			"rampart:pki": pk("issuer.server", "https://openbao.platform.example.gov.uk:8200")}, nil,
			`rampart:vaultToken: "": missing: rampart:pki needs OpenBao credentials`},
		{"vault token plaintext", map[string]string{"rampart:openbao": "", "rampart:openbaoHsmPin": "", "rampart:openbaoDeployerPassword": "",
			"rampart:pki": pk("issuer.server", "https://openbao.platform.example.gov.uk:8200"), "rampart:vaultToken": testVaultTokn}, []string{"rampart:vaultToken"},
			"rampart:vaultToken: [secret]: a credential stored in plaintext"},
		{"keycloak sso idle beyond max", map[string]string{"rampart:keycloak": js(with(with(platformKeycloak(), "sessions.ssoIdle", "12h"), "sessions.ssoMax", "10h"))}, nil,
			`rampart:keycloak.sessions.ssoIdle: "12h": must lie between 5m0s and 10h0m0s`},
		{"keycloak access token too long", map[string]string{"rampart:keycloak": kc("sessions.accessToken", "1h")}, nil,
			`rampart:keycloak.sessions.accessToken: "1h": must lie between 1m0s and 15m0s`},
		{"keycloak zero lifespan", map[string]string{"rampart:keycloak": kc("sessions.accessToken", "0s")}, nil,
			`rampart:keycloak.sessions.accessToken: "0s": must lie between 1m0s and 15m0s; zero or less is not "unset"`},
		{"keycloak duration garbage", map[string]string{"rampart:keycloak": kc("sessions.ssoMax", "a day")}, nil,
			`rampart:keycloak.sessions.ssoMax: "a day": not a duration`},
		{"keycloak master realm", map[string]string{"rampart:keycloak": kc("realm", "master")}, nil, `rampart:keycloak.realm: "master"`},
		{"keycloak brute force off by count", map[string]string{"rampart:keycloak": kc("bruteForce.maxLoginFailures", 50)}, nil,
			"rampart:keycloak.bruteForce.maxLoginFailures: 50"},
		{"keycloak explicit zero login failures", map[string]string{"rampart:keycloak": kc("bruteForce.maxLoginFailures", 0)}, nil,
			`rampart:keycloak.bruteForce.maxLoginFailures: 0: 0 is not "unset": a lockout after 0 failures is no lockout, and online guessing would go unchecked (ISM-1403) — remove the key for the default 5, or use 3-5`},
		{"keycloak weak password hash", map[string]string{"rampart:keycloak": kc("passwordPolicy.hashIterations", 1000)}, nil,
			"rampart:keycloak.passwordPolicy.hashIterations: 1000"},
		{"keycloak webauthn without user verification", map[string]string{"rampart:keycloak": kc("webAuthn.userVerification", "discouraged")}, nil,
			`rampart:keycloak.webAuthn.userVerification: "discouraged"`},
		{"keycloak wildcard redirect", map[string]string{"rampart:keycloak": kc("clients", []any{map[string]any{"clientId": "app", "redirectUris": []string{"https://*.example.org/cb"}}})}, nil,
			`rampart:keycloak.clients[0].redirectUris[0]: "https://*.example.org/cb": wildcards`},
		{"keycloak events too short", map[string]string{"rampart:keycloak": kc("events.expiration", "1h")}, nil,
			`rampart:keycloak.events.expiration: "1h": must lie between 24h0m0s and 87600h0m0s`},
		{"keycloak provider over http", map[string]string{"rampart:keycloak": kc("provider.url", "http://id.platform.example.gov.uk")}, nil,
			`rampart:keycloak.provider.url: "http://id.platform.example.gov.uk": the client secret and admin tokens would cross the network in clear text`},
		{"keycloak provider url missing", map[string]string{"rampart:keycloak": kc("provider", nil)}, nil, `rampart:keycloak.provider.url: "": missing`},
		{"keycloak unknown field", map[string]string{"rampart:keycloak": kc("sessions.ssoIdleTimeout", "15m")}, nil, `rampart:keycloak.sessions.ssoIdleTimeout: (value not shown): unknown key — did you mean "ssoIdle"?`},
		{"keycloak client secret missing", map[string]string{"rampart:keycloakClientSecret": ""}, nil, `rampart:keycloakClientSecret: "": missing`},
		{"keycloak client secret plaintext", nil, []string{"rampart:keycloakClientSecret"}, "rampart:keycloakClientSecret: [secret]: a credential stored in plaintext"},
		{"smtp password plaintext", nil, []string{"rampart:keycloakSmtpPassword"}, "rampart:keycloakSmtpPassword: [secret]: a credential stored in plaintext"},
		{"smtp password missing", map[string]string{"rampart:keycloakSmtpPassword": ""}, nil,
			`rampart:keycloakSmtpPassword: "": missing: rampart:keycloak.smtp.username is set`},
		{"smtp without tls port", map[string]string{"rampart:keycloak": kc("smtp.port", 25)}, nil, "rampart:keycloak.smtp.port: 25"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := platformConfig()
			for k, v := range tc.set {
				if v == "" {
					delete(cfg, k)
				} else {
					cfg[k] = v
				}
			}
			secret := []string{}
			for _, k := range platformSecrets {
				if !slices.Contains(tc.plain, k) {
					secret = append(secret, k)
				}
			}
			rec := recmock.New()
			err := rec.Run(program, recmock.WithConfig(cfg, secret...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if rec.Len() != 0 {
				t.Fatalf("registered %v despite invalid config", rec.Names())
			}
			for _, s := range []string{testPin, testPassword, testKCSecret, testSMTPPass, testVaultTokn} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error leaks a secret value: %v", err)
				}
			}
		})
	}
}

func TestProgram_ReportsEveryPlatformProblemAtOnce(t *testing.T) {
	cfg := platformConfig()
	cfg["rampart:openbao"] = js(with(with(platformOpenBao(), "seal.mechanism", "0x1085"), "seal.hmacMechanism", "0x0251"))
	cfg["rampart:pki"] = js(with(platformPKI(), "roles", []any{map[string]any{"name": "w", "allowedDomains": []string{"platform.example.gov.uk"}, "maxTTL": "50000h"}}))
	cfg["rampart:keycloak"] = js(with(with(platformKeycloak(), "sessions.ssoIdle", "12h"), "sessions.ssoMax", "10h"))
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error { return stacks.Program(ctx) }, recmock.WithConfig(cfg, "rampart:openbaoDeployerPassword", "rampart:keycloakClientSecret", "rampart:keycloakSmtpPassword"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"nothing was changed", "rampart:openbao.seal.mechanism", "rampart:openbao.seal.hmacMechanism",
		"rampart:openbaoHsmPin: [secret]", "rampart:pki.roles[0].maxTTL", "rampart:keycloak.sessions.ssoIdle"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if rec.Len() != 0 {
		t.Fatalf("registered %v", rec.Names())
	}
}

// On a fresh cluster's preview OpenBao does not exist yet: the vault
// provider's address stays unknown until the chart is deployed, so the
// engine neither configures the provider nor tries to log in.
func TestProgram_VaultProviderWaitsForOpenBaoOnPreview(t *testing.T) {
	rec := recmock.New()
	dryRun := func(info *pulumi.RunInfo) { info.DryRun = true }
	if err := rec.Run(program, recmock.WithConfig(platformConfig(), platformSecrets...), dryRun); err != nil {
		t.Fatal(err)
	}
	// The SDK sends an unknown input as absent (or computed) under preview.
	vp := rec.ByType("pulumi:providers:vault")[0]
	if addr, ok := vp.Inputs["address"]; ok && !addr.IsComputed() && !(addr.IsOutput() && !addr.OutputValue().Known) {
		t.Fatalf("vault provider address is known during preview (%v): it would log in before OpenBao exists", addr)
	}
	if _, ok := vp.Inputs["authLoginUserpass"]; !ok {
		t.Fatalf("vault provider lost its other inputs: %v", vp.Inputs)
	}
}
