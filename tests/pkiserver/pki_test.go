// Package pkiserver_test runs components/pki under Pulumi mocks whose
// NewResource performs, against the lab's OpenBao server, the same API call
// the pulumi-vault provider would make for each resource, and returns the
// server's real outputs. The real CSR therefore flows into the signing step,
// the real signed certificate into set-signed, and so on.
//
// These are "server-backed mocks on OpenBao 2.6.2", not provider end-to-end
// tests: the pulumi-vault plugin cannot be built here. The server is the
// real OpenBao v2.6.2 (upstream's binary, pinned by sha256; lab/services/
// openbao.sh): Shamir-sealed, raft storage, TLS 1.3 on 127.0.0.1. What they
// prove is the PKI the component describes (chain, key types, URLs, role
// limits, policy), as the server enforces it; what they do not prove is the
// provider's own diffing and read-back.
package pkiserver_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bao "github.com/openbao/openbao/api/v2"
	k8s "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	vault "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/ocsp"

	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/internal/baomock"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
)

const (
	workloadDomain = "svc.rampart.test"
	meshDomain     = "mesh.rampart.test"
)

// deployed is one run of components/pki against the server, with the
// component's outputs as the program saw them.
type deployed struct {
	b                *baomock.Backend
	rec              *recmock.Recorder
	addr             string
	http             *http.Client // trusts only the lab CA, like cert-manager's caBundle
	rootPath         string
	intPath          string
	authPath         string
	policy           string
	out              map[string]string
	root, inter      *x509.Certificate
	rootPEM, intePEM string
}

// deploy runs NewPKI with server-backed mocks on fresh, uniquely named mounts.
func deploy(t *testing.T, env map[string]string, mutate ...func(*pki.PKIArgs)) *deployed {
	t.Helper()
	addr, token, caFile := env["VAULT_ADDR"], env["VAULT_TOKEN"], env["VAULT_CACERT"]
	b := baomock.New(t, addr, token, caFile)
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("the lab OpenBao's CA (VAULT_CACERT): %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("VAULT_CACERT %s holds no PEM certificate", caFile)
	}
	id := testkit.RandHex(4)
	d := &deployed{b: b, addr: addr, rootPath: "pki-" + id, intPath: "pki-int-" + id,
		authPath: "k8s-" + id, policy: "cert-manager-" + id, out: map[string]string{},
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}}}}

	// The Kubernetes auth method is the OpenBao component's job; enable one
	// for this run so the component's auth role has somewhere to live.
	if _, err := b.Write("sys/auth/"+d.authPath, map[string]any{"type": "kubernetes"}); err != nil {
		t.Fatal(err)
	}
	b.RemoveAtEnd("sys/auth/"+d.authPath, "sys/policies/acl/"+d.policy)

	args := &pki.PKIArgs{
		OpenBaoURL:   addr,
		Organization: "Rampart Lab",
		Country:      "CA",
		Root:         pki.CAArgs{Path: d.rootPath},
		Intermediate: pki.CAArgs{Path: d.intPath},
		Roles: []pki.RoleArgs{
			{Name: "workloads", AllowedDomains: []string{workloadDomain}},
			{Name: "mtls", AllowedDomains: []string{meshDomain}, ClientAuth: true, MaxTTL: "24h"},
		},
		// https with the CA bundle, as production requires (no AllowHTTP):
		// the lab's OpenBao listens with TLS 1.3 only.
		Issuer: &pki.IssuerArgs{Server: addr, CABundlePEM: string(caPEM), AuthMountPath: d.authPath, AuthRole: d.policy},
	}
	for _, m := range mutate {
		m(args)
	}
	d.rec = b.Recorder()
	var mu sync.Mutex
	capture := func(k string, o pulumi.StringOutput) {
		o.ApplyT(func(v string) string { mu.Lock(); d.out[k] = v; mu.Unlock(); return v })
	}
	start := time.Now()
	err = d.rec.Run(func(ctx *pulumi.Context) error {
		vp, err := vault.NewProvider(ctx, "openbao", &vault.ProviderArgs{Address: pulumi.String(addr), CaCertFile: pulumi.String(caFile),
			Token: pulumi.ToSecret(pulumi.String(token)).(pulumi.StringOutput)})
		if err != nil {
			return err
		}
		kp, err := k8s.NewProvider(ctx, "cluster", &k8s.ProviderArgs{})
		if err != nil {
			return err
		}
		c, err := pki.NewPKI(ctx, "pki", args, pulumi.Providers(vp, kp))
		if err != nil {
			return err
		}
		capture("root", c.RootCertificate)
		capture("intermediate", c.IntermediateCertificate)
		capture("chain", c.CAChain)
		capture("issuerPath", c.IssuerPath)
		capture("issuerName", c.IssuerName)
		return nil
	})
	if err != nil {
		t.Fatalf("NewPKI against the server: %v", err)
	}
	t.Logf("component deployed on the server in %v (%d API calls)", time.Since(start).Round(time.Millisecond), len(b.Calls()))
	d.rootPEM, d.intePEM = d.out["root"], d.out["intermediate"]
	d.root, d.inter = mustCert(t, d.rootPEM), mustCert(t, d.intePEM)
	return d
}

func mustCert(t *testing.T, p string) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode([]byte(p))
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", p)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// csrFor makes a CSR the way cert-manager does (key generated by the client).
func csrFor(t *testing.T, curve elliptic.Curve, cn string, dns ...string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return csrWith(t, key, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: dns})
}

func csrWith(t *testing.T, key crypto.Signer, tpl *x509.CertificateRequest) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, tpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// sign calls <int>/sign/<role> as cert-manager's Vault issuer does (its
// issuer kind for OpenBao).
func (d *deployed) sign(c *bao.Client, role, csr string, extra map[string]any) (*x509.Certificate, map[string]any, error) {
	body := map[string]any{"csr": csr}
	for k, v := range extra {
		body[k] = v
	}
	s, err := c.Logical().Write(d.intPath+"/sign/"+role, body)
	if err != nil {
		return nil, nil, err
	}
	blk, _ := pem.Decode([]byte(s.Data["certificate"].(string)))
	if blk == nil {
		return nil, nil, errors.New("no certificate in response")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	return cert, s.Data, err
}

func (d *deployed) verify(t *testing.T, leaf *x509.Certificate, dns string, usage x509.ExtKeyUsage) {
	t.Helper()
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(d.root)
	inters.AddCert(d.inter)
	chains, err := leaf.Verify(x509.VerifyOptions{DNSName: dns, Roots: roots, Intermediates: inters, KeyUsages: []x509.ExtKeyUsage{usage}})
	if err != nil {
		t.Fatalf("leaf %s does not verify to the component's root: %v", dns, err)
	}
	if n := len(chains[0]); n != 3 || !chains[0][1].Equal(d.inter) || !chains[0][2].Equal(d.root) {
		t.Fatalf("chain is not leaf → intermediate → root: %d certificates", n)
	}
}

func statusOf(err error) int {
	var re *bao.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

func TestPKI_ServerBackedOpenBao262_ChainVerifies(t *testing.T) {
	env := labenv.Require(t, "VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT")
	d := deploy(t, env, func(a *pki.PKIArgs) { a.Intermediate.PermittedDNSDomains = []string{"rampart.test"} })

	// Name constraint on the intermediate: what a stolen issuing key could sign.
	if !slices.Equal(d.inter.PermittedDNSDomains, []string{"rampart.test"}) {
		t.Errorf("intermediate permitted DNS domains %v, want [rampart.test]", d.inter.PermittedDNSDomains)
	}

	// Root: self-signed EC P-384, path length 1, key only inside the server.
	if pub, ok := d.root.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P384() {
		t.Errorf("root key is %T, want EC P-384", d.root.PublicKey)
	}
	if err := d.root.CheckSignatureFrom(d.root); err != nil || !d.root.IsCA || d.root.MaxPathLen != 1 {
		t.Errorf("root: self-signed=%v CA=%v maxPathLen=%d", err, d.root.IsCA, d.root.MaxPathLen)
	}
	if d.root.Subject.CommonName != "Rampart Lab Root CA" || !slices.Equal(d.root.Subject.Country, []string{"CA"}) {
		t.Errorf("root subject %v", d.root.Subject)
	}
	// Intermediate: signed by that root from the CSR the server generated.
	if err := d.inter.CheckSignatureFrom(d.root); err != nil {
		t.Fatalf("intermediate not signed by root: %v", err)
	}
	if pub, ok := d.inter.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P384() {
		t.Errorf("intermediate key is %T, want EC P-384", d.inter.PublicKey)
	}
	if !d.inter.IsCA || d.inter.MaxPathLen != 0 || !d.inter.MaxPathLenZero {
		t.Errorf("intermediate: CA=%v maxPathLen=%d zero=%v, want a CA that signs leaves only", d.inter.IsCA, d.inter.MaxPathLen, d.inter.MaxPathLenZero)
	}
	csrRes := d.rec.MustGet(t, "vault:pkiSecret/secretBackendIntermediateCertRequest:SecretBackendIntermediateCertRequest", "pki-int-csr")
	signRes := d.rec.MustGet(t, "vault:pkiSecret/secretBackendRootSignIntermediate:SecretBackendRootSignIntermediate", "pki-int-sign")
	if csr := recmock.Plain(csrRes.Outputs)["csr"]; csr == nil || signRes.Plain()["csr"] != csr {
		t.Errorf("the server's CSR did not flow into the signing step")
	}
	for _, k := range []string{"private_key", "privateKey"} {
		if _, ok := recmock.Plain(d.rec.MustGet(t, "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert", "pki-root-ca").Outputs)[k]; ok {
			t.Errorf("root CA output carries %s: the key must stay in the server", k)
		}
	}

	// A leaf on the issuer's path (what cert-manager calls), with a client-made P-256 key.
	if d.out["issuerPath"] != d.intPath+"/sign/workloads" {
		t.Fatalf("issuer path %q", d.out["issuerPath"])
	}
	leaf, data, err := d.sign(d.b.Client, "workloads", csrFor(t, elliptic.P256(), "api."+workloadDomain, "api."+workloadDomain), nil)
	if err != nil {
		t.Fatalf("sign on the issuer path: %v", err)
	}
	d.verify(t, leaf, "api."+workloadDomain, x509.ExtKeyUsageServerAuth)
	if slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		t.Errorf("workloads leaf has clientAuth; the role must issue serverAuth only")
	}
	if chain, _ := data["ca_chain"].([]any); len(chain) < 2 {
		t.Errorf("server returned ca_chain of %d; set-signed must import the root too", len(chain))
	}

	// /issue: the server generates a key of the role's type: EC P-256.
	s, err := d.b.Client.Logical().Write(d.intPath+"/issue/mtls", map[string]any{"common_name": "a." + meshDomain})
	if err != nil {
		t.Fatalf("issue on mtls: %v", err)
	}
	ml := mustCert(t, s.Data["certificate"].(string))
	if pub, ok := ml.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("issued key is %T, want EC P-256", ml.PublicKey)
	}
	d.verify(t, ml, "a."+meshDomain, x509.ExtKeyUsageClientAuth)
}

func TestPKI_ServerBackedOpenBao262_URLsEmbeddedAndSetBeforeIssuance(t *testing.T) {
	env := labenv.Require(t, "VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT")
	d := deploy(t, env)

	// The intermediate was issued by the root: it carries the root's addresses.
	checkURLs(t, "intermediate", d.inter, d.addr+"/v1/"+d.rootPath)
	leaf, _, err := d.sign(d.b.Client, "workloads", csrFor(t, elliptic.P256(), "web."+workloadDomain, "web."+workloadDomain), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkURLs(t, "leaf", leaf, d.addr+"/v1/"+d.intPath)

	// The engine's real call order: URLs before the first issuance on each mount.
	pos := func(call string) int {
		return slices.Index(d.b.Calls(), call)
	}
	for _, c := range [][2]string{
		{"PUT " + d.rootPath + "/config/urls", "PUT " + d.rootPath + "/root/generate/internal"},
		{"PUT " + d.rootPath + "/config/urls", "PUT " + d.rootPath + "/root/sign-intermediate"},
		{"PUT " + d.intPath + "/config/urls", "PUT " + d.intPath + "/roles/workloads"},
		{"PUT " + d.intPath + "/intermediate/set-signed", "PUT " + d.intPath + "/roles/workloads"},
		{"PUT " + d.intPath + "/intermediate/generate/internal", "PUT " + d.rootPath + "/root/sign-intermediate"},
	} {
		if a, b := pos(c[0]), pos(c[1]); a < 0 || b < 0 || a > b {
			t.Errorf("%q (at %d) must come before %q (at %d); calls:\n%s", c[0], a, c[1], b, strings.Join(d.b.Calls(), "\n"))
		}
	}

	// Revocation: OCSP at the embedded address answers "revoked" at once
	// (signed by the intermediate); the full CRL carries the serial once
	// rebuilt — with auto-rebuild on the server does not rebuild it per
	// revocation, so the test forces the rebuild an operator (or the
	// periodic job) would.
	if _, err := d.b.Write(d.intPath+"/revoke", map[string]any{"serial_number": serial(leaf)}); err != nil {
		t.Fatal(err)
	}
	req, err := ocsp.CreateRequest(leaf, d.inter, nil)
	if err != nil {
		t.Fatal(err)
	}
	oresp, err := d.http.Post(leaf.OCSPServer[0], "application/ocsp-request", bytes.NewReader(req))
	if err != nil {
		t.Fatalf("OCSP at the embedded address: %v", err)
	}
	oraw, err := io.ReadAll(oresp.Body)
	oresp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The server signs with the issuing CA itself. Vault 1.13 embedded that
	// certificate in the response; OpenBao 2.6 embeds none (RFC 6960 lets the
	// CA that issued the certificate answer without one) and names the
	// intermediate as responder. Parsing with the intermediate as issuer
	// checks the response's signature against its key: a response signed by
	// any other key fails the parse.
	or, err := ocsp.ParseResponseForCert(oraw, leaf, d.inter)
	if err != nil {
		t.Fatalf("OCSP response (status %d) not signed by the intermediate: %v", oresp.StatusCode, err)
	}
	if or.Certificate != nil && !or.Certificate.Equal(d.inter) {
		t.Errorf("OCSP response embeds %v, not the intermediate", or.Certificate.Subject)
	}
	if !bytes.Equal(or.RawResponderName, d.inter.RawSubject) {
		t.Errorf("OCSP responder is not the intermediate (responder name %x, key hash %x)", or.RawResponderName, or.ResponderKeyHash)
	}
	if or.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Errorf("OCSP answered for serial %x, asked %x", or.SerialNumber, leaf.SerialNumber)
	}
	if or.Status != ocsp.Revoked {
		t.Errorf("OCSP status %d right after revocation, want revoked", or.Status)
	}

	if _, err := d.b.Read(d.intPath + "/crl/rotate"); err != nil {
		t.Fatal(err)
	}
	resp, err := d.http.Get(leaf.CRLDistributionPoints[0])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(raw)
	if err != nil {
		t.Fatalf("CRL at the embedded address: %v", err)
	}
	if err := crl.CheckSignatureFrom(d.inter); err != nil {
		t.Errorf("CRL not signed by the intermediate: %v", err)
	}
	if !slices.ContainsFunc(crl.RevokedCertificateEntries, func(e x509.RevocationListEntry) bool { return e.SerialNumber.Cmp(leaf.SerialNumber) == 0 }) {
		t.Errorf("revoked leaf %s missing from the rebuilt CRL", serial(leaf))
	}
	if got := crl.NextUpdate.Sub(crl.ThisUpdate); got > 72*time.Hour+time.Minute {
		t.Errorf("CRL valid for %v, want the configured 72h", got)
	}
}

func checkURLs(t *testing.T, what string, c *x509.Certificate, prefix string) {
	t.Helper()
	if !slices.Equal(c.IssuingCertificateURL, []string{prefix + "/ca"}) {
		t.Errorf("%s AIA issuer = %v, want %s/ca", what, c.IssuingCertificateURL, prefix)
	}
	if !slices.Equal(c.CRLDistributionPoints, []string{prefix + "/crl"}) {
		t.Errorf("%s CRL DP = %v, want %s/crl", what, c.CRLDistributionPoints, prefix)
	}
	if !slices.Equal(c.OCSPServer, []string{prefix + "/ocsp"}) {
		t.Errorf("%s OCSP = %v, want %s/ocsp", what, c.OCSPServer, prefix)
	}
}

func serial(c *x509.Certificate) string {
	h := fmt.Sprintf("%x", c.SerialNumber)
	if len(h)%2 == 1 {
		h = "0" + h
	}
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

func TestPKI_ServerBackedOpenBao262_RoleRefusesForeignWildcardAndIPNames(t *testing.T) {
	env := labenv.Require(t, "VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT")
	d := deploy(t, env)
	cases := []struct {
		name, cn string
		extra    map[string]any
	}{
		{"foreign domain", "api.evil.example.com", nil},
		{"bare allowed domain", workloadDomain, nil},
		{"wildcard", "*." + workloadDomain, nil},
		{"localhost", "localhost", nil},
		{"other role's domain", "a." + meshDomain, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := d.sign(d.b.Client, "workloads", csrFor(t, elliptic.P256(), c.cn), c.extra)
			if err == nil {
				t.Fatalf("server signed %q %v on the workloads role", c.cn, c.extra)
			}
			if statusOf(err) != http.StatusBadRequest {
				t.Errorf("want 400 from the server, got %v", err)
			}
		})
	}
	t.Run("IP SAN in the CSR", func(t *testing.T) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		csr := csrWith(t, key, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "api." + workloadDomain},
			DNSNames: []string{"api." + workloadDomain}, IPAddresses: []net.IP{net.ParseIP("10.0.0.1")}})
		if _, _, err := d.sign(d.b.Client, "workloads", csr, nil); statusOf(err) != http.StatusBadRequest {
			t.Fatalf("want 400 for an IP SAN, got %v", err)
		}
	})
	t.Run("IP SAN on issue", func(t *testing.T) {
		_, err := d.b.Client.Logical().Write(d.intPath+"/issue/workloads", map[string]any{"common_name": "api." + workloadDomain, "ip_sans": "10.0.0.1"})
		if statusOf(err) != http.StatusBadRequest {
			t.Fatalf("want 400 for an IP SAN, got %v", err)
		}
	})
	t.Run("subdomain allowed", func(t *testing.T) {
		if _, _, err := d.sign(d.b.Client, "workloads", csrFor(t, elliptic.P256(), "deep.api."+workloadDomain), nil); err != nil {
			t.Fatalf("subdomain refused: %v", err)
		}
	})
	t.Run("key weaker than the role's P-256", func(t *testing.T) {
		_, _, err := d.sign(d.b.Client, "workloads", csrFor(t, elliptic.P224(), "k."+workloadDomain), nil)
		if statusOf(err) != http.StatusBadRequest {
			t.Fatalf("server signed a P-224 CSR on a P-256 role: %v", err)
		}
	})
	t.Run("RSA key on an EC role", func(t *testing.T) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = d.sign(d.b.Client, "workloads", csrWith(t, key, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "r." + workloadDomain}}), nil)
		if statusOf(err) != http.StatusBadRequest {
			t.Fatalf("server signed an RSA CSR on an EC role: %v", err)
		}
	})
}

func TestPKI_ServerBackedOpenBao262_TTLCapsEnforced(t *testing.T) {
	env := labenv.Require(t, "VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT")
	d := deploy(t, env)
	const skew = 2 * time.Minute // OpenBao back-dates NotBefore by 30s

	life := func(c *x509.Certificate) time.Duration { return c.NotAfter.Sub(c.NotBefore) }
	if l := life(d.root); l < 87600*time.Hour-skew || l > 87600*time.Hour+skew {
		t.Errorf("root lives %v, want 87600h", l)
	}
	if l := life(d.inter); l < 43800*time.Hour-skew || l > 43800*time.Hour+skew {
		t.Errorf("intermediate lives %v, want 43800h", l)
	}
	if d.inter.NotAfter.After(d.root.NotAfter) {
		t.Errorf("intermediate outlives the root")
	}
	for path, want := range map[string]float64{d.rootPath: 87600 * 3600, d.intPath: 43800 * 3600} {
		tune, err := d.b.Read("sys/mounts/" + path + "/tune")
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(tune["max_lease_ttl"]); got != fmt.Sprint(int64(want)) {
			t.Errorf("%s max_lease_ttl = %v, want %v", path, tune["max_lease_ttl"], int64(want))
		}
	}

	// Asking for more than the role's cap gets the cap, never more.
	for role, max := range map[string]time.Duration{"workloads": 720 * time.Hour, "mtls": 24 * time.Hour} {
		dom := workloadDomain
		if role == "mtls" {
			dom = meshDomain
		}
		leaf, _, err := d.sign(d.b.Client, role, csrFor(t, elliptic.P256(), "x."+dom), map[string]any{"ttl": "2000h"})
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		if l := life(leaf); l > max+skew || l < max-skew {
			t.Errorf("%s leaf lives %v with ttl=2000h requested, want capped at %v", role, l, max)
		}
		if leaf.NotAfter.After(d.inter.NotAfter) {
			t.Errorf("%s leaf outlives the intermediate", role)
		}
	}
}

func TestPKI_ServerBackedOpenBao262_IssuerPolicyAllowsOnlyItsSignPath(t *testing.T) {
	env := labenv.Require(t, "VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT")
	d := deploy(t, env)

	role, err := d.b.Read("auth/" + d.authPath + "/role/" + d.policy)
	if err != nil {
		t.Fatalf("kubernetes auth role: %v", err)
	}
	if fmt.Sprint(role["bound_service_account_names"]) != "[cert-manager-openbao]" ||
		fmt.Sprint(role["bound_service_account_namespaces"]) != "[cert-manager]" ||
		fmt.Sprint(role["token_policies"]) != "["+d.policy+"]" || role["audience"] != "vault://"+d.out["issuerName"] {
		t.Errorf("auth role as stored by the server: %v", role)
	}

	// A token carrying exactly the policy the issuer's login would get.
	tok, err := d.b.Client.Auth().Token().Create(&bao.TokenCreateRequest{Policies: []string{d.policy}, NoDefaultPolicy: true, TTL: "5m"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.b.Client.Clone()
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(tok.Auth.ClientToken)

	if _, _, err := d.sign(c, "workloads", csrFor(t, elliptic.P256(), "ok."+workloadDomain), nil); err != nil {
		t.Fatalf("issuer token cannot sign on its path: %v", err)
	}
	if _, _, err := d.sign(c, "mtls", csrFor(t, elliptic.P256(), "a."+meshDomain), nil); statusOf(err) != http.StatusForbidden {
		t.Errorf("issuer token on another role: want 403, got %v", err)
	}
	if _, err := c.Logical().Write(d.intPath+"/issue/workloads", map[string]any{"common_name": "k." + workloadDomain}); statusOf(err) != http.StatusForbidden {
		t.Errorf("issuer token on issue/ (server-made keys): want 403, got %v", err)
	}
	if _, err := c.Logical().Write(d.rootPath+"/root/sign-intermediate", map[string]any{"csr": "x"}); statusOf(err) != http.StatusForbidden {
		t.Errorf("issuer token on the root: want 403, got %v", err)
	}
}

func TestPKI_ServerBackedOpenBao262_ServerHoldsTheDeclaredConfig(t *testing.T) {
	env := labenv.Require(t, "VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT")
	d := deploy(t, env)

	expect := func(path string, want map[string]string) {
		t.Helper()
		got, err := d.b.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if g := fmt.Sprint(got[k]); g != v {
				t.Errorf("%s: %s = %s, want %s", path, k, g, v)
			}
		}
	}
	expect("sys/mounts/"+d.rootPath+"/tune", map[string]string{"max_lease_ttl": "315360000"})
	expect("sys/mounts/"+d.intPath+"/tune", map[string]string{"max_lease_ttl": "157680000"})
	for _, m := range []string{d.rootPath, d.intPath} {
		expect(m+"/config/urls", map[string]string{
			"issuing_certificates":    "[" + d.addr + "/v1/" + m + "/ca]",
			"crl_distribution_points": "[" + d.addr + "/v1/" + m + "/crl]",
			"ocsp_servers":            "[" + d.addr + "/v1/" + m + "/ocsp]",
		})
		expect(m+"/config/crl", map[string]string{
			"expiry": "72h", "disable": "false", "auto_rebuild": "true", "enable_delta": "true",
			"delta_rebuild_interval": "15m", "ocsp_disable": "false",
		})
	}
	expect(d.intPath+"/roles/workloads", map[string]string{
		"key_type": "ec", "key_bits": "256", "allowed_domains": "[" + workloadDomain + "]",
		"allow_subdomains": "true", "allow_bare_domains": "false", "allow_wildcard_certificates": "false",
		"allow_ip_sans": "false", "allow_localhost": "false", "allow_any_name": "false", "allow_glob_domains": "false",
		"enforce_hostnames": "true", "server_flag": "true", "client_flag": "false", "code_signing_flag": "false",
		"max_ttl": "2592000", "ttl": "2592000", "no_store": "false", "issuer_ref": "default",
	})
	expect(d.intPath+"/roles/mtls", map[string]string{"client_flag": "true", "max_ttl": "86400"})

	// The intermediate mount signs with the intermediate (not the imported root).
	cfg, err := d.b.Read(d.intPath + "/config/issuers")
	if err != nil {
		t.Fatal(err)
	}
	def, err := d.b.Read(d.intPath + "/issuer/" + fmt.Sprint(cfg["default"]))
	if err != nil {
		t.Fatal(err)
	}
	if !mustCert(t, fmt.Sprint(def["certificate"])).Equal(d.inter) {
		t.Errorf("default issuer of %s is not the signed intermediate", d.intPath)
	}
	// Keys: generated inside the server, never handed out.
	root, err := d.b.Read(d.rootPath + "/issuer/root")
	if err != nil {
		t.Fatal(err)
	}
	key, err := d.b.Read(d.rootPath + "/key/" + fmt.Sprint(root["key_id"]))
	if err != nil {
		t.Fatal(err)
	}
	if key["key_type"] != "ec" || key["key_name"] != "root-key" {
		t.Errorf("root key as stored: %v", key)
	}
	for k := range key {
		if strings.Contains(k, "private") || k == "pem_bundle" {
			t.Errorf("server hands out %s for the root key", k)
		}
	}
}
