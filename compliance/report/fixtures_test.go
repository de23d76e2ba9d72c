package report

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/inventory"
)

// The fixtures of compliance's own tests (fixtures_internal_test.go there)
// that the live rendering tests assess.

// fixedNow is the generation time of the hand-built assessments.
var fixedNow = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// res is a resource of type typ named name with outputs given as JSON.
func res(t *testing.T, typ, name, outputs string) apitype.ResourceV3 {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(outputs), &m); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return apitype.ResourceV3{URN: resource.URN("urn:pulumi:s::p::" + typ + "::" + name), Type: tokens.Type(typ), Outputs: m}
}

// Tenant t1 with the policies Rampart renders for it (default-deny, DNS to
// kube-dns, isolation admitting the gateway's namespace).
const (
	fxTenant = `{"metadata":{"name":"t1","labels":{"rampart.dev/tier":"tenant","pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/audit":"restricted","pod-security.kubernetes.io/warn":"restricted"}}}`
	fxDeny   = `{"metadata":{"name":"default-deny-all","namespace":"t1"},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}}`
	fxDNS    = `{"metadata":{"name":"allow-dns","namespace":"t1"},"spec":{"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"kube-system"}},"podSelector":{"matchLabels":{"k8s-app":"kube-dns"}}}],"ports":[{"port":53,"protocol":"UDP"},{"port":53,"protocol":"TCP"}]}]}}`
	fxIso    = `{"metadata":{"name":"tenant-isolation","namespace":"t1"},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"],"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"gw"}}}]}],"egress":[{"to":[{"podSelector":{}}]}]}}`
)

// liveSample is tenant t1 (fixtures_test.go) read live, with an
// allow-all policy and a mutating webhook created out of band, the API
// server's basic-user binding, and a rampart verify run with one failed
// check.
func liveSample(t *testing.T) *compliance.Assessment {
	t.Helper()
	dep := apitype.DeploymentV3{Resources: []apitype.ResourceV3{
		res(t, "kubernetes:core/v1:Namespace", "t1", fxTenant),
		res(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "deny", fxDeny),
		res(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "dns", fxDNS),
		res(t, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "iso", fxIso),
	}}
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	inv := &inventory.Inventory{Server: "https://127.0.0.1:6443", Read: at, Namespaces: []string{"t1"},
		Kinds: []string{"networking.k8s.io/NetworkPolicy", "Namespace", "rbac.authorization.k8s.io/ClusterRoleBinding",
			"rbac.authorization.k8s.io/ClusterRole", "admissionregistration.k8s.io/MutatingWebhookConfiguration", "ServiceAccount"},
		Controllers: []inventory.Controller{{Name: "kube-apiserver bootstrap RBAC", Managers: []string{"kube-apiserver"}, Reason: "the API server's own"}}}
	// The declared objects as the cluster returns them, by the names the
	// assessment gives the state's resources.
	declared := []inventory.Ref{{Kind: "Namespace", Name: "t1"},
		{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "t1", Name: "default-deny-all"},
		{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "t1", Name: "allow-dns"},
		{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "t1", Name: "tenant-isolation"}}
	for i, r := range dep.Resources {
		inv.Objects = append(inv.Objects, inventory.Object{Ref: declared[i], Object: r.Outputs, Origin: inventory.Declared, URN: string(r.URN), Manager: "pulumi-kubernetes", Created: at})
	}
	add := func(ref inventory.Ref, obj string, origin inventory.Origin, manager string) {
		o := mustJSON(t, obj).(map[string]any)
		inv.Objects = append(inv.Objects, inventory.Object{Ref: ref, Object: o, Origin: origin, Manager: manager, Created: at})
	}
	add(inventory.Ref{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "t1", Name: "allow-all"},
		`{"metadata":{"name":"allow-all","namespace":"t1"},"spec":{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{}]}}`, inventory.Unmanaged, "kubectl-client-side-apply")
	add(inventory.Ref{Kind: "ServiceAccount", Namespace: "t1", Name: "default"}, `{"metadata":{"name":"default","namespace":"t1"},"automountServiceAccountToken":false}`,
		inventory.KnownController, "kube-controller-manager")
	add(inventory.Ref{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:basic-user"},
		`{"rules":[{"apiGroups":["authorization.k8s.io"],"resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"],"verbs":["create"]}]}`, inventory.KnownController, "kube-apiserver")
	add(inventory.Ref{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding", Name: "system:basic-user"},
		`{"roleRef":{"kind":"ClusterRole","name":"system:basic-user"},"subjects":[{"kind":"Group","name":"system:authenticated"}]}`, inventory.KnownController, "kube-apiserver")
	add(inventory.Ref{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration", Name: "injector"},
		`{"webhooks":[{"name":"inject.example.com","rules":[{"operations":["CREATE"],"resources":["pods"]}]}]}`, inventory.Unmanaged, "kubectl-client-side-apply")
	a := compliance.AssessLive("s", dep, inv, fixedNow)
	a.AddBehaviour(&compliance.Behaviour{Server: inv.Server, ProbeImage: "probe@sha256:00", Started: at, Finished: at.Add(time.Minute),
		Readyz: "[+]ping ok\n[+]kms-provider-0 ok\nreadyz check passed",
		Checks: []compliance.Check{{Item: "netpol", Name: "t1 → t2 8080/TCP", Expected: "closed", Observed: "open", Why: "tenants are isolated"},
			{Item: "pss-restricted", Name: "privileged pod in t1", Expected: "refused", Observed: "refused", OK: true, Why: "t1 enforces restricted"}}})
	return a
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}
