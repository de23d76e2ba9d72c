package config

import (
	"cmp"
	"net/url"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/certmanager"
	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// CertManagerName is the logical name of the certmanager component.
const CertManagerName = "certmanager"

// localAPIServerCIDR is the lab's API server (127.0.0.1). The lab runs no
// pods, so the policies are stored and validated, not enforced.
const localAPIServerCIDR = "127.0.0.1/32"

// CertManager is rampart:certManager: whether the stack builds cert-manager
// and its issuers, and the component's own args (certmanager.CertManagerArgs,
// decoded straight into; see it for every key's default and valid values).
// The EAB HMAC key is not a key here: it comes only from the secret key
// rampart:acmeEabHmacKey.
type CertManager struct {
	// Enabled builds the component; default false.
	Enabled bool `json:"enabled"`
	certmanager.CertManagerArgs
}

// certmanagerDefaults fills the stack's decisions: the chart is off in the
// local profile (no nodes) and http to OpenBao is allowed only there; the
// lab's API server address; OpenBao's namespace and port from
// rampart:openbao; and, when rampart:pki renders the sovereign issuer, the
// ServiceAccount it names (whose namespace follows cert-manager's for a
// ClusterIssuer, so both components bind the same account).
func (c *Config) certmanagerDefaults() {
	m := &c.CertManager
	if !m.Enabled {
		return
	}
	local := c.Profile == ProfileLocal
	m.Namespace = cmp.Or(m.Namespace, certmanager.DefaultNamespace)
	if m.Chart.Enabled == nil {
		m.Chart.Enabled = pulumi.BoolRef(!local)
	}
	m.AllowHTTP = local
	if local && len(m.APIServer.CIDRs) == 0 {
		m.APIServer.CIDRs = []string{localAPIServerCIDR}
	}
	if is := c.pkiIssuer(); is != nil {
		if is.Kind != pki.KindIssuer && is.ServiceAccountNamespace == "" {
			is.ServiceAccountNamespace = m.Namespace
		}
		ns := is.ServiceAccountNamespace
		if ns == "" { // an Issuer's account lives beside it
			ns = is.Namespace
		}
		m.IssuerServiceAccount = &certmanager.ServiceAccountRef{Name: cmp.Or(is.ServiceAccount, pki.DefaultServiceAccount), Namespace: ns}
	}
	o := &m.OpenBao
	if (m.Vault != nil || m.IssuerServiceAccount != nil) && o.Namespace == "" && len(o.CIDRs) == 0 &&
		c.OpenBao.Enabled && c.OpenBao.Mode == openbao.ModeChart {
		o.Namespace = c.OpenBao.Namespace
		if u, err := url.Parse(c.OpenBao.APIAddr); err == nil && u.Port() != "" && o.Port == nil {
			if n, err := strconv.Atoi(u.Port()); err == nil {
				o.Port = &n
			}
		}
	}
}

// pkiIssuer is rampart:pki.issuer when the stack renders it.
func (c *Config) pkiIssuer() *pki.IssuerArgs {
	if !c.PKI.Enabled {
		return nil
	}
	return c.PKI.Issuer
}

// PKIIssuerName is the name of the issuer object the pki component renders
// (its default is kname.Join(<component name "pki">, "openbao"), see
// components/pki/issuer.go); "" when the stack renders none.
func (c *Config) PKIIssuerName() string {
	is := c.pkiIssuer()
	if is == nil {
		return ""
	}
	return cmp.Or(is.Name, kname.Join("pki", "openbao"))
}

// CertManagerArgs is the component's args with the EAB HMAC key injected
// as a secret Output.
func (c *Config) CertManagerArgs() *certmanager.CertManagerArgs {
	a := c.CertManager.CertManagerArgs
	if a.ACME != nil && a.ACME.EAB != nil && c.Secrets.AcmeEabHmacKey != nil {
		acme, eab := *a.ACME, *a.ACME.EAB
		eab.HmacKey = c.Secrets.AcmeEabHmacKey.Output()
		acme.EAB = &eab
		a.ACME = &acme
	}
	return &a
}

// validateCertManager reports rampart:certManager's problems, its secret's,
// and the cross-section rule that exactly one sovereign issuer exists.
func (c *Config) validateCertManager(l *verr.List, namespaces map[string]string) {
	m := &c.CertManager
	k := func(s string) string { return verr.Path(Namespace+":certManager", s) }
	usesEAB := m.Enabled && m.ACME != nil && m.ACME.EAB != nil
	if c.Secrets.AcmeEabHmacKey != nil && !usesEAB {
		l.Add(Namespace+":acmeEabHmacKey", verr.Redacted, "set, but no rampart:certManager.acme.eab uses it",
			"set rampart:certManager.acme.eab.keyID, or pulumi config rm rampart:acmeEabHmacKey")
	}
	if !m.Enabled {
		return
	}
	a := c.CertManagerArgs()
	if usesEAB && requireSecret(l, c.Secrets.AcmeEabHmacKey, "acmeEabHmacKey", "rampart:certManager.acme.eab binds the ACME account with this HMAC key", "<base64url HMAC key from your CA>") {
		acme, eab := *a.ACME, *a.ACME.EAB
		eab.HmacKey = SecretOutput("")
		acme.EAB, a.ACME = &eab, &acme
	}
	if _, ok := namespaces[m.Namespace]; !ok && m.Namespace != "" {
		l.Add(k("namespace"), m.Namespace, "not a namespace of this stack, so nothing would create it or its default-deny policy",
			"use one of rampart:namespaces (default \""+certmanager.DefaultNamespace+"\")")
	}
	is := c.pkiIssuer()
	switch {
	case is != nil && m.Vault != nil:
		l.Add(k("vault"), verr.Raw("(set)"), "rampart:pki.issuer already renders the sovereign OpenBao issuer; two would sign the same names under different policies",
			"remove rampart:certManager.vault (or rampart:pki.issuer)")
	case is == nil && m.Vault == nil && c.Profile != ProfileLocal:
		l.Add(k("vault"), verr.Raw("(unset)"), "no sovereign issuer: the sovereign-cloud hardening guide wants certificates from the platform's own PKI by default",
			"set rampart:pki.issuer (this stack's PKI) or rampart:certManager.vault (an existing OpenBao PKI)")
	}
	if is != nil && is.Kind != pki.KindIssuer && is.ServiceAccountNamespace != m.Namespace {
		l.Add(Namespace+":pki.issuer.serviceAccountNamespace", is.ServiceAccountNamespace,
			"cert-manager resolves a ClusterIssuer's serviceAccountRef in its own namespace ("+m.Namespace+")",
			"leave it empty or set it to rampart:certManager.namespace")
	}
	l.Merge(a.Validate(Namespace + ":certManager"))
}
