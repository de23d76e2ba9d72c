package ingress

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/helpers/verr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Mode selects how external traffic enters the cluster.
type Mode string

// Ingress modes.
const (
	// ModeGateway renders the Gateway API objects and runs Envoy Gateway as
	// their implementation (default): the TLS floor is Envoy Gateway's
	// ClientTrafficPolicy, which Rampart renders.
	ModeGateway Mode = "gateway"
	// ModeExternal renders only the Gateway API objects for an
	// implementation the cluster already runs. The Gateway API has no
	// standard minimum-TLS field: the floor and the cipher list are that
	// implementation's settings (Envoy Gateway: ClientTrafficPolicy
	// spec.tls; Istio: the gateway's meshConfig.meshMTLS.minProtocolVersion /
	// Gateway tls.options; Cilium: the Envoy listener's tls params; Traefik:
	// the cluster-wide TLSOption named "default", Traefik ignores listener
	// tls.options).
	ModeExternal Mode = "external"
	// ModeIngress renders networking/v1 Ingress objects with TLS for
	// clusters that still run an Ingress controller. The floor, the
	// redirect and the headers are then that controller's settings, which
	// no Ingress object can carry (ingress-nginx takes ssl-protocols from its
	// ConfigMap only: "TLSv1.3" for a 1.3 floor, "TLSv1.2 TLSv1.3" with
	// ssl-ciphers for 1.2; ssl-redirect "true", hsts "true" with
	// hsts-max-age, add-headers for the five headers; Traefik: TLSOption
	// "default" and a headers Middleware).
	ModeIngress Mode = "ingress"
)

// TLSVersion is a floor the ingress accepts (RFC 8996 deprecates 1.0 and 1.1).
type TLSVersion string

// TLS versions.
const (
	TLS12 TLSVersion = "1.2"
	TLS13 TLSVersion = "1.3"
)

// MinJustification is the shortest written TLS12Justification, as for Pod
// Security exemptions and egress exceptions.
const MinJustification = 20

// Defaults.
const (
	// DefaultNamespace is the ingress namespace.
	DefaultNamespace = "rampart-ingress"
	// DefaultHSTSMaxAge is one year, the least browsers' preload lists accept.
	DefaultHSTSMaxAge = 31536000
	// EnvoyGatewayController is Envoy Gateway's default GatewayClass
	// controllerName.
	EnvoyGatewayController = "gateway.envoyproxy.io/gatewayclass-controller"
)

// ControllerName is the GatewayClass's controllerName: with chart.enabled,
// the one the installed controller gets, gateway.envoyproxy.io/<namespace>
// (two installs in one cluster never reconcile each other's Gateways);
// otherwise Envoy Gateway's default, for an Envoy Gateway installed apart.
func ControllerName(a *IngressArgs) string {
	if a.Chart.Enabled {
		return "gateway.envoyproxy.io/" + a.Namespace
	}
	return EnvoyGatewayController
}

// DefaultCiphers are the TLS 1.2 suites offered with a 1.2 floor: ECDHE key
// exchange (forward secrecy) and AEAD encryption only, as BSI TR-02102-2,
// NCSC and ANSSI recommend; TLS 1.3 suites are all AEAD and not listed
// (Envoy does not take a 1.3 cipher list).
var DefaultCiphers = []string{
	"ECDHE-ECDSA-AES256-GCM-SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-ECDSA-AES128-GCM-SHA256",
	"ECDHE-RSA-AES128-GCM-SHA256",
	"ECDHE-ECDSA-CHACHA20-POLY1305",
	"ECDHE-RSA-CHACHA20-POLY1305",
}

// ALPN is what the HTTPS listeners negotiate.
var ALPN = []string{"h2", "http/1.1"}

// SecurityHeaders are the STOA security hardening checklist's five response headers, set on every HTTPS
// route besides HSTS. X-XSS-Protection is "0": the legacy filter it would
// enable is itself an XSS vector (OWASP), "1; mode=block" is wrong.
var SecurityHeaders = [][2]string{
	{"X-Content-Type-Options", "nosniff"},
	{"X-Frame-Options", "DENY"},
	{"X-XSS-Protection", "0"},
	{"Referrer-Policy", "strict-origin-when-cross-origin"},
	{"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
}

// HSTS is the Strict-Transport-Security header set on every HTTPS route.
type HSTS struct {
	// MaxAge in seconds. Default DefaultHSTSMaxAge (one year); less is
	// refused, an explicit 0 too (max-age=0 tells browsers to forget HSTS).
	MaxAge *int `json:"maxAge,omitempty"`
	// Preload adds "preload" (opt-in: submission to browsers' preload lists
	// is hard to undo). Default false.
	Preload bool `json:"preload,omitempty"`
}

// Age is MaxAge, DefaultHSTSMaxAge when unset.
func (h HSTS) Age() int {
	if h.MaxAge == nil {
		return DefaultHSTSMaxAge
	}
	return *h.MaxAge
}

// Value is the header value: includeSubDomains always.
func (h HSTS) Value() string {
	v := "max-age=" + strconv.Itoa(h.Age()) + "; includeSubDomains"
	if h.Preload {
		v += "; preload"
	}
	return v
}

// Backend is the Service a route sends traffic to.
type Backend struct {
	// Service name (required).
	Service string `json:"service"`
	// Port of the Service (required).
	Port int `json:"port"`
	// TargetPort is the pod port the Service sends Port to: what the
	// proxies' egress policy and the tenant's isolation open (a
	// NetworkPolicy sees the pod port, after the Service's translation).
	// Default: Port.
	TargetPort int `json:"targetPort,omitempty"`
	// Namespace of the Service. Default: the route's namespace. Another
	// namespace gets a ReferenceGrant there for this route only.
	Namespace string `json:"namespace,omitempty"`
}

// Route sends https://<host><path> to a backend.
type Route struct {
	// Host is a name under the stack's domain (required).
	Host string `json:"host"`
	// Path prefix. Default "/".
	Path string `json:"path,omitempty"`
	// Namespace owning the route (a tenant), where its HTTPRoute lives (required).
	Namespace string `json:"namespace"`
	// Backend receives the traffic (required).
	Backend *Backend `json:"backend"`
}

// Chart is Envoy Gateway's upstream chart (gateway mode only).
type Chart struct {
	// Enabled installs the chart. Default false.
	Enabled bool `json:"enabled,omitempty"`
	// Source is chart.repository, the chart's OCI repository (default
	// ChartRepository; an OCI mirror for air-gapped clusters; the local
	// profile also takes an absolute path to a folder holding gateway-helm/,
	// the lab's copy of the chart in Envoy Gateway's module zip, and no other
	// profile does: the stack checks), and chart.version (default
	// ChartVersion).
	chart.Source
	// CRDs installs the Gateway API's and Envoy Gateway's CRDs with the
	// chart (its crds subchart). Default true. false where the cluster's
	// CRDs are managed apart (the lab installs them before any stack), so
	// that destroying the stack never deletes them and every Gateway with
	// them.
	CRDs *bool `json:"crds,omitempty"`
}

// ServiceType is the proxies' Service type.
type ServiceType string

// Service types Envoy Gateway can give its proxies.
const (
	// ServiceLoadBalancer (Envoy Gateway's default): the cloud's load
	// balancer gives the Gateway its address.
	ServiceLoadBalancer ServiceType = "LoadBalancer"
	// ServiceNodePort: the Gateway's addresses are the nodes'.
	ServiceNodePort ServiceType = "NodePort"
	// ServiceClusterIP: the Gateway's address is the Service's cluster IP,
	// for clusters reached from inside (the lab's node).
	ServiceClusterIP ServiceType = "ClusterIP"
)

// IssuerRef is the cert-manager issuer that signs the listeners'
// certificates (the Gateway's cert-manager.io/(cluster-)issuer annotation).
type IssuerRef struct {
	// Name of the issuer. Empty: no annotation, the TLS Secrets are the
	// user's to create.
	Name string `json:"name,omitempty"`
	// Kind is ClusterIssuer (default) or Issuer (in the ingress namespace).
	Kind string `json:"kind,omitempty"`
}

// IngressArgs is rampart:ingress. The STOA security hardening checklist: TLS 1.2+ at the edge, HTTP →
// HTTPS redirect, HSTS and five security headers; the sovereign-cloud hardening guide: TLS 1.3 in
// transit (the prod profile's floor); NIS2 Art. 21(2)(h); ISM-1139 (only the
// latest TLS version: the 1.3 floor meets it, 1.2 does not).
type IngressArgs struct {
	// Mode is gateway (default), external or ingress.
	Mode Mode `json:"mode,omitempty"`
	// Namespace of the Gateway and its proxies. Default DefaultNamespace.
	Namespace string `json:"namespace,omitempty"`
	// TLSMinVersion is the floor, "1.2" or "1.3"; TLS 1.3 is always
	// offered. Default "1.2", the STOA security hardening checklist's floor ("TLS 1.2+"): external
	// clients cannot all negotiate 1.3. The stack's prod profile defaults it
	// to "1.3" (the sovereign-cloud hardening guide: TLS 1.3 in transit) and takes "1.2" there only
	// with TLS12Justification. NIS2 Art. 21(2)(h); ISM-1139 asks for 1.3.
	TLSMinVersion TLSVersion `json:"tlsMinVersion,omitempty"`
	// TLS12Justification says why the floor is 1.2 where 1.3 is asked:
	// which clients cannot negotiate TLS 1.3. The compliance report shows
	// it as the floor's typed exception. At least MinJustification
	// characters; refused with a 1.3 floor. Default "": required with 1.2
	// under the prod profile (the stack checks it).
	TLS12Justification string `json:"tls12Justification,omitempty"`
	// Ciphers are the TLS 1.2 suites; ECDHE + AEAD only. Default
	// DefaultCiphers with a 1.2 floor; refused with 1.3 (Envoy Gateway
	// rejects ciphers when the minimum is 1.3).
	Ciphers []string `json:"ciphers,omitempty"`
	// Domain every host must be under (the stack fills it from rampart:domain).
	Domain string `json:"domain,omitempty"`
	// Hosts get one HTTPS listener each; default: the routes' hosts. When
	// set, every route's host must be one of them.
	Hosts []string `json:"hosts,omitempty"`
	// Routes are the typed HTTPS routes.
	Routes []Route `json:"routes,omitempty"`
	// HSTS is the Strict-Transport-Security header.
	HSTS HSTS `json:"hsts,omitempty"`
	// GatewayClassName is the class of the Gateway. Default: one Rampart
	// creates for Envoy Gateway (gateway mode), named after the namespace;
	// required in external mode (the implementation's class).
	GatewayClassName string `json:"gatewayClassName,omitempty"`
	// IngressClassName is the Ingress controller's class (ingress mode; required there).
	IngressClassName string `json:"ingressClassName,omitempty"`
	// Chart installs Envoy Gateway (gateway mode only).
	Chart Chart `json:"chart,omitempty"`
	// ServiceType is the type of the Service Envoy Gateway puts in front of
	// the proxies: LoadBalancer (default), NodePort or ClusterIP. Read only
	// with chart.enabled (it is the installed controller's default
	// EnvoyProxy).
	ServiceType ServiceType `json:"serviceType,omitempty"`
	// APIServer is where the API server is: Envoy Gateway's controller and
	// certgen job egress to it (read only when chart.enabled; cidrs are then
	// required, ports default to netpolicy.DefaultAPIServerPorts).
	APIServer netpolicy.APIServer `json:"apiServer,omitzero"`
	// ProxyPodLabels select the proxy pods that receive 80/443. Default:
	// Envoy Gateway's proxy labels (gateway mode); required otherwise.
	ProxyPodLabels map[string]string `json:"proxyPodLabels,omitempty"`
	// Issuer signs the listeners' certificates (the stack fills it from
	// rampart:certmanager when empty).
	Issuer IssuerRef `json:"issuer,omitempty"`
	// Images resolves the chart's images (Pins) through the registry
	// mirror and the per-image overrides; the stack sets it from
	// rampart:images. Zero: the upstream pins.
	Images image.Images `json:"-"`
}

// CheckRoute adds the problems of one route of the (defaulted) args under
// path: its host under the domain and served by a listener, its path, its
// namespace and its backend. Duplicates across routes are the caller's.
func (a *IngressArgs) CheckRoute(l *verr.List, path string, r Route) {
	rp := func(s string) string { return verr.Path(path, s) }
	a.CheckRouteAddress(l, path, r.Host, r.Path)
	kname.CheckNamespace(l, rp("namespace"), r.Namespace)
	if r.Namespace == a.Namespace && a.Namespace != "" {
		l.Add(rp("namespace"), r.Namespace, "routes belong to the tenant that owns the backend, not the ingress namespace", "use the tenant's namespace")
	}
	b := r.Backend
	if b == nil {
		l.Add(rp("backend"), verr.Raw("(none)"), "a route without a backend", "set backend {service, port}")
		return
	}
	if msgs := validation.IsDNS1035Label(b.Service); len(msgs) > 0 {
		l.Add(rp("backend.service"), b.Service, "not a Service name: "+strings.Join(msgs, "; "), "use the backend Service's name")
	}
	if b.Port < 1 || b.Port > 65535 {
		l.Add(rp("backend.port"), b.Port, "not a port", "use the Service's port, 1-65535")
	}
	if b.TargetPort < 0 || b.TargetPort > 65535 {
		l.Add(rp("backend.targetPort"), b.TargetPort, "not a port", "use the pod port the Service targets, 1-65535, or remove it for port")
	}
	if b.Namespace != "" {
		kname.CheckNamespace(l, rp("backend.namespace"), b.Namespace)
	}
}

// CheckRouteAddress adds the problems of a route's host (under the domain,
// served by a listener) and path prefix under path: what a route declared
// elsewhere (an app's expose) shares with rampart:ingress.routes.
func (a *IngressArgs) CheckRouteAddress(l *verr.List, path, host, prefix string) {
	rp := func(s string) string { return verr.Path(path, s) }
	checkHost(l, rp("host"), host, a.Domain)
	if host != "" && len(a.Hosts) > 0 && !slices.Contains(a.Hosts, host) {
		l.Add(rp("host"), host, "no HTTPS listener serves it", "add it to rampart:ingress.hosts")
	}
	if !pathRE.MatchString(prefix) {
		l.Add(rp("path"), prefix, "not an absolute lower-case path prefix", `use e.g. "/" or "/api/v1"`)
	}
}

// PathOrDefault is a route's path prefix, "/" when unset.
func PathOrDefault(path string) string { return cmp.Or(path, "/") }

// proxyLabels are the labels Envoy Gateway puts on every proxy pod.
var proxyLabels = map[string]string{"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}

// WithDefaults returns the args with every unset field defaulted.
func (a *IngressArgs) WithDefaults() *IngressArgs {
	o := *a
	o.Mode = cmp.Or(o.Mode, ModeGateway)
	o.Namespace = cmp.Or(o.Namespace, DefaultNamespace)
	o.TLSMinVersion = cmp.Or(o.TLSMinVersion, TLS12)
	if o.Ciphers == nil && o.TLSMinVersion == TLS12 {
		o.Ciphers = slices.Clone(DefaultCiphers)
	}
	if o.HSTS.MaxAge == nil {
		o.HSTS.MaxAge = new(DefaultHSTSMaxAge)
	}
	o.Routes = slices.Clone(o.Routes)
	for i, r := range o.Routes {
		r.Path = PathOrDefault(r.Path)
		if r.Backend != nil {
			b := *r.Backend
			b.Namespace = cmp.Or(b.Namespace, r.Namespace)
			b.TargetPort = cmp.Or(b.TargetPort, b.Port)
			r.Backend = &b
		}
		o.Routes[i] = r
	}
	if o.Mode == ModeGateway {
		o.GatewayClassName = cmp.Or(o.GatewayClassName, kname.Join(o.Namespace, "envoy"))
		if len(o.ProxyPodLabels) == 0 {
			o.ProxyPodLabels = proxyLabels
		}
	}
	if o.Issuer.Name != "" {
		o.Issuer.Kind = cmp.Or(o.Issuer.Kind, "ClusterIssuer")
	}
	o.Chart.Source = o.Chart.WithDefaults(ChartPin)
	if o.Chart.CRDs == nil {
		on := true
		o.Chart.CRDs = &on
	}
	o.APIServer = o.APIServer.WithDefaults()
	return &o
}

// ListenerHosts are the hosts that get an HTTPS listener: Hosts when set,
// else the routes' hosts in order of first use.
func (a *IngressArgs) ListenerHosts() []string {
	if len(a.Hosts) > 0 {
		return a.Hosts
	}
	var out []string
	for _, r := range a.Routes {
		if !slices.Contains(out, r.Host) {
			out = append(out, r.Host)
		}
	}
	return out
}

// aead12 are the TLS 1.2 suites with ECDHE key exchange and AEAD encryption,
// in OpenSSL and IANA spelling (Envoy accepts both).
var aead12 = map[string]bool{
	"ECDHE-ECDSA-AES128-GCM-SHA256": true, "ECDHE-RSA-AES128-GCM-SHA256": true,
	"ECDHE-ECDSA-AES256-GCM-SHA384": true, "ECDHE-RSA-AES256-GCM-SHA384": true,
	"ECDHE-ECDSA-CHACHA20-POLY1305": true, "ECDHE-RSA-CHACHA20-POLY1305": true,
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": true, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": true,
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": true, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": true,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": true, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": true,
}

var pathRE = regexp.MustCompile(`^/([a-z0-9._-]+/?)*$`)

// Validate reports every problem of the (defaulted) args under path.
func (a *IngressArgs) Validate(path string) error {
	var l verr.List
	p := func(s string) string { return verr.Path(path, s) }
	switch a.Mode {
	case ModeGateway, ModeExternal, ModeIngress:
	default:
		l.Add(p("mode"), string(a.Mode), "not an ingress mode", "use gateway (Envoy Gateway, the default), external (a Gateway API implementation the cluster runs) or ingress")
	}
	kname.CheckNamespace(&l, p("namespace"), a.Namespace)
	switch a.TLSMinVersion {
	case TLS12:
		for i, c := range a.Ciphers {
			if !aead12[c] {
				l.Add(p(fmt.Sprintf("ciphers[%d]", i)), c, "not an ECDHE + AEAD suite (no forward secrecy or a CBC/SHA-1 construction)", "use suites from "+strings.Join(DefaultCiphers, ", "))
			}
		}
		if a.Ciphers != nil && len(a.Ciphers) == 0 {
			l.Add(p("ciphers"), verr.Raw("[]"), "an empty list leaves the implementation's default suites (CBC included) in place", "remove the key for Rampart's ECDHE + AEAD list")
		}
		if j := strings.TrimSpace(a.TLS12Justification); j != "" && len(j) < MinJustification {
			l.Add(p("tls12Justification"), a.TLS12Justification, fmt.Sprintf("too short for the compliance report (at least %d characters)", MinJustification),
				"say which clients cannot negotiate TLS 1.3")
		}
	case TLS13:
		if len(a.Ciphers) > 0 {
			l.Add(p("ciphers"), verr.Raw(fmt.Sprint(a.Ciphers)), "ciphers have no effect with a 1.3 floor (Envoy Gateway rejects them)", "remove rampart:ingress.ciphers")
		}
		if a.TLS12Justification != "" {
			l.Add(p("tls12Justification"), verr.Raw("(set)"), "justifies a 1.2 floor, but the floor is 1.3", "remove rampart:ingress.tls12Justification")
		}
	case "1.0", "1.1", "1", "TLSv1", "TLSv1.0", "TLSv1.1":
		l.Add(p("tlsMinVersion"), string(a.TLSMinVersion), "TLS below 1.2 is deprecated (RFC 8996) and fails NIS2 Art. 21(2)(h) / ISM-1139", `use "1.2" or "1.3"`)
	default:
		l.Add(p("tlsMinVersion"), string(a.TLSMinVersion), "not a TLS version", `use "1.2" or "1.3"`)
	}
	switch age := a.HSTS.Age(); {
	case age == 0:
		l.NotUnset(p("hsts.maxAge"), 0, "max-age=0 tells browsers to forget HTTPS-only at once", DefaultHSTSMaxAge, "use at least 31536000")
	case age < DefaultHSTSMaxAge:
		l.Add(p("hsts.maxAge"), age, "below one year: browsers forget HTTPS-only between visits and preload lists refuse it", "use at least 31536000")
	}
	if a.Domain == "" && (len(a.Hosts) > 0 || len(a.Routes) > 0) {
		l.Add(p("domain"), "", "missing: hosts are checked against it", "set rampart:domain")
	}
	for i, h := range a.Hosts {
		checkHost(&l, p(fmt.Sprintf("hosts[%d]", i)), h, a.Domain)
	}
	seen := map[string]int{}
	for i, r := range a.Routes {
		rp := p(fmt.Sprintf("routes[%d]", i))
		a.CheckRoute(&l, rp, r)
		if j, dup := seen[r.Host+" "+r.Path]; dup {
			l.Add(rp+".path", r.Path, fmt.Sprintf("same host and path as routes[%d]", j), "merge the two routes or change the path")
		}
		seen[r.Host+" "+r.Path] = i
	}
	switch a.Mode {
	case ModeExternal:
		if a.GatewayClassName == "" {
			l.Add(p("gatewayClassName"), "", "missing: external mode uses the implementation's GatewayClass", "set it to the class your implementation serves")
		}
	case ModeIngress:
		if a.IngressClassName == "" {
			l.Add(p("ingressClassName"), "", "missing: ingress mode needs the controller's class", "set it, e.g. nginx")
		}
	}
	if a.Mode != ModeGateway && len(a.ProxyPodLabels) == 0 {
		l.Add(p("proxyPodLabels"), verr.Raw("{}"), "missing: the network policy admits 80/443 only to these pods", "set the labels of your gateway or controller pods")
	}
	if a.Chart.Enabled {
		a.Chart.Validate(&l, p("chart"), ChartPin)
	}
	switch {
	case a.ServiceType == "":
	case !a.Chart.Enabled:
		l.Add(p("serviceType"), string(a.ServiceType), "read only with chart.enabled: it is the default EnvoyProxy of the Envoy Gateway Rampart installs", "remove rampart:ingress.serviceType, or set chart.enabled")
	case !slices.Contains([]ServiceType{ServiceLoadBalancer, ServiceNodePort, ServiceClusterIP}, a.ServiceType):
		l.Add(p("serviceType"), string(a.ServiceType), "not a Service type Envoy Gateway gives its proxies", "use LoadBalancer, NodePort or ClusterIP")
	}
	if a.Chart.Enabled && a.Mode != ModeGateway {
		l.Add(p("chart.enabled"), true, "Envoy Gateway's chart is for gateway mode only", "remove chart.enabled or use mode gateway")
	}
	if a.Chart.Enabled && a.Mode == ModeGateway {
		a.APIServer.Validate(&l, p("apiServer"), "with chart.enabled: the ingress namespace is default-deny and Envoy Gateway's controller and certgen job reach only the API server")
	}
	switch a.Issuer.Kind {
	case "", "ClusterIssuer", "Issuer":
	default:
		l.Add(p("issuer.kind"), a.Issuer.Kind, "not a cert-manager issuer kind", "use ClusterIssuer or Issuer")
	}
	return l.Err()
}

// checkHost refuses a host outside domain or not a DNS name; a wildcard
// covers one label.
func checkHost(l *verr.List, path, h, domain string) {
	name := strings.TrimPrefix(h, "*.")
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 || !strings.Contains(name, ".") {
		l.Add(path, h, "not a DNS name", "use a lower-case name under rampart:domain")
		return
	}
	if domain != "" && h != domain && !strings.HasSuffix(h, "."+domain) {
		l.Add(path, h, "not under rampart:domain "+strconv.Quote(domain)+": certificates are issued for the domain only", "use a name under "+domain)
	}
}
