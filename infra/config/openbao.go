package config

import (
	"fmt"

	"github.com/rampart-dev/rampart/components/kname"
	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/verr"
)

// OpenBaoName is the logical name of the OpenBao component; its defaults
// (release name, active service) derive from it.
const OpenBaoName = "openbao"

// defaultDeployerUsername is the openbao component's default deployer.
const defaultDeployerUsername = "rampart-deployer"

// OpenBao is rampart:openbao. The plain sub-objects decode straight into the
// component's args (their field names, matched case-insensitively, are the
// keys: chart.repository, storage.dataSize, tls.secretName, …); seal and
// bootstrap have their own shape because the component's carry Pulumi
// secrets, which come only from rampart:openbaoHsmPin and
// rampart:openbaoDeployerPassword.
type OpenBao struct {
	// Enabled builds the component; default false.
	Enabled bool `json:"enabled"`
	// Mode is chart (default) or external.
	Mode openbao.Mode `json:"mode,omitempty"`
	// Version is the OpenBao version; default openbao.DefaultVersion.
	Version string `json:"version,omitempty"`
	// Namespace (chart mode) is one of rampart:namespaces; default "openbao".
	Namespace string `json:"namespace,omitempty"`
	// Replicas is the raft size (chart mode); default 3.
	Replicas int `json:"replicas,omitempty"`
	// Chart pins the openbao-helm chart.
	Chart openbao.ChartArgs `json:"chart"`
	// Image selects the server image.
	Image openbao.ImageArgs `json:"image"`
	// Storage sizes the raft and audit volumes.
	Storage openbao.StorageArgs `json:"storage"`
	// TLS locates the listener certificate.
	TLS openbao.TLSArgs `json:"tls"`
	// APIAddr is the clients' address; default (chart mode) the in-cluster
	// active service https://openbao-active.<namespace>.svc:8200.
	APIAddr string `json:"apiAddr,omitempty"`
	// UI enables the web UI; default false.
	UI bool `json:"ui,omitempty"`
	// Telemetry configures the Prometheus endpoint.
	Telemetry openbao.TelemetryArgs `json:"telemetry"`
	// Audit configures the file audit device.
	Audit openbao.AuditArgs `json:"audit"`
	// Seal is the PKCS#11 seal; the PIN is rampart:openbaoHsmPin.
	Seal OpenBaoSeal `json:"seal"`
	// Bootstrap is self-initialisation; the password is rampart:openbaoDeployerPassword.
	Bootstrap OpenBaoBootstrap `json:"bootstrap"`
	// Nodes are the servers in external mode.
	Nodes []openbao.Node `json:"nodes,omitempty"`
}

// OpenBaoSeal is openbao.SealArgs without the PIN (see the component for
// each field's default and valid values).
type OpenBaoSeal struct {
	Type               openbao.SealType  `json:"type,omitempty"`
	Lib                string            `json:"lib,omitempty"`
	Slot               string            `json:"slot,omitempty"`
	TokenLabel         string            `json:"tokenLabel,omitempty"`
	KeyLabel           string            `json:"keyLabel,omitempty"`
	Mechanism          openbao.Mechanism `json:"mechanism,omitempty"`
	RSAOAEPHash        string            `json:"rsaOaepHash,omitempty"`
	HMACKeyLabel       string            `json:"hmacKeyLabel,omitempty"`
	HMACMechanism      string            `json:"hmacMechanism,omitempty"`
	PluginCommand      string            `json:"pluginCommand,omitempty"`
	PluginImage        string            `json:"pluginImage,omitempty"`
	PluginVersion      string            `json:"pluginVersion,omitempty"`
	PluginSHA256       string            `json:"pluginSha256,omitempty"`
	PluginDirectory    string            `json:"pluginDirectory,omitempty"`
	ClientImage        string            `json:"clientImage,omitempty"`
	ClientImageDir     string            `json:"clientImageDir,omitempty"`
	ClientConfigSecret string            `json:"clientConfigSecret,omitempty"`
	Env                map[string]string `json:"env,omitempty"`
}

// OpenBaoBootstrap is openbao.BootstrapArgs without the password.
type OpenBaoBootstrap struct {
	Disabled         bool   `json:"disabled,omitempty"`
	DeployerUsername string `json:"deployerUsername,omitempty"`
	DeployerPolicy   string `json:"deployerPolicy,omitempty"`
	TokenTTL         string `json:"tokenTtl,omitempty"`
	TokenMaxTTL      string `json:"tokenMaxTtl,omitempty"`
}

// openBaoDefaults fills what the stack, not the component, decides: the
// namespace and the address (so the PKI issuer can default to it).
func (c *Config) openBaoDefaults() {
	o := &c.OpenBao
	if !o.Enabled {
		return
	}
	if o.Mode == "" {
		o.Mode = openbao.ModeChart
	}
	if o.Mode == openbao.ModeChart {
		if o.Namespace == "" {
			o.Namespace = "openbao"
		}
		if o.APIAddr == "" {
			// The component's own default, computed here so that
			// rampart:pki.issuer.server can default to it.
			o.APIAddr = fmt.Sprintf("https://%s.%s.svc:8200", kname.Join(kname.Join(OpenBaoName), "active"), o.Namespace)
		}
	}
	if o.Bootstrap.DeployerUsername == "" {
		o.Bootstrap.DeployerUsername = defaultDeployerUsername
	}
}

// needsPin: only chart mode delivers the PIN (a Kubernetes Secret); external
// servers get BAO_HSM_PIN from their own host.
func (o *OpenBao) needsPin() bool { return o.Enabled && o.Mode == openbao.ModeChart }

// needsDeployerPassword: chart mode with self-initialisation creates the
// deployer with this password.
func (o *OpenBao) needsDeployerPassword() bool { return o.needsPin() && !o.Bootstrap.Disabled }

// OpenBaoArgs maps rampart:openbao and its secrets to the component's args.
// The PIN and the deployer password become secret Outputs; PinIsSecret and
// DeployerPasswordIsSecret say whether the stack stores them encrypted.
func (c *Config) OpenBaoArgs() *openbao.OpenBaoArgs {
	o := c.OpenBao
	s := o.Seal
	a := &openbao.OpenBaoArgs{
		Mode: o.Mode, Version: o.Version, Namespace: o.Namespace, Replicas: o.Replicas,
		Chart: o.Chart, Image: o.Image, Storage: o.Storage, TLS: o.TLS, APIAddr: o.APIAddr, UI: o.UI,
		Telemetry: o.Telemetry, Audit: o.Audit, Nodes: o.Nodes, SkipAwait: c.SkipAwait(),
		Seal: openbao.SealArgs{
			Type: s.Type, Lib: s.Lib, Slot: s.Slot, TokenLabel: s.TokenLabel, KeyLabel: s.KeyLabel,
			Mechanism: s.Mechanism, RSAOAEPHash: s.RSAOAEPHash, HMACKeyLabel: s.HMACKeyLabel, HMACMechanism: s.HMACMechanism,
			PluginCommand: s.PluginCommand, PluginImage: s.PluginImage, PluginVersion: s.PluginVersion,
			PluginSHA256: s.PluginSHA256, PluginDirectory: s.PluginDirectory, ClientImage: s.ClientImage,
			ClientImageDir: s.ClientImageDir, ClientConfigSecret: s.ClientConfigSecret, Env: s.Env,
		},
		Bootstrap: openbao.BootstrapArgs{
			Disabled: o.Bootstrap.Disabled, DeployerUsername: o.Bootstrap.DeployerUsername,
			DeployerPolicy: o.Bootstrap.DeployerPolicy, TokenTTL: o.Bootstrap.TokenTTL, TokenMaxTTL: o.Bootstrap.TokenMaxTTL,
		},
	}
	if p := c.Secrets.OpenBaoHsmPin; p != nil {
		a.Seal.Pin, a.Seal.PinIsSecret = p.Output(), p.IsSecret
	}
	if p := c.Secrets.OpenBaoDeployerPassword; p != nil {
		a.Bootstrap.DeployerPassword, a.Bootstrap.DeployerPasswordIsSecret = p.Output(), p.IsSecret
	}
	return a
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
