package config

import (
	"cmp"
	"net/url"
	"strings"

	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// PKI is rampart:pki: whether the stack builds the PKI (and the vault
// provider), the component's own args (pki.PKIArgs, decoded straight into;
// see it for every key's default and valid values) and how the vault
// provider reaches OpenBao, which only the stack knows.
type PKI struct {
	// Enabled builds the component and the vault provider; default false.
	Enabled bool `json:"enabled"`
	pki.PKIArgs
	// Provider says how the vault provider reaches OpenBao.
	Provider VaultProvider `json:"provider"`
}

// VaultProvider is how Pulumi reaches OpenBao's API. A stack has one vault
// provider: rampart:pki.provider when the PKI is built, else
// rampart:kms.provider (Config.VaultProvider). Credentials are secrets:
// rampart:openbaoDeployerPassword (userpass login as the bootstrap deployer,
// short-lived tokens; the default whenever the password is set) or
// rampart:vaultToken (an OpenBao this stack does not bootstrap).
type VaultProvider struct {
	// Address of OpenBao's API as the machine running Pulumi reaches it.
	// Default: rampart:pki.openbaoURL (in rampart:kms: rampart:openbao's
	// address when this stack runs OpenBao in external mode).
	Address string `json:"address,omitempty"`
	// CACertFile is a PEM file (absolute, or relative to the project
	// directory) with the CA of OpenBao's TLS certificate. Default "": the
	// system roots.
	CACertFile string `json:"caCertFile,omitempty"`
	// UserpassMount is the userpass mount the deployer logs in on; default "userpass".
	UserpassMount string `json:"userpassMount,omitempty"`
}

// pkiDefaults fills the stack's decisions: the external URL and the
// issuer's server default to OpenBao's address when this stack builds
// OpenBao; AllowDestroy is on only in the local profile (the lab is torn
// down by the e2e tests; anywhere else the root key cannot be recreated).
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
	p.Provider.Address = cmp.Or(p.Provider.Address, p.OpenBaoURL)
	p.Provider.UserpassMount = cmp.Or(p.Provider.UserpassMount, "userpass")
	p.AllowDestroy = c.Profile == ProfileLocal
}

// PKIArgs is the component's args for this stack.
func (c *Config) PKIArgs() *pki.PKIArgs {
	a := c.PKI.PKIArgs
	return &a
}

// VaultUserpass reports whether the vault provider logs in with userpass as
// the deployer (else it uses rampart:vaultToken).
func (c *Config) VaultUserpass() bool { return c.Secrets.OpenBaoDeployerPassword != nil }

// DeployerUsername is the OpenBao userpass user the vault provider logs in as.
func (c *Config) DeployerUsername() string {
	if u := c.OpenBao.Bootstrap.DeployerUsername; u != "" {
		return u
	}
	return openbao.DefaultDeployerUsername
}

func (c *Config) validatePKI(l *verr.List, namespaces map[string]string) {
	p := &c.PKI
	if !p.Enabled {
		return
	}
	l.Merge(c.PKIArgs().Validate(Namespace + ":pki"))
	k := func(s string) string { return Namespace + ":pki." + s }
	c.validateVaultProvider(l, "pki", p.Provider)
	if is := p.Issuer; is != nil && is.Kind == pki.KindIssuer {
		if _, ok := namespaces[is.Namespace]; !ok && is.Namespace != "" {
			l.Add(k("issuer.namespace"), is.Namespace, "not a namespace of this stack", "use one of rampart:namespaces or rampart:tenants")
		}
	}
}

// VaultProvider returns the settings of the stack's one vault provider:
// rampart:pki.provider when the PKI is built, else rampart:kms.provider.
func (c *Config) VaultProvider() VaultProvider {
	if c.PKI.Enabled {
		return c.PKI.Provider
	}
	return c.KMS.Provider
}

// NeedsVault reports whether the stack builds the vault provider: some
// section that talks to OpenBao's API is enabled.
func (c *Config) NeedsVault() bool { return c.PKI.Enabled || c.KMS.Enabled }

// validateVaultProvider checks the provider settings of rampart:<section>.
func (c *Config) validateVaultProvider(l *verr.List, section string, pc VaultProvider) {
	k := Namespace + ":" + section + ".provider.address"
	u, err := url.Parse(pc.Address)
	switch {
	case pc.Address != "" && (err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http")):
		l.Add(k, pc.Address, "not an absolute URL", "use https://host:port, or leave it empty to use rampart:pki.openbaoURL")
	case pc.Address != "" && u.Scheme == "http" && c.Profile != ProfileLocal:
		l.Add(k, pc.Address, "the vault provider would send its credentials in clear text", "use https (http is for the local lab's dev server only)")
	}
}

// validateVaultCredentials: the vault provider has exactly one way to log in.
func (c *Config) validateVaultCredentials(l *verr.List) {
	if !c.NeedsVault() {
		return
	}
	var need []string
	for _, s := range []struct {
		on   bool
		name string
	}{{c.PKI.Enabled, "pki"}, {c.KMS.Enabled, "kms"}} {
		if s.on {
			need = append(need, Namespace+":"+s.name)
		}
	}
	verb := " needs"
	if len(need) > 1 {
		verb = " need"
	}
	token, pass := c.Secrets.VaultToken, c.Secrets.OpenBaoDeployerPassword
	switch {
	case token != nil && pass != nil:
		l.Add(Namespace+":vaultToken", verr.Redacted, "set together with rampart:openbaoDeployerPassword: the vault provider logs in as the deployer (short-lived tokens) whenever that password is set",
			"pulumi config rm rampart:vaultToken")
	case token == nil && pass == nil:
		l.Add(Namespace+":vaultToken", "", "missing: "+strings.Join(need, " and ")+verb+" OpenBao credentials for the vault provider",
			"pulumi config set --secret rampart:openbaoDeployerPassword <deployer password> (userpass, preferred) or pulumi config set --secret rampart:vaultToken <token>")
	}
}
