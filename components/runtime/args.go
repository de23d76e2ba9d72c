package runtime

import (
	"cmp"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// ComplianceSpec is a trivy-operator cluster compliance specification.
type ComplianceSpec string

// The specs Rampart reports on by default.
const (
	SpecNSA           ComplianceSpec = "k8s-nsa-1.0"
	SpecCIS           ComplianceSpec = "k8s-cis-1.23"
	SpecPSSRestricted ComplianceSpec = "k8s-pss-restricted-0.1"
	SpecPSSBaseline   ComplianceSpec = "k8s-pss-baseline-0.1"
)

// AirGapArgs points every download of Trivy at a mirror (the sovereign-cloud hardening guide,
// sovereign/air-gapped operation). Each field defaults to upstream's.
type AirGapArgs struct {
	// DBRegistry holds the vulnerability DB; default "mirror.gcr.io".
	DBRegistry string `json:"dbRegistry,omitempty"`
	// DBRepository; default "aquasec/trivy-db".
	DBRepository string `json:"dbRepository,omitempty"`
	// JavaDBRegistry holds the Java DB; default "mirror.gcr.io".
	JavaDBRegistry string `json:"javaDbRegistry,omitempty"`
	// JavaDBRepository; default "aquasec/trivy-java-db".
	JavaDBRepository string `json:"javaDbRepository,omitempty"`
	// ChecksBundleRegistry holds the misconfiguration checks bundle;
	// default "mirror.gcr.io".
	ChecksBundleRegistry string `json:"checksBundleRegistry,omitempty"`
	// ChecksBundleRepository; default "aquasec/trivy-checks".
	ChecksBundleRepository string `json:"checksBundleRepository,omitempty"`
	// OfflineScan stops Trivy's calls to the internet during a scan (e.g.
	// search.maven.org); default true, the air-gap-safe choice.
	OfflineScan *bool `json:"offlineScan,omitempty"`
}

// TrivyOperatorArgs configures trivy-operator (config key trivyOperator).
type TrivyOperatorArgs struct {
	// Enabled deploys the chart. The stack defaults it (off in the local
	// lab, which has no nodes to run the operator).
	Enabled *bool `json:"enabled,omitempty"`
	// Namespace; default "trivy-system" (restricted, default-deny).
	Namespace string `json:"namespace,omitempty"`
	// Chart; default DefaultTrivyChartRepository at TrivyChartVersion.
	Chart chart.Source `json:"chart,omitempty"`
	// AirGap points the DBs and the checks bundle at mirrors.
	AirGap AirGapArgs `json:"airGap,omitempty"`
	// Compliance lists the cluster compliance reports; default k8s-nsa-1.0,
	// k8s-cis-1.23, k8s-pss-restricted-0.1 (nil, the key absent). An empty
	// list is refused, not replaced: it would produce no report.
	Compliance []ComplianceSpec `json:"compliance,omitempty"`
	// APIServer is the API server (apiServer.cidrs, required: the only
	// control-plane flow the namespace's egress policy opens; apiServer.ports,
	// default netpolicy.DefaultAPIServerPorts).
	APIServer netpolicy.APIServer `json:"apiServer,omitzero"`
	// RegistryCIDRs are the registries (or mirrors) the DBs, the checks and
	// the scanned images come from, over HTTPS (443). Required.
	RegistryCIDRs []string `json:"registryCidrs,omitempty"`
}

// Priority is a Falco rule priority.
type Priority string

// Falco priorities Rampart's rules use.
const (
	PriorityCritical Priority = "CRITICAL"
	PriorityError    Priority = "ERROR"
	PriorityWarning  Priority = "WARNING"
	PriorityNotice   Priority = "NOTICE"
)

// FalcoArgs configures Falco and falcosidekick (config key falco).
type FalcoArgs struct {
	// Enabled deploys the chart; the stack defaults it (off in the lab: no
	// nodes, no kernel driver).
	Enabled *bool `json:"enabled,omitempty"`
	// Namespace; default "falco". It must carry a typed privileged
	// exemption with a justification (the stack checks it).
	Namespace string `json:"namespace,omitempty"`
	// Chart; default DefaultFalcoChartRepository at FalcoChartVersion.
	Chart chart.Source `json:"chart,omitempty"`
	// LeastPrivileged runs modern_ebpf with capabilities (CAP_BPF,
	// CAP_PERFMON, CAP_SYS_RESOURCE, CAP_SYS_PTRACE) instead of a
	// privileged container; default true. Host mounts remain.
	LeastPrivileged *bool `json:"leastPrivileged,omitempty"`
	// LokiURL is where falcosidekick pushes events (http(s)://host:port of
	// the audit component's Loki). Required.
	LokiURL string `json:"lokiUrl,omitempty"`
	// LokiTenant is sent as X-Scope-OrgID; default "runtime".
	LokiTenant string `json:"lokiTenant,omitempty"`
	// AlertmanagerURL, when set, routes events to Alertmanager too. Empty
	// (the default) means no alert routing exists: events reach Loki only.
	AlertmanagerURL string `json:"alertmanagerUrl,omitempty"`
	// RestrictedNamespaces are watched for interactive shells; the stack
	// fills it with every namespace that enforces restricted.
	RestrictedNamespaces []string `json:"restrictedNamespaces,omitempty"`
	// TokenReaders are the process names allowed to read a ServiceAccount
	// token; default DefaultTokenReaders (nil, the key absent). An empty
	// list is refused, not replaced: the platform's own clients would
	// raise an alert on every token read.
	TokenReaders []string `json:"tokenReaders,omitempty"`
	// MetadataAddress is the cloud metadata endpoint whose use is alerted;
	// default "169.254.169.254".
	MetadataAddress string `json:"metadataAddress,omitempty"`
}

// RuntimeArgs is rampart:runtime's schema: trivy-operator and Falco.
type RuntimeArgs struct {
	// TrivyOperator is the in-cluster vulnerability and compliance scanner.
	TrivyOperator TrivyOperatorArgs `json:"trivyOperator,omitempty"`
	// Falco is runtime threat detection.
	Falco FalcoArgs `json:"falco,omitempty"`
	// SkipAwait marks the charts' workloads pulumi.com/skipAwait (the
	// stack sets it from rampart:kubernetes.skipAwait).
	SkipAwait bool `json:"-"`
	// Images resolves the charts' images (Pins: trivy-operator and Trivy
	// by digest, never a compromised release, GHSA-69fq-xp46-6x23; Falco,
	// falcosidekick, falcoctl) through the registry mirror and the
	// per-image overrides; the stack sets it from rampart:images. Zero:
	// the upstream pins.
	Images image.Images `json:"-"`
}

// defaultCompliance is TrivyOperatorArgs.Compliance when the key is absent.
var defaultCompliance = []ComplianceSpec{SpecNSA, SpecCIS, SpecPSSRestricted}

// Enabled reports whether a *bool switch is on.
func Enabled(b *bool) bool { return b != nil && *b }

func boolPtr(b bool) *bool { return &b }

func (a *RuntimeArgs) withDefaults() *RuntimeArgs {
	out := *a
	t := &out.TrivyOperator
	t.Namespace = cmp.Or(t.Namespace, "trivy-system")
	t.Chart = t.Chart.WithDefaults(TrivyChartPin)
	g := &t.AirGap
	g.DBRegistry = cmp.Or(g.DBRegistry, "mirror.gcr.io")
	g.DBRepository = cmp.Or(g.DBRepository, "aquasec/trivy-db")
	g.JavaDBRegistry = cmp.Or(g.JavaDBRegistry, "mirror.gcr.io")
	g.JavaDBRepository = cmp.Or(g.JavaDBRepository, "aquasec/trivy-java-db")
	g.ChecksBundleRegistry = cmp.Or(g.ChecksBundleRegistry, "mirror.gcr.io")
	g.ChecksBundleRepository = cmp.Or(g.ChecksBundleRepository, "aquasec/trivy-checks")
	if g.OfflineScan == nil {
		g.OfflineScan = boolPtr(true)
	}
	if t.Compliance == nil {
		t.Compliance = slices.Clone(defaultCompliance)
	}
	t.APIServer = t.APIServer.WithDefaults()

	f := &out.Falco
	f.Namespace = cmp.Or(f.Namespace, "falco")
	f.Chart = f.Chart.WithDefaults(FalcoChartPin)
	if f.LeastPrivileged == nil {
		f.LeastPrivileged = boolPtr(true)
	}
	f.LokiTenant = cmp.Or(f.LokiTenant, "runtime")
	if f.TokenReaders == nil {
		f.TokenReaders = DefaultTokenReaders
	}
	f.MetadataAddress = cmp.Or(f.MetadataAddress, "169.254.169.254")
	return &out
}

var (
	procName = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,15}$`)
)

// Validate reports every problem of the args (defaults applied to a copy)
// under path, e.g. "rampart:runtime". Disabled parts are not checked.
func (a *RuntimeArgs) Validate(path string) error {
	a = a.withDefaults()
	var l verr.List
	p := func(sub string) string { return verr.Path(path, sub) }
	if t := a.TrivyOperator; Enabled(t.Enabled) {
		kname.CheckNamespace(&l, p("trivyOperator.namespace"), t.Namespace)
		t.Chart.Validate(&l, p("trivyOperator.chart"), TrivyChartPin)
		if len(t.Compliance) == 0 {
			l.NotUnset(p("trivyOperator.compliance"), verr.Raw("[]"), "trivy-operator would produce no cluster compliance report", defaultCompliance, "list the reports")
		}
		for i, s := range t.Compliance {
			switch s {
			case SpecNSA, SpecCIS, SpecPSSRestricted, SpecPSSBaseline:
			default:
				l.Add(p("trivyOperator.compliance")+"["+strconv.Itoa(i)+"]", string(s), "not a compliance spec Rampart reports on",
					"use k8s-nsa-1.0, k8s-cis-1.23, k8s-pss-restricted-0.1 or k8s-pss-baseline-0.1")
			}
		}
		t.APIServer.Validate(&l, p("trivyOperator.apiServer"), "the namespace is default-deny, so without it the operator reaches no API server")
		checkCIDRs(&l, p("trivyOperator.registryCidrs"), t.RegistryCIDRs, "the DB/checks registry (or its mirror)")
	}
	if f := a.Falco; Enabled(f.Enabled) {
		kname.CheckNamespace(&l, p("falco.namespace"), f.Namespace)
		f.Chart.Validate(&l, p("falco.chart"), FalcoChartPin)
		checkURL(&l, p("falco.lokiUrl"), f.LokiURL, true)
		checkURL(&l, p("falco.alertmanagerUrl"), f.AlertmanagerURL, false)
		if len(f.TokenReaders) == 0 {
			l.NotUnset(p("falco.tokenReaders"), verr.Raw("[]"), "the platform's own Kubernetes clients would raise an alert on every token read", DefaultTokenReaders, "list the processes")
		}
		for i, r := range f.TokenReaders {
			if !procName.MatchString(r) {
				l.Add(p("falco.tokenReaders")+"["+strconv.Itoa(i)+"]", r, "not a process name (Falco's proc.name is at most 15 characters)", "use the executable's name, e.g. trivy-operator")
			}
		}
		for i, n := range f.RestrictedNamespaces {
			kname.CheckNamespace(&l, p("falco.restrictedNamespaces")+"["+strconv.Itoa(i)+"]", n)
		}
		if _, err := netip.ParseAddr(f.MetadataAddress); err != nil {
			l.Add(p("falco.metadataAddress"), f.MetadataAddress, "not an IP address", "use 169.254.169.254 (or fd00:ec2::254)")
		}
	}
	return l.Err()
}

func checkCIDRs(l *verr.List, path string, cidrs []string, what string) {
	if len(cidrs) == 0 {
		l.Add(path, "", "missing: the namespace is default-deny, so without it nothing reaches "+what, "list its addresses as CIDRs, e.g. [\"10.0.0.1/32\"]")
	}
	netpolicy.CheckCIDRs(l, path, cidrs)
}

func checkURL(l *verr.List, path, raw string, required bool) {
	if raw == "" {
		if required {
			l.Add(path, raw, "missing: falcosidekick needs the Loki push address", "set it to the audit component's Loki, e.g. http://loki-gateway.rampart-audit.svc:80")
		}
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		l.Add(path, raw, "not an http(s)://host:port URL", "use e.g. http://loki-gateway.rampart-audit.svc:80")
	}
}
