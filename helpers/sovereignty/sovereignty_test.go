package sovereignty_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/helpers/sovereignty"
	"github.com/rampart-dev/rampart/helpers/verr"
)

func TestHost_ReadsEveryEndpointShape(t *testing.T) {
	for in, want := range map[string]string{
		"https://acme-v02.api.letsencrypt.org/directory": "acme-v02.api.letsencrypt.org",
		"oci://docker.io/envoyproxy":                     "docker.io",
		"quay.io/jetstack/cert-manager:v1@sha256:ab":     "quay.io",
		"registry.example.org:5000/hub":                  "registry.example.org",
		"https://Bao.Example.ORG.:8200":                  "bao.example.org",
		"smtp.example.gov.uk":                            "smtp.example.gov.uk",
	} {
		if got := sovereignty.Host(in); got != want {
			t.Errorf("Host(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLookup_DeclaredBeforeTableLongestMatchElseUnknown(t *testing.T) {
	p := sovereignty.Policy{Endpoints: []sovereignty.Endpoint{
		{Host: "example.gov.uk", Operator: "Platform", Jurisdiction: "GB"},
		{Host: "docker.io", Operator: "Our proxy", Jurisdiction: "DE"},
	}}
	for _, c := range []struct {
		host, operator string
		j              sovereignty.Jurisdiction
		src            sovereignty.Source
	}{
		{"registry.example.gov.uk", "Platform", "GB", sovereignty.SourceDeclared},
		{"docker.io", "Our proxy", "DE", sovereignty.SourceDeclared},
		{"acme-v02.api.letsencrypt.org", "Internet Security Research Group (Let's Encrypt)", "US", sovereignty.SourceTable},
		{"api.buypass.com", "Buypass AS", "NO", sovereignty.SourceTable},
		{"openbao.github.io", "GitHub, Inc. (Microsoft)", "US", sovereignty.SourceTable},
		{"mirror.gcr.io", "Google LLC", "US", sovereignty.SourceTable},
		{"registry.example.cn", "unknown", sovereignty.Unknown, sovereignty.SourceUnknown},
		{"notletsencrypt.org", "unknown", sovereignty.Unknown, sovereignty.SourceUnknown},
	} {
		e, src := p.Lookup(c.host)
		if e.Operator != c.operator || e.Jurisdiction != c.j || src != c.src {
			t.Errorf("%s: %s %s (%s), want %s %s (%s)", c.host, e.Operator, e.Jurisdiction, src, c.operator, c.j, c.src)
		}
	}
}

func TestAllows_EUAdmitsMemberStatesUnknownNever(t *testing.T) {
	p := sovereignty.Policy{AllowedJurisdictions: []sovereignty.Jurisdiction{"GB", "EU"}}
	for j, want := range map[sovereignty.Jurisdiction]bool{"GB": true, "EU": true, "DE": true, "GR": true, "NO": false, "US": false, sovereignty.Unknown: false} {
		if p.Allows(j) != want {
			t.Errorf("Allows(%s) = %v, want %v", j, !want, want)
		}
	}
}

func TestTable_EveryRowHasOperatorJurisdictionAndBasis(t *testing.T) {
	for _, r := range sovereignty.Table {
		if r.Host == "" || r.Operator == "" || !r.Jurisdiction.Valid() || r.Basis == "" {
			t.Errorf("incomplete row %+v", r)
		}
	}
}

func TestAssessValidate_RefusesOutsideTheRuleAtTheKeyUnlessExcepted(t *testing.T) {
	deps := []sovereignty.Dependency{
		{Key: `rampart:images.overrides["envoyproxy/gateway"]`, Endpoint: "registry.example.cn/envoyproxy/gateway@sha256:ab", Role: "image"},
		{Key: "rampart:certManager.acme.server", Endpoint: "https://acme-v02.api.letsencrypt.org/directory", Role: "ACME directory"},
		{Key: "rampart:pki.issuer.server", Endpoint: "https://openbao.openbao.svc:8200", Role: "issuer (OpenBao)"},
		{Key: "rampart:keycloak.provider.url", Endpoint: "https://id.example.gov.uk", Role: "IdP (Keycloak)"},
	}
	p := sovereignty.Policy{AllowedJurisdictions: []sovereignty.Jurisdiction{"GB"},
		Endpoints: []sovereignty.Endpoint{{Host: "example.gov.uk", Operator: "Platform", Jurisdiction: "GB"}}}
	f := p.Assess(deps)
	if len(f) != 3 {
		t.Fatalf("%d findings, want 3 (the in-cluster issuer is internal): %+v", len(f), f)
	}
	var l verr.List
	p.Validate(&l, "rampart:sovereignty", f)
	msg := l.Err().Error()
	for _, want := range []string{
		`rampart:images.overrides["envoyproxy/gateway"]: "registry.example.cn/envoyproxy/gateway@sha256:ab": the image's host registry.example.cn is run by unknown, jurisdiction unknown (unknown): rampart:sovereignty.allowedJurisdictions is [GB]`,
		`rampart:certManager.acme.server: "https://acme-v02.api.letsencrypt.org/directory": the ACME directory's host acme-v02.api.letsencrypt.org is run by Internet Security Research Group (Let's Encrypt), jurisdiction US (table)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "keycloak") {
		t.Errorf("a declared GB endpoint was refused:\n%s", msg)
	}

	p.Exceptions = []sovereignty.Exception{
		{Host: "acme-v02.api.letsencrypt.org", Justification: "public trust for the status page only", Control: "NIS2 Art. 21(2)(d)"},
		{Host: "registry.example.cn", Justification: "short", Control: ""},
		{Host: "unused.example.com", Justification: "an exception nothing depends on", Control: "x"},
	}
	l = verr.List{}
	p.Validate(&l, "rampart:sovereignty", p.Assess(deps))
	got := strings.Join(l.Paths(), " ")
	want := "rampart:sovereignty.exceptions[1].justification rampart:sovereignty.exceptions[1].control rampart:sovereignty.exceptions[2].host"
	if got != want {
		t.Errorf("problems at %s\nwant %s\n%v", got, want, l.Err())
	}

	if l := (verr.List{}); true {
		sovereignty.Policy{}.Validate(&l, "rampart:sovereignty", sovereignty.Policy{}.Assess(deps))
		if l.Len() != 0 {
			t.Errorf("without a rule nothing is refused: %v", l.Err())
		}
	}
}
