package pki_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/internal/recmock"
)

func TestPKI_RejectsBadConfig(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *pki.PKIArgs)
		path   string
		text   string
	}{
		{"role outlives intermediate", func(a *pki.PKIArgs) { a.Intermediate.MaxLeaseTTL = "720h"; a.Roles[0].MaxTTL = "900h" },
			"roles[0].maxTTL", `"900h": longer than the intermediate's 720h`},
		{"intermediate outlives root", func(a *pki.PKIArgs) { a.Root.MaxLeaseTTL = "43800h"; a.Intermediate.MaxLeaseTTL = "87600h" },
			"intermediate.maxLeaseTTL", "longer than the root's 43800h"},
		{"ttl above maxTTL", func(a *pki.PKIArgs) { a.Roles[1].TTL = "48h" },
			"roles[1].ttl", "longer than the role's maxTTL 24h"},
		{"days are not Go durations", func(a *pki.PKIArgs) { a.Roles[0].MaxTTL = "30d" },
			"roles[0].maxTTL", "not a positive duration"},
		{"negative ttl", func(a *pki.PKIArgs) { a.Root.MaxLeaseTTL = "-1h" },
			"root.maxLeaseTTL", "not a positive duration"},
		{"unknown key type", func(a *pki.PKIArgs) { a.Roles[0].KeyType = "dsa" },
			"roles[0].keyType", "unknown key type"},
		{"RSA 2048", func(a *pki.PKIArgs) { a.Roles[0].KeyType, a.Roles[0].KeyBits = pki.KeyRSA, 2048 },
			"roles[0].keyBits", "RSA below 3072"},
		{"EC 224", func(a *pki.PKIArgs) { a.Roles[0].KeyBits = 224 },
			"roles[0].keyBits", "not a NIST curve size"},
		{"P-256 root", func(a *pki.PKIArgs) { a.Root.KeyBits = 256 },
			"root.keyBits", "below the CNSA/ITSP.40.111 level for CAs"},
		{"ed25519 with bits", func(a *pki.PKIArgs) { a.Intermediate.KeyType, a.Intermediate.KeyBits = pki.KeyEd25519, 256 },
			"intermediate.keyBits", "fixed size"},
		{"wildcard domain", func(a *pki.PKIArgs) { a.Roles[0].AllowedDomains = []string{"*.example.org"} },
			"roles[0].allowedDomains[0]", "wildcards are not domains"},
		{"IP as domain", func(a *pki.PKIArgs) { a.Roles[0].AllowedDomains = []string{"svc.example.org", "10.0.0.1"} },
			"roles[0].allowedDomains[1]", "an IP address"},
		{"URL as domain", func(a *pki.PKIArgs) { a.Roles[0].AllowedDomains = []string{"https://example.org"} },
			"roles[0].allowedDomains[0]", "a URL or address"},
		{"upper-case domain", func(a *pki.PKIArgs) { a.Roles[0].AllowedDomains = []string{"Example.org"} },
			"roles[0].allowedDomains[0]", "upper-case"},
		{"bad label", func(a *pki.PKIArgs) { a.Roles[0].AllowedDomains = []string{"-bad.example.org"} },
			"roles[0].allowedDomains[0]", `label "-bad" is not a DNS label`},
		{"domain outside name constraints", func(a *pki.PKIArgs) { a.Intermediate.PermittedDNSDomains = []string{"example.org"} },
			"roles[0].allowedDomains[1]", "outside the intermediate's permittedDNSDomains example.org"},
		{"no domains", func(a *pki.PKIArgs) { a.Roles[0].AllowedDomains = nil },
			"roles[0].allowedDomains", "empty"},
		{"no roles", func(a *pki.PKIArgs) { a.Roles = nil; a.Issuer = nil },
			"roles", "no workload role"},
		{"duplicate role", func(a *pki.PKIArgs) { a.Roles[1].Name = "workloads" },
			"roles[1].name", "duplicate role name"},
		{"same mounts", func(a *pki.PKIArgs) { a.Intermediate.Path = "pki" },
			"intermediate.path", "same mount as the root CA"},
		{"missing OpenBao URL", func(a *pki.PKIArgs) { a.OpenBaoURL = "" },
			"openbaoURL", "required"},
		{"OpenBao URL with /v1", func(a *pki.PKIArgs) { a.OpenBaoURL = "https://bao.example.org/v1" },
			"openbaoURL", "without path"},
		{"issuer over http", func(a *pki.PKIArgs) { a.Issuer.Server = "http://openbao:8200"; a.Issuer.CABundlePEM = "" },
			"issuer.server", "plain http"},
		{"issuer without CA bundle", func(a *pki.PKIArgs) { a.Issuer.CABundlePEM = "" },
			"issuer.caBundlePEM", "system roots"},
		{"garbage CA bundle", func(a *pki.PKIArgs) { a.Issuer.CABundlePEM = "not pem" },
			"issuer.caBundlePEM", "no parsable CERTIFICATE"},
		{"issuer unknown role", func(a *pki.PKIArgs) { a.Issuer.Role = "nope" },
			"issuer.role", "no such role"},
		{"Issuer without namespace", func(a *pki.PKIArgs) { a.Issuer.Kind = pki.KindIssuer },
			"issuer.namespace", "needs a valid namespace"},
		{"ClusterIssuer with namespace", func(a *pki.PKIArgs) { a.Issuer.Namespace = "x" },
			"issuer.namespace", "cluster-scoped"},
		{"OCSP off without deltas", func(a *pki.PKIArgs) { a.CRL.DisableOCSP, a.CRL.DisableDelta = true, true },
			"crl.disableOCSP", "can go unseen for days"},
		{"delta slower than CRL", func(a *pki.PKIArgs) { a.CRL.DeltaRebuildInterval = "96h" },
			"crl.deltaRebuildInterval", "not shorter than the CRL expiry 72h"},
		{"long token ttl", func(a *pki.PKIArgs) { a.Issuer.TokenTTL = "24h" },
			"issuer.tokenTTL", "longer than an hour"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := validArgs()
			c.mutate(a)
			rec := recmock.New()
			err := rec.Run(func(ctx *pulumi.Context) error { _, err := pki.NewPKI(ctx, "pki", a); return err })
			if err == nil {
				t.Fatal("accepted")
			}
			// NewPKI reports paths relative to its args, each problem on its own line.
			if !strings.Contains(err.Error(), "\n"+c.path+": ") || !strings.Contains(err.Error(), c.text) {
				t.Errorf("error lacks %q / %q:\n%v", c.path, c.text, err)
			}
			if rec.Len() != 0 {
				t.Errorf("%d resources registered despite invalid config: %v", rec.Len(), rec.Names())
			}
			// The config layer passes its key; the paths are then the stack's.
			if verr := a.Validate("rampart:pki"); verr == nil || !strings.Contains(verr.Error(), "rampart:pki."+c.path+": ") {
				t.Errorf("Validate did not report rampart:pki.%s: %v", c.path, verr)
			}
		})
	}
}

func TestPKI_ReportsEveryProblemAtOnce(t *testing.T) {
	a := validArgs()
	a.Roles[0].KeyBits = 100
	a.Roles[1].AllowedDomains = []string{"*"}
	a.OpenBaoURL = ""
	err := a.Validate("rampart:pki")
	if err == nil || strings.Count(err.Error(), "\n") < 2 {
		t.Fatalf("want 3 problems, got %v", err)
	}
}

func TestPKI_NilArgsAndValidConfig(t *testing.T) {
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error { _, err := pki.NewPKI(ctx, "pki", nil); return err })
	if err == nil || rec.Len() != 0 {
		t.Fatalf("nil args: err=%v, %d resources", err, rec.Len())
	}
	if err := validArgs().Validate("rampart:pki"); err != nil {
		t.Fatalf("valid args rejected: %v", err)
	}
}

// everyKey is a rampart:pki section (without the config layer's own keys,
// enabled and provider) that sets every key of the component's schema.
const everyKey = `{
  "openbaoURL": "https://openbao.example.org:8200",
  "organization": "Example",
  "country": "CA",
  "root": {"path": "pki_root", "maxLeaseTTL": "70080h", "commonName": "Example Root", "issuerName": "root-2026",
    "keyType": "rsa", "keyBits": 4096, "permittedDNSDomains": ["example.org"]},
  "intermediate": {"path": "pki_issuing", "maxLeaseTTL": "35040h", "commonName": "Example Issuing", "issuerName": "issuing-2026",
    "keyType": "ec", "keyBits": 521, "permittedDNSDomains": ["svc.example.org"]},
  "roles": [{"name": "workloads", "allowedDomains": ["svc.example.org"], "allowSubdomains": true, "allowBareDomains": true,
    "allowWildcard": true, "allowIPSANs": true, "clientAuth": true, "keyType": "rsa", "keyBits": 3072, "maxTTL": "48h", "ttl": "24h"}],
  "crl": {"expiry": "48h", "disableAutoRebuild": true, "disableDelta": true, "deltaRebuildInterval": "10m", "disableOCSP": true},
  "issuer": {"kind": "Issuer", "name": "openbao", "namespace": "payments", "role": "workloads", "server": "https://openbao:8200",
    "caBundlePEM": "PEM", "allowHTTP": true, "authMountPath": "k8s", "authRole": "cert-manager", "serviceAccount": "cm",
    "serviceAccountNamespace": "cert-manager", "audience": "vault://payments/openbao", "tokenTTL": "5m"}
}`

func TestPKIArgs_IsTheConfigSchema_EveryKeyDecodesExactly(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(everyKey))
	dec.DisallowUnknownFields()
	var a pki.PKIArgs
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("decode: %v", err)
	}
	// Every field with a json key got a value: no key of the document was
	// dropped and no field lacks a key.
	allSet(t, "rampart:pki", reflect.ValueOf(a))
	// encoding/json matches keys case-insensitively on decode; encoding
	// writes the tags as spelled, so a round trip proves the exact case.
	out, err := json.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	var got, exp map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(everyKey), &exp); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("keys are not spelled as the stack config spells them:\n got %s\nwant %s", out, compact(t, everyKey))
	}
}

func TestPKIArgs_AllowDestroyIsNotAConfigKey(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"allowDestroy": true}`))
	dec.DisallowUnknownFields()
	var a pki.PKIArgs
	if err := dec.Decode(&a); err == nil || a.AllowDestroy {
		t.Errorf("allowDestroy decoded (err=%v, AllowDestroy=%v): only the stack may unprotect the root", err, a.AllowDestroy)
	}
}

// decode reads a config section the way the config layer does.
func decode(t *testing.T, doc string) *pki.PKIArgs {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	a := &pki.PKIArgs{}
	if err := dec.Decode(a); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return a
}

func TestPKI_OneRootFieldKeepsTheOtherRootDefaults(t *testing.T) {
	a := decode(t, `{"openbaoURL": "https://openbao.example.org:8200", "organization": "Example",
		"root": {"maxLeaseTTL": "70080h"},
		"roles": [{"name": "workloads", "allowedDomains": ["svc.example.org"]}]}`)
	rec, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	m := rec.MustGet(t, tMount, "pki-root-mount")
	want(t, m, "path", pki.DefaultRootPath)
	want(t, m, "maxLeaseTtlSeconds", 70080*3600)
	r := rec.MustGet(t, tRoot, "pki-root-ca")
	want(t, r, "ttl", "252288000")
	want(t, r, "keyType", string(pki.DefaultKeyType))
	want(t, r, "keyBits", pki.DefaultCAKeyBitsEC)
	want(t, r, "commonName", "Example Root CA")
	want(t, r, "issuerName", pki.DefaultRootIssuerName)
	want(t, rec.MustGet(t, tMount, "pki-int-mount"), "maxLeaseTtlSeconds", 43800*3600)
}

func TestPKI_OneRoleFieldKeepsTheOtherRoleDefaults(t *testing.T) {
	a := decode(t, `{"openbaoURL": "https://openbao.example.org:8200",
		"roles": [{"name": "workloads", "allowedDomains": ["svc.example.org"], "ttl": "1h"},
		          {"name": "narrow", "allowedDomains": ["svc.example.org"], "allowSubdomains": false}]}`)
	rec, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	r := rec.MustGet(t, tRole, "pki-role-workloads")
	want(t, r, "ttl", "3600")
	want(t, r, "maxTtl", "2592000")
	want(t, r, "keyType", "ec")
	want(t, r, "keyBits", pki.DefaultRoleKeyBitsEC)
	want(t, r, "allowSubdomains", true)
	want(t, r, "clientFlag", false)
	// An explicit false is an override, not an unset field.
	n := rec.MustGet(t, tRole, "pki-role-narrow")
	want(t, n, "allowSubdomains", false)
	want(t, n, "maxTtl", "2592000")
	want(t, n, "ttl", "2592000")
}

func allSet(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			t.Errorf("%s: not set by the document", path)
			return
		}
		allSet(t, path, v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch key {
			case "-":
				continue
			case "":
				t.Errorf("%s.%s has no json key", path, f.Name)
				continue
			}
			allSet(t, path+"."+key, v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			t.Errorf("%s: not set by the document", path)
		}
		for i := range v.Len() {
			allSet(t, fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
	default:
		if v.IsZero() {
			t.Errorf("%s: not set by the document", path)
		}
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
