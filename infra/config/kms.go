package config

import (
	"cmp"
	"strings"

	"github.com/rampart-dev/rampart/components/kms"
	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// KMS is rampart:kms: whether the stack creates, in OpenBao, the transit key
// the KMS v2 plugin (cmd/rampart-kms) encrypts the cluster's Secrets with and
// the policy of the plugin's token (kms.SecretsEncryptionArgs, decoded
// straight into; see it for every key's default and valid values), and how
// the vault provider reaches OpenBao when rampart:pki does not say it.
type KMS struct {
	// Enabled builds the component (and the vault provider); default false.
	Enabled bool `json:"enabled"`
	kms.SecretsEncryptionArgs
	// Provider says how the vault provider reaches OpenBao when rampart:pki
	// is off. With rampart:pki on, the stack's one vault provider is
	// rampart:pki.provider and this key stays unset.
	Provider VaultProvider `json:"provider"`
}

// kmsDefaults fills the stack's decisions: AllowDestroy in the local profile
// only (anywhere else the key cannot be recreated), and, when rampart:pki
// does not configure the vault provider, its address from OpenBao's when
// this stack runs OpenBao in external mode.
func (c *Config) kmsDefaults() {
	k := &c.KMS
	if !k.Enabled {
		return
	}
	k.AllowDestroy = c.Profile == ProfileLocal
	if c.PKI.Enabled {
		return
	}
	if k.Provider.Address == "" && c.OpenBao.Enabled && c.OpenBao.Mode == openbao.ModeExternal {
		k.Provider.Address = c.OpenBao.APIAddr
	}
	k.Provider.UserpassMount = cmp.Or(k.Provider.UserpassMount, "userpass")
}

// KMSArgs is the component's args for this stack.
func (c *Config) KMSArgs() *kms.SecretsEncryptionArgs {
	a := c.KMS.SecretsEncryptionArgs
	return &a
}

func (c *Config) validateKMS(l *verr.List) {
	k := &c.KMS
	if !k.Enabled {
		return
	}
	l.Merge(c.KMSArgs().Validate(Namespace + ":kms"))
	key := func(s string) string { return Namespace + ":kms." + s }
	switch {
	case c.PKI.Enabled && k.Provider != (VaultProvider{}):
		l.Add(key("provider"), verr.Raw("(set)"), "the stack has one vault provider, configured by rampart:pki.provider while rampart:pki is enabled",
			"remove rampart:kms.provider (set rampart:pki.provider instead)")
	case !c.PKI.Enabled && k.Provider.Address == "":
		l.Add(key("provider.address"), "", "required: no rampart:pki.provider and no OpenBao of this stack in external mode to take the address from",
			"set the URL the machine running Pulumi reaches OpenBao's API at, e.g. https://openbao.example.org:8200")
	case !c.PKI.Enabled:
		c.validateVaultProvider(l, "kms", k.Provider)
	}
	if !c.PKI.Enabled {
		return
	}
	// OpenBao refuses a mount inside another: the key's mount must stay
	// clear of the PKI's.
	mount := cmp.Or(k.Mount, kms.DefaultMount)
	for _, m := range []struct{ key, path string }{
		{"rampart:pki.root.path", cmp.Or(c.PKI.Root.Path, pki.DefaultRootPath)},
		{"rampart:pki.intermediate.path", cmp.Or(c.PKI.Intermediate.Path, pki.DefaultIntermediatePath)},
	} {
		if mount == m.path || strings.HasPrefix(mount, m.path+"/") || strings.HasPrefix(m.path, mount+"/") {
			l.Add(key("mount"), mount, "overlaps "+m.key+" ("+m.path+"): OpenBao mounts one engine per path",
				"give the transit engine a path of its own, e.g. "+kms.DefaultMount)
		}
	}
}
