package openbao

import (
	"cmp"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
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

// Defaults confirmed on 2026-11-24 (see the package documentation for sources).
const (
	// DefaultMode is the Mode of args that leave it unset.
	DefaultMode = ModeChart
	// DefaultVersion is the newest OpenBao release confirmed from the upstream
	// repository tags and the chart's appVersion.
	DefaultVersion = "2.6.2"
	// HardenedUID is the non-root uid/gid the server runs as (restricted PSS).
	HardenedUID = 10000
	// DefaultReplicas is the raft cluster size of args that leave
	// Replicas unset: a quorum of 2 survives the loss of one server.
	DefaultReplicas = 3
)

// minVersion is the oldest OpenBao with declarative self-initialisation and
// config-defined audit devices (2.4.0); older lines are out of support.
var minVersion = semver{2, 4, 0}

// OpenBaoArgs configures an OpenBao deployment. Zero values take the secure
// defaults documented on each field (see withDefaults).
//
// It is also the schema of a configuration section: the json keys are the
// ones a stack config uses (camelCase, e.g. seal.tokenLabel,
// bootstrap.tokenTtl), so a caller can decode the section straight into it.
// The secrets (SealArgs.Pin, BootstrapArgs.DeployerPassword and their IsSecret
// flags) and SkipAwait have no key: the caller sets them after decoding, from
// its own secret values and environment profile.
type OpenBaoArgs struct {
	// Mode is ModeChart (default) or ModeExternal.
	Mode Mode `json:"mode,omitempty"`
	// Version is the OpenBao version (e.g. "2.6.2"); default DefaultVersion.
	// ≥ 2.6 renders the kms-pkcs11 plugin form; 2.4–2.5 the built-in seal.
	// Older versions are rejected (no self-initialisation, out of support).
	Version string `json:"version,omitempty"`
	// Namespace is the Kubernetes namespace (ModeChart, required). It should be
	// a PSS-restricted namespace: nothing here needs an exemption.
	Namespace string `json:"namespace,omitempty"`
	// Replicas is the raft cluster size (ModeChart); default 3 (nil, the
	// key absent); valid 1 (lab only), 3, 5 or 7: odd, so a quorum survives
	// a zone or node loss. A pointer because an explicit 0 is not "unset":
	// it would run no server at all, and is refused at its key rather than
	// silently becoming 3.
	Replicas *int `json:"replicas,omitempty"`
	// Chart selects the openbao-helm chart (ModeChart); default ChartPin.
	Chart chart.Source `json:"chart,omitzero"`
	// Storage sizes the raft data and audit volumes (ModeChart).
	Storage StorageArgs `json:"storage,omitzero"`
	// TLS locates the listener's certificate. TLS 1.3 is the minimum and is
	// not configurable. ISM-1139 (use TLS 1.3), NIS2 Art. 21(2)(h).
	TLS TLSArgs `json:"tls,omitzero"`
	// APIAddr is the address clients use (https://…). ModeExternal: required
	// (the load-balanced name of the VMs). ModeChart: default the in-cluster
	// active service, DefaultAPIAddr(name, Namespace).
	APIAddr string `json:"apiAddr,omitempty"`
	// UI enables the web UI; default false (smaller attack surface; operators
	// use the CLI/API, which are audited the same way).
	UI bool `json:"ui,omitempty"`
	// Telemetry configures the Prometheus endpoint.
	Telemetry TelemetryArgs `json:"telemetry,omitzero"`
	// Audit configures the file audit device. NIS2 Art. 21(2)(g); ISM-0580.
	Audit AuditArgs `json:"audit,omitzero"`
	// Seal configures the HSM seal.
	Seal SealArgs `json:"seal,omitzero"`
	// Bootstrap configures self-initialisation and the deployer identity.
	Bootstrap BootstrapArgs `json:"bootstrap,omitzero"`
	// Nodes lists the servers in ModeExternal (one config is rendered per
	// node, each with its raft node_id). Refused in ModeChart, where node ids
	// are the pod names: a list there would be silently ignored.
	Nodes []Node `json:"nodes,omitempty"`
	// SkipAwait makes Pulumi not wait for the chart's workloads (only for the
	// local lab, whose API server has no nodes); default false. A decision of
	// the environment, not of the config section: no json key.
	SkipAwait bool `json:"-"`
	// Images resolves every image the component renders: the server image
	// (ServerImage for ≥ 2.6, HSMServerImage before, tagged with Version)
	// through the registry mirror and the per-image overrides, and the seal's
	// clientImage and pluginImage through the mirror. The stack sets it from
	// rampart:images; zero: the images as pinned and named.
	Images image.Images `json:"-"`
}

// TLSArgs locates the listener certificate.
type TLSArgs struct {
	// SecretName (ModeChart) is a kubernetes.io/tls Secret with tls.crt,
	// tls.key and ca.crt (e.g. issued by cert-manager); default
	// "<name>-tls". It must cover <name>-N.<name>-internal and the service names.
	SecretName string `json:"secretName,omitempty"`
	// CertFile is the certificate's path on the server; default
	// /openbao/tls/tls.crt (where ModeChart mounts the Secret).
	CertFile string `json:"certFile,omitempty"`
	// KeyFile is the private key's path on the server; default
	// /openbao/tls/tls.key.
	KeyFile string `json:"keyFile,omitempty"`
	// CAFile is the CA bundle raft peers are verified with; default
	// /openbao/tls/ca.crt.
	CAFile string `json:"caFile,omitempty"`
}

// TelemetryArgs configures telemetry.
type TelemetryArgs struct {
	// PrometheusRetention is prometheus_retention_time, a Go duration; default
	// "30s". disable_hostname is always true so metrics do not fan out per pod
	// name.
	PrometheusRetention string `json:"prometheusRetention,omitempty"`
}

// AuditArgs configures the audit device declared in the config file (audit
// devices cannot then be created or removed through the API).
type AuditArgs struct {
	// FilePath is the file audit device's path; default
	// "/openbao/audit/audit.log" (a retained volume in ModeChart). "stdout" is
	// accepted for log shippers.
	FilePath string `json:"filePath,omitempty"`
}

// Node is one server in ModeExternal.
type Node struct {
	// ID is the raft node_id (unique).
	ID string `json:"id"`
	// APIAddr is this node's https address for clients and raft joins.
	APIAddr string `json:"apiAddr"`
	// ClusterAddr is this node's https cluster address (port 8201).
	ClusterAddr string `json:"clusterAddr"`
}

// fullname is the Kubernetes name of the release, its StatefulSet and services.
func fullname(name string) string { return kname.Join(name) }

// DefaultAPIAddr is APIAddr's ModeChart default for a component named name in
// namespace: the in-cluster active service. The stack config layer calls it
// to default other sections (the PKI issuer's server) to the same address.
func DefaultAPIAddr(name, namespace string) string {
	return fmt.Sprintf("https://%s.%s.svc:8200", kname.Join(fullname(name), "active"), namespace)
}

// withDefaults returns a copy of a with every unset field defaulted.
func (a OpenBaoArgs) withDefaults(name string) OpenBaoArgs {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	a.Mode = cmp.Or(a.Mode, DefaultMode)
	def(&a.Version, DefaultVersion)
	if a.Replicas == nil {
		a.Replicas = new(DefaultReplicas)
	}
	a.Chart = a.Chart.WithDefaults(ChartPin)
	v, verErr := parseSemver(a.Version)
	def(&a.Storage.DataSize, "10Gi")
	def(&a.Storage.AuditSize, "10Gi")
	def(&a.TLS.SecretName, kname.Join(fullname(name), "tls"))
	def(&a.TLS.CertFile, "/openbao/tls/tls.crt")
	def(&a.TLS.KeyFile, "/openbao/tls/tls.key")
	def(&a.TLS.CAFile, "/openbao/tls/ca.crt")
	if a.Mode == ModeChart && a.Namespace != "" {
		def(&a.APIAddr, DefaultAPIAddr(name, a.Namespace))
	}
	def(&a.Telemetry.PrometheusRetention, "30s")
	def(&a.Audit.FilePath, "/openbao/audit/audit.log")
	a.Seal.Type = cmp.Or(a.Seal.Type, SealPKCS11)
	a.Seal.Mechanism = cmp.Or(a.Seal.Mechanism, MechanismAESGCM)
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
	def(&a.Bootstrap.DeployerUsername, DefaultDeployerUsername)
	def(&a.Bootstrap.TokenTTL, defaultTokenTTL)
	def(&a.Bootstrap.TokenMaxTTL, defaultTokenMaxTTL)
	a.Bootstrap.DeployerPolicy = cmp.Or(a.Bootstrap.DeployerPolicy, defaultDeployerPolicy())
	return a
}

var (
	hex64    = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	decimal  = regexp.MustCompile(`^[0-9]+$`)
	userName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	sizeRe   = regexp.MustCompile(`^[1-9][0-9]*(Mi|Gi|Ti)$`)
	// hclSafeStr keeps values that mean the same in HCL 2 (our writer) and
	// HCL 1 (OpenBao's parser): no quotes, backslashes, template markers
	// ($, %, braces) or control characters, which the two escape differently.
	hclSafeStr = regexp.MustCompile(`^[^\x00-\x1f"{}$%\\]*$`)
)

// Validate reports every problem in a, after applying the defaults, joined
// one per line; nil when a is usable. Each problem names its field by the
// json key path under prefix, which the caller chooses: a stack config layer
// passes its key ("rampart:openbao" gives "rampart:openbao.seal.mechanism"),
// "" gives paths relative to the args ("seal.mechanism"). Call it before any
// resource is registered; NewOpenBao calls it too, with no prefix.
func (a *OpenBaoArgs) Validate(prefix string) error {
	d := a.withDefaults("openbao")
	return d.validate(prefix, true)
}

// validate checks a defaulted copy; withSecrets adds the checks on the
// Pulumi-typed secrets, which the pure renderers do not need.
func (a *OpenBaoArgs) validate(prefix string, withSecrets bool) error {
	var l verr.List
	p := func(k string) string { return verr.Path(prefix, k) }

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
		a.validateChart(&l, p)
	case ModeExternal:
		a.validateNodes(&l, p)
	default:
		l.Add(p("mode"), string(a.Mode), "unknown mode", `use "chart" or "external"`)
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

	a.validateSeal(&l, p, plugin, withSecrets)
	a.validateBootstrap(&l, p, withSecrets)
	return l.Err()
}

// validateNodes checks the ModeExternal server list and address.
func (a *OpenBaoArgs) validateNodes(l *verr.List, p func(string) string) {
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
		checkHTTPS(l, p(np+".apiAddr"), n.APIAddr)
		checkHTTPS(l, p(np+".clusterAddr"), n.ClusterAddr)
	}
	checkHTTPS(l, p("apiAddr"), a.APIAddr)
}

func checkHTTPS(l *verr.List, key, v string) {
	u, err := url.Parse(v)
	if v == "" || err != nil || u.Scheme != "https" || u.Host == "" || !hclSafeStr.MatchString(v) {
		l.Add(key, v, "must be an https:// URL (the listener only speaks TLS 1.3)", "set it to https://<host>:<port>")
	}
}

func isAbs(p string) bool { return path.IsAbs(p) }

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
