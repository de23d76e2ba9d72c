package compliance_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/inventory"
)

// TestAssessLive_RBACBindings: cluster-admin bound to team-b's default
// ServiceAccount fails, and so does view bound to every authenticated
// user (in rbac-bindings too: nothing is bound to a broad group); the bootstrap basic-user binding to system:authenticated passes
// under the typed allow rule; a role the inventory lacks is judged by its
// name, and the fact says so.
func TestAssessLive_RBACBindings(t *testing.T) {
	rbac := "rbac.authorization.k8s.io"
	// Further failing items, beside rbac-no-default-admin.
	alsoFailing := map[string][]string{"view to every authenticated user": {"rbac-bindings"}}
	for _, tc := range []struct {
		name, object, note string
		ref                inventory.Ref
		body               string
	}{
		{"cluster-admin to team-b's default ServiceAccount", "RoleBinding team-b/debug-admin", "admin-like role (the cluster-admin role) bound to ServiceAccount team-b/default",
			inventory.Ref{Group: rbac, Kind: "RoleBinding", Namespace: "team-b", Name: "debug-admin"},
			`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"ServiceAccount","name":"default","namespace":"team-b"}]}`},
		{"view to every authenticated user", "ClusterRoleBinding view-all", "ClusterRole view grants get,list,watch on pods,services,configmaps,endpoints to every identity of Group system:authenticated",
			inventory.Ref{Group: rbac, Kind: "ClusterRoleBinding", Name: "view-all"},
			`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"system:authenticated"}]}`},
		{"edit, not in the inventory, to team-a's service accounts", "RoleBinding team-a/ci", "ClusterRole edit is not in the inventory: judged by its name only; admin-like role (the edit role) bound to Group system:serviceaccounts:team-a",
			inventory.Ref{Group: rbac, Kind: "RoleBinding", Namespace: "team-a", Name: "ci"},
			`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},"subjects":[{"kind":"Group","name":"system:serviceaccounts:team-a"}]}`},
		{"a ClusterRole escalating, to a team-a ServiceAccount as a user", "ClusterRoleBinding ci-escalate", "admin-like role (escalate or impersonate: escalate on clusterroles) bound to User system:serviceaccount:team-a:ci",
			inventory.Ref{Group: rbac, Kind: "ClusterRoleBinding", Name: "ci-escalate"},
			`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"escalator"},"subjects":[{"kind":"User","name":"system:serviceaccount:team-a:ci"}]}`},
		{"bindings written with bind narrowed to cluster-admin", "ClusterRoleBinding ci-delegate-admin", "admin-like role (bind: create,bind on clusterroles) bound to ServiceAccount team-a/ci",
			inventory.Ref{Group: rbac, Kind: "ClusterRoleBinding", Name: "ci-delegate-admin"},
			`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"delegate-admin"},"subjects":[{"kind":"ServiceAccount","name":"ci","namespace":"team-a"}]}`},
		{"bindings written without a narrowed bind", "RoleBinding team-a/ci-binder", "admin-like role (writes RBAC objects: create on rolebindings) bound to ServiceAccount team-a/ci",
			inventory.Ref{Group: rbac, Kind: "RoleBinding", Namespace: "team-a", Name: "ci-binder"},
			`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"binder"},"subjects":[{"kind":"ServiceAccount","name":"ci","namespace":"team-a"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dep, inv := liveLocal(t)
			inv.Objects = append(append(inv.Objects, liveObject(t, tc.ref, tc.body, inventory.Unmanaged, "kubectl-create")), customRoles(t)...)
			a := compliance.AssessLive("local", dep, inv, now)
			sameItems(t, a, append([]string{"rbac-no-default-admin"}, alsoFailing[tc.name]...)...)
			if e := failingFact(t, a, "rbac-no-default-admin", tc.object); !strings.Contains(e.Note, tc.note) {
				t.Errorf("note %q lacks %q", e.Note, tc.note)
			}
		})
	}
	// Judged by name: a role the inventory lacks passes when its name is
	// not admin-like, and says it was judged by name only. A role that
	// writes bindings but binds only view (rampart verify's pattern) is
	// not admin-like.
	dep, inv := liveLocal(t)
	inv.Objects = append(append(inv.Objects,
		liveObject(t, inventory.Ref{Group: rbac, Kind: "RoleBinding", Namespace: "team-a", Name: "reader"},
			`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pod-reader"},"subjects":[{"kind":"ServiceAccount","name":"app"}]}`, inventory.Unmanaged, "kubectl-create"),
		liveObject(t, inventory.Ref{Group: rbac, Kind: "ClusterRoleBinding", Name: "ci-delegate-view"},
			`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"delegate-view"},"subjects":[{"kind":"ServiceAccount","name":"ci","namespace":"team-a"}]}`, inventory.Unmanaged, "kubectl-create")),
		customRoles(t)...)
	a := compliance.AssessLive("local", dep, inv, now)
	sameItems(t, a)
	var byName, delegated bool
	for _, e := range verdictOf(t, a, "rbac-no-default-admin").Evidence {
		byName = byName || e.Object == "RoleBinding team-a/reader" && e.OK && e.Value == "Role pod-reader → ServiceAccount team-a/app" &&
			strings.Contains(e.Note, "Role pod-reader is not in the inventory: judged by its name only")
		delegated = delegated || e.Object == "ClusterRoleBinding ci-delegate-view" && e.OK && strings.Contains(e.Note, "the role is not admin-like")
	}
	if !byName || !delegated {
		t.Errorf("no passing fact judged by name (%v) or for the delegated binding (%v): %+v", byName, delegated, verdictOf(t, a, "rbac-no-default-admin").Evidence)
	}
}

// customRoles are ClusterRoles created out of band for the RBAC tests.
func customRoles(t *testing.T) []inventory.Object {
	t.Helper()
	var out []inventory.Object
	for name, rules := range map[string]string{
		"escalator":      `[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["escalate"]}]`,
		"delegate-admin": `[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"resourceNames":["cluster-admin"],"verbs":["create","bind"]},{"apiGroups":["rbac.authorization.k8s.io"],"resources":["rolebindings"],"verbs":["create"]}]`,
		"delegate-view":  `[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["rolebindings"],"verbs":["create"]},{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"resourceNames":["view"],"verbs":["bind"]}]`,
		"binder":         `[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["rolebindings"],"verbs":["create"]}]`,
	} {
		out = append(out, liveObject(t, inventory.Ref{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name}, `{"rules":`+rules+`}`, inventory.Unmanaged, "kubectl-create"))
	}
	slices.SortFunc(out, func(a, b inventory.Object) int { return strings.Compare(a.Ref.Name, b.Ref.Name) })
	return out
}
