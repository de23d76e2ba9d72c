package pki_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	k8s "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	vault "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	tMount    = "vault:index/mount:Mount"
	tRoot     = "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert"
	tURLs     = "vault:pkiSecret/secretBackendConfigUrls:SecretBackendConfigUrls"
	tCSR      = "vault:pkiSecret/secretBackendIntermediateCertRequest:SecretBackendIntermediateCertRequest"
	tSign     = "vault:pkiSecret/secretBackendRootSignIntermediate:SecretBackendRootSignIntermediate"
	tSetSign  = "vault:pkiSecret/secretBackendIntermediateSetSigned:SecretBackendIntermediateSetSigned"
	tRole     = "vault:pkiSecret/secretBackendRole:SecretBackendRole"
	tCRL      = "vault:pkiSecret/secretBackendCrlConfig:SecretBackendCrlConfig"
	tPolicy   = "vault:index/policy:Policy"
	tAuthRole = "vault:kubernetes/authBackendRole:AuthBackendRole"
	tCluster  = "kubernetes:cert-manager.io/v1:ClusterIssuer"
	tIssuer   = "kubernetes:cert-manager.io/v1:Issuer"
)

// testCA is a throwaway PEM certificate standing in for OpenBao's TLS CA.
var testCA = func() string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "openbao-tls-ca"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, _ := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}()

func validArgs() *pki.PKIArgs {
	return &pki.PKIArgs{
		OpenBaoURL:   "https://openbao.example.org:8200",
		Organization: "Example",
		Country:      "CA",
		Roles: []pki.RoleArgs{
			{Name: "workloads", AllowedDomains: []string{"svc.example.org", "internal.example"}},
			{Name: "mtls", AllowedDomains: []string{"mesh.example.org"}, ClientAuth: true, MaxTTL: "24h"},
		},
		Issuer: &pki.IssuerArgs{Server: "https://openbao.openbao.svc:8200", CABundlePEM: testCA},
	}
}

// run builds the PKI under the recording mock with explicit providers, as a
// stack would: both packages in one provider map, handed to the component.
func run(t *testing.T, args *pki.PKIArgs) (*recmock.Recorder, error) {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		vp, err := vault.NewProvider(ctx, "openbao", &vault.ProviderArgs{Address: pulumi.String("https://openbao.example.org:8200"), Token: pulumi.String("unit-test")})
		if err != nil {
			return err
		}
		kp, err := k8s.NewProvider(ctx, "cluster", &k8s.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = pki.NewPKI(ctx, "pki", args, pulumi.Providers(vp, kp))
		return err
	})
	return rec, err
}

func want(t *testing.T, r recmock.Resource, path string, exp any) {
	t.Helper()
	var steps []any
	for _, s := range strings.Split(path, ".") {
		steps = append(steps, s)
	}
	got, ok := recmock.Path(r.Plain(), steps...)
	if !ok {
		t.Errorf("%s %s: %s missing; inputs %v", r.Type, r.Name, path, r.Plain())
		return
	}
	if !equal(got, exp) {
		t.Errorf("%s %s: %s = %#v, want %#v", r.Type, r.Name, path, got, exp)
	}
}

func equal(got, exp any) bool {
	switch e := exp.(type) {
	case int:
		f, ok := got.(float64)
		return ok && f == float64(e)
	case []string:
		a, ok := got.([]any)
		if !ok || len(a) != len(e) {
			return false
		}
		for i := range e {
			if a[i] != e[i] {
				return false
			}
		}
		return true
	default:
		return got == exp
	}
}

func dependsOn(r recmock.Resource, name string) bool {
	for _, d := range r.Deps {
		if strings.HasSuffix(d, "::"+name) {
			return true
		}
	}
	return false
}

func TestPKI_CreatesEveryChildUnderTheComponent(t *testing.T) {
	rec, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ typ, name string }{
		{tMount, "pki-root-mount"}, {tURLs, "pki-root-urls"}, {tRoot, "pki-root-ca"}, {tCRL, "pki-root-crl"},
		{tMount, "pki-int-mount"}, {tURLs, "pki-int-urls"}, {tCRL, "pki-int-crl"}, {tCSR, "pki-int-csr"},
		{tSign, "pki-int-sign"}, {tSetSign, "pki-int-signed"},
		{tRole, "pki-role-workloads"}, {tRole, "pki-role-mtls"},
		{tPolicy, "pki-issuer-policy"}, {tAuthRole, "pki-issuer-auth"}, {tCluster, "pki-issuer"},
	} {
		r := rec.MustGet(t, c.typ, c.name)
		if r.ParentName() != "pki" {
			t.Errorf("%s parent = %q, want the component", c.name, r.ParentName())
		}
		if strings.HasPrefix(c.typ, "vault:") && !strings.Contains(r.Provider, "pulumi:providers:vault::openbao") {
			t.Errorf("%s provider = %q, want the vault provider passed to NewPKI", c.name, r.Provider)
		}
		if strings.HasPrefix(c.typ, "kubernetes:") && !strings.Contains(r.Provider, "pulumi:providers:kubernetes::cluster") {
			t.Errorf("%s provider = %q, want the kubernetes provider passed to NewPKI", c.name, r.Provider)
		}
	}
	comps := rec.ByType(pki.TypeToken)
	if len(comps) != 1 || comps[0].Name != "pki" {
		t.Fatalf("component: %v", rec.Names())
	}
	if n := len(rec.ByType(tRole)); n != 2 {
		t.Errorf("roles = %d, want 2", n)
	}
}

func TestPKI_MountsAndRootCAAreProtectedAndRetained(t *testing.T) {
	rec, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ typ, name string }{
		{tMount, "pki-root-mount"}, {tMount, "pki-int-mount"}, {tRoot, "pki-root-ca"}, {tCSR, "pki-int-csr"},
	} {
		r := rec.MustGet(t, c.typ, c.name)
		if !r.Protect || !r.Retain {
			t.Errorf("%s: protect=%v retain=%v, want both (CA key cannot be recreated)", c.name, r.Protect, r.Retain)
		}
	}
	if r := rec.MustGet(t, tRole, "pki-role-workloads"); r.Protect {
		t.Errorf("roles are reproducible and must stay replaceable")
	}

	a := validArgs()
	a.AllowDestroy = true
	rec, err = run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	if r := rec.MustGet(t, tRoot, "pki-root-ca"); r.Protect || r.Retain {
		t.Errorf("AllowDestroy: root still protect=%v retain=%v", r.Protect, r.Retain)
	}
}

func TestPKI_RootCAIsInternalECP384WithTenYearMount(t *testing.T) {
	rec, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	m := rec.MustGet(t, tMount, "pki-root-mount")
	want(t, m, "path", "pki")
	want(t, m, "type", "pki")
	want(t, m, "maxLeaseTtlSeconds", 87600*3600)
	r := rec.MustGet(t, tRoot, "pki-root-ca")
	want(t, r, "type", "internal")
	want(t, r, "keyType", "ec")
	want(t, r, "keyBits", 384)
	want(t, r, "ttl", "315360000")
	want(t, r, "commonName", "Example Root CA")
	want(t, r, "issuerName", "root")
	want(t, r, "organization", "Example")
	want(t, r, "country", "CA")
	want(t, r, "maxPathLength", 1)
	want(t, r, "backend", "pki")
	if _, ok := r.Plain()["privateKeyFormat"]; ok {
		t.Errorf("root must not ask for the private key")
	}
	im := rec.MustGet(t, tMount, "pki-int-mount")
	want(t, im, "path", "pki_int")
	want(t, im, "maxLeaseTtlSeconds", 43800*3600)
}

func TestPKI_URLsAreConfiguredBeforeAnyIssuance(t *testing.T) {
	rec, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	ru := rec.MustGet(t, tURLs, "pki-root-urls")
	want(t, ru, "backend", "pki")
	want(t, ru, "issuingCertificates", []string{"https://openbao.example.org:8200/v1/pki/ca"})
	want(t, ru, "crlDistributionPoints", []string{"https://openbao.example.org:8200/v1/pki/crl"})
	want(t, ru, "ocspServers", []string{"https://openbao.example.org:8200/v1/pki/ocsp"})
	iu := rec.MustGet(t, tURLs, "pki-int-urls")
	want(t, iu, "backend", "pki_int")
	want(t, iu, "crlDistributionPoints", []string{"https://openbao.example.org:8200/v1/pki_int/crl"})

	order := map[string][]string{
		"pki-root-ca":  {"pki-root-urls"},
		"pki-int-sign": {"pki-root-ca", "pki-root-urls"},
	}
	for _, r := range []recmock.Resource{rec.MustGet(t, tRoot, "pki-root-ca"), rec.MustGet(t, tSign, "pki-int-sign")} {
		for _, d := range order[r.Name] {
			if !dependsOn(r, d) {
				t.Errorf("%s does not depend on %s: %v", r.Name, d, r.Deps)
			}
		}
	}
	for _, role := range rec.ByType(tRole) {
		for _, d := range []string{"pki-int-signed", "pki-int-urls", "pki-int-crl"} {
			if !dependsOn(role, d) {
				t.Errorf("%s does not depend on %s: %v", role.Name, d, role.Deps)
			}
		}
	}
	// Registration order is the order the engine would create them in here.
	idx := map[string]int{}
	for i, r := range rec.All() {
		idx[r.Name] = i
	}
	if idx["pki-root-urls"] > idx["pki-root-ca"] || idx["pki-int-urls"] > idx["pki-role-workloads"] {
		t.Errorf("URLs registered after issuance: %v", idx)
	}
}

func TestPKI_IntermediateIsSignedByRootFromItsCSR(t *testing.T) {
	rec, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	csr := rec.MustGet(t, tCSR, "pki-int-csr")
	want(t, csr, "backend", "pki_int")
	want(t, csr, "type", "internal")
	want(t, csr, "keyType", "ec")
	want(t, csr, "keyBits", 384)
	want(t, csr, "commonName", "Example Issuing CA")
	s := rec.MustGet(t, tSign, "pki-int-sign")
	want(t, s, "backend", "pki")
	want(t, s, "issuerRef", "root")
	want(t, s, "ttl", "157680000")
	want(t, s, "maxPathLength", 0)
	want(t, s, "format", "pem")
	if !dependsOn(s, "pki-int-csr") {
		t.Errorf("sign does not take the CSR from the request: %v", s.Deps)
	}
	ss := rec.MustGet(t, tSetSign, "pki-int-signed")
	want(t, ss, "backend", "pki_int")
	if !dependsOn(ss, "pki-int-sign") {
		t.Errorf("set-signed does not take the signed certificate: %v", ss.Deps)
	}
}

func TestPKI_RolesAreNarrowByDefault(t *testing.T) {
	rec, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	r := rec.MustGet(t, tRole, "pki-role-workloads")
	for path, exp := range map[string]any{
		"backend": "pki_int", "name": "workloads", "keyType": "ec", "keyBits": 256,
		"allowedDomains":  []string{"svc.example.org", "internal.example"},
		"allowSubdomains": true, "allowBareDomains": false, "allowWildcardCertificates": false,
		"allowIpSans": false, "allowGlobDomains": false, "allowAnyName": false, "allowLocalhost": false,
		"enforceHostnames": true, "serverFlag": true, "clientFlag": false, "codeSigningFlag": false,
		"maxTtl": "2592000", "ttl": "2592000", "noStore": false, "issuerRef": "default",
	} {
		want(t, r, path, exp)
	}
	m := rec.MustGet(t, tRole, "pki-role-mtls")
	want(t, m, "clientFlag", true)
	want(t, m, "maxTtl", "86400")

	a := validArgs()
	a.Roles[0].AllowWildcard, a.Roles[0].AllowIPSANs = true, true
	rec, err = run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	r = rec.MustGet(t, tRole, "pki-role-workloads")
	want(t, r, "allowWildcardCertificates", true)
	want(t, r, "allowIpSans", true)
}

func TestPKI_CRLAndOCSPOnBothMounts(t *testing.T) {
	rec, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	for name, backend := range map[string]string{"pki-root-crl": "pki", "pki-int-crl": "pki_int"} {
		c := rec.MustGet(t, tCRL, name)
		want(t, c, "backend", backend)
		want(t, c, "expiry", "72h")
		want(t, c, "disable", false)
		want(t, c, "autoRebuild", true)
		want(t, c, "enableDelta", true)
		want(t, c, "deltaRebuildInterval", "15m")
		want(t, c, "ocspDisable", false)
	}
}

func TestPKI_NameConstraintsReachTheCAs(t *testing.T) {
	a := validArgs()
	a.Intermediate.PermittedDNSDomains = []string{"example.org", "internal.example"}
	rec, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	want(t, rec.MustGet(t, tSign, "pki-int-sign"), "permittedDnsDomains", []string{"example.org", "internal.example"})
}
