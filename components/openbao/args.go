package openbao

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/kname"
	"github.com/rampart-dev/rampart/components/verr"
)

// Mode says who runs the OpenBao server.
type Mode string

const (
	// ModeChart deploys OpenBao into Kubernetes with the upstream openbao-helm
	// chart (raft HA StatefulSet). The default.
	ModeChart Mode = "chart"
	// ModeExternal runs OpenBao elsewhere (typically HSM-attached VMs): the
	// component renders one config per node and outputs the address, and
	// creates no Kubernetes object.
	ModeExternal Mode = "external"
)

// SealType is the Auto Unseal mechanism.
type SealType string

// SealPKCS11 seals the root key with a key that never leaves the HSM
// (PKCS#11). It is the only seal Rampart generates: it gives auto-unseal, which
// OpenBao's self-initialisation requires, without any cloud KMS.
// NIS2 Art. 21(2)(h); ISM-0457..0494 (cryptographic key management).
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

// Defaults confirmed on 2026-11-24 (see the package documentation for sources).
const (
	// DefaultVersion is the newest OpenBao release confirmed from the upstream
	// repository tags and the chart's appVersion.
	DefaultVersion = "2.6.2"
	// DefaultChartVersion is the openbao-helm chart whose appVersion is v2.6.2.
	DefaultChartVersion = "0.29.2"
	// DefaultChartRepository is the upstream chart repository; air-gapped sites
	// point ChartArgs.Repository at an OCI mirror (oci://…) instead.
	DefaultChartRepository = "https://openbao.github.io/openbao-helm"
	// DefaultPluginCommand is the binary name of the kms-pkcs11 plugin from
	// openbao-plugins.
	DefaultPluginCommand = "openbao-plugin-kms-pkcs11"
	// PinEnv is the environment variable OpenBao's PKCS#11 seal reads the PIN
	// from; the PIN is never written to the config file.
	PinEnv = "BAO_HSM_PIN"
	// DeployerPasswordEnv carries the deployer's initial password to the
	// self-initialisation stanza.
	DeployerPasswordEnv = "BAO_DEPLOYER_PASSWORD"
	// HardenedUID is the non-root uid/gid the server runs as (restricted PSS).
	HardenedUID = 10000
)

// minVersion is the oldest OpenBao with declarative self-initialisation and
// config-defined audit devices (2.4.0); older lines are out of support.
var minVersion = semver{2, 4, 0}

// pluginSealVersion is the first OpenBao that loads seals as external kms
// plugins (2.6.0); 2.7.0 removed the built-in pkcs11 seal.
var pluginSealVersion = semver{2, 6, 0}

// OpenBaoArgs configures an OpenBao deployment. Zero values take the secure
// defaults documented on each field (see withDefaults).
type OpenBaoArgs struct {
	// Mode is ModeChart (default) or ModeExternal.
	Mode Mode
	// Version is the OpenBao version (e.g. "2.6.2"); default DefaultVersion.
	// ≥ 2.6 renders the kms-pkcs11 plugin form; 2.4–2.5 the built-in seal.
	// Older versions are rejected (no self-initialisation, out of support).
	Version string
	// Namespace is the Kubernetes namespace (ModeChart, required). It should be
	// a PSS-restricted namespace: nothing here needs an exemption.
	Namespace string
	// Replicas is the raft cluster size (ModeChart); default 3. Must be odd so
	// a quorum survives a zone or node loss.
	Replicas int
	// Chart selects the openbao-helm chart (ModeChart).
	Chart ChartArgs
	// Image is the server image (ModeChart).
	Image ImageArgs
	// Storage sizes the raft data and audit volumes (ModeChart).
	Storage StorageArgs
	// TLS locates the listener's certificate. TLS 1.3 is the minimum and is
	// not configurable. ISM-1139 (use TLS 1.3), NIS2 Art. 21(2)(h).
	TLS TLSArgs
	// APIAddr is the address clients use (https://…). ModeExternal: required
	// (the load-balanced name of the VMs). ModeChart: default the in-cluster
	// active service, https://<name>-active.<namespace>.svc:8200.
	APIAddr string
	// UI enables the web UI; default false (smaller attack surface; operators
	// use the CLI/API, which are audited the same way).
	UI bool
	// Telemetry configures the Prometheus endpoint.
	Telemetry TelemetryArgs
	// Audit configures the file audit device. NIS2 Art. 21(2)(g); ISM-0580.
	Audit AuditArgs
	// Seal configures the HSM seal.
	Seal SealArgs
	// Bootstrap configures self-initialisation and the deployer identity.
	Bootstrap BootstrapArgs
	// Nodes lists the servers in ModeExternal (one config is rendered per
	// node, each with its raft node_id). Ignored in ModeChart, where node ids
	// are the pod names.
	Nodes []Node
	// SkipAwait makes Pulumi not wait for the chart's workloads (only for the
	// local lab, whose API server has no nodes); default false.
	SkipAwait bool
}

// ChartArgs selects the openbao-helm chart.
type ChartArgs struct {
	// Repository is an https chart repository or an OCI registry path
	// (oci://registry/path, the chart "openbao" is appended). Default
	// DefaultChartRepository. Air-gapped sites use their OCI mirror.
	Repository string
	// Version pins the chart; default DefaultChartVersion. Never left floating:
	// an unpinned chart would change the server without a reviewed diff.
	Version string
}

// ImageArgs selects the server image.
type ImageArgs struct {
	// Registry; default "quay.io".
	Registry string
	// Repository; default "openbao/openbao-ubi" (glibc, which most vendor
	// PKCS#11 libraries need) for ≥ 2.6 and "openbao/openbao-hsm-ubi" (cgo
	// build with the built-in seal) for 2.4–2.5.
	Repository string
	// Tag; default the OpenBao version. Pin by digest with "x.y.z@sha256:…".
	Tag string
}

// StorageArgs sizes the persistent volumes (ModeChart).
type StorageArgs struct {
	// DataSize is the raft volume size; default "10Gi".
	DataSize string
	// AuditSize is the audit log volume size; default "10Gi".
	AuditSize string
	// StorageClass; default "" (the cluster default). Prefer a class with
	// reclaimPolicy Retain.
	StorageClass string
}

// TLSArgs locates the listener certificate.
type TLSArgs struct {
	// SecretName (ModeChart) is a kubernetes.io/tls Secret with tls.crt,
	// tls.key and ca.crt (e.g. issued by cert-manager); default
	// "<name>-tls". It must cover <name>-N.<name>-internal and the service names.
	SecretName string
	// CertFile, KeyFile and CAFile are the paths on the server; defaults
	// /openbao/tls/tls.crt, tls.key and ca.crt (where ModeChart mounts the Secret).
	CertFile, KeyFile, CAFile string
}

// TelemetryArgs configures telemetry.
type TelemetryArgs struct {
	// PrometheusRetention is prometheus_retention_time; default "30s".
	// disable_hostname is always true so metrics do not fan out per pod name.
	PrometheusRetention string
}

// AuditArgs configures the audit device declared in the config file (audit
// devices cannot then be created or removed through the API).
type AuditArgs struct {
	// FilePath is the file audit device's path; default
	// "/openbao/audit/audit.log" (a retained volume in ModeChart). "stdout" is
	// accepted for log shippers.
	FilePath string
}

// SealArgs configures the PKCS#11 seal.
type SealArgs struct {
	// Type must be SealPKCS11 (the default).
	Type SealType
	// Lib is the absolute path of the vendor PKCS#11 library on the server
	// (required), e.g. /openbao/hsm/lib/libsofthsm2.so.
	Lib string
	// Slot is the slot number as a decimal string (OpenBao's documented
	// form); hex values are rejected with their decimal equivalent. Slot or
	// TokenLabel is required.
	Slot string
	// TokenLabel selects the token by label. Slot or TokenLabel is required.
	TokenLabel string
	// KeyLabel is the label of the existing key (OpenBao never creates one).
	KeyLabel string
	// Mechanism is MechanismAESGCM (default) or MechanismRSAOAEP; the names
	// CKM_AES_GCM / CKM_RSA_PKCS_OAEP are accepted and normalised. OpenBao
	// accepts only these two AEAD mechanisms; 0x1085 (CKM_AES_CBC_PAD) is rejected.
	Mechanism Mechanism
	// RSAOAEPHash is the OAEP hash for MechanismRSAOAEP: sha256 (default),
	// sha384 or sha512. sha1 is rejected.
	RSAOAEPHash string
	// HMACKeyLabel and HMACMechanism exist only to be rejected: OpenBao's
	// PKCS#11 seal has no HMAC step (wrappers/pkcs11 silently ignores these
	// keys; the kms/pkcs11-based plugin refuses unknown keys), so a config that
	// sets them documents a protection that does not exist.
	HMACKeyLabel, HMACMechanism string
	// Pin is the HSM user PIN, a Pulumi secret (required in ModeChart). It is
	// written only to a Kubernetes Secret read into BAO_HSM_PIN; never to the
	// HCL or to a plain output. ModeExternal: the VMs provide BAO_HSM_PIN.
	Pin pulumi.StringOutput
	// PinIsSecret must be true: the caller (the stack config layer) asserts
	// that Pin came from a secret config value. Validate cannot see Output
	// secretness, so a false value is rejected; the component also wraps Pin
	// with pulumi.ToSecret.
	PinIsSecret bool
	// PluginCommand is the kms-pkcs11 binary name in PluginDirectory (≥ 2.6);
	// default DefaultPluginCommand unless PluginImage is set.
	PluginCommand string
	// PluginImage is an OCI artifact to download the plugin from at start-up
	// (≥ 2.6; e.g. ghcr.io/openbao/openbao-plugin-kms-pkcs11 or a mirror).
	// Mutually exclusive with PluginCommand; needs PluginVersion.
	PluginImage string
	// PluginVersion is the plugin version/tag (required with PluginImage).
	PluginVersion string
	// PluginSHA256 is the 64-hex SHA-256 of the plugin binary (≥ 2.6,
	// required): OpenBao refuses to run a binary that does not match.
	PluginSHA256 string
	// PluginDirectory is plugin_directory; default "/openbao/hsm/plugins"
	// (the HSM client volume) or "/openbao/plugins" (writable, PluginImage).
	PluginDirectory string
	// ClientImage (ModeChart) is an image holding the vendor PKCS#11 library
	// (and, for the command form, the plugin under plugins/) in ClientImageDir.
	// An init container copies it into an emptyDir mounted read-only at
	// /openbao/hsm, so no hostPath and no PSS exemption is needed. Pin by digest.
	ClientImage string
	// ClientImageDir is the directory copied out of ClientImage; default "/hsm".
	ClientImageDir string
	// ClientConfigSecret (ModeChart) is an optional Secret with the vendor
	// client configuration (e.g. network HSM certificates), mounted read-only
	// at /openbao/hsm-config.
	ClientConfigSecret string
	// Env are extra non-secret environment variables the vendor library needs
	// (e.g. its configuration path).
	Env map[string]string
}

// BootstrapArgs configures how a fresh cluster reaches an initialised,
// unsealed and usable state in one `pulumi up` (see the package documentation).
type BootstrapArgs struct {
	// Disabled turns off self-initialisation (the operator then runs
	// `bao operator init` once); default false.
	Disabled bool
	// DeployerUsername is the userpass user the vault provider logs in as;
	// default "rampart-deployer".
	DeployerUsername string
	// DeployerPassword is that user's password, a Pulumi secret (required in
	// ModeChart when bootstrap is enabled); it reaches the server only through
	// a Kubernetes Secret read into BAO_DEPLOYER_PASSWORD.
	DeployerPassword pulumi.StringOutput
	// DeployerPasswordIsSecret must be true (see SealArgs.PinIsSecret).
	DeployerPasswordIsSecret bool
	// DeployerPolicy is the ACL policy (HCL) of the deployer; default a policy
	// limited to mounts, PKI, auth methods, ACL policies and child tokens.
	DeployerPolicy string
	// TokenTTL and TokenMaxTTL bound the deployer's tokens; defaults "15m"
	// and "1h" — short-lived instead of a root token. ISM-1590 (privileged
	// credentials are not long-lived).
	TokenTTL, TokenMaxTTL string
}

// Node is one server in ModeExternal.
type Node struct {
	// ID is the raft node_id (unique).
	ID string
	// APIAddr is this node's https address for clients and raft joins.
	APIAddr string
	// ClusterAddr is this node's https cluster address (port 8201).
	ClusterAddr string
}

// fullname is the Kubernetes name of the release, its StatefulSet and services.
func fullname(name string) string { return kname.Join(name) }

// withDefaults returns a copy of a with every unset field defaulted.
func (a OpenBaoArgs) withDefaults(name string) OpenBaoArgs {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	if a.Mode == "" {
		a.Mode = ModeChart
	}
	def(&a.Version, DefaultVersion)
	if a.Replicas == 0 {
		a.Replicas = 3
	}
	def(&a.Chart.Repository, DefaultChartRepository)
	def(&a.Chart.Version, DefaultChartVersion)
	def(&a.Image.Registry, "quay.io")
	v, verErr := parseSemver(a.Version)
	if a.Image.Repository == "" {
		if verErr == nil && v.less(pluginSealVersion) {
			a.Image.Repository = "openbao/openbao-hsm-ubi"
		} else {
			a.Image.Repository = "openbao/openbao-ubi"
		}
	}
	def(&a.Image.Tag, strings.TrimPrefix(a.Version, "v"))
	def(&a.Storage.DataSize, "10Gi")
	def(&a.Storage.AuditSize, "10Gi")
	def(&a.TLS.SecretName, kname.Join(fullname(name), "tls"))
	def(&a.TLS.CertFile, "/openbao/tls/tls.crt")
	def(&a.TLS.KeyFile, "/openbao/tls/tls.key")
	def(&a.TLS.CAFile, "/openbao/tls/ca.crt")
	if a.Mode == ModeChart && a.Namespace != "" {
		def(&a.APIAddr, fmt.Sprintf("https://%s.%s.svc:8200", kname.Join(fullname(name), "active"), a.Namespace))
	}
	def(&a.Telemetry.PrometheusRetention, "30s")
	def(&a.Audit.FilePath, "/openbao/audit/audit.log")
	if a.Seal.Type == "" {
		a.Seal.Type = SealPKCS11
	}
	if a.Seal.Mechanism == "" {
		a.Seal.Mechanism = MechanismAESGCM
	}
	a.Seal.Mechanism = normaliseMechanism(a.Seal.Mechanism)
	if a.Seal.Mechanism == MechanismRSAOAEP {
		def(&a.Seal.RSAOAEPHash, "sha256")
	}
	if verErr == nil && !v.less(pluginSealVersion) {
		if a.Seal.PluginImage == "" {
			def(&a.Seal.PluginCommand, DefaultPluginCommand)
			def(&a.Seal.PluginDirectory, "/openbao/hsm/plugins")
		} else {
			def(&a.Seal.PluginDirectory, "/openbao/plugins")
		}
	}
	def(&a.Seal.ClientImageDir, "/hsm")
	def(&a.Bootstrap.DeployerUsername, "rampart-deployer")
	def(&a.Bootstrap.TokenTTL, "15m")
	def(&a.Bootstrap.TokenMaxTTL, "1h")
	if a.Bootstrap.DeployerPolicy == "" {
		a.Bootstrap.DeployerPolicy = defaultDeployerPolicy()
	}
	return a
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

var (
	hex64   = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	decimal = regexp.MustCompile(`^[0-9]+$`)
	// exactVersion is a pinned semver, no ranges or wildcards.
	exactVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
	userName     = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	sizeRe       = regexp.MustCompile(`^[1-9][0-9]*(Mi|Gi|Ti)$`)
	// hclSafeStr keeps values that mean the same in HCL 2 (our writer) and
	// HCL 1 (OpenBao's parser): no quotes, backslashes, template markers
	// ($, %, braces) or control characters, which the two escape differently.
	hclSafeStr = regexp.MustCompile(`^[^\x00-\x1f"{}$%\\]*$`)
)

// Validate reports every problem in a, after applying the defaults, with its
// config key path under path (e.g. "rampart:openbao"), joined one per line;
// nil when a is usable. The stack config layer can call it before any resource
// is registered; NewOpenBao calls it too.
func (a *OpenBaoArgs) Validate(path string) error {
	d := a.withDefaults("openbao")
	return d.validate(path, true)
}

// validate checks a defaulted copy; withSecrets adds the checks on the
// Pulumi-typed secrets, which the pure renderers do not need.
func (a *OpenBaoArgs) validate(path string, withSecrets bool) error {
	var l verr.List
	p := func(k string) string { return path + "." + k }

	v, err := parseSemver(a.Version)
	switch {
	case err != nil:
		l.Add(p("version"), a.Version, "not a version", "use x.y.z, e.g. "+DefaultVersion)
	case v.less(minVersion):
		l.Add(p("version"), a.Version, "OpenBao before 2.4.0 has no self-initialisation or config-defined audit devices and is out of support",
			"set version to "+DefaultVersion+" or newer")
	}
	plugin := err == nil && !v.less(pluginSealVersion)

	switch a.Mode {
	case ModeChart:
		if a.Namespace == "" {
			l.Add(p("namespace"), a.Namespace, "chart mode needs a namespace", "set namespace to the (PSS-restricted) namespace OpenBao runs in")
		}
		if a.Replicas < 1 || a.Replicas%2 == 0 || a.Replicas > 7 {
			l.Add(p("replicas"), a.Replicas, "raft needs an odd cluster size to keep a quorum", "set replicas to 1 (lab only), 3 or 5")
		}
		if !strings.HasPrefix(a.Chart.Repository, "https://") && !strings.HasPrefix(a.Chart.Repository, "oci://") {
			l.Add(p("chart.repository"), a.Chart.Repository, "the chart must come over https or from an OCI registry",
				"use "+DefaultChartRepository+" or your OCI mirror (oci://registry/path)")
		}
		if !exactVersion.MatchString(a.Chart.Version) {
			l.Add(p("chart.version"), a.Chart.Version, "the chart version must be pinned", "set chart.version to an exact version, e.g. "+DefaultChartVersion)
		}
		for _, s := range []struct{ k, v string }{{"storage.dataSize", a.Storage.DataSize}, {"storage.auditSize", a.Storage.AuditSize}} {
			if !sizeRe.MatchString(s.v) {
				l.Add(p(s.k), s.v, "not a volume size", "use a quantity such as 10Gi")
			}
		}
		if withSecrets && (!a.Seal.PinIsSecret || a.Seal.Pin.OutputState == nil) {
			l.Add(p("seal.pin"), verr.Redacted, "the HSM PIN must be a Pulumi secret (it unlocks the key that protects every secret in OpenBao)",
				"set it with `pulumi config set --secret` and pass it as a secret Output with PinIsSecret=true; it is delivered only as "+PinEnv)
		}
		if withSecrets && !a.Bootstrap.Disabled && (!a.Bootstrap.DeployerPasswordIsSecret || a.Bootstrap.DeployerPassword.OutputState == nil) {
			l.Add(p("bootstrap.deployerPassword"), verr.Redacted, "the deployer password must be a Pulumi secret",
				"set it with `pulumi config set --secret` (or generate it with random.RandomPassword) and pass DeployerPasswordIsSecret=true")
		}
		if len(a.Namespace) > 63 {
			l.Add(p("namespace"), a.Namespace, "longer than 63 characters", "use a shorter namespace")
		}
	case ModeExternal:
		if len(a.Nodes) == 0 {
			l.Add(p("nodes"), 0, "external mode renders one config per server", "list the servers with their id, apiAddr and clusterAddr")
		}
		seen := map[string]bool{}
		for i, n := range a.Nodes {
			np := fmt.Sprintf("nodes[%d]", i)
			if n.ID == "" || !hclSafeStr.MatchString(n.ID) {
				l.Add(p(np+".id"), n.ID, "a raft node id is required and must be plain text", "set a unique id such as bao-1")
			} else if seen[n.ID] {
				l.Add(p(np+".id"), n.ID, "duplicate raft node id", "give every node its own id")
			}
			seen[n.ID] = true
			checkHTTPS(&l, p(np+".apiAddr"), n.APIAddr)
			checkHTTPS(&l, p(np+".clusterAddr"), n.ClusterAddr)
		}
		checkHTTPS(&l, p("apiAddr"), a.APIAddr)
	default:
		l.Add(p("mode"), string(a.Mode), "unknown mode", `use "chart" or "external"`)
	}
	if a.Mode == ModeChart && a.APIAddr != "" {
		checkHTTPS(&l, p("apiAddr"), a.APIAddr)
	}

	if _, err := time.ParseDuration(a.Telemetry.PrometheusRetention); err != nil {
		l.Add(p("telemetry.prometheusRetention"), a.Telemetry.PrometheusRetention, "not a duration", "use e.g. 30s")
	}
	if a.Audit.FilePath != "stdout" && (!isAbs(a.Audit.FilePath) || !hclSafeStr.MatchString(a.Audit.FilePath)) {
		l.Add(p("audit.filePath"), a.Audit.FilePath, "the audit file must be an absolute path (or stdout)", "use /openbao/audit/audit.log")
	}
	for _, f := range []struct{ k, v string }{{"tls.certFile", a.TLS.CertFile}, {"tls.keyFile", a.TLS.KeyFile}, {"tls.caFile", a.TLS.CAFile}} {
		if !isAbs(f.v) || !hclSafeStr.MatchString(f.v) {
			l.Add(p(f.k), f.v, "must be an absolute path", "use the path where the certificate is mounted")
		}
	}

	a.validateSeal(&l, p, plugin)
	a.validateBootstrap(&l, p)
	return l.Err()
}

func checkHTTPS(l *verr.List, key, v string) {
	u, err := url.Parse(v)
	if v == "" || err != nil || u.Scheme != "https" || u.Host == "" || !hclSafeStr.MatchString(v) {
		l.Add(key, v, "must be an https:// URL (the listener only speaks TLS 1.3)", "set it to https://<host>:<port>")
	}
}

func (a *OpenBaoArgs) validateSeal(l *verr.List, p func(string) string, plugin bool) {
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
	if a.Mode == ModeChart && s.ClientImage == "" {
		// The HSM client volume is an emptyDir filled only from ClientImage.
		if strings.HasPrefix(s.Lib, hsmMountPath+"/") {
			l.Add(p("seal.lib"), s.Lib, "the HSM client volume "+hsmMountPath+" stays empty without seal.clientImage",
				"set seal.clientImage to the image holding the vendor library, or point seal.lib at a path inside your server image")
		}
		if plugin && s.PluginImage == "" && strings.HasPrefix(s.PluginDirectory, hsmMountPath+"/") {
			l.Add(p("seal.pluginDirectory"), s.PluginDirectory, "the kms-pkcs11 plugin is expected in the HSM client volume, which stays empty without seal.clientImage",
				"set seal.clientImage (with the plugin under plugins/), or seal.pluginImage, or a pluginDirectory inside your server image")
		}
	}
	if plugin {
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
		if !isAbs(s.PluginDirectory) || !hclSafeStr.MatchString(s.PluginDirectory) {
			l.Add(p("seal.pluginDirectory"), s.PluginDirectory, "plugin_directory must be an absolute path", "use /openbao/hsm/plugins")
		}
		for _, f := range []struct{ k, v string }{{"seal.pluginCommand", s.PluginCommand}, {"seal.pluginImage", s.PluginImage}, {"seal.pluginVersion", s.PluginVersion}} {
			if !hclSafeStr.MatchString(f.v) || (f.k == "seal.pluginCommand" && strings.Contains(f.v, "/")) {
				l.Add(p(f.k), f.v, "not a plain name", "use the plugin's file name (inside pluginDirectory) or image reference")
			}
		}
	} else if s.PluginCommand != "" || s.PluginImage != "" || s.PluginSHA256 != "" {
		l.Add(p("seal.pluginCommand"), s.PluginCommand+s.PluginImage, "KMS plugins exist from OpenBao 2.6.0; "+a.Version+" uses the built-in seal",
			"remove the plugin settings or set version to "+DefaultVersion)
	}
}

func (a *OpenBaoArgs) validateBootstrap(l *verr.List, p func(string) string) {
	b := &a.Bootstrap
	if b.Disabled {
		return
	}
	if !userName.MatchString(b.DeployerUsername) {
		l.Add(p("bootstrap.deployerUsername"), b.DeployerUsername, "not a valid userpass name", "use lower-case letters, digits, - and _")
	}
	ttl, err1 := time.ParseDuration(b.TokenTTL)
	maxTTL, err2 := time.ParseDuration(b.TokenMaxTTL)
	switch {
	case err1 != nil || ttl <= 0:
		l.Add(p("bootstrap.tokenTtl"), b.TokenTTL, "not a positive duration", "use e.g. 15m")
	case err2 != nil || maxTTL < ttl:
		l.Add(p("bootstrap.tokenMaxTtl"), b.TokenMaxTTL, "must be a duration no shorter than tokenTtl", "use e.g. 1h")
	case maxTTL > 24*time.Hour:
		l.Add(p("bootstrap.tokenMaxTtl"), b.TokenMaxTTL, "deployer tokens must stay short-lived (no longer than 24h)", "use 1h")
	}
	switch {
	case strings.TrimSpace(b.DeployerPolicy) == "":
		l.Add(p("bootstrap.deployerPolicy"), b.DeployerPolicy, "empty policy", "leave it unset for the default deployer policy")
	case strings.Contains(b.DeployerPolicy, "${") || strings.Contains(b.DeployerPolicy, "%{") || strings.Contains(b.DeployerPolicy, "{{"):
		// HCL 2 escapes ${ and %{ where HCL 1 does not, and the chart runs the
		// config through Helm's tpl, which would expand {{ }}.
		l.Add(p("bootstrap.deployerPolicy"), "[policy]", "contains ${, %{ or {{, which the config file cannot carry unchanged",
			"drop templated paths from the bootstrap policy; manage templated policies with the vault provider after bootstrap")
	}
}

// semver is a parsed x.y.z.
type semver [3]int

func parseSemver(s string) (semver, error) {
	var v semver
	parts := strings.Split(strings.TrimPrefix(s, "v"), ".")
	if len(parts) != 3 {
		return v, fmt.Errorf("bad version %q", s)
	}
	for i, part := range parts {
		if i == 2 {
			part, _, _ = strings.Cut(part, "-")
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return v, fmt.Errorf("bad version %q", s)
		}
		v[i] = n
	}
	return v, nil
}

func (v semver) less(o semver) bool {
	for i := range v {
		if v[i] != o[i] {
			return v[i] < o[i]
		}
	}
	return false
}

// usesPluginSeal reports whether version needs the kms-pkcs11 plugin form.
func usesPluginSeal(version string) bool {
	v, err := parseSemver(version)
	return err == nil && !v.less(pluginSealVersion)
}

func isAbs(p string) bool { return path.IsAbs(p) }
