package ingress_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/image"
)

const (
	tJob         = "kubernetes:batch/v1:Job"
	tRole        = "kubernetes:rbac.authorization.k8s.io/v1:Role"
	tRoleBinding = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
	tSA          = "kubernetes:core/v1:ServiceAccount"
)

// helm.sh/v4.Chart renders no Helm hook, so gateway-helm's certgen (a
// pre-install hook) is Rampart's: a Job with the controller's image (as
// rampart:images resolves it), Rampart's restricted contexts (the real PSS
// evaluator admits it at restricted), the certgen labels its API-server
// egress policy selects, and a Role on Secrets in the ingress namespace
// only; the chart waits for it.
func TestCertgen_RestrictedJobWithANamespacedSecretsRoleBeforeTheChart(t *testing.T) {
	a := chartArgs()
	local := "rampart.invalid/envoyproxy/gateway:v1.9.1@sha256:" + strings.Repeat("ab", 32)
	a.Images = image.Images{Overrides: map[string]string{ingress.ControllerImage.Repository: local}}
	rec := mustRun(t, a)
	jobs := rec.ByType(tJob)
	if len(jobs) != 1 {
		t.Fatalf("jobs = %v", rec.Names())
	}
	job := jobs[0].Plain()
	podSpec := get(t, job, "spec", "template", "spec").(map[string]any)
	spec, err := hardening.PodSpecFromMap(podSpec)
	if err != nil {
		t.Fatal(err)
	}
	if err := hardening.CheckRestricted(spec); err != nil {
		t.Errorf("certgen pod is not PSS restricted: %v", err)
	}
	c := spec.Containers[0]
	if c.Image != local || !reflect.DeepEqual(c.Command, []string{"envoy-gateway", "certgen", "--disable-topology-injector"}) {
		t.Errorf("certgen container = %s %v", c.Image, c.Command)
	}
	if got := get(t, job, "spec", "template", "metadata", "labels"); !reflect.DeepEqual(got, wantCertgen) {
		t.Errorf("certgen pod labels %v, want %v (its egress policy's selector)", got, wantCertgen)
	}
	roles := rec.ByType(tRole)
	if len(roles) != 1 || get(t, roles[0].Plain(), "metadata", "namespace") != "rampart-ingress" {
		t.Fatalf("roles = %v", roles)
	}
	rules := get(t, roles[0].Plain(), "rules").([]any)
	if len(rules) != 1 || !reflect.DeepEqual(get(t, rules[0], "resources"), []any{"secrets"}) ||
		!reflect.DeepEqual(get(t, rules[0], "verbs"), []any{"get", "create", "update"}) {
		t.Errorf("certgen role rules = %v, want get/create/update on secrets only", rules)
	}
	if n := len(rec.ByType(tRoleBinding)); n != 1 {
		t.Errorf("role bindings = %d", n)
	}
	for _, sa := range rec.ByType(tSA) {
		if get(t, sa.Plain(), "automountServiceAccountToken") != false {
			t.Errorf("ServiceAccount %s mounts its token by default", sa.Name)
		}
	}
	ch, err := rec.Get(tChart, component+"-envoy-gateway")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ch.Deps, func(d string) bool { return strings.HasSuffix(d, "::"+component+"-envoy-gateway-certgen") }) {
		t.Errorf("the chart does not wait for certgen: %v", ch.Deps)
	}
	if get(t, ch.Plain(), "values", "topologyInjector", "enabled") != false {
		t.Errorf("topology injector on: its webhook configuration is a hook the chart never renders")
	}
	if n := len(mustRun(t, validArgs()).ByType(tJob)); n != 0 {
		t.Errorf("certgen without the chart: %d jobs", n)
	}
}

// The controller watches the ingress namespace and the routes' and
// backends' namespaces only, gets its own controllerName and cluster-wide
// names per namespace; CRDs and the Service type follow the args.
func TestChart_WatchesOnlyTheRoutesNamespacesAndSharesAClusterWithAnotherInstall(t *testing.T) {
	a := chartArgs()
	off := false
	a.Chart.CRDs, a.ServiceType = &off, ingress.ServiceClusterIP
	rec := mustRun(t, a)
	ch, err := rec.Get(tChart, component+"-envoy-gateway")
	if err != nil {
		t.Fatal(err)
	}
	p := ch.Plain()
	kube := get(t, p, "values", "config", "envoyGateway", "provider", "kubernetes")
	if got := get(t, kube, "watch", "namespaces"); !reflect.DeepEqual(got, []any{"rampart-ingress", "team-a", "team-b", "team-c"}) ||
		get(t, kube, "watch", "type") != "Namespaces" {
		t.Errorf("watch = %v, want Namespaces [rampart-ingress team-a team-b team-c]", get(t, kube, "watch"))
	}
	if got := get(t, p, "values", "config", "envoyGateway", "gateway", "controllerName"); got != "gateway.envoyproxy.io/rampart-ingress" {
		t.Errorf("controllerName = %v", got)
	}
	class, err := rec.Get(tClass, component+"-class")
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, class.Plain(), "spec", "controllerName"); got != "gateway.envoyproxy.io/rampart-ingress" {
		t.Errorf("GatewayClass controllerName = %v, want the installed controller's", got)
	}
	if get(t, p, "values", "fullnameOverride") != "rampart-ingress-envoy-gateway" || get(t, p, "values", "crds", "enabled") != false {
		t.Errorf("fullnameOverride %v, crds %v", get(t, p, "values", "fullnameOverride"), get(t, p, "values", "crds"))
	}
	if got := get(t, p, "values", "config", "envoyGateway", "envoyProxy", "provider", "kubernetes", "envoyService", "type"); got != "ClusterIP" {
		t.Errorf("proxies' Service type = %v", got)
	}
	// Without the chart, the class names Envoy Gateway's default controller.
	class, _ = mustRun(t, validArgs()).Get(tClass, component+"-class")
	if got := get(t, class.Plain(), "spec", "controllerName"); got != ingress.EnvoyGatewayController {
		t.Errorf("GatewayClass controllerName without the chart = %v", got)
	}
}
