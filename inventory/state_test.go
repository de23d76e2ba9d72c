package inventory

import (
	"maps"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"github.com/rampart-dev/rampart/helpers/inventorykinds"
)

const urnPrefix = "urn:pulumi:local::rampart::"

// res is one state resource with metadata under outputs (or inputs).
func res(typ, name string, meta map[string]any, mut ...func(*apitype.ResourceV3)) apitype.ResourceV3 {
	r := apitype.ResourceV3{
		URN:     resource.URN(urnPrefix + typ + "::" + name),
		Type:    tokens.Type(typ),
		Custom:  true,
		Outputs: map[string]any{},
	}
	if meta != nil {
		r.Outputs["metadata"] = meta
	}
	for _, m := range mut {
		m(&r)
	}
	return r
}

func md(ns, name string) map[string]any {
	m := map[string]any{"name": name}
	if ns != "" {
		m["namespace"] = ns
	}
	return m
}

func TestFromDeployment_ReadsDeclaredObjectsAndManagedNamespaces(t *testing.T) {
	provider := apitype.ResourceV3{
		URN:    resource.URN(urnPrefix + "pulumi:providers:kubernetes::k8s"),
		Type:   "pulumi:providers:kubernetes",
		ID:     "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
		Custom: true,
		Inputs: map[string]any{"namespace": "apps"},
	}
	dep := apitype.DeploymentV3{Resources: []apitype.ResourceV3{
		provider,
		res("kubernetes:core/v1:Namespace", "tenant-a", md("", "tenant-a")),
		res("kubernetes:core/v1:Namespace", "apps", md("", "apps")),
		res("kubernetes:networking.k8s.io/v1:NetworkPolicy", "deny", md("tenant-a", "default-deny")),
		res("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "rb", md("tenant-a", "view")),
		// Pending deletion: the old object of a replacement.
		res("kubernetes:networking.k8s.io/v1:NetworkPolicy", "old", md("tenant-a", "old-policy"),
			func(r *apitype.ResourceV3) { r.Delete = true }),
		// Read with a get: referenced, not owned by the stack.
		res("kubernetes:core/v1:Namespace", "kube-system", md("", "kube-system"),
			func(r *apitype.ResourceV3) { r.External = true }),
		// A component: no metadata of its own.
		res("kubernetes:helm.sh/v4:Chart", "chart", nil),
		// Create never finished: only inputs.
		res("kubernetes:core/v1:ServiceAccount", "sa", nil, func(r *apitype.ResourceV3) {
			r.Outputs = nil
			r.Inputs = map[string]any{"metadata": md("tenant-a", "builder")}
		}),
		// metadata exported as a secret (--show-secrets).
		res("kubernetes:core/v1:Secret", "secret", nil, func(r *apitype.ResourceV3) {
			r.Outputs["metadata"] = map[string]any{sig.Key: sig.Secret, "plaintext": `{"name":"tls","namespace":"tenant-a"}`}
		}),
		// A patch declares the object it patches, but a patched namespace
		// is not managed.
		res("kubernetes:core/v1:ServiceAccountPatch", "sa-patch", md("tenant-a", "default")),
		res("kubernetes:core/v1:NamespacePatch", "ks-labels", md("", "kube-system")),
		// No namespace in the state: the provider's.
		res("kubernetes:apps/v1:Deployment", "web", md("", "web"), func(r *apitype.ResourceV3) {
			r.Provider = string(provider.URN) + "::" + string(provider.ID)
		}),
		// Not Kubernetes.
		res("aws:s3/bucket:Bucket", "audit", md("", "audit")),
	}}

	st := FromDeployment(dep)

	want := map[Ref]string{
		{Kind: "Namespace", Name: "tenant-a"}: urnPrefix + "kubernetes:core/v1:Namespace::tenant-a",
		{Kind: "Namespace", Name: "apps"}:     urnPrefix + "kubernetes:core/v1:Namespace::apps",
		{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "tenant-a", Name: "default-deny"}: urnPrefix + "kubernetes:networking.k8s.io/v1:NetworkPolicy::deny",
		{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding", Namespace: "tenant-a", Name: "view"}:   urnPrefix + "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::rb",
		{Kind: "ServiceAccount", Namespace: "tenant-a", Name: "builder"}:                                 urnPrefix + "kubernetes:core/v1:ServiceAccount::sa",
		{Kind: "Secret", Namespace: "tenant-a", Name: "tls"}:                                             urnPrefix + "kubernetes:core/v1:Secret::secret",
		{Kind: "ServiceAccount", Namespace: "tenant-a", Name: "default"}:                                 urnPrefix + "kubernetes:core/v1:ServiceAccountPatch::sa-patch",
		{Kind: "Namespace", Name: "kube-system"}:                                                         urnPrefix + "kubernetes:core/v1:NamespacePatch::ks-labels",
		{Group: "apps", Kind: "Deployment", Namespace: "apps", Name: "web"}:                              urnPrefix + "kubernetes:apps/v1:Deployment::web",
	}
	if !maps.Equal(st.Declared, want) {
		for r, u := range st.Declared {
			if want[r] != u {
				t.Errorf("declared %v = %q, want %q", r, u, want[r])
			}
		}
		for r := range want {
			if _, ok := st.Declared[r]; !ok {
				t.Errorf("missing declared %v", r)
			}
		}
	}
	if wantNS := []string{"apps", "tenant-a"}; !slices.Equal(st.Namespaces, wantNS) {
		t.Errorf("Namespaces = %v, want %v (sorted; no external, deleted or patched namespace)", st.Namespaces, wantNS)
	}
}

func TestFromDeployment_NamespacedWithoutProviderNamespaceIsDefault(t *testing.T) {
	st := FromDeployment(apitype.DeploymentV3{Resources: []apitype.ResourceV3{
		res("kubernetes:core/v1:Pod", "p", md("", "p")),
		res("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "cr", md("", "reader")),
	}})
	if _, ok := st.Declared[Ref{Kind: "Pod", Namespace: "default", Name: "p"}]; !ok {
		t.Errorf("a Pod without namespace should be declared in %q: %v", "default", st.Declared)
	}
	if _, ok := st.Declared[Ref{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "reader"}]; !ok {
		t.Errorf("a ClusterRole must stay cluster-scoped: %v", st.Declared)
	}
}

func TestTypeToken_IsTheInverseOfTheStateTypes(t *testing.T) {
	for _, tc := range []struct{ group, version, kind, token string }{
		{"", "v1", "Namespace", "kubernetes:core/v1:Namespace"},
		{"networking.k8s.io", "v1", "NetworkPolicy", "kubernetes:networking.k8s.io/v1:NetworkPolicy"},
		{"rbac.authorization.k8s.io", "v1", "RoleBinding", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"},
	} {
		if got := TypeToken(tc.group, tc.version, tc.kind); got != tc.token {
			t.Errorf("TypeToken(%q, %q, %q) = %q, want %q", tc.group, tc.version, tc.kind, got, tc.token)
		}
	}
	for _, k := range inventorykinds.All {
		g, v, kind, ok := parseTypeToken(TypeToken(k.Group, k.Version, k.Kind))
		if !ok || g != k.Group || v != k.Version || kind != k.Kind {
			t.Errorf("round trip of %s/%s %s = %q %q %q %v", k.Group, k.Version, k.Kind, g, v, kind, ok)
		}
	}
	for _, tok := range []string{"pulumi:providers:kubernetes", "aws:s3/bucket:Bucket", "kubernetes:core:Pod", "kubernetes:core/v1"} {
		if _, _, _, ok := parseTypeToken(tok); ok {
			t.Errorf("parseTypeToken(%q) accepted a token that is no Kubernetes kind", tok)
		}
	}
}
