package inventory

import (
	"maps"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestBindingReaches(t *testing.T) {
	managed := []string{"tenant-a", "apps"}
	for _, tc := range []struct {
		test    string
		subject rbacv1.Subject
		want    bool
	}{
		{"ServiceAccountInManagedNamespace", rbacv1.Subject{Kind: "ServiceAccount", Namespace: "tenant-a", Name: "ci"}, true},
		{"ServiceAccountElsewhereIsLeftOut", rbacv1.Subject{Kind: "ServiceAccount", Namespace: "kube-system", Name: "ci"}, false},
		{"AllServiceAccountsOfManagedNamespace", rbacv1.Subject{Kind: "Group", Name: "system:serviceaccounts:apps"}, true},
		{"AllServiceAccountsOfOtherNamespace", rbacv1.Subject{Kind: "Group", Name: "system:serviceaccounts:kube-system"}, false},
		{"EveryAuthenticatedUser", rbacv1.Subject{Kind: "Group", Name: "system:authenticated"}, true},
		{"EveryUnauthenticatedUser", rbacv1.Subject{Kind: "Group", Name: "system:unauthenticated"}, true},
		{"EveryServiceAccount", rbacv1.Subject{Kind: "Group", Name: "system:serviceaccounts"}, true},
		{"AnonymousUser", rbacv1.Subject{Kind: "User", Name: "system:anonymous"}, true},
		{"UserSpellingOfManagedServiceAccount", rbacv1.Subject{Kind: "User", Name: "system:serviceaccount:tenant-a:ci"}, true},
		{"UserSpellingOfOtherServiceAccount", rbacv1.Subject{Kind: "User", Name: "system:serviceaccount:kube-system:ci"}, false},
		{"NamedPersonIsLeftOut", rbacv1.Subject{Kind: "User", Name: "alice"}, false},
		{"OtherGroupIsLeftOut", rbacv1.Subject{Kind: "Group", Name: "system:masters"}, false},
		// A prefix of a managed namespace's name is another namespace.
		{"NamespaceNamePrefixIsNotAMatch", rbacv1.Subject{Kind: "Group", Name: "system:serviceaccounts:tenant"}, false},
	} {
		t.Run(tc.test, func(t *testing.T) {
			if got := BindingReaches([]rbacv1.Subject{tc.subject}, managed); got != tc.want {
				t.Errorf("BindingReaches(%+v) = %v, want %v", tc.subject, got, tc.want)
			}
		})
	}
	if BindingReaches(nil, managed) {
		t.Error("a binding without subjects reaches nobody")
	}
	if BindingReaches([]rbacv1.Subject{{Kind: "Group", Name: "system:authenticated"}}, nil) {
		t.Error("with no managed namespace a broad group reaches none")
	}
}

func TestWebhooksReach(t *testing.T) {
	nsLabels := map[string]map[string]string{
		"tenant-a": {"kubernetes.io/metadata.name": "tenant-a", "pod-security.kubernetes.io/enforce": "restricted"},
	}
	sel := func(s string) *metav1.LabelSelector {
		ls, err := metav1.ParseToLabelSelector(s)
		if err != nil {
			t.Fatal(err)
		}
		return ls
	}
	for _, tc := range []struct {
		test string
		sels []*metav1.LabelSelector
		want bool
	}{
		{"AbsentSelectorMatchesEveryNamespace", []*metav1.LabelSelector{nil}, true},
		{"EmptySelectorMatchesEveryNamespace", []*metav1.LabelSelector{{}}, true},
		{"SelectorOnManagedNamespaceLabel", []*metav1.LabelSelector{sel("pod-security.kubernetes.io/enforce=restricted")}, true},
		{"SelectorOnOtherNamespace", []*metav1.LabelSelector{sel("kubernetes.io/metadata.name=kube-system")}, false},
		// The usual "skip the system namespaces" selector still reaches in.
		{"NotInSystemNamespaces", []*metav1.LabelSelector{sel("kubernetes.io/metadata.name notin (kube-system)")}, true},
		{"OneOfSeveralWebhooksReaches", []*metav1.LabelSelector{sel("team=x"), nil}, true},
		{"NoWebhooks", nil, false},
		{"InvalidSelectorIsKept", []*metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}}}, true},
	} {
		t.Run(tc.test, func(t *testing.T) {
			if got := WebhooksReach(tc.sels, nsLabels); got != tc.want {
				t.Errorf("WebhooksReach = %v, want %v", got, tc.want)
			}
		})
	}
	if WebhooksReach([]*metav1.LabelSelector{nil}, nil) {
		t.Error("with no live managed namespace nothing can be intercepted in one")
	}
}

func TestWebhookSelectors_ReadsEveryWebhookOfBothKinds(t *testing.T) {
	cfg := map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1",
		"metadata":   map[string]any{"name": "policy"},
		"webhooks": []any{
			map[string]any{"name": "a.example.com"},
			map[string]any{"name": "b.example.com", "namespaceSelector": map[string]any{"matchLabels": map[string]any{"team": "x"}}},
		},
	}
	for _, kind := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		sels, err := webhookSelectors(kind, cfg)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if len(sels) != 2 || sels[0] != nil || sels[1] == nil || sels[1].MatchLabels["team"] != "x" {
			t.Errorf("%s: selectors = %v, want [nil, team=x]", kind, sels)
		}
	}
	if _, err := webhookSelectors("ClusterRole", cfg); err == nil {
		t.Error("a ClusterRole is not a webhook configuration")
	}
}

func TestReferencedClusterRoles_FromBothBindingKinds(t *testing.T) {
	binding := func(kind, name, roleKind, role string) Object {
		return Object{Ref: Ref{Group: "rbac.authorization.k8s.io", Kind: kind, Name: name}, Object: map[string]any{
			"metadata": map[string]any{"name": name},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": roleKind, "name": role},
		}}
	}
	got, err := ReferencedClusterRoles([]Object{
		binding("ClusterRoleBinding", "crb", "ClusterRole", "cluster-admin"),
		binding("RoleBinding", "rb", "ClusterRole", "edit"),
		binding("RoleBinding", "rb-role", "Role", "local-role"),
		{Ref: Ref{Kind: "Pod", Name: "p"}, Object: map[string]any{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"cluster-admin": true, "edit": true}; !maps.Equal(got, want) {
		t.Errorf("ReferencedClusterRoles = %v, want %v (a Role is no ClusterRole)", got, want)
	}
}

func TestGrantsClusterAdmin_KeepsSuperuserBindingsToPeopleOnly(t *testing.T) {
	managed := []string{"tenant-a"}
	admin := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"}
	for _, tc := range []struct {
		test    string
		subject rbacv1.Subject
		ref     rbacv1.RoleRef
		want    bool
	}{
		{"GroupOfAnIdentityProvider", rbacv1.Subject{Kind: "Group", Name: "oidc:ops"}, admin, true},
		{"NamedPerson", rbacv1.Subject{Kind: "User", Name: "alice"}, admin, true},
		{"SystemMasters", rbacv1.Subject{Kind: "Group", Name: "system:masters"}, admin, true},
		{"ServiceAccountElsewhereIsLeftOut", rbacv1.Subject{Kind: "ServiceAccount", Namespace: "kube-system", Name: "ci"}, admin, false},
		{"OtherClusterRoleIsLeftOut", rbacv1.Subject{Kind: "Group", Name: "oidc:ops"}, rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}, false},
		{"RoleOfTheSameNameIsLeftOut", rbacv1.Subject{Kind: "Group", Name: "oidc:ops"}, rbacv1.RoleRef{Kind: "Role", Name: "cluster-admin"}, false},
	} {
		t.Run(tc.test, func(t *testing.T) {
			if got := GrantsClusterAdmin([]rbacv1.Subject{tc.subject}, tc.ref, managed); got != tc.want {
				t.Errorf("GrantsClusterAdmin(%+v, %+v) = %v, want %v", tc.subject, tc.ref, got, tc.want)
			}
		})
	}
	if GrantsClusterAdmin([]rbacv1.Subject{{Kind: "Group", Name: "oidc:ops"}}, admin, nil) {
		t.Error("with no managed namespace nothing reaches in")
	}
}
