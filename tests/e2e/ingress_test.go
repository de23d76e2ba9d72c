package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/rampart-dev/rampart/drift"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

var (
	gvrGateway = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	gvrClass   = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses"}
	gvrRoute   = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	gvrGrant   = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "referencegrants"}
	gvrCTP     = schema.GroupVersionResource{Group: "gateway.envoyproxy.io", Version: "v1alpha1", Resource: "clienttrafficpolicies"}
)

const e2eDomain = "e2e.rampart.test"

// ingressE2EConfig is the e2e stack's configuration with rampart:ingress on:
// gateway mode (chart off: the lab has no nodes), two tenant routes, one of
// them to a Service in the other tenant (a ReferenceGrant).
func ingressE2EConfig() map[string]any {
	cfg := testkit.PrefixedLocalConfig(prefix)
	cfg["rampart:ingress"] = map[string]any{
		"enabled": true, "namespace": prefix + "rampart-ingress", "domain": e2eDomain,
		"routes": []any{
			map[string]any{"host": "app." + e2eDomain, "namespace": prefix + "team-a", "backend": map[string]any{"service": "web", "port": 8080}},
			map[string]any{"host": "api." + e2eDomain, "path": "/v1", "namespace": prefix + "team-a",
				"backend": map[string]any{"service": "api", "port": 9000, "namespace": prefix + "team-b"}},
		},
	}
	return cfg
}

// TestE2E_Ingress_GatewayAPIObjectsOnTheLabAPIServer drives the real pulumi
// CLI and kubernetes plugin against the lab's kube-apiserver with the Gateway
// API, Envoy Gateway and cert-manager CRDs installed (lab service "crds"):
// up creates every Gateway API object and the ClientTrafficPolicy through the
// CRDs' live OpenAPI and CEL validation, preview and refresh find nothing,
// a weakened TLS floor and a deleted header filter are found as drift and
// restored, destroy removes everything. Nothing here runs Envoy: the lab has
// no nodes and no Envoy Gateway controller.
func TestE2E_Ingress_GatewayAPIObjectsOnTheLabAPIServer(t *testing.T) {
	labenv.Require(t, "RAMPART_LAB_CRDS")
	l := newLab(t)
	ctx := context.Background()
	raw, err := json.Marshal(map[string]any{"config": ingressE2EConfig()})
	must(t, err)
	must(t, os.WriteFile(filepath.Join(l.stk.Workspace().WorkDir(), "Pulumi.e2e.yaml"), raw, 0o600))
	_, rc := testkit.KubeClient(t, l.env["RAMPART_LAB_KUBECONFIG"])
	dyn, err := dynamic.NewForConfig(rc)
	must(t, err)
	ingNS, teamA, teamB := prefix+"rampart-ingress", prefix+"team-a", prefix+"team-b"
	destroyed := false
	t.Cleanup(func() {
		if !destroyed {
			_, _ = l.stk.Destroy(ctx)
		}
	})

	t.Run("the CRDs' CEL validation is live: ciphers with a 1.3 floor are refused", func(t *testing.T) {
		bad := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "ClientTrafficPolicy",
			"metadata": map[string]any{"name": "cel-probe", "namespace": "default"},
			"spec": map[string]any{
				"targetRefs": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "x"}},
				"tls":        map[string]any{"minVersion": "1.3", "ciphers": []any{"ECDHE-RSA-AES128-GCM-SHA256"}},
			},
		}}
		_, err := dyn.Resource(gvrCTP).Namespace("default").Create(ctx, bad, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "setting ciphers has no effect") {
			t.Fatalf("create = %v, want the CRD's CEL rule to refuse it", err)
		}
	})

	up, err := l.stk.Up(ctx, optup.ProgressStreams(logWriter{T: t}))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	gwName, _ := up.Outputs["ingressGateway"].Value.(string)
	listeners, _ := up.Outputs["ingressListeners"].Value.([]any)
	if gwName != "ingress-gateway" || len(listeners) != 3 || listeners[0] != "http" {
		t.Fatalf("outputs gateway %q listeners %v", gwName, listeners)
	}

	gw, err := dyn.Resource(gvrGateway).Namespace(ingNS).Get(ctx, gwName, metav1.GetOptions{})
	must(t, err)
	ls, _, _ := unstructured.NestedSlice(gw.Object, "spec", "listeners")
	if len(ls) != 3 {
		t.Errorf("gateway listeners on the server = %v", ls)
	}
	class, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName")
	if _, err := dyn.Resource(gvrClass).Get(ctx, class, metav1.GetOptions{}); err != nil {
		t.Errorf("GatewayClass %s: %v", class, err)
	}
	ctp, err := dyn.Resource(gvrCTP).Namespace(ingNS).Get(ctx, "ingress-tls-floor", metav1.GetOptions{})
	must(t, err)
	if v, _, _ := unstructured.NestedString(ctp.Object, "spec", "tls", "minVersion"); v != "1.2" {
		t.Errorf("ClientTrafficPolicy minVersion on the server = %q", v)
	}
	routes, err := dyn.Resource(gvrRoute).Namespace(teamA).List(ctx, metav1.ListOptions{})
	must(t, err)
	if len(routes.Items) != 2 {
		t.Errorf("HTTPRoutes in %s = %d, want 2", teamA, len(routes.Items))
	}
	for _, r := range routes.Items {
		filters, _, _ := unstructured.NestedSlice(r.Object, "spec", "rules")
		if len(filters) != 1 {
			t.Errorf("%s rules = %v", r.GetName(), filters)
		}
	}
	if _, err := dyn.Resource(gvrRoute).Namespace(ingNS).Get(ctx, "ingress-https-redirect", metav1.GetOptions{}); err != nil {
		t.Errorf("redirect route: %v", err)
	}
	grants, err := dyn.Resource(gvrGrant).Namespace(teamB).List(ctx, metav1.ListOptions{})
	must(t, err)
	if len(grants.Items) != 1 {
		t.Errorf("ReferenceGrants in %s = %d, want 1", teamB, len(grants.Items))
	}

	t.Run("preview expects no changes", func(t *testing.T) {
		if _, err := l.stk.Preview(ctx, optpreview.ExpectNoChanges()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refresh expects no changes", func(t *testing.T) {
		if _, err := l.stk.Refresh(ctx, optrefresh.ExpectNoChanges()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a weakened TLS floor and a deleted header filter are found as drift and restored", func(t *testing.T) {
		_, err := dyn.Resource(gvrCTP).Namespace(ingNS).Patch(ctx, "ingress-tls-floor", types.MergePatchType,
			[]byte(`{"spec":{"tls":{"minVersion":"1.0"}}}`), metav1.PatchOptions{FieldManager: "intruder"})
		must(t, err)
		route := "ingress-app-e2e-rampart-test"
		_, err = dyn.Resource(gvrRoute).Namespace(teamA).Patch(ctx, route, types.JSONPatchType,
			[]byte(`[{"op":"remove","path":"/spec/rules/0/filters"}]`), metav1.PatchOptions{FieldManager: "intruder"})
		must(t, err)

		report, err := drift.Detect(ctx, l.stk)
		must(t, err)
		var md strings.Builder
		_ = report.Markdown(&md)
		t.Log(md.String())
		for _, name := range []string{"ingress-tls-floor", "ingress-route-" + route} {
			if c, ok := report.Find(name); !ok || c.Op == "" {
				t.Errorf("drift of %s not found: %+v", name, report.Changes)
			}
		}
		if len(report.Changes) != 2 {
			t.Errorf("drift found %d changes, want exactly the 2 edits", len(report.Changes))
		}
		if err := drift.Remediate(ctx, l.stk, report, optup.ProgressStreams(logWriter{T: t})); err != nil {
			t.Fatalf("up to restore: %v", err)
		}
		ctp, err := dyn.Resource(gvrCTP).Namespace(ingNS).Get(ctx, "ingress-tls-floor", metav1.GetOptions{})
		must(t, err)
		if v, _, _ := unstructured.NestedString(ctp.Object, "spec", "tls", "minVersion"); v != "1.2" {
			t.Errorf("minVersion after restore = %q", v)
		}
		r, err := dyn.Resource(gvrRoute).Namespace(teamA).Get(ctx, route, metav1.GetOptions{})
		must(t, err)
		rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "rules")
		if f, _, _ := unstructured.NestedSlice(rules[0].(map[string]any), "filters"); len(f) != 1 {
			t.Errorf("header filter not restored: %v", rules)
		}
	})

	t.Run("destroy removes the ingress objects", func(t *testing.T) {
		if _, err := l.stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
			t.Fatal(err)
		}
		destroyed = true
		if _, err := dyn.Resource(gvrGateway).Namespace(ingNS).Get(ctx, gwName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("gateway after destroy: %v", err)
		}
		if _, err := dyn.Resource(gvrClass).Get(ctx, class, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("GatewayClass after destroy: %v", err)
		}
		_ = l.stk.Workspace().RemoveStack(ctx, l.stk.Name())
	})
}
