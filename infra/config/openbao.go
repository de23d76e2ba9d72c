package config

import (
	"cmp"
	"fmt"

	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// OpenBaoName is the logical name of the OpenBao component; its defaults
// (release name, active service) derive from it.
const OpenBaoName = "openbao"

// OpenBao is rampart:openbao: whether the stack builds OpenBao, and the
// component's own args (openbao.OpenBaoArgs, decoded straight into; see it
// for every key's default and valid values). The HSM PIN and the deployer
// password are not keys here: they come only from the secret keys
// rampart:openbaoHsmPin and rampart:openbaoDeployerPassword.
type OpenBao struct {
	// Enabled builds the component; default false.
	Enabled bool `json:"enabled"`
	openbao.OpenBaoArgs
}

// openBaoDefaults fills what the stack, not the component, decides: the
// namespace (one of the stack's own), and the address, so the PKI issuer
// and the vault provider can default to it. The component's own defaults
// stay in openbao.OpenBaoArgs.withDefaults.
func (c *Config) openBaoDefaults() {
	o := &c.OpenBao
	if !o.Enabled {
		return
	}
	o.Mode = cmp.Or(o.Mode, openbao.DefaultMode)
	if o.Mode == openbao.ModeChart {
		o.Namespace = cmp.Or(o.Namespace, "openbao")
		o.APIAddr = cmp.Or(o.APIAddr, openbao.DefaultAPIAddr(OpenBaoName, o.Namespace))
	}
	o.SkipAwait = c.SkipAwait()
}

// needsPin: only chart mode delivers the PIN (a Kubernetes Secret); external
// servers get BAO_HSM_PIN from their own host.
func (o *OpenBao) needsPin() bool { return o.Enabled && o.Mode == openbao.ModeChart }

// needsDeployerPassword: chart mode with self-initialisation creates the
// deployer with this password.
func (o *OpenBao) needsDeployerPassword() bool { return o.needsPin() && !o.Bootstrap.Disabled }

// OpenBaoArgs is the component's args with the secrets injected: the PIN
// and the deployer password become secret Outputs; PinIsSecret and
// DeployerPasswordIsSecret say whether the stack stores them encrypted.
func (c *Config) OpenBaoArgs() *openbao.OpenBaoArgs {
	a := c.OpenBao.OpenBaoArgs
	if p := c.Secrets.OpenBaoHsmPin; p != nil {
		a.Seal.Pin, a.Seal.PinIsSecret = p.Output(), p.IsSecret
	}
	if p := c.Secrets.OpenBaoDeployerPassword; p != nil {
		a.Bootstrap.DeployerPassword, a.Bootstrap.DeployerPasswordIsSecret = p.Output(), p.IsSecret
	}
	return &a
}

// validateOpenBao reports rampart:openbao's problems and its secrets'.
func (c *Config) validateOpenBao(l *verr.List, namespaces map[string]string) {
	o := &c.OpenBao
	if !o.Enabled {
		return
	}
	a := c.OpenBaoArgs()
	// Missing or plaintext secrets are reported once, at their own key (the
	// one the user sets); the component would report them again under
	// rampart:openbao.seal.pin, which is no key anyone can set.
	if o.needsPin() && requireSecret(l, c.Secrets.OpenBaoHsmPin, "openbaoHsmPin", "rampart:openbao runs in chart mode, whose PKCS#11 seal needs the HSM user PIN", "<HSM user PIN>") {
		a.Seal.Pin, a.Seal.PinIsSecret = SecretOutput(""), true
	}
	if o.needsDeployerPassword() && requireSecret(l, c.Secrets.OpenBaoDeployerPassword, "openbaoDeployerPassword", "rampart:openbao self-initialises and creates the deployer user with this password", "\"$(openssl rand -base64 32)\"") {
		a.Bootstrap.DeployerPassword, a.Bootstrap.DeployerPasswordIsSecret = SecretOutput(""), true
	}
	if o.Mode == openbao.ModeChart {
		if _, ok := namespaces[o.Namespace]; !ok && o.Namespace != "" {
			l.Add(Namespace+":openbao.namespace", o.Namespace, "not a namespace of this stack, so nothing would create it or its default-deny policy",
				"use one of rampart:namespaces (default \"openbao\")")
		}
	}
	l.Merge(a.Validate(Namespace + ":openbao"))
}

// requireSecret reports a secret that is missing (why says who needs it) or
// stored in plaintext; it returns true when it reported a problem.
func requireSecret(l *verr.List, s *Secret, key, why, example string) bool {
	full := Namespace + ":" + key
	if s == nil {
		l.Add(full, "", "missing: "+why, fmt.Sprintf("pulumi config set --secret %s %s", full, example))
		return true
	}
	return !s.IsSecret // reported by Validate's plaintext check
}
