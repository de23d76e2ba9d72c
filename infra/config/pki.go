package config

import (
	"net/url"

	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/components/verr"
)

// PKI is rampart:pki. root, intermediate, roles and crl decode straight into
// the component's args (keys are its field names, matched
// case-insensitively: maxLeaseTTL, permittedDNSDomains, allowedDomains,
// maxTTL, …); the issuer has its own shape because the component's carries
// the Kubernetes provider, which only the stack can give.
type PKI struct {
	// Enabled builds the component and the vault provider; default false.
	Enabled bool `json:"enabled"`
	// OpenBaoURL is OpenBao's externally reachable base URL (no /v1), put in
	// every certificate's AIA/CRL/OCSP fields. Default: rampart:openbao.apiAddr
	// when OpenBao runs in external mode (in chart mode the in-cluster
	// address is not reachable by relying parties, so it must be set).
	OpenBaoURL string `json:"openbaoURL,omitempty"`
	// Organization and Country go into the CA subjects.
	Organization string `json:"organization,omitempty"`
	Country      string `json:"country,omitempty"`
	// Root and Intermediate are the two CA tiers.
	Root         pki.CAArgs `json:"root"`
	Intermediate pki.CAArgs `json:"intermediate"`
	// Roles are the workload roles (at least one).
	Roles []pki.RoleArgs `json:"roles,omitempty"`
	// CRL configures revocation publishing.
	CRL pki.CRLArgs `json:"crl"`
	// Issuer is the cert-manager issuer; absent: none.
	Issuer *PKIIssuer `json:"issuer,omitempty"`
	// Provider says how the vault provider reaches OpenBao.
	Provider VaultProvider `json:"provider"`
}

// PKIIssuer is pki.IssuerArgs without the provider (see the component for
// each field's default and valid values). Server defaults to
// rampart:openbao.apiAddr when rampart:openbao is enabled.
type PKIIssuer struct {
	Kind                    pki.IssuerKind `json:"kind,omitempty"`
	Name                    string         `json:"name,omitempty"`
	Namespace               string         `json:"namespace,omitempty"`
	Role                    string         `json:"role,omitempty"`
	Server                  string         `json:"server,omitempty"`
	CABundlePEM             string         `json:"caBundlePEM,omitempty"`
	AllowHTTP               bool           `json:"allowHTTP,omitempty"`
	AuthMountPath           string         `json:"authMountPath,omitempty"`
	AuthRole                string         `json:"authRole,omitempty"`
	ServiceAccount          string         `json:"serviceAccount,omitempty"`
	ServiceAccountNamespace string         `json:"serviceAccountNamespace,omitempty"`
	Audience                string         `json:"audience,omitempty"`
	TokenTTL                string         `json:"tokenTTL,omitempty"`
}

// VaultProvider is how Pulumi reaches OpenBao's API. Credentials are secrets:
// rampart:openbaoDeployerPassword (userpass login as the bootstrap deployer,
// short-lived tokens; the default whenever the password is set) or
// rampart:vaultToken (an OpenBao this stack does not bootstrap).
type VaultProvider struct {
	// Address of OpenBao's API as the machine running Pulumi reaches it.
	// Default: rampart:pki.openbaoURL.
	Address string `json:"address,omitempty"`
	// CACertFile is a PEM file (absolute, or relative to the project
	// directory) with the CA of OpenBao's TLS certificate. Default "": the
	// system roots.
	CACertFile string `json:"caCertFile,omitempty"`
	// UserpassMount is the userpass mount the deployer logs in on; default "userpass".
	UserpassMount string `json:"userpassMount,omitempty"`
}

func (c *Config) pkiDefaults() {
	p := &c.PKI
	if !p.Enabled {
		return
	}
	if p.OpenBaoURL == "" && c.OpenBao.Enabled && c.OpenBao.Mode == openbao.ModeExternal {
		p.OpenBaoURL = c.OpenBao.APIAddr
	}
	if p.Issuer != nil && p.Issuer.Server == "" && c.OpenBao.Enabled {
		p.Issuer.Server = c.OpenBao.APIAddr
	}
	if p.Provider.Address == "" {
		p.Provider.Address = p.OpenBaoURL
	}
	if p.Provider.UserpassMount == "" {
		p.Provider.UserpassMount = "userpass"
	}
}

// PKIArgs maps rampart:pki to the component's args. The issuer's Kubernetes
// provider is left for the stack to set. AllowDestroy is on only in the
// local profile: the lab is torn down by the e2e tests; anywhere else the
// root key cannot be recreated.
func (c *Config) PKIArgs() *pki.PKIArgs {
	p := c.PKI
	a := &pki.PKIArgs{
		OpenBaoURL: p.OpenBaoURL, Organization: p.Organization, Country: p.Country,
		Root: p.Root, Intermediate: p.Intermediate, Roles: p.Roles, CRL: p.CRL,
		AllowDestroy: c.Profile == ProfileLocal,
	}
	if is := p.Issuer; is != nil {
		a.Issuer = &pki.IssuerArgs{
			Kind: is.Kind, Name: is.Name, Namespace: is.Namespace, Role: is.Role, Server: is.Server,
			CABundlePEM: is.CABundlePEM, AllowHTTP: is.AllowHTTP, AuthMountPath: is.AuthMountPath, AuthRole: is.AuthRole,
			ServiceAccount: is.ServiceAccount, ServiceAccountNamespace: is.ServiceAccountNamespace,
			Audience: is.Audience, TokenTTL: is.TokenTTL,
		}
	}
	return a
}

// VaultUserpass reports whether the vault provider logs in with userpass as
// the deployer (else it uses rampart:vaultToken).
func (c *Config) VaultUserpass() bool { return c.Secrets.OpenBaoDeployerPassword != nil }

// DeployerUsername is the OpenBao userpass user the vault provider logs in as.
func (c *Config) DeployerUsername() string {
	if u := c.OpenBao.Bootstrap.DeployerUsername; u != "" {
		return u
	}
	return defaultDeployerUsername
}

func (c *Config) validatePKI(l *verr.List, namespaces map[string]string) {
	p := &c.PKI
	if !p.Enabled {
		return
	}
	l.Merge(c.PKIArgs().Validate(Namespace + ":pki"))
	k := func(s string) string { return Namespace + ":pki." + s }
	if u, err := url.Parse(p.Provider.Address); p.Provider.Address != "" && (err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http")) {
		l.Add(k("provider.address"), p.Provider.Address, "not an absolute URL", "use https://host:port, or leave it empty to use rampart:pki.openbaoURL")
	} else if err == nil && u.Scheme == "http" && c.Profile != ProfileLocal {
		l.Add(k("provider.address"), p.Provider.Address, "the vault provider would send its credentials in clear text", "use https (http is for the local lab's dev server only)")
	}
	if is := p.Issuer; is != nil && is.Kind == pki.KindIssuer {
		if _, ok := namespaces[is.Namespace]; !ok && is.Namespace != "" {
			l.Add(k("issuer.namespace"), is.Namespace, "not a namespace of this stack", "use one of rampart:namespaces or rampart:tenants")
		}
	}
	// Credentials: exactly one way to log in.
	token, pass := c.Secrets.VaultToken, c.Secrets.OpenBaoDeployerPassword
	switch {
	case token != nil && pass != nil:
		l.Add(Namespace+":vaultToken", verr.Redacted, "set together with rampart:openbaoDeployerPassword: the vault provider logs in as the deployer (short-lived tokens) whenever that password is set",
			"pulumi config rm rampart:vaultToken")
	case token == nil && pass == nil:
		l.Add(Namespace+":vaultToken", "", "missing: rampart:pki needs OpenBao credentials for the vault provider",
			"pulumi config set --secret rampart:openbaoDeployerPassword <deployer password> (userpass, preferred) or pulumi config set --secret rampart:vaultToken <token>")
	}
}
