// Package egtranslate_test feeds exactly what components/ingress renders for
// the local and prod stacks to Envoy Gateway's own translator (`egctl
// experimental translate --from gateway-api --to gateway-api,xds`, v1.9.1,
// built by the lab toolchain) and asserts on the Envoy configuration it
// produces and the status it reports. These are translator tests: no Envoy
// runs here (it cannot be had on this machine), so what is proven is the
// configuration Envoy Gateway would hand Envoy, not Envoy's behaviour on the
// wire.
package egtranslate_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	bao "github.com/openbao/openbao/api/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
	"gopkg.in/yaml.v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// localDomain stands in for rampart:domain in the local profile (which has
// none): a name under the reserved .test TLD.
const localDomain = "platform.rampart.test"

// stackArgs is the stack's rampart:ingress section decoded into the
// component's args through the same json tags the config layer decodes
// into, with the stack decisions the config layer adds (domain from
// rampart:domain, the TLS floor from rampart:profile). A stack file without
// routes gets one route per tenant and one cross-tenant route, so every kind
// of object is rendered.
func stackArgs(t *testing.T, stack string) *ingress.IngressArgs {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	section, _ := file.Config["rampart:ingress"].(map[string]any)
	if section == nil {
		section = map[string]any{}
	}
	delete(section, "enabled")
	js, err := json.Marshal(section)
	if err != nil {
		t.Fatal(err)
	}
	a := &ingress.IngressArgs{}
	if err := json.Unmarshal(js, a); err != nil {
		t.Fatal(err)
	}
	domain, _ := file.Config["rampart:domain"].(string)
	if domain == "" {
		domain = localDomain
	}
	if a.Domain == "" {
		a.Domain = domain
	}
	if a.TLSMinVersion == "" {
		profile, _ := file.Config["rampart:profile"].(string)
		a.TLSMinVersion = config.Profile(profile).TLSFloor()
	}
	if len(a.Routes) == 0 {
		var tenants []string
		ts, _ := file.Config["rampart:tenants"].([]any)
		for _, x := range ts {
			tenants = append(tenants, x.(map[string]any)["name"].(string))
		}
		if len(tenants) < 2 {
			t.Fatalf("stack %s has fewer than 2 tenants", stack)
		}
		for _, tn := range tenants {
			a.Routes = append(a.Routes, ingress.Route{Host: tn + "." + a.Domain, Namespace: tn, Backend: &ingress.Backend{Service: "web", Port: 8080}})
		}
		a.Routes = append(a.Routes, ingress.Route{Host: "api." + a.Domain, Path: "/v1", Namespace: tenants[0],
			Backend: &ingress.Backend{Service: "api", Port: 9000, Namespace: tenants[1]}})
	}
	return a
}

// rendered is what the component registers under the recording mock, as
// Kubernetes manifests (the CustomResources' inputs are the objects).
func rendered(t *testing.T, a *ingress.IngressArgs) ([]map[string]any, *ingress.IngressArgs) {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := ingress.NewIngress(ctx, "ingress", a)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, r := range rec.All() {
		if !strings.HasPrefix(r.Type, "kubernetes:gateway.") {
			continue
		}
		out = append(out, r.Plain())
	}
	sort.Slice(out, func(i, j int) bool {
		return fmt.Sprint(out[i]["kind"], name(out[i])) < fmt.Sprint(out[j]["kind"], name(out[j]))
	})
	return out, a.WithDefaults()
}

func name(o map[string]any) string {
	md, _ := o["metadata"].(map[string]any)
	return fmt.Sprint(md["namespace"], "/", md["name"])
}

// issuer is a PKI mount on the lab's OpenBao 2.6.2 shaped like
// components/pki's (EC P-384 root, a role limited to the domain), used the
// way cert-manager uses it: a CSR sent to sign/<role>, never issue/.
type issuer struct {
	c     *bao.Client
	mount string
	role  string
}

// signer signs a certificate for a host; the chain's root is the signer's.
type signer interface {
	sign(t *testing.T, host string) (certPEM, keyPEM string)
}

// newSigner is the lab's OpenBao when it runs (always under `make test`,
// RAMPART_REQUIRE_LAB=1); on a machine whose lab has no OpenBao it falls
// back to a crypto/x509 CA and says so in the log: the translator only needs
// a well-formed certificate and key.
func newSigner(t *testing.T, domain string) signer {
	t.Helper()
	if env, _ := labenv.Load(); env["VAULT_ADDR"] == "" && os.Getenv("RAMPART_REQUIRE_LAB") != "1" {
		t.Log("the lab has no OpenBao: certificates come from a crypto/x509 CA, not OpenBao's PKI")
		return newLocalCA(t)
	}
	return newIssuer(t, domain)
}

// selectorToAll returns a copy of the Gateway whose HTTPS listeners admit
// routes from every namespace instead of the tenants' namespace selector:
// egctl's loader keeps only a Namespace's name, not its labels
// (internal/gatewayapi/resource/load.go, case KindNamespace), so the
// kubernetes.io/metadata.name selector the API server would match admits
// nothing offline. The only change to what the component renders; the
// selector itself is asserted by the unit tests and created on the lab's API
// server by the e2e test.
func selectorToAll(t *testing.T, gw map[string]any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(gw)
	var cp map[string]any
	if err := json.Unmarshal(raw, &cp); err != nil {
		t.Fatal(err)
	}
	for _, l := range cp["spec"].(map[string]any)["listeners"].([]any) {
		ns, ok := recmock.Path(l, "allowedRoutes", "namespaces")
		if m, _ := ns.(map[string]any); ok && m["from"] == "Selector" {
			delete(m, "selector")
			m["from"] = "All"
		}
	}
	return cp
}

// localCA is the fallback signer.
type localCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string
}

func newLocalCA(t *testing.T) *localCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "egtranslate local CA"}, NotBefore: time.Now().Add(-time.Minute),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &localCA{cert: c, key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

func (ca *localCA) sign(t *testing.T, host string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})) + ca.pem,
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
}

func newIssuer(t *testing.T, domain string) *issuer {
	t.Helper()
	env := labenv.Require(t, "VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT")
	cfg := bao.DefaultConfig()
	cfg.Address = env["VAULT_ADDR"]
	if err := cfg.ConfigureTLS(&bao.TLSConfig{CACert: env["VAULT_CACERT"]}); err != nil {
		t.Fatalf("the lab OpenBao's CA (VAULT_CACERT): %v", err)
	}
	c, err := bao.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(env["VAULT_TOKEN"])
	is := &issuer{c: c, mount: "egt-pki-" + testkit.RandHex(4), role: "workloads"}
	t.Logf("certificates are signed through sign/%s on %s of the lab's OpenBao at %s", is.role, is.mount, env["VAULT_ADDR"])
	if err := c.Sys().Mount(is.mount, &bao.MountInput{Type: "pki", Config: bao.MountConfigInput{MaxLeaseTTL: "87600h"}}); err != nil {
		t.Fatalf("mount pki: %v", err)
	}
	t.Cleanup(func() { _ = c.Sys().Unmount(is.mount) })
	if _, err := c.Logical().Write(is.mount+"/root/generate/internal", map[string]any{
		"common_name": "Rampart egtranslate root", "key_type": "ec", "key_bits": 384, "ttl": "87600h",
	}); err != nil {
		t.Fatalf("root: %v", err)
	}
	if _, err := c.Logical().Write(is.mount+"/roles/"+is.role, map[string]any{
		"allowed_domains": []string{domain}, "allow_subdomains": true, "allow_wildcard_certificates": true,
		"key_type": "any", "server_flag": true, "client_flag": false, "max_ttl": "720h",
	}); err != nil {
		t.Fatalf("role: %v", err)
	}
	return is
}

// sign returns a PEM key and chain for host, signed through sign/<role>.
func (is *issuer) sign(t *testing.T, host string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: host}, DNSNames: []string{host}}, key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := is.c.Logical().Write(is.mount+"/sign/"+is.role, map[string]any{
		"csr": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})), "common_name": host, "ttl": "24h",
	})
	if err != nil {
		t.Fatalf("sign %s: %v", host, err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return s.Data["certificate"].(string) + "\n" + s.Data["issuing_ca"].(string) + "\n",
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

// input is the translator's input: the rendered objects plus what the
// cluster would hold around them — the namespaces, the TLS Secrets
// (cert-manager would write them; here the lab's OpenBao signs them) and the
// backend Services.
func input(t *testing.T, objs []map[string]any, a *ingress.IngressArgs, is signer) []byte {
	t.Helper()
	docs := []any{}
	nss := map[string]bool{a.Namespace: true}
	for _, r := range a.Routes {
		nss[r.Namespace], nss[r.Backend.Namespace] = true, true
	}
	var nsNames []string
	for n := range nss {
		nsNames = append(nsNames, n)
	}
	sort.Strings(nsNames)
	for _, n := range nsNames {
		docs = append(docs, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": n,
			"labels": map[string]any{"kubernetes.io/metadata.name": n}}})
	}
	for _, h := range a.ListenerHosts() {
		crt, key := is.sign(t, h)
		docs = append(docs, map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
			"metadata": map[string]any{"name": ingress.SecretName(h), "namespace": a.Namespace},
			"data":     map[string]any{"tls.crt": base64.StdEncoding.EncodeToString([]byte(crt)), "tls.key": base64.StdEncoding.EncodeToString([]byte(key))}})
	}
	svcs := map[string]bool{}
	for _, r := range a.Routes {
		b := r.Backend
		k := b.Namespace + "/" + b.Service
		if svcs[k] {
			continue
		}
		svcs[k] = true
		docs = append(docs, map[string]any{"apiVersion": "v1", "kind": "Service",
			"metadata": map[string]any{"name": b.Service, "namespace": b.Namespace},
			"spec":     map[string]any{"clusterIP": "10.96.0.10", "ports": []any{map[string]any{"name": "http", "port": b.Port, "protocol": "TCP"}}}})
	}
	for _, o := range objs {
		if o["kind"] == "Gateway" {
			o = selectorToAll(t, o)
		}
		docs = append(docs, o)
	}
	var sb strings.Builder
	for _, d := range docs {
		y, err := sigsyaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteString("---\n")
		sb.Write(y)
	}
	return []byte(sb.String())
}
