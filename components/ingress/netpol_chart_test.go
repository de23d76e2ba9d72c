package ingress_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/internal/recmock"
)

var (
	apiCIDRs        = []string{"10.96.0.1/32", "192.0.2.0/28"}
	wantController  = map[string]any{"control-plane": "envoy-gateway", "app.kubernetes.io/instance": "envoy-gateway"}
	wantCertgen     = map[string]any{"app": "certgen"}
	wantProxyLabels = map[string]any{"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}
)

func chartArgs() *ingress.IngressArgs {
	a := validArgs()
	a.Chart.Enabled = true
	a.APIServer.CIDRs = apiCIDRs
	return a
}

// policy returns the plain inputs of the NetworkPolicy child <component>-<suffix>.
func policy(t *testing.T, rec *recmock.Recorder, suffix string) map[string]any {
	t.Helper()
	r, err := rec.Get(tPolicy, component+"-"+suffix)
	if err != nil {
		t.Fatalf("policy %s: %v (have %v)", suffix, err, rec.Names())
	}
	p := r.Plain()
	if get(t, p, "metadata", "namespace") != "rampart-ingress" || get(t, p, "metadata", "name") != component+"-"+suffix {
		t.Errorf("%s metadata = %v", suffix, p["metadata"])
	}
	if get(t, p, "metadata", "labels", "app.kubernetes.io/managed-by") != "rampart" || len(get(t, p, "metadata", "annotations").(map[string]any)) == 0 {
		t.Errorf("%s not marked as managed: %v", suffix, p["metadata"])
	}
	return p
}

func ports(t *testing.T, rule any) []float64 {
	t.Helper()
	var out []float64
	for _, p := range get(t, rule, "ports").([]any) {
		if get(t, p, "protocol") != "TCP" {
			t.Errorf("port %v not TCP", p)
		}
		out = append(out, get(t, p, "port").(float64))
	}
	return out
}

func cidrs(t *testing.T, peers any) []string {
	t.Helper()
	var out []string
	for _, p := range peers.([]any) {
		out = append(out, get(t, p, "ipBlock", "cidr").(string))
	}
	return out
}

func TestChartPolicies_ControllerAndCertgenEgressOnlyToTheAPIServer(t *testing.T) {
	rec := mustRun(t, chartArgs())
	for _, tc := range []struct {
		suffix string
		pods   map[string]any
	}{{ingress.PolicyControllerAPIServer, wantController}, {ingress.PolicyCertgenAPIServer, wantCertgen}} {
		t.Run(tc.suffix, func(t *testing.T) {
			p := policy(t, rec, tc.suffix)
			if got := get(t, p, "spec", "podSelector", "matchLabels"); !reflect.DeepEqual(got, tc.pods) {
				t.Errorf("podSelector = %v, want %v", got, tc.pods)
			}
			if got := get(t, p, "spec", "policyTypes"); !reflect.DeepEqual(got, []any{"Egress"}) {
				t.Errorf("policyTypes = %v (an Ingress type here would be an empty allow-list, harmless, but not this policy's job)", got)
			}
			eg := get(t, p, "spec", "egress").([]any)
			if len(eg) != 1 {
				t.Fatalf("egress rules = %v", eg)
			}
			if got := cidrs(t, get(t, eg[0], "to")); !reflect.DeepEqual(got, apiCIDRs) {
				t.Errorf("egress to %v, want %v", got, apiCIDRs)
			}
			if got := ports(t, eg[0]); !reflect.DeepEqual(got, []float64{443, 6443}) {
				t.Errorf("egress ports %v, want the default 443, 6443", got)
			}
		})
	}
}

// The controller admits xDS from the proxies only, and nothing else: the
// topology injector's webhook is off (its configuration is a Helm hook the
// chart does not render), so 9443 stays closed.
func TestChartPolicies_ControllerAdmitsXDSFromProxiesOnly(t *testing.T) {
	p := policy(t, mustRun(t, chartArgs()), ingress.PolicyControllerIngress)
	if got := get(t, p, "spec", "podSelector", "matchLabels"); !reflect.DeepEqual(got, wantController) {
		t.Errorf("podSelector = %v", got)
	}
	if got := get(t, p, "spec", "policyTypes"); !reflect.DeepEqual(got, []any{"Ingress"}) {
		t.Errorf("policyTypes = %v", got)
	}
	in := get(t, p, "spec", "ingress").([]any)
	if len(in) != 1 {
		t.Fatalf("ingress rules = %v, want xDS only", in)
	}
	xds := get(t, in[0], "from").([]any)
	if len(xds) != 1 || !reflect.DeepEqual(get(t, xds[0], "podSelector", "matchLabels"), wantProxyLabels) {
		t.Errorf("xDS from %v, want the proxy pods only", xds)
	}
	if _, ok := recmock.Path(xds[0], "namespaceSelector"); ok {
		t.Errorf("xDS peer has a namespaceSelector (would admit other namespaces' pods): %v", xds[0])
	}
	if got := ports(t, in[0]); !reflect.DeepEqual(got, []float64{ingress.XDSPort}) || ingress.XDSPort != 18000 {
		t.Errorf("xDS ports = %v", got)
	}
}

func TestChartPolicies_ProxiesEgressOnlyToTheControllersXDSPort(t *testing.T) {
	p := policy(t, mustRun(t, chartArgs()), ingress.PolicyProxyXDS)
	if got := get(t, p, "spec", "podSelector", "matchLabels"); !reflect.DeepEqual(got, wantProxyLabels) {
		t.Errorf("podSelector = %v", got)
	}
	if got := get(t, p, "spec", "policyTypes"); !reflect.DeepEqual(got, []any{"Egress"}) {
		t.Errorf("policyTypes = %v", got)
	}
	eg := get(t, p, "spec", "egress").([]any)
	if len(eg) != 1 {
		t.Fatalf("egress rules = %v", eg)
	}
	to := get(t, eg[0], "to").([]any)
	if len(to) != 1 || !reflect.DeepEqual(get(t, to[0], "podSelector", "matchLabels"), wantController) {
		t.Errorf("egress to %v, want the controller pods", to)
	}
	if got := ports(t, eg[0]); !reflect.DeepEqual(got, []float64{18000}) {
		t.Errorf("egress ports = %v", got)
	}
}

func TestChartPolicies_ExistBeforeTheChartAndOnlyWithIt(t *testing.T) {
	rec := mustRun(t, chartArgs())
	ch, err := rec.Get(tChart, component+"-envoy-gateway")
	if err != nil {
		t.Fatal(err)
	}
	if get(t, ch.Plain(), "name") != ingress.ReleaseName {
		t.Errorf("release name %v: the policies' selectors use %q", get(t, ch.Plain(), "name"), ingress.ReleaseName)
	}
	for _, s := range []string{ingress.PolicyControllerAPIServer, ingress.PolicyCertgenAPIServer, ingress.PolicyControllerIngress, ingress.PolicyProxyXDS} {
		found := false
		for _, d := range ch.Deps {
			found = found || strings.HasSuffix(d, "::"+component+"-"+s)
		}
		if !found {
			t.Errorf("chart does not depend on %s (certgen would start without API server egress): %v", s, ch.Deps)
		}
	}
	if n := len(rec.ByType(tPolicy)); n != 5 {
		t.Errorf("policies with the chart = %d, want 5", n)
	}
	// Chart off (or another mode): only the proxies' 80/443 policy.
	if n := len(mustRun(t, validArgs()).ByType(tPolicy)); n != 1 {
		t.Errorf("policies without the chart = %d, want 1", n)
	}
}

func TestChartPolicies_APIServerPortsAreConfigurable(t *testing.T) {
	a := chartArgs()
	a.APIServer.Ports = []int{8443}
	eg := get(t, policy(t, mustRun(t, a), ingress.PolicyControllerAPIServer), "spec", "egress").([]any)
	if got := ports(t, eg[0]); !reflect.DeepEqual(got, []float64{8443}) {
		t.Errorf("ports = %v", got)
	}
}
