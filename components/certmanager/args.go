package certmanager

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Defaults of CertManagerArgs.
const (
	// DefaultNamespace is cert-manager's namespace: its pods, its leader
	// election lease and its cluster resource namespace (ClusterIssuer
	// secrets and ServiceAccounts) all live there, never in kube-system.
	DefaultNamespace = "cert-manager"
	// DefaultWebhookPort is the webhook's securePort in chart v1.21.2
	// (values.yaml webhook.securePort), the port the API server calls.
	DefaultWebhookPort = 10250
	// DefaultOpenBaoPort is OpenBao's API port.
	DefaultOpenBaoPort = 8200
	// DefaultVaultIssuerName is the sovereign ClusterIssuer's name.
	DefaultVaultIssuerName = "openbao"
	// DefaultVaultServiceAccount is the ServiceAccount whose bound tokens
	// cert-manager presents to OpenBao (the pki component's default too).
	DefaultVaultServiceAccount = "cert-manager-openbao"
	// DefaultVaultAuthMount is OpenBao's Kubernetes auth mount.
	DefaultVaultAuthMount = "kubernetes"
	// DefaultACMEIssuerName is the ACME ClusterIssuer's name.
	DefaultACMEIssuerName = "acme"
)

// GatewayIssuer selects which issuer the ingress Gateway's certificates
// come from.
type GatewayIssuer string

const (
	// GatewayIssuerSovereign is the OpenBao PKI issuer (default; the sovereign-cloud hardening guide:
	// no US-controlled CA in the trust path).
	GatewayIssuerSovereign GatewayIssuer = "sovereign"
	// GatewayIssuerACME is the ACME issuer (publicly trusted names).
	GatewayIssuerACME GatewayIssuer = "acme"
)

// CertManagerArgs is cert-manager and the platform's cert-manager issuers
// (config key rampart:certManager). NIS2 Art. 21(2)(h); ITSG-33 SC-12, SC-17.
type CertManagerArgs struct {
	// Namespace is cert-manager's namespace. Default DefaultNamespace. It
	// must already exist with the baseline's default-deny policies; this
	// component adds exactly the flows cert-manager needs.
	Namespace string `json:"namespace,omitempty"`
	// Chart is the upstream cert-manager chart (off in the local profile).
	Chart ChartArgs `json:"chart"`
	// APIServer is where the API server is, for the egress and webhook
	// ingress policies.
	APIServer APIServerArgs `json:"apiServer"`
	// OpenBao is where the sovereign issuer's OpenBao is, for the
	// controller's egress policy.
	OpenBao OpenBaoPeer `json:"openbao"`
	// Vault renders the sovereign ClusterIssuer on OpenBao PKI here. Leave it
	// unset when rampart:pki.issuer renders that issuer (the stack refuses
	// both: exactly one sovereign issuer exists).
	Vault *VaultIssuerArgs `json:"vault,omitempty"`
	// ACME is the optional ACME ClusterIssuer for publicly trusted names.
	ACME *ACMEArgs `json:"acme,omitempty"`
	// GatewayIssuer is the issuer the ingress Gateway uses: "sovereign"
	// (default) or "acme".
	GatewayIssuer GatewayIssuer `json:"gatewayIssuer,omitempty"`
	// IssuerServiceAccount is the ServiceAccount an OpenBao issuer rendered
	// elsewhere (the pki component) names in serviceAccountRef; this
	// component creates it and lets cert-manager request tokens for it. Set
	// by the stack, not a config key.
	IssuerServiceAccount *ServiceAccountRef `json:"-"`
	// AllowHTTP permits an http OpenBao server (the local lab). Set by the
	// stack for the local profile only, not a config key.
	AllowHTTP bool `json:"-"`
	// Images resolves the chart's images (Pins, the ChartVersion images by
	// digest) through the registry mirror and the per-image overrides; the
	// stack sets it from rampart:images. Zero: the upstream pins.
	Images image.Images `json:"-"`
}

// ChartArgs selects the cert-manager chart (config keys chart.*).
type ChartArgs struct {
	// Enabled installs the chart. Default true; the stack turns it off in
	// the local profile (the lab has no nodes).
	Enabled *bool `json:"enabled,omitempty"`
	// Source is chart.repository (default DefaultChartRepository; the chart
	// "cert-manager" is appended to an oci:// path) and chart.version
	// (default ChartVersion).
	chart.Source
	// ControllerServiceAccount is the controller's ServiceAccount (the
	// chart's release name). Default ReleaseName; set it when cert-manager is
	// installed by someone else under another name.
	ControllerServiceAccount string `json:"controllerServiceAccount,omitempty"`
}

// APIServerArgs locates the API server for the NetworkPolicies: egress goes
// to its addresses, and the webhook admits calls from them.
type APIServerArgs struct {
	// APIServer is apiServer.cidrs (required) and apiServer.ports (default
	// netpolicy.DefaultAPIServerPorts).
	netpolicy.APIServer
	// WebhookPort is the webhook's port the API server calls; default
	// DefaultWebhookPort (nil, the key absent; the chart's
	// webhook.securePort). A pointer because an explicit 0 is refused
	// (verr.NoPort), not silently replaced.
	WebhookPort *int `json:"webhookPort,omitempty"`
}

// OpenBaoPeer is where the controller reaches OpenBao: a namespace in the
// cluster, or CIDRs outside it. Empty means no OpenBao egress.
type OpenBaoPeer struct {
	// Namespace of OpenBao's pods (the stack fills in rampart:openbao's).
	Namespace string `json:"namespace,omitempty"`
	// CIDRs of an OpenBao outside the cluster.
	CIDRs []string `json:"cidrs,omitempty"`
	// Port is OpenBao's API port; default DefaultOpenBaoPort (nil, the key
	// absent; the stack fills in the port of rampart:openbao's address). A
	// pointer because an explicit 0 is refused (verr.NoPort), not silently
	// replaced.
	Port *int `json:"port,omitempty"`
}

// ServiceAccountRef names a ServiceAccount.
type ServiceAccountRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	mountRe  = regexp.MustCompile(`^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*$`)
)

func (a *CertManagerArgs) withDefaults() *CertManagerArgs {
	out := *a
	out.Namespace = cmp.Or(out.Namespace, DefaultNamespace)
	if out.Chart.Enabled == nil {
		out.Chart.Enabled = pulumi.BoolRef(true)
	}
	out.Chart.Source = out.Chart.WithDefaults(ChartPin)
	out.Chart.ControllerServiceAccount = cmp.Or(out.Chart.ControllerServiceAccount, ReleaseName)
	out.APIServer.APIServer = out.APIServer.WithDefaults()
	if out.APIServer.WebhookPort == nil {
		out.APIServer.WebhookPort = new(DefaultWebhookPort)
	}
	if out.OpenBao.Port == nil {
		out.OpenBao.Port = new(DefaultOpenBaoPort)
	}
	out.GatewayIssuer = cmp.Or(out.GatewayIssuer, GatewayIssuerSovereign)
	if out.Vault != nil {
		v := *out.Vault
		v.Name = cmp.Or(v.Name, DefaultVaultIssuerName)
		v.AuthMountPath = cmp.Or(v.AuthMountPath, DefaultVaultAuthMount)
		v.ServiceAccount = cmp.Or(v.ServiceAccount, DefaultVaultServiceAccount)
		out.Vault = &v
	}
	if out.ACME != nil {
		m := *out.ACME
		m.Name = cmp.Or(m.Name, DefaultACMEIssuerName)
		m.AccountKeySecret = cmp.Or(m.AccountKeySecret, kname.Join(m.Name, "account-key"))
		out.ACME = &m
	}
	return &out
}

// Validate reports every problem of the args (after defaults) at its key
// path under path.
func (a *CertManagerArgs) Validate(path string) error {
	d := a.withDefaults()
	var l verr.List
	p := func(s string) string { return verr.Path(path, s) }
	kname.CheckNamespace(&l, p("namespace"), d.Namespace)
	d.Chart.Validate(&l, p("chart"), ChartPin)
	if d.Chart.Version != ChartVersion {
		var missing []string
		for _, pin := range Pins() {
			if !d.Images.Overridden(pin.Ref) {
				missing = append(missing, pin.Repository)
			}
		}
		if len(missing) > 0 {
			l.Add(p("chart.version"), d.Chart.Version, "the pinned images are chart "+ChartVersion+"'s, not "+d.Chart.Version+"'s",
				"override "+strings.Join(missing, ", ")+" with chart "+d.Chart.Version+"'s images by digest, or use "+ChartVersion)
		}
	}
	if !dnsLabel.MatchString(d.Chart.ControllerServiceAccount) {
		l.Add(p("chart.controllerServiceAccount"), d.Chart.ControllerServiceAccount, "not a ServiceAccount name", "use the controller's ServiceAccount (default "+ReleaseName+")")
	}
	d.APIServer.Validate(&l, p("apiServer"), "cert-manager's egress and its webhook's ingress are limited to the API server")
	netpolicy.CheckPortKey(&l, p("apiServer.webhookPort"), *d.APIServer.WebhookPort, DefaultWebhookPort)
	if d.OpenBao.Namespace != "" {
		kname.CheckNamespace(&l, p("openbao.namespace"), d.OpenBao.Namespace)
		if len(d.OpenBao.CIDRs) > 0 {
			l.Add(p("openbao.cidrs"), verr.Raw(fmt.Sprint(d.OpenBao.CIDRs)), "set together with openbao.namespace", "use namespace (in-cluster OpenBao) or cidrs (outside), not both")
		}
	}
	netpolicy.CheckCIDRs(&l, p("openbao.cidrs"), d.OpenBao.CIDRs)
	netpolicy.CheckPortKey(&l, p("openbao.port"), *d.OpenBao.Port, DefaultOpenBaoPort)
	if d.Vault != nil {
		validateVault(&l, p("vault"), d.Vault, d.AllowHTTP)
		if d.OpenBao.Namespace == "" && len(d.OpenBao.CIDRs) == 0 {
			l.Add(p("openbao"), verr.Raw("{}"), "the default-deny policy would block the controller's calls to OpenBao", "set openbao.namespace or openbao.cidrs")
		}
	}
	if d.ACME != nil {
		validateACME(&l, p("acme"), d.ACME)
	}
	switch d.GatewayIssuer {
	case GatewayIssuerSovereign:
	case GatewayIssuerACME:
		if d.ACME == nil {
			l.Add(p("gatewayIssuer"), string(d.GatewayIssuer), "no acme issuer is configured", "configure acme or use sovereign")
		}
	default:
		l.Add(p("gatewayIssuer"), string(d.GatewayIssuer), "unknown issuer", "use sovereign (default) or acme")
	}
	if s := d.IssuerServiceAccount; s != nil {
		if !dnsLabel.MatchString(s.Name) {
			l.Add(p("issuerServiceAccount.name"), s.Name, "not a ServiceAccount name", "use a DNS-1123 label")
		}
		kname.CheckNamespace(&l, p("issuerServiceAccount.namespace"), s.Namespace)
	}
	return l.Err()
}

// httpsURL checks an absolute https URL (http only when allowHTTP).
func httpsURL(l *verr.List, p, raw string, allowHTTP bool, what string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		l.Add(p, "", "required: "+what, "set it, e.g. https://host:port")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		l.Add(p, raw, "not an absolute URL", "use https://host[:port]")
	case u.Scheme == "http" && !allowHTTP:
		l.Add(p, raw, "plain http would carry tokens, CSRs and keys unencrypted", "use https (http is for the local lab only)")
	}
}
