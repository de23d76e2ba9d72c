package stacks_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/stacks"
)

const (
	tClusterIssuer = "kubernetes:cert-manager.io/v1:ClusterIssuer"
	tNetPol        = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

func certManagerSection(extra map[string]any) string {
	m := map[string]any{"enabled": true, "apiServer": map[string]any{"cidrs": []string{"10.96.0.1/32", "192.0.2.10/32"}}}
	for k, v := range extra {
		m[k] = v
	}
	return js(m)
}

// The pki component renders the sovereign ClusterIssuer; cert-manager's
// component renders no second one, creates exactly the ServiceAccount that
// issuer names and OpenBao's Kubernetes-auth role binds, lets cert-manager
// request its tokens, and opens egress to OpenBao's namespace and port.
func TestProgram_CertManagerReusesThePKIIssuerAndBindsItsServiceAccount(t *testing.T) {
	cfg := platformConfig()
	cfg["rampart:certManager"] = certManagerSection(nil)
	rec := recmock.New()
	var pkiIssuerName string
	err := rec.Run(func(ctx *pulumi.Context) error {
		c, err := config.LoadWith(ctx, stubResolver)
		if err != nil {
			return err
		}
		pkiIssuerName = c.PKIIssuerName()
		return stacks.Run(ctx, c)
	}, recmock.WithConfig(cfg, platformSecrets...))
	if err != nil {
		t.Fatal(err)
	}
	issuers := rec.ByType(tClusterIssuer)
	if len(issuers) != 1 || issuers[0].Name != "pki-issuer" {
		t.Fatalf("ClusterIssuers = %v, want only the pki component's", issuers)
	}
	if n, _ := recmock.Path(issuers[0].Plain(), "metadata", "name"); n != pkiIssuerName {
		t.Errorf("IssuerRef would name %q, the pki component rendered %v", pkiIssuerName, n)
	}
	auth, err := rec.Get("vault:kubernetes/authBackendRole:AuthBackendRole", "pki-issuer-auth")
	if err != nil {
		t.Fatal(err)
	}
	sa, err := rec.Get("kubernetes:core/v1:ServiceAccount", "certmanager-issuer-sa")
	if err != nil {
		t.Fatal(err)
	}
	saName, _ := recmock.Path(sa.Plain(), "metadata", "name")
	saNS, _ := recmock.Path(sa.Plain(), "metadata", "namespace")
	if n, _ := recmock.Path(auth.Plain(), "boundServiceAccountNames", 0); n != saName {
		t.Errorf("OpenBao binds ServiceAccount %v, cert-manager's component created %v", n, saName)
	}
	if n, _ := recmock.Path(auth.Plain(), "boundServiceAccountNamespaces", 0); n != saNS || saNS != "cert-manager" {
		t.Errorf("OpenBao binds namespace %v, the ServiceAccount is in %v", n, saNS)
	}
	if ref, _ := recmock.Path(issuers[0].Plain(), "spec", "vault", "auth", "kubernetes", "serviceAccountRef", "name"); ref != saName {
		t.Errorf("issuer serviceAccountRef %v, ServiceAccount %v", ref, saName)
	}
	ob, err := rec.Get(tNetPol, "certmanager-cert-manager-openbao-egress")
	if err != nil {
		t.Fatal(err)
	}
	if ns, _ := recmock.Path(ob.Plain(), "spec", "egress", 0, "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"); ns != "openbao" {
		t.Errorf("OpenBao egress to namespace %v", ns)
	}
	if p, _ := recmock.Path(ob.Plain(), "spec", "egress", 0, "ports", 0, "port"); p != float64(8200) {
		t.Errorf("OpenBao egress port %v", p)
	}
	if len(rec.ByType("kubernetes:helm.sh/v4:Chart")) == 0 {
		t.Error("prod profile: the cert-manager chart is not installed")
	}
	cm := rec.ByType("rampart:certmanager:CertManager")
	if len(cm) != 1 || !strings.Contains(strings.Join(cm[0].Deps, ","), "cert-manager") {
		t.Errorf("certmanager component does not wait for its namespace: %v", cm)
	}
}

// The local profile: no chart (no nodes), the lab's API server address,
// and the sovereign issuer from rampart:certManager.vault over the lab's
// http Vault.
func TestProgram_CertManagerLocalProfileRendersIssuerWithoutChart(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:profile"] = "local"
	cfg["rampart:certManager"] = js(map[string]any{"enabled": true,
		"openbao": map[string]any{"cidrs": []string{"127.0.0.1/32"}},
		"vault":   map[string]any{"server": "http://127.0.0.1:8200", "path": "pki_int/sign/workloads", "role": "cert-manager"}})
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ByType("kubernetes:helm.sh/v4:Chart")); n != 0 {
		t.Errorf("%d charts in the local profile", n)
	}
	ci, err := rec.Get(tClusterIssuer, "certmanager-vault-issuer")
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := recmock.Path(ci.Plain(), "spec", "vault", "path"); p != "pki_int/sign/workloads" {
		t.Errorf("path = %v", p)
	}
	api, err := rec.Get(tNetPol, "certmanager-cert-manager-apiserver-egress")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := recmock.Path(api.Plain(), "spec", "egress", 0, "to", 0, "ipBlock", "cidr"); c != "127.0.0.1/32" {
		t.Errorf("local API server CIDR = %v", c)
	}
}

func TestProgram_RejectsBadCertManagerConfigAndRegistersNothing(t *testing.T) {
	vault := map[string]any{"server": "https://openbao.example.org:8200", "caBundlePEM": testCA, "path": "pki_int/sign/workloads", "role": "cert-manager"}
	le := map[string]any{"server": "https://acme-v02.api.letsencrypt.org/directory", "egressCIDRs": []string{"192.0.2.0/28"},
		"http01": map[string]any{"gatewayName": "rampart", "gatewayNamespace": "ingress"}}
	for _, c := range []struct {
		name    string
		mutate  func(cfg map[string]string)
		secrets []string
		path    string
	}{
		{"two sovereign issuers", func(cfg map[string]string) {
			cfg["rampart:certManager"] = certManagerSection(map[string]any{"vault": vault})
		}, nil, "rampart:certManager.vault"},
		{"no API server address in prod", func(cfg map[string]string) {
			cfg["rampart:certManager"] = js(map[string]any{"enabled": true})
		}, nil, "rampart:certManager.apiServer.cidrs"},
		{"Let's Encrypt outside the sovereignty rule", func(cfg map[string]string) {
			cfg["rampart:certManager"] = certManagerSection(map[string]any{"acme": le})
			cfg["rampart:sovereignty"] = js(map[string]any{"allowedJurisdictions": []string{"GB", "EU"}})
		}, nil, "rampart:certManager.acme.server"},
		{"the old ACME exception key", func(cfg map[string]string) {
			cfg["rampart:certManager"] = certManagerSection(map[string]any{"acme": with(clone(le), "sovereigntyException",
				map[string]any{"justification": "public trust for the status page", "control": "x", "approvedBy": "CISO"})})
		}, nil, "rampart:certManager.acme.sovereigntyException"},
		{"EAB key id without the secret", func(cfg map[string]string) {
			a := map[string]any{"server": "https://api.buypass.com/acme/directory", "egressCIDRs": []string{"192.0.2.0/28"},
				"http01": map[string]any{"gatewayName": "rampart", "gatewayNamespace": "ingress"}, "eab": map[string]any{"keyID": "kid"}}
			cfg["rampart:certManager"] = certManagerSection(map[string]any{"acme": a})
		}, nil, "rampart:acmeEabHmacKey"},
		{"EAB secret without an ACME issuer", func(cfg map[string]string) {
			cfg["rampart:certManager"] = certManagerSection(nil)
			cfg["rampart:acmeEabHmacKey"] = "hmac"
		}, []string{"rampart:acmeEabHmacKey"}, "rampart:acmeEabHmacKey"},
		{"issue path", func(cfg map[string]string) {
			cfg["rampart:pki"] = js(with(platformPKI(), "issuer", nil))
			cfg["rampart:certManager"] = certManagerSection(map[string]any{"vault": with(clone(vault), "path", "pki_int/issue/workloads")})
		}, nil, "rampart:certManager.vault.path"},
		{"http vault outside local", func(cfg map[string]string) {
			cfg["rampart:pki"] = js(with(platformPKI(), "issuer", nil))
			cfg["rampart:certManager"] = certManagerSection(map[string]any{"vault": with(clone(vault), "server", "http://openbao.example.org:8200")})
		}, nil, "rampart:certManager.vault.server"},
		{"namespace not in the stack", func(cfg map[string]string) {
			cfg["rampart:certManager"] = certManagerSection(map[string]any{"namespace": "certs"})
		}, nil, "rampart:certManager.namespace"},
		{"pki ClusterIssuer account elsewhere", func(cfg map[string]string) {
			cfg["rampart:pki"] = js(with(platformPKI(), "issuer.serviceAccountNamespace", "openbao"))
			cfg["rampart:certManager"] = certManagerSection(nil)
		}, nil, "rampart:pki.issuer.serviceAccountNamespace"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := platformConfig()
			c.mutate(cfg)
			rec := recmock.New()
			err := rec.Run(program, recmock.WithConfig(cfg, append(platformSecrets, c.secrets...)...))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.path+": ") {
				t.Errorf("error does not name %s:\n%v", c.path, err)
			}
			if strings.Contains(err.Error(), "eab.hmacKey") {
				t.Errorf("a problem reported at a key nobody can set:\n%v", err)
			}
			if n := rec.Len(); n != 0 {
				t.Errorf("%d resources registered", n)
			}
		})
	}
}

func clone(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
