package ingress

import (
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"github.com/rampart-dev/rampart/helpers/kname"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// HTTPListener is the name of the Gateway's plain-HTTP listener, whose only
// route is the redirect to HTTPS.
const HTTPListener = "http"

// ListenerName is the HTTPS listener serving host.
func ListenerName(host string) string {
	return kname.Join("https", strings.NewReplacer("*", "wildcard", ".", "-").Replace(host))
}

// SecretName is the TLS Secret (in the ingress namespace) holding host's
// certificate: cert-manager writes it when an issuer is set, else the user.
func SecretName(host string) string {
	return kname.Join(strings.NewReplacer("*", "wildcard", ".", "-").Replace(host), "tls")
}

// objects is what one mode renders, in creation order.
type objects struct {
	class    *gatewayv1.GatewayClass
	gateway  *gatewayv1.Gateway
	redirect *gatewayv1.HTTPRoute
	routes   []*gatewayv1.HTTPRoute
	grants   []*gatewayv1.ReferenceGrant
	policy   *egv1a1.ClientTrafficPolicy
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

const gwAPI = "gateway.networking.k8s.io/v1"

// renderGateway builds the Gateway API objects (and, in gateway mode, Envoy
// Gateway's ClientTrafficPolicy) from their upstream Go types.
func renderGateway(name string, a *IngressArgs) *objects {
	o := &objects{}
	gwName := kname.Join(name, "gateway")
	ns := a.Namespace
	if a.Mode == ModeGateway {
		o.class = &gatewayv1.GatewayClass{
			TypeMeta:   typeMeta(gwAPI, "GatewayClass"),
			ObjectMeta: metav1.ObjectMeta{Name: a.GatewayClassName},
			Spec:       gatewayv1.GatewayClassSpec{ControllerName: gatewayv1.GatewayController(ControllerName(a))},
		}
	}
	same := gatewayv1.NamespacesFromSame
	sel := gatewayv1.NamespacesFromSelector
	// Each HTTPS listener admits routes only from the namespaces that own a
	// route for its host: a tenant cannot attach a route (without the
	// security headers) to another tenant's host.
	hostNS := map[string][]string{}
	for _, r := range a.Routes {
		hostNS[r.Host] = appendUnique(hostNS[r.Host], r.Namespace)
	}
	terminate := gatewayv1.TLSModeTerminate
	listeners := []gatewayv1.Listener{{
		Name: HTTPListener, Port: 80, Protocol: gatewayv1.HTTPProtocolType,
		AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: &same}},
	}}
	for _, h := range a.ListenerHosts() {
		host := gatewayv1.Hostname(h)
		l := gatewayv1.Listener{
			Name: gatewayv1.SectionName(ListenerName(h)), Hostname: &host, Port: 443, Protocol: gatewayv1.HTTPSProtocolType,
			TLS:           &gatewayv1.ListenerTLSConfig{Mode: &terminate, CertificateRefs: []gatewayv1.SecretObjectReference{{Name: gatewayv1.ObjectName(SecretName(h))}}},
			AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: &same}},
		}
		// Only the namespaces owning this host's routes may attach.
		if routeNS := hostNS[h]; len(routeNS) > 0 {
			sort.Strings(routeNS)
			l.AllowedRoutes.Namespaces = &gatewayv1.RouteNamespaces{From: &sel, Selector: &metav1.LabelSelector{
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: routeNS}},
			}}
		}
		listeners = append(listeners, l)
	}
	meta := metav1.ObjectMeta{Name: gwName, Namespace: ns}
	if a.Issuer.Name != "" {
		key := "cert-manager.io/cluster-issuer"
		if a.Issuer.Kind == "Issuer" {
			key = "cert-manager.io/issuer"
		}
		meta.Annotations = map[string]string{key: a.Issuer.Name}
	}
	o.gateway = &gatewayv1.Gateway{
		TypeMeta: typeMeta(gwAPI, "Gateway"), ObjectMeta: meta,
		Spec: gatewayv1.GatewaySpec{GatewayClassName: gatewayv1.ObjectName(a.GatewayClassName), Listeners: listeners},
	}

	// The redirect attaches to the HTTP listener alone (sectionName): on an
	// HTTPS listener it would redirect HTTPS requests again.
	https, code := "https", 301
	httpSection := gatewayv1.SectionName(HTTPListener)
	o.redirect = &gatewayv1.HTTPRoute{
		TypeMeta:   typeMeta(gwAPI, "HTTPRoute"),
		ObjectMeta: metav1.ObjectMeta{Name: kname.Join(name, "https-redirect"), Namespace: ns},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: gatewayv1.ObjectName(gwName), SectionName: &httpSection}}},
			Rules: []gatewayv1.HTTPRouteRule{{Filters: []gatewayv1.HTTPRouteFilter{{
				Type:            gatewayv1.HTTPRouteFilterRequestRedirect,
				RequestRedirect: &gatewayv1.HTTPRequestRedirectFilter{Scheme: &https, StatusCode: &code},
			}}}},
		},
	}

	headers := []gatewayv1.HTTPHeader{{Name: "Strict-Transport-Security", Value: a.HSTS.Value()}}
	for _, h := range SecurityHeaders {
		headers = append(headers, gatewayv1.HTTPHeader{Name: gatewayv1.HTTPHeaderName(h[0]), Value: h[1]})
	}
	gwNS := gatewayv1.Namespace(ns)
	prefix := gatewayv1.PathMatchPathPrefix
	for _, r := range a.Routes {
		section := gatewayv1.SectionName(ListenerName(r.Host))
		path := r.Path
		port := gatewayv1.PortNumber(r.Backend.Port) //nolint:gosec // validated 1-65535 (IngressArgs.Validate)
		ref := gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
			Name: gatewayv1.ObjectName(r.Backend.Service), Port: &port,
		}}}
		if r.Backend.Namespace != r.Namespace {
			bns := gatewayv1.Namespace(r.Backend.Namespace)
			ref.Namespace = &bns
		}
		o.routes = append(o.routes, &gatewayv1.HTTPRoute{
			TypeMeta:   typeMeta(gwAPI, "HTTPRoute"),
			ObjectMeta: metav1.ObjectMeta{Name: routeName(name, r), Namespace: r.Namespace},
			Spec: gatewayv1.HTTPRouteSpec{
				CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{Name: gatewayv1.ObjectName(gwName), Namespace: &gwNS, SectionName: &section}}},
				Hostnames:       []gatewayv1.Hostname{gatewayv1.Hostname(r.Host)},
				Rules: []gatewayv1.HTTPRouteRule{{
					Matches: []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: &prefix, Value: &path}}},
					// HSTS is only global if every HTTPS route carries it.
					Filters: []gatewayv1.HTTPRouteFilter{{
						Type:                   gatewayv1.HTTPRouteFilterResponseHeaderModifier,
						ResponseHeaderModifier: &gatewayv1.HTTPHeaderFilter{Set: headers},
					}},
					BackendRefs: []gatewayv1.HTTPBackendRef{ref},
				}},
			},
		})
		if r.Backend.Namespace != r.Namespace {
			svc := gatewayv1.ObjectName(r.Backend.Service)
			o.grants = append(o.grants, &gatewayv1.ReferenceGrant{
				TypeMeta:   typeMeta(gwAPI, "ReferenceGrant"),
				ObjectMeta: metav1.ObjectMeta{Name: routeName(name, r), Namespace: r.Backend.Namespace},
				Spec: gatewayv1.ReferenceGrantSpec{
					From: []gatewayv1.ReferenceGrantFrom{{Group: gatewayv1.GroupName, Kind: "HTTPRoute", Namespace: gatewayv1.Namespace(r.Namespace)}},
					To:   []gatewayv1.ReferenceGrantTo{{Group: "", Kind: "Service", Name: &svc}},
				},
			})
		}
	}

	if a.Mode == ModeGateway {
		o.policy = clientTrafficPolicy(name, gwName, a)
	}
	return o
}

// clientTrafficPolicy carries the TLS floor: the Gateway API has no standard
// minimum-TLS field. NIS2 Art. 21(2)(h); ISM-1139.
func clientTrafficPolicy(name, gwName string, a *IngressArgs) *egv1a1.ClientTrafficPolicy {
	minV, maxV := egv1a1.TLSVersion(a.TLSMinVersion), egv1a1.TLSVersion(TLS13)
	tls := egv1a1.TLSSettings{MinVersion: &minV, MaxVersion: &maxV}
	tls.Ciphers = append(tls.Ciphers, a.Ciphers...)
	for _, p := range ALPN {
		tls.ALPNProtocols = append(tls.ALPNProtocols, egv1a1.ALPNProtocol(p))
	}
	return &egv1a1.ClientTrafficPolicy{
		TypeMeta:   typeMeta(egv1a1.GroupVersion.String(), egv1a1.KindClientTrafficPolicy),
		ObjectMeta: metav1.ObjectMeta{Name: kname.Join(name, "tls-floor"), Namespace: a.Namespace},
		Spec: egv1a1.ClientTrafficPolicySpec{
			PolicyTargetReferences: egv1a1.PolicyTargetReferences{TargetRefs: []gatewayv1.LocalPolicyTargetReferenceWithSectionName{{
				LocalPolicyTargetReference: gatewayv1.LocalPolicyTargetReference{Group: gatewayv1.GroupName, Kind: "Gateway", Name: gatewayv1.ObjectName(gwName)},
			}}},
			TLS: &egv1a1.ClientTLSSettings{TLSSettings: tls},
		},
	}
}

// routeName is stable across reordering: named after host and path, not
// the route's index.
func routeName(name string, r Route) string {
	slug := strings.NewReplacer("*", "wildcard", ".", "-", "/", "-", "_", "-").Replace(r.Host + strings.TrimRight(r.Path, "/"))
	return kname.Join(name, slug)
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
