package certmanager_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/certmanager"
)

func TestCertManagerArgs_RejectsBadConfig(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(a *certmanager.CertManagerArgs)
		path   string
	}{
		{"issue path", func(a *certmanager.CertManagerArgs) { a.Vault.Path = "pki_int/issue/workloads" }, "vault.path: \"pki_int/issue/workloads\": /issue/ makes OpenBao generate the private key"},
		{"path without sign", func(a *certmanager.CertManagerArgs) { a.Vault.Path = "pki_int/workloads" }, "vault.path"},
		{"http vault outside local", func(a *certmanager.CertManagerArgs) { a.Vault.Server, a.Vault.CABundlePEM = "http://openbao:8200", "" }, "vault.server: \"http://openbao:8200\": plain http"},
		{"https vault without CA bundle", func(a *certmanager.CertManagerArgs) { a.Vault.CABundlePEM = "" }, "vault.caBundlePEM"},
		{"vault without role", func(a *certmanager.CertManagerArgs) { a.Vault.Role = "" }, "vault.role"},
		{"vault without OpenBao egress", func(a *certmanager.CertManagerArgs) { a.OpenBao = certmanager.OpenBaoPeer{} }, "openbao"},
		{"EAB key id without the secret", func(a *certmanager.CertManagerArgs) {
			a.ACME = acmeArgs()
			a.ACME.EAB = &certmanager.EABArgs{KeyID: "kid-1"}
		}, "acme.eab.hmacKey"},
		{"ACME without solver", func(a *certmanager.CertManagerArgs) { a.ACME = acmeArgs(); a.ACME.HTTP01, a.ACME.DNS01 = nil, nil }, "acme"},
		{"ACME over http", func(a *certmanager.CertManagerArgs) {
			a.ACME = acmeArgs()
			a.ACME.Server = "http://acme.example.eu/dir"
		}, "acme.server"},
		{"rfc2136 without TSIG", func(a *certmanager.CertManagerArgs) { a.ACME = acmeArgs(); a.ACME.DNS01.TSIGSecret = "" }, "acme.dns01"},
		{"ACME without egress", func(a *certmanager.CertManagerArgs) { a.ACME = acmeArgs(); a.ACME.EgressCIDRs = nil }, "acme.egressCIDRs"},
		{"no API server CIDR", func(a *certmanager.CertManagerArgs) { a.APIServer.CIDRs = nil }, "apiServer.cidrs"},
		{"API server 0.0.0.0/0", func(a *certmanager.CertManagerArgs) { a.APIServer.CIDRs = []string{"0.0.0.0/0"} }, "apiServer.cidrs[0]"},
		{"explicit webhook port 0", func(a *certmanager.CertManagerArgs) { a.APIServer.WebhookPort = new(0) }, `apiServer.webhookPort: 0: 0 is not "unset": it is no port`},
		{"explicit OpenBao port 0", func(a *certmanager.CertManagerArgs) { a.OpenBao.Port = new(0) }, `openbao.port: 0: 0 is not "unset"`},
		{"explicit empty API server ports", func(a *certmanager.CertManagerArgs) { a.APIServer.Ports = []int{} }, `apiServer.ports: []: [] is not "unset": an egress rule without ports opens every port of the API server's addresses — remove the key for the default [443, 6443]`},
		{"floating chart version", func(a *certmanager.CertManagerArgs) { a.Chart.Version = "1.21" }, "chart.version"},
		{"chart over http", func(a *certmanager.CertManagerArgs) { a.Chart.Repository = "http://charts.jetstack.io" }, "chart.repository"},
		{"override not by digest", func(a *certmanager.CertManagerArgs) {
			a.Images.Overrides = map[string]string{"jetstack/cert-manager-webhook": "quay.io/jetstack/cert-manager-webhook:v1.21.2"}
		}, `images.overrides["jetstack/cert-manager-webhook"]: "quay.io/jetstack/cert-manager-webhook:v1.21.2": not pinned by digest`},
		{"other chart version with the pinned images", func(a *certmanager.CertManagerArgs) { a.Chart.Version = "v1.22.0" }, `chart.version: "v1.22.0": the pinned images are chart v1.21.2's`},
		{"gateway issuer acme without acme", func(a *certmanager.CertManagerArgs) { a.GatewayIssuer = certmanager.GatewayIssuerACME }, "gatewayIssuer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := run(t, c.mutate, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			needle := c.path // a key path, or a key path with the start of its reason
			if !strings.Contains(needle, ": ") {
				needle += ": "
			}
			if !strings.Contains(err.Error(), ": "+needle) {
				t.Errorf("error does not name %s:\n%v", c.path, err)
			}
			if n := rec.Len(); n != 0 {
				t.Errorf("%d resources registered for an invalid config", n)
			}
		})
	}
}

func TestCertManagerArgs_AcceptsHTTPVaultOnlyWhenTheStackAllowsIt(t *testing.T) {
	if _, err := run(t, func(a *certmanager.CertManagerArgs) {
		a.Vault.Server, a.Vault.CABundlePEM, a.AllowHTTP = "http://127.0.0.1:8200", "", true
	}, nil); err != nil {
		t.Fatal(err)
	}
	// Who runs the directory is the config layer's sovereignty rule
	// (helpers/sovereignty), not the component's: any https directory is
	// rendered.
	if _, err := run(t, func(a *certmanager.CertManagerArgs) {
		a.ACME = acmeArgs()
		a.ACME.Server = "https://acme-v02.api.letsencrypt.org/directory"
	}, nil); err != nil {
		t.Errorf("an ACME directory was refused by the component: %v", err)
	}
}
