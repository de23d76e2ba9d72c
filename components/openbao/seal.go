package openbao

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// SealType is the Auto Unseal mechanism.
type SealType string

// SealPKCS11 seals the root key with a key that never leaves the HSM
// (PKCS#11). It is the only seal Rampart generates: it gives auto-unseal, which
// OpenBao's self-initialisation requires, without any cloud KMS.
// NIS2 Art. 21(2)(h); ISM-1402 (credentials protected by a hardware
// security module).
const SealPKCS11 SealType = "pkcs11"

// Mechanism is a PKCS#11 encryption mechanism, as OpenBao's seal accepts it.
type Mechanism string

const (
	// MechanismAESGCM is CKM_AES_GCM (0x1087): authenticated encryption with an
	// AES key held in the HSM. The default.
	MechanismAESGCM Mechanism = "0x1087"
	// MechanismRSAOAEP is CKM_RSA_PKCS_OAEP (0x0009) with an RSA key pair.
	MechanismRSAOAEP Mechanism = "0x0009"
)

const (
	// DefaultPluginCommand is the binary name of the kms-pkcs11 plugin from
	// openbao-plugins.
	DefaultPluginCommand = "openbao-plugin-kms-pkcs11"
	// PinEnv is the environment variable OpenBao's PKCS#11 seal reads the PIN
	// from; the PIN is never written to the config file.
	PinEnv = "BAO_HSM_PIN"
)

// pluginSealVersion is the first OpenBao that loads seals as external kms
// plugins (2.6.0); 2.7.0 removed the built-in pkcs11 seal.
var pluginSealVersion = semver{2, 6, 0}

// SealArgs configures the PKCS#11 seal. Its json keys are the stack config's
// (seal.tokenLabel, seal.pluginSha256, …); the PIN has none: it comes only
// from a Pulumi secret, which the caller sets after decoding.
type SealArgs struct {
	// Type must be SealPKCS11 (the default).
	Type SealType `json:"type,omitempty"`
	// Lib is the absolute path of the vendor PKCS#11 library on the server
	// (required), e.g. /openbao/hsm/lib/libsofthsm2.so.
	Lib string `json:"lib,omitempty"`
	// Slot is the slot number as a decimal string (OpenBao's documented
	// form); hex values are rejected with their decimal equivalent. Exactly
	// one of Slot and TokenLabel is required: both set is refused, since
	// the two could name different tokens.
	Slot string `json:"slot,omitempty"`
	// TokenLabel selects the token by label (preferred: it survives slot
	// renumbering). Exactly one of Slot and TokenLabel is required.
	TokenLabel string `json:"tokenLabel,omitempty"`
	// KeyLabel is the label of the existing key (OpenBao never creates one).
	KeyLabel string `json:"keyLabel,omitempty"`
	// Mechanism is MechanismAESGCM (default) or MechanismRSAOAEP; the names
	// CKM_AES_GCM / CKM_RSA_PKCS_OAEP are accepted and normalised. OpenBao
	// accepts only these two AEAD mechanisms; 0x1085 (CKM_AES_CBC_PAD) is rejected.
	Mechanism Mechanism `json:"mechanism,omitempty"`
	// RSAOAEPHash is the OAEP hash for MechanismRSAOAEP: sha256 (default),
	// sha384 or sha512. sha1 is rejected.
	RSAOAEPHash string `json:"rsaOaepHash,omitempty"`
	// HMACKeyLabel exists only to be rejected: OpenBao's PKCS#11 seal has no
	// HMAC step (wrappers/pkcs11 silently ignores these keys; the
	// kms/pkcs11-based plugin refuses unknown keys), so a config that sets it
	// documents a protection that does not exist.
	HMACKeyLabel string `json:"hmacKeyLabel,omitempty"`
	// HMACMechanism exists only to be rejected (see HMACKeyLabel).
	HMACMechanism string `json:"hmacMechanism,omitempty"`
	// Pin is the HSM user PIN, a Pulumi secret (required in ModeChart). It is
	// written only to a Kubernetes Secret read into BAO_HSM_PIN; never to the
	// HCL or to a plain output. ModeExternal: the VMs provide BAO_HSM_PIN.
	// Not decoded from config (json "-"): the caller sets it from its own
	// secret.
	Pin pulumi.StringOutput `json:"-"`
	// PinIsSecret must be true: the caller (the stack config layer) asserts
	// that Pin came from a secret config value. Validate cannot see Output
	// secretness, so a false value is rejected; the component also wraps Pin
	// with pulumi.ToSecret. Not decoded from config.
	PinIsSecret bool `json:"-"`
	// PluginCommand is the kms-pkcs11 binary name in PluginDirectory (≥ 2.6);
	// default DefaultPluginCommand unless PluginImage is set.
	PluginCommand string `json:"pluginCommand,omitempty"`
	// PluginImage is an OCI artifact to download the plugin from at start-up
	// (≥ 2.6; e.g. ghcr.io/openbao/openbao-plugin-kms-pkcs11 or a mirror).
	// Mutually exclusive with PluginCommand; needs PluginVersion.
	PluginImage string `json:"pluginImage,omitempty"`
	// PluginVersion is the plugin version/tag (required with PluginImage).
	PluginVersion string `json:"pluginVersion,omitempty"`
	// PluginSHA256 is the 64-hex SHA-256 of the plugin binary (≥ 2.6,
	// required): OpenBao refuses to run a binary that does not match.
	PluginSHA256 string `json:"pluginSha256,omitempty"`
	// PluginDirectory is plugin_directory; default "/openbao/hsm/plugins"
	// (the HSM client volume) or "/openbao/plugins" (writable, PluginImage).
	PluginDirectory string `json:"pluginDirectory,omitempty"`
	// ClientImage (ModeChart) is an image holding the vendor PKCS#11 library
	// (and, for the command form, the plugin under plugins/) in ClientImageDir.
	// An init container copies it into an emptyDir mounted read-only at
	// /openbao/hsm, so no hostPath and no PSS exemption is needed. Pin by digest.
	ClientImage string `json:"clientImage,omitempty"`
	// ClientImageDir is the directory copied out of ClientImage; default "/hsm".
	ClientImageDir string `json:"clientImageDir,omitempty"`
	// ClientConfigSecret (ModeChart) is an optional Secret with the vendor
	// client configuration (e.g. network HSM certificates), mounted read-only
	// at /openbao/hsm-config.
	ClientConfigSecret string `json:"clientConfigSecret,omitempty"`
	// Env are extra non-secret environment variables the vendor library needs
	// (e.g. its configuration path).
	Env map[string]string `json:"env,omitempty"`
}

// normaliseMechanism maps the accepted spellings to the hex form.
func normaliseMechanism(m Mechanism) Mechanism {
	switch strings.ToUpper(strings.TrimSpace(string(m))) {
	case "0X1087", "CKM_AES_GCM", "AES_GCM", "4231":
		return MechanismAESGCM
	case "0X0009", "0X9", "CKM_RSA_PKCS_OAEP", "RSA_PKCS_OAEP", "9":
		return MechanismRSAOAEP
	}
	return m
}

// usesPluginSeal reports whether version needs the kms-pkcs11 plugin form.
func usesPluginSeal(version string) bool {
	v, err := parseSemver(version)
	return err == nil && !v.less(pluginSealVersion)
}

func (a *OpenBaoArgs) validateSeal(l *verr.List, p func(string) string, plugin, withSecrets bool) {
	s := &a.Seal
	if s.Type != SealPKCS11 {
		l.Add(p("seal.type"), string(s.Type), "Rampart only generates the PKCS#11 (HSM) seal", `set seal.type to "pkcs11"`)
	}
	if !isAbs(s.Lib) || !hclSafeStr.MatchString(s.Lib) {
		l.Add(p("seal.lib"), s.Lib, "the PKCS#11 library must be an absolute path on the server", "set seal.lib, e.g. /openbao/hsm/lib/libsofthsm2.so")
	}
	switch {
	case s.Slot == "" && s.TokenLabel == "":
		l.Add(p("seal.slot"), s.Slot, "slot or token_label is required to select the HSM token", "set seal.tokenLabel (preferred) or seal.slot")
	case s.Slot != "" && !decimal.MatchString(s.Slot):
		fix := "write the slot number in decimal"
		if n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s.Slot), "0x"), 16, 64); err == nil && strings.HasPrefix(strings.ToLower(s.Slot), "0x") {
			fix = fmt.Sprintf("set seal.slot to %q (the decimal form of %s)", strconv.FormatUint(n, 10), s.Slot)
		}
		l.Add(p("seal.slot"), s.Slot, "OpenBao takes the slot as a decimal string", fix)
	}
	if s.Slot != "" && s.TokenLabel != "" {
		l.Add(p("seal.slot"), s.Slot, "set beside seal.tokenLabel: both select the HSM token and both would be rendered into the seal stanza, where they may name different tokens",
			"set only one: remove seal.slot (tokenLabel is preferred: a label survives slot renumbering) or remove seal.tokenLabel")
	}
	if !hclSafeStr.MatchString(s.TokenLabel) {
		l.Add(p("seal.tokenLabel"), s.TokenLabel, "contains characters that cannot appear in a label", "use the token label shown by pkcs11-tool -L")
	}
	if s.KeyLabel == "" || !hclSafeStr.MatchString(s.KeyLabel) {
		l.Add(p("seal.keyLabel"), s.KeyLabel, "the label of the existing HSM key is required (OpenBao never creates key material)",
			"create the key (e.g. pkcs11-tool --keygen --key-type aes:32 --label bao-root-key-aes) and set seal.keyLabel")
	}
	const accepted = "OpenBao accepts only 0x1087 (CKM_AES_GCM) or 0x0009 (CKM_RSA_PKCS_OAEP)"
	switch up := strings.ToUpper(string(s.Mechanism)); {
	case s.Mechanism == MechanismAESGCM || s.Mechanism == MechanismRSAOAEP:
	case up == "0X1085" || up == "4229" || strings.Contains(up, "AES_CBC_PAD"):
		l.Add(p("seal.mechanism"), string(s.Mechanism), "0x1085 is CKM_AES_CBC_PAD, not GCM; "+accepted+" — CBC without a MAC is unauthenticated and OpenBao's library refuses it",
			"set mechanism to 0x1087 (CKM_AES_GCM) for an AES key, or 0x0009 (CKM_RSA_PKCS_OAEP) for an RSA key pair")
	default:
		l.Add(p("seal.mechanism"), string(s.Mechanism), "unsupported PKCS#11 mechanism; "+accepted,
			"set mechanism to 0x1087 (CKM_AES_GCM) for an AES key, or 0x0009 (CKM_RSA_PKCS_OAEP) for an RSA key pair")
	}
	if s.Mechanism == MechanismRSAOAEP {
		switch s.RSAOAEPHash {
		case "sha256", "sha384", "sha512":
		default:
			l.Add(p("seal.rsaOaepHash"), s.RSAOAEPHash, "OAEP hash must be SHA-2 (sha1 and sha224 are too weak for a root key)", "set rsaOaepHash to sha256")
		}
	} else if s.RSAOAEPHash != "" {
		l.Add(p("seal.rsaOaepHash"), s.RSAOAEPHash, "rsa_oaep_hash applies only to 0x0009 (CKM_RSA_PKCS_OAEP)", "remove rsaOaepHash")
	}
	const hmacWhy = "OpenBao's PKCS#11 seal has no HMAC step: its seal library silently ignores hmac_* settings (newer kms-pkcs11 plugin builds refuse them as unknown keys), so this would claim integrity protection that does not exist — CKM_AES_GCM already authenticates"
	const hmacFix = "remove it and use mechanism 0x1087 (CKM_AES_GCM); no separate HMAC key is needed"
	if s.HMACKeyLabel != "" {
		l.Add(p("seal.hmacKeyLabel"), s.HMACKeyLabel, hmacWhy, hmacFix)
	}
	if s.HMACMechanism != "" {
		l.Add(p("seal.hmacMechanism"), s.HMACMechanism, hmacWhy, hmacFix)
	}
	for k := range s.Env {
		if k == PinEnv || strings.Contains(strings.ToUpper(k), "PIN") {
			l.Add(p("seal.env."+k), verr.Redacted, "the PIN must not travel as a plain environment value", "pass it as seal.pin (a Pulumi secret); it is delivered from a Kubernetes Secret")
		}
	}
	if a.Mode == ModeChart {
		if withSecrets && (!s.PinIsSecret || s.Pin.OutputState == nil) {
			l.Add(p("seal.pin"), verr.Redacted, "the HSM PIN must be a Pulumi secret (it unlocks the key that protects every secret in OpenBao)",
				"set it with `pulumi config set --secret` and pass it as a secret Output with PinIsSecret=true; it is delivered only as "+PinEnv)
		}
		a.validateClientVolume(l, p, plugin)
	}
	if plugin {
		validatePlugin(l, p, s)
	} else if s.PluginCommand != "" || s.PluginImage != "" || s.PluginSHA256 != "" {
		l.Add(p("seal.pluginCommand"), s.PluginCommand+s.PluginImage, "KMS plugins exist from OpenBao 2.6.0; "+a.Version+" uses the built-in seal",
			"remove the plugin settings or set version to "+DefaultVersion)
	}
}

// pluginImage is the plugin's OCI repository as the server downloads it:
// PluginImage on the mirror, or as written without one.
func (a *OpenBaoArgs) pluginImage() string {
	r, err := image.Parse(a.Seal.PluginImage)
	if a.Images.Registry == "" || err != nil {
		return a.Seal.PluginImage
	}
	return a.Images.Mirror(r).Name()
}

// validateClientVolume (ModeChart) checks that what the seal expects in the
// HSM client volume can get there: the volume is an emptyDir filled only from
// ClientImage.
func (a *OpenBaoArgs) validateClientVolume(l *verr.List, p func(string) string, plugin bool) {
	s := &a.Seal
	if s.ClientImage != "" {
		image.Require(l, p("seal.clientImage"), s.ClientImage)
		return
	}
	if strings.HasPrefix(s.Lib, hsmMountPath+"/") {
		l.Add(p("seal.lib"), s.Lib, "the HSM client volume "+hsmMountPath+" stays empty without seal.clientImage",
			"set seal.clientImage to the image holding the vendor library, or point seal.lib at a path inside your server image")
	}
	if plugin && s.PluginImage == "" && strings.HasPrefix(s.PluginDirectory, hsmMountPath+"/") {
		l.Add(p("seal.pluginDirectory"), s.PluginDirectory, "the kms-pkcs11 plugin is expected in the HSM client volume, which stays empty without seal.clientImage",
			"set seal.clientImage (with the plugin under plugins/), or seal.pluginImage, or a pluginDirectory inside your server image")
	}
}

// validatePlugin checks the kms-pkcs11 plugin settings (OpenBao ≥ 2.6).
func validatePlugin(l *verr.List, p func(string) string, s *SealArgs) {
	if !hex64.MatchString(s.PluginSHA256) {
		l.Add(p("seal.pluginSha256"), s.PluginSHA256, "OpenBao ≥ 2.6 runs the pkcs11 seal as the kms-pkcs11 plugin and refuses it without the binary's 64-hex SHA-256",
			"set seal.pluginSha256 to `sha256sum openbao-plugin-kms-pkcs11` of the released binary")
	}
	switch {
	case s.PluginImage != "" && s.PluginCommand != "":
		l.Add(p("seal.pluginCommand"), s.PluginCommand, "pluginCommand and pluginImage are mutually exclusive", "keep pluginImage (OCI download) or pluginCommand (pre-installed binary), not both")
	case s.PluginImage != "" && s.PluginVersion == "":
		l.Add(p("seal.pluginVersion"), s.PluginVersion, "an OCI plugin needs its version (tag)", "set seal.pluginVersion")
	}
	if r, err := image.Parse(s.PluginImage); s.PluginImage != "" && (err != nil || r.Tag != "" || r.Digest != "") {
		l.Add(p("seal.pluginImage"), s.PluginImage, "not an OCI repository (the binary is verified by seal.pluginSha256, its tag is seal.pluginVersion)",
			"use registry/repository, e.g. ghcr.io/openbao/openbao-plugin-kms-pkcs11")
	}
	if !isAbs(s.PluginDirectory) || !hclSafeStr.MatchString(s.PluginDirectory) {
		l.Add(p("seal.pluginDirectory"), s.PluginDirectory, "plugin_directory must be an absolute path", "use /openbao/hsm/plugins")
	}
	for _, f := range []struct{ k, v string }{{"seal.pluginCommand", s.PluginCommand}, {"seal.pluginImage", s.PluginImage}, {"seal.pluginVersion", s.PluginVersion}} {
		if !hclSafeStr.MatchString(f.v) || (f.k == "seal.pluginCommand" && strings.Contains(f.v, "/")) {
			l.Add(p(f.k), f.v, "not a plain name", "use the plugin's file name (inside pluginDirectory) or image reference")
		}
	}
}
