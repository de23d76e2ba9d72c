package ingress_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	tClass    = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass"
	tGateway  = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	tRoute    = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	tGrant    = "kubernetes:gateway.networking.k8s.io/v1:ReferenceGrant"
	tCTP      = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
	tPolicy   = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	tIngress  = "kubernetes:networking.k8s.io/v1:Ingress"
	tChart    = "kubernetes:helm.sh/v4:Chart"
	domain    = "platform.example.eu"
	appHost   = "app.platform.example.eu"
	apiHost   = "api.platform.example.eu"
	component = "ingress"
)

func validArgs() *ingress.IngressArgs {
	return &ingress.IngressArgs{
		Domain: domain,
		Routes: []ingress.Route{
			{Host: appHost, Namespace: "team-a", Backend: &ingress.Backend{Service: "web", Port: 8080}},
			{Host: apiHost, Path: "/v1", Namespace: "team-b", Backend: &ingress.Backend{Service: "api", Port: 9000, Namespace: "team-c"}},
		},
		Issuer: ingress.IssuerRef{Name: "pki-openbao"},
	}
}

func run(t *testing.T, args *ingress.IngressArgs) (*recmock.Recorder, error) {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := ingress.NewIngress(ctx, component, args)
		return err
	})
	return rec, err
}

func mustRun(t *testing.T, args *ingress.IngressArgs) *recmock.Recorder {
	t.Helper()
	rec, err := run(t, args)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func get(t *testing.T, v any, steps ...any) any {
	t.Helper()
	got, ok := recmock.Path(v, steps...)
	if !ok {
		t.Fatalf("%v missing in %v", steps, v)
	}
	return got
}

func wantHeaders(hsts string) map[string]string {
	return map[string]string{
		"Strict-Transport-Security": hsts,
		"X-Content-Type-Options":    "nosniff",
		"X-Frame-Options":           "DENY",
		"X-XSS-Protection":          "0",
		"Referrer-Policy":           "strict-origin-when-cross-origin",
		"Permissions-Policy":        "camera=(), microphone=(), geolocation=()",
	}
}

func TestIngress_GatewayModeRendersEveryChildUnderTheComponent(t *testing.T) {
	rec := mustRun(t, validArgs())
	for _, c := range []struct{ typ, name string }{
		{tClass, component + "-class"},
		{tGateway, component + "-gateway"},
		{tRoute, component + "-redirect"},
		{tRoute, component + "-route-ingress-app-platform-example-eu"},
		{tRoute, component + "-route-ingress-api-platform-example-eu-v1"},
		{tGrant, component + "-grant-ingress-api-platform-example-eu-v1"},
		{tCTP, component + "-tls-floor"},
		{tPolicy, component + "-netpol"},
	} {
		r, err := rec.Get(c.typ, c.name)
		if err != nil {
			t.Errorf("%s %s: %v (have %v)", c.typ, c.name, err, rec.Names())
			continue
		}
		if r.ParentName() != component {
			t.Errorf("%s parent = %q, want the component", c.name, r.Parent)
		}
	}
	if n := len(rec.ByType(tGrant)); n != 1 {
		t.Errorf("%d ReferenceGrants, want 1 (only the cross-namespace route)", n)
	}
	if n := len(rec.ByType(tChart)); n != 0 {
		t.Errorf("chart rendered without chart.enabled")
	}
}

func TestIngress_GatewayHasOneHTTPSListenerPerHostWithTheIssuerAnnotation(t *testing.T) {
	rec := mustRun(t, validArgs())
	gw := rec.ByType(tGateway)[0].Plain()
	if got := get(t, gw, "metadata", "annotations", "cert-manager.io/cluster-issuer"); got != "pki-openbao" {
		t.Errorf("issuer annotation = %v", got)
	}
	ls := get(t, gw, "spec", "listeners").([]any)
	if len(ls) != 3 {
		t.Fatalf("listeners = %v, want http + 2 https", ls)
	}
	if l := ls[0].(map[string]any); l["name"] != "http" || l["protocol"] != "HTTP" || l["port"] != 80.0 || l["tls"] != nil {
		t.Errorf("http listener = %v", l)
	}
	// Each host's listener admits only the namespace owning that host's
	// routes: another tenant cannot attach a header-less route to it.
	owner := map[string]string{appHost: "team-a", apiHost: "team-b"}
	for i, host := range []string{appHost, apiHost} {
		l := ls[i+1]
		if get(t, l, "protocol") != "HTTPS" || get(t, l, "port") != 443.0 || get(t, l, "hostname") != host ||
			get(t, l, "tls", "mode") != "Terminate" || get(t, l, "tls", "certificateRefs", 0, "name") != ingress.SecretName(host) {
			t.Errorf("https listener %d = %v", i, l)
		}
		vals := get(t, l, "allowedRoutes", "namespaces", "selector", "matchExpressions", 0, "values")
		if !reflect.DeepEqual(vals, []any{owner[host]}) {
			t.Errorf("listener for %s admits routes from %v, want only its owner %s", host, vals, owner[host])
		}
	}
}

func TestIngress_IssuerKindIssuerUsesTheNamespacedAnnotationAndNoIssuerNone(t *testing.T) {
	a := validArgs()
	a.Issuer.Kind = "Issuer"
	gw := mustRun(t, a).ByType(tGateway)[0].Plain()
	if get(t, gw, "metadata", "annotations", "cert-manager.io/issuer") != "pki-openbao" {
		t.Errorf("annotations = %v", get(t, gw, "metadata"))
	}
	a.Issuer = ingress.IssuerRef{}
	gw = mustRun(t, a).ByType(tGateway)[0].Plain()
	if ann := get(t, gw, "metadata", "annotations").(map[string]any); ann["cert-manager.io/cluster-issuer"] != nil || ann["cert-manager.io/issuer"] != nil {
		t.Errorf("annotations without an issuer: %v", get(t, gw, "metadata"))
	}
}

func TestIngress_RedirectAttachesToTheHTTPListenerOnlyWith301Https(t *testing.T) {
	rec := mustRun(t, validArgs())
	r, _ := rec.Get(tRoute, component+"-redirect")
	p := r.Plain()
	refs := get(t, p, "spec", "parentRefs").([]any)
	if len(refs) != 1 || get(t, refs[0], "sectionName") != "http" {
		t.Errorf("redirect parentRefs = %v, want the http listener alone", refs)
	}
	f := get(t, p, "spec", "rules", 0, "filters", 0)
	if get(t, f, "type") != "RequestRedirect" || get(t, f, "requestRedirect", "scheme") != "https" || get(t, f, "requestRedirect", "statusCode") != 301.0 {
		t.Errorf("redirect filter = %v", f)
	}
	if _, ok := recmock.Path(p, "spec", "rules", 0, "backendRefs"); ok {
		t.Errorf("redirect route has backends: %v", p)
	}
}

func TestIngress_EveryHTTPSRouteSetsHSTSAndTheFiveHeaders(t *testing.T) {
	for _, preload := range []bool{false, true} {
		a := validArgs()
		a.HSTS.Preload = preload
		hsts := "max-age=31536000; includeSubDomains"
		if preload {
			hsts += "; preload"
		}
		rec := mustRun(t, a)
		n := 0
		for _, r := range rec.ByType(tRoute) {
			if r.Name == component+"-redirect" {
				continue
			}
			n++
			p := r.Plain()
			if s := get(t, p, "spec", "parentRefs", 0, "sectionName").(string); !strings.HasPrefix(s, "https-") {
				t.Errorf("%s attaches to %q, want its HTTPS listener", r.Name, s)
			}
			f := get(t, p, "spec", "rules", 0, "filters", 0)
			if get(t, f, "type") != "ResponseHeaderModifier" {
				t.Fatalf("%s filter = %v", r.Name, f)
			}
			got := map[string]string{}
			for _, h := range get(t, f, "responseHeaderModifier", "set").([]any) {
				got[get(t, h, "name").(string)] = get(t, h, "value").(string)
			}
			if !reflect.DeepEqual(got, wantHeaders(hsts)) {
				t.Errorf("%s headers = %v, want %v", r.Name, got, wantHeaders(hsts))
			}
		}
		if n != 2 {
			t.Errorf("%d HTTPS routes, want 2", n)
		}
	}
}

func TestIngress_CrossNamespaceBackendGetsAReferenceGrantForThatRouteOnly(t *testing.T) {
	rec := mustRun(t, validArgs())
	g := rec.ByType(tGrant)[0].Plain()
	if get(t, g, "metadata", "namespace") != "team-c" || get(t, g, "spec", "from", 0, "namespace") != "team-b" ||
		get(t, g, "spec", "from", 0, "kind") != "HTTPRoute" || get(t, g, "spec", "to", 0, "name") != "api" || get(t, g, "spec", "to", 0, "kind") != "Service" {
		t.Errorf("grant = %v", g)
	}
	r, _ := rec.Get(tRoute, component+"-route-ingress-api-platform-example-eu-v1")
	if get(t, r.Plain(), "spec", "rules", 0, "backendRefs", 0, "namespace") != "team-c" {
		t.Errorf("backendRef = %v", get(t, r.Plain(), "spec", "rules", 0, "backendRefs"))
	}
}

func TestIngress_ClientTrafficPolicyCarriesTheTLSFloor(t *testing.T) {
	aead := []any{"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"}
	for _, tc := range []struct {
		min, justification string
		ciphers            []any
	}{
		{"1.2", "", aead},
		{"1.2", "Payment terminals of the card scheme speak TLS 1.2 only until 2027.", aead},
		{"1.3", "", nil},
	} {
		a := validArgs()
		a.TLSMinVersion, a.TLS12Justification = ingress.TLSVersion(tc.min), tc.justification
		p := mustRun(t, a).ByType(tCTP)[0].Plain()
		tls := get(t, p, "spec", "tls")
		if get(t, tls, "minVersion") != tc.min || get(t, tls, "maxVersion") != "1.3" ||
			!reflect.DeepEqual(get(t, tls, "alpnProtocols"), []any{"h2", "http/1.1"}) {
			t.Errorf("%s: tls = %v", tc.min, tls)
		}
		c, _ := recmock.Path(tls, "ciphers")
		if tc.ciphers == nil && c != nil || tc.ciphers != nil && !reflect.DeepEqual(c, tc.ciphers) {
			t.Errorf("%s: ciphers = %v, want %v", tc.min, c, tc.ciphers)
		}
		ref := get(t, p, "spec", "targetRefs", 0)
		if get(t, ref, "kind") != "Gateway" || get(t, ref, "name") != "ingress-gateway" || get(t, ref, "group") != "gateway.networking.k8s.io" {
			t.Errorf("targetRef = %v", ref)
		}
	}
}

func TestIngress_NetworkPolicyAdmitsWebPortsToProxiesAndEgressOnlyToBackends(t *testing.T) {
	p := mustRun(t, validArgs()).ByType(tPolicy)[0].Plain()
	if get(t, p, "metadata", "namespace") != "rampart-ingress" || get(t, p, "metadata", "name") != "ingress-netpol" ||
		!reflect.DeepEqual(get(t, p, "spec", "podSelector", "matchLabels"), map[string]any{"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}) {
		t.Errorf("policy = %v", p)
	}
	var in []any
	for _, port := range get(t, p, "spec", "ingress", 0, "ports").([]any) {
		in = append(in, get(t, port, "port"))
	}
	if !reflect.DeepEqual(in, []any{80.0, 443.0, 10080.0, 10443.0}) {
		t.Errorf("ingress ports = %v", in)
	}
	if _, ok := recmock.Path(p, "spec", "ingress", 0, "from"); ok {
		t.Errorf("ingress has a from: %v", p)
	}
	eg := get(t, p, "spec", "egress").([]any)
	if len(eg) != 2 {
		t.Fatalf("egress = %v, want one rule per backend namespace", eg)
	}
	for i, w := range []struct {
		ns   string
		port float64
	}{{"team-a", 8080}, {"team-c", 9000}} {
		if get(t, eg[i], "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name") != w.ns ||
			len(get(t, eg[i], "ports").([]any)) != 1 || get(t, eg[i], "ports", 0, "port") != w.port {
			t.Errorf("egress %d = %v, want %s:%v", i, eg[i], w.ns, w.port)
		}
	}
}

func TestIngress_ExternalModeRendersOnlyGatewayAPIObjects(t *testing.T) {
	a := validArgs()
	a.Mode, a.GatewayClassName, a.ProxyPodLabels = ingress.ModeExternal, "istio", map[string]string{"istio": "ingressgateway"}
	rec := mustRun(t, a)
	if len(rec.ByType(tClass)) != 0 || len(rec.ByType(tCTP)) != 0 || len(rec.ByType(tChart)) != 0 {
		t.Errorf("external mode rendered implementation objects: %v", rec.Names())
	}
	if get(t, rec.ByType(tGateway)[0].Plain(), "spec", "gatewayClassName") != "istio" || len(rec.ByType(tRoute)) != 3 {
		t.Errorf("gateway objects = %v", rec.Names())
	}
}

func TestIngress_IngressModeRendersTLSIngressesInTheBackendNamespace(t *testing.T) {
	a := validArgs()
	a.Mode, a.IngressClassName, a.ProxyPodLabels = ingress.ModeIngress, "nginx", map[string]string{"app": "ingress-nginx"}
	rec := mustRun(t, a)
	if len(rec.ByType(tGateway)) != 0 || len(rec.ByType(tRoute)) != 0 {
		t.Errorf("ingress mode rendered Gateway API objects: %v", rec.Names())
	}
	pol := rec.ByType(tPolicy)[0].Plain()
	if got := get(t, pol, "spec", "ingress", 0, "ports"); len(got.([]any)) != 2 ||
		!reflect.DeepEqual(get(t, pol, "spec", "podSelector", "matchLabels"), map[string]any{"app": "ingress-nginx"}) {
		t.Errorf("ingress-mode policy = %v, want 80/443 to the controller pods", pol)
	}
	ings := rec.ByType(tIngress)
	if len(ings) != 2 {
		t.Fatalf("ingresses = %v", rec.Names())
	}
	r, err := rec.Get(tIngress, component+"-ingress-ingress-api-platform-example-eu-v1")
	if err != nil {
		t.Fatal(err)
	}
	p := r.Plain()
	if get(t, p, "metadata", "namespace") != "team-c" || get(t, p, "metadata", "annotations", "cert-manager.io/cluster-issuer") != "pki-openbao" ||
		get(t, p, "spec", "ingressClassName") != "nginx" || get(t, p, "spec", "tls", 0, "hosts", 0) != apiHost ||
		get(t, p, "spec", "tls", 0, "secretName") != ingress.SecretName(apiHost) {
		t.Errorf("ingress = %v", p)
	}
}

func TestIngress_ChartPinsVersionImagesByDigestAndRunsProxiesInTheGatewayNamespace(t *testing.T) {
	a := validArgs()
	a.Chart.Enabled = true
	a.Chart.Repository = "oci://mirror.example.eu/envoyproxy"
	a.APIServer.CIDRs = []string{"10.96.0.1/32"}
	rec := mustRun(t, a)
	charts := rec.ByType(tChart)
	if len(charts) != 1 {
		t.Fatalf("charts = %v", rec.Names())
	}
	p := charts[0].Plain()
	if get(t, p, "chart") != "oci://mirror.example.eu/envoyproxy/gateway-helm" || get(t, p, "version") != ingress.ChartVersion || get(t, p, "namespace") != "rampart-ingress" {
		t.Errorf("chart = %v", p)
	}
	for _, img := range []string{"envoyGateway", "envoyProxy", "ratelimit"} {
		if s := get(t, p, "values", "global", "images", img, "image").(string); !strings.Contains(s, "@sha256:") {
			t.Errorf("%s image %q not pinned by digest", img, s)
		}
	}
	if get(t, p, "values", "config", "envoyGateway", "provider", "kubernetes", "deploy", "type") != "GatewayNamespace" {
		t.Errorf("proxies not deployed in the Gateway's namespace: %v", get(t, p, "values", "config"))
	}
	if get(t, p, "values", "deployment", "pod", "securityContext", "runAsNonRoot") != true {
		t.Errorf("pod security context = %v", get(t, p, "values", "deployment"))
	}
	gw, _ := rec.Get(tClass, component+"-class")
	if len(gw.Deps) == 0 {
		t.Errorf("GatewayClass does not wait for the chart")
	}
}

func TestIngress_RejectsBadConfigAtExactPaths(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(a *ingress.IngressArgs)
		path string
	}{
		{"TLS below 1.2", func(a *ingress.IngressArgs) { a.TLSMinVersion = "1.1" }, "tlsMinVersion"},
		{"not a TLS version", func(a *ingress.IngressArgs) { a.TLSMinVersion = "1.4" }, "tlsMinVersion"},
		{"CBC cipher", func(a *ingress.IngressArgs) {
			a.Ciphers = []string{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA"}
		}, "ciphers[1]"},
		{"RSA key exchange", func(a *ingress.IngressArgs) { a.Ciphers = []string{"AES256-GCM-SHA384"} }, "ciphers[0]"},
		{"empty cipher list", func(a *ingress.IngressArgs) { a.Ciphers = []string{} }, "ciphers"},
		{"ciphers with 1.3", func(a *ingress.IngressArgs) {
			a.TLSMinVersion = "1.3"
			a.Ciphers = []string{"ECDHE-RSA-AES128-GCM-SHA256"}
		}, "ciphers"},
		{"1.2 justification with 1.3", func(a *ingress.IngressArgs) {
			a.TLSMinVersion, a.TLS12Justification = "1.3", "Payment terminals speak TLS 1.2 only."
		}, "tls12Justification"},
		{"1.2 justification too short", func(a *ingress.IngressArgs) { a.TLS12Justification = "legacy" }, "tls12Justification"},
		{"HSTS below a year", func(a *ingress.IngressArgs) { a.HSTS.MaxAge = new(86400) }, "hsts.maxAge"},
		{"HSTS max-age 0", func(a *ingress.IngressArgs) { a.HSTS.MaxAge = new(0) }, "hsts.maxAge"},
		{"host outside the domain", func(a *ingress.IngressArgs) { a.Routes[0].Host = "app.example.com" }, "routes[0].host"},
		{"listener host outside the domain", func(a *ingress.IngressArgs) {
			a.Hosts = []string{appHost, apiHost, "evil.com.platform.example.eu.attacker.io"}
		}, "hosts[2]"},
		{"host suffix trick", func(a *ingress.IngressArgs) { a.Routes[0].Host = "evilplatform.example.eu" }, "routes[0].host"},
		{"route without a backend", func(a *ingress.IngressArgs) { a.Routes[0].Backend = nil }, "routes[0].backend"},
		{"backend port", func(a *ingress.IngressArgs) { a.Routes[0].Backend.Port = 0 }, "routes[0].backend.port"},
		{"backend service", func(a *ingress.IngressArgs) { a.Routes[0].Backend.Service = "Web_1" }, "routes[0].backend.service"},
		{"relative path", func(a *ingress.IngressArgs) { a.Routes[0].Path = "api" }, "routes[0].path"},
		{"duplicate route", func(a *ingress.IngressArgs) { a.Routes[1].Host, a.Routes[1].Path = appHost, "/" }, "routes[1].path"},
		{"route in the ingress namespace", func(a *ingress.IngressArgs) { a.Routes[0].Namespace = "rampart-ingress" }, "routes[0].namespace"},
		{"host with no listener", func(a *ingress.IngressArgs) { a.Hosts = []string{appHost} }, "routes[1].host"},
		{"mode", func(a *ingress.IngressArgs) { a.Mode = "traefik" }, "mode"},
		{"external without class", func(a *ingress.IngressArgs) {
			a.Mode, a.ProxyPodLabels = ingress.ModeExternal, map[string]string{"a": "b"}
		}, "gatewayClassName"},
		{"ingress without class", func(a *ingress.IngressArgs) {
			a.Mode, a.ProxyPodLabels = ingress.ModeIngress, map[string]string{"a": "b"}
		}, "ingressClassName"},
		{"external without proxy labels", func(a *ingress.IngressArgs) { a.Mode, a.GatewayClassName = ingress.ModeExternal, "x" }, "proxyPodLabels"},
		{"chart outside gateway mode", func(a *ingress.IngressArgs) {
			a.Mode, a.GatewayClassName, a.ProxyPodLabels, a.Chart.Enabled = ingress.ModeExternal, "x", map[string]string{"a": "b"}, true
		}, "chart.enabled"},
		{"chart from a non-OCI repository", func(a *ingress.IngressArgs) { a.Chart.Enabled, a.Chart.Repository = true, "https://charts.example.eu" }, "chart.repository"},
		{"chart without API server CIDRs", func(a *ingress.IngressArgs) { a.Chart.Enabled = true }, "apiServer.cidrs"},
		{"API server CIDR admits everything", func(a *ingress.IngressArgs) {
			a.Chart.Enabled, a.APIServer.CIDRs = true, []string{"10.96.0.1/32", "0.0.0.0/0"}
		}, "apiServer.cidrs[1]"},
		{"API server CIDR admits every IPv6 address", func(a *ingress.IngressArgs) {
			a.Chart.Enabled, a.APIServer.CIDRs = true, []string{"::/0"}
		}, "apiServer.cidrs[0]"},
		{"API server CIDR not a CIDR", func(a *ingress.IngressArgs) {
			a.Chart.Enabled, a.APIServer.CIDRs = true, []string{"10.96.0.1"}
		}, "apiServer.cidrs[0]"},
		{"API server port", func(a *ingress.IngressArgs) {
			a.Chart.Enabled, a.APIServer.CIDRs, a.APIServer.Ports = true, []string{"10.96.0.1/32"}, []int{443, 0}
		}, "apiServer.ports[1]"},
		{"chart from a relative folder", func(a *ingress.IngressArgs) {
			a.Chart.Enabled, a.APIServer.CIDRs, a.Chart.Repository = true, []string{"10.96.0.1/32"}, "charts"
		}, "chart.repository"},
		{"service type without the chart", func(a *ingress.IngressArgs) { a.ServiceType = ingress.ServiceClusterIP }, "serviceType"},
		{"service type", func(a *ingress.IngressArgs) {
			a.Chart.Enabled, a.APIServer.CIDRs, a.ServiceType = true, []string{"10.96.0.1/32"}, "ExternalName"
		}, "serviceType"},
		{"issuer kind", func(a *ingress.IngressArgs) { a.Issuer.Kind = "Certificate" }, "issuer.kind"},
		{"namespace", func(a *ingress.IngressArgs) { a.Namespace = "Ingress!" }, "namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := validArgs()
			tc.edit(a)
			rec, err := run(t, a)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), "\n"+tc.path+": ") && !strings.Contains(err.Error(), ": "+tc.path+": ") {
				t.Errorf("error does not name %s:\n%v", tc.path, err)
			}
			if rec.Len() != 0 {
				t.Errorf("registered %v despite the error", rec.Names())
			}
			// The config layer reports the same problem under its key.
			if err := a.WithDefaults().Validate("rampart:ingress"); err == nil || !strings.Contains(err.Error(), "rampart:ingress."+tc.path+": ") {
				t.Errorf("Validate(prefix) = %v", err)
			}
		})
	}
}

func TestIngress_DefaultsAreTheSecureOnes(t *testing.T) {
	a := (&ingress.IngressArgs{}).WithDefaults()
	if a.Mode != ingress.ModeGateway || a.TLSMinVersion != "1.2" || a.HSTS.Age() != 31536000 || a.HSTS.Preload ||
		!reflect.DeepEqual(a.Ciphers, ingress.DefaultCiphers) || a.Chart.Enabled || a.Namespace != "rampart-ingress" {
		t.Errorf("defaults = %+v", a)
	}
	a = (&ingress.IngressArgs{TLSMinVersion: "1.3"}).WithDefaults()
	if a.Ciphers != nil {
		t.Errorf("1.3 floor got ciphers %v", a.Ciphers)
	}
}

// BenchmarkIngress_GatewayModeTenRoutes registers a prod-sized ingress
// (ten routes over five tenants, two cross-namespace) under the mocks.
func BenchmarkIngress_GatewayModeTenRoutes(b *testing.B) {
	a := &ingress.IngressArgs{Domain: domain, Chart: ingress.Chart{Enabled: true},
		APIServer: netpolicy.APIServer{CIDRs: []string{"10.96.0.1/32"}}}
	for i := 0; i < 10; i++ {
		tn := "tenant-" + string(rune('a'+i%5))
		r := ingress.Route{Host: tn + "-" + string(rune('a'+i)) + "." + domain, Namespace: tn, Backend: &ingress.Backend{Service: "web", Port: 8080}}
		if i < 2 {
			r.Backend.Namespace = "shared"
		}
		a.Routes = append(a.Routes, r)
	}
	n := 0
	for i := 0; i < b.N; i++ {
		rec := recmock.New()
		if err := rec.Run(func(ctx *pulumi.Context) error {
			_, err := ingress.NewIngress(ctx, component, a)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		n = rec.Len()
	}
	b.ReportMetric(float64(n), "resources")
}
