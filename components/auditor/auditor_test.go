package auditor_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/auditor"
	"github.com/rampart-dev/rampart/helpers/inventorykinds"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	tClusterRole        = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
	tClusterRoleBinding = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
	tRoleBinding        = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
	tServiceAccount     = "kubernetes:core/v1:ServiceAccount"
	tPolicy             = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy"
	tPolicyBinding      = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"
)

var managed = []string{"rampart-system", "team-a", "team-b"}

func run(t *testing.T, args *auditor.CheckersArgs) (*recmock.Recorder, error) {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := auditor.NewCheckers(ctx, "checkers", args)
		return err
	})
	return rec, err
}

func mustRun(t *testing.T, args *auditor.CheckersArgs) *recmock.Recorder {
	t.Helper()
	rec, err := run(t, args)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

var (
	str  = recmock.Str
	strs = recmock.Strs
)

// byObjectName finds the recorded resource of a type by its Kubernetes
// name (and namespace).
func byObjectName(t *testing.T, rec *recmock.Recorder, typ, ns, name string) recmock.Resource {
	t.Helper()
	for _, r := range rec.ByType(typ) {
		p := r.Plain()
		if str(p, "metadata", "name") == name && str(p, "metadata", "namespace") == ns {
			return r
		}
	}
	t.Fatalf("no %s %s/%s; have %v", typ, ns, name, rec.Names())
	return recmock.Resource{}
}

// grants flattens a role's rules to "group/resource verb" (and
// "url verb" for non-resource URLs), sorted.
func grants(r recmock.Resource) []string {
	var out []string
	rules, _ := r.Plain()["rules"].([]any)
	for _, rule := range rules {
		verbs := strs(rule.(map[string]any)["verbs"])
		for _, u := range strs(rule.(map[string]any)["nonResourceURLs"]) {
			for _, v := range verbs {
				out = append(out, u+" "+v)
			}
		}
		names := strs(rule.(map[string]any)["resourceNames"])
		for _, g := range strs(rule.(map[string]any)["apiGroups"]) {
			for _, res := range strs(rule.(map[string]any)["resources"]) {
				for _, v := range verbs {
					g := g
					if g == "" {
						g = "core"
					}
					s := g + "/" + res + " " + v
					if len(names) > 0 {
						s += " " + strings.Join(names, ",")
					}
					out = append(out, s)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestCheckers_DefaultsRenderBothIdentitiesWithTheirRoles(t *testing.T) {
	rec := mustRun(t, &auditor.CheckersArgs{ManagedNamespaces: managed})
	n := auditor.ObjectNames("rampart-system")
	want := []string{
		"kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy/checkers-verifier-policy",
		"kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding/checkers-verifier-policy-binding",
		"kubernetes:core/v1:ServiceAccount/checkers-auditor-sa",
		"kubernetes:core/v1:ServiceAccount/checkers-verifier-sa",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole/checkers-auditor-namespaced-role",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole/checkers-auditor-role",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole/checkers-verifier-probes-role",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole/checkers-verifier-role",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding/checkers-auditor-binding",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding/checkers-verifier-binding",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/checkers-auditor-rampart-system",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/checkers-auditor-team-a",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/checkers-auditor-team-b",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/checkers-verifier-rampart-system",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/checkers-verifier-team-a",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/checkers-verifier-team-b",
		"rampart:auditor:Checkers/checkers",
	}
	if got := rec.Names(); !slices.Equal(got, want) {
		t.Fatalf("resources =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range rec.All() {
		if r.Type != auditor.TypeToken && r.ParentName() != "checkers" {
			t.Errorf("%s/%s parent = %q, want the component", r.Type, r.Name, r.ParentName())
		}
	}
	for _, c := range []struct{ logical, name string }{{"checkers-auditor-sa", "rampart-auditor"}, {"checkers-verifier-sa", "rampart-verifier"}} {
		sa := rec.MustGet(t, tServiceAccount, c.logical)
		if p := sa.Plain(); str(p, "metadata", "name") != c.name || str(p, "metadata", "namespace") != "rampart-system" || p["automountServiceAccountToken"] != false {
			t.Errorf("%s = %v, want %s in rampart-system without token automount", c.logical, p, c.name)
		}
	}
	// Cluster-scoped names start with the namespace: stacks sharing a
	// cluster never share one.
	if n.AuditorClusterRole != "rampart-system-auditor" || n.VerifierProbeRole != "rampart-system-verifier-probes" {
		t.Errorf("names = %+v", n)
	}
	wantSA := map[string]any{"kind": "ServiceAccount", "name": "rampart-auditor", "namespace": "rampart-system"}
	for _, ns := range managed {
		rb := byObjectName(t, rec, tRoleBinding, ns, n.AuditorNamespacedRole)
		p := rb.Plain()
		if str(p, "roleRef", "kind") != "ClusterRole" || str(p, "roleRef", "name") != n.AuditorNamespacedRole {
			t.Errorf("auditor RoleBinding in %s refers to %v", ns, p["roleRef"])
		}
		if s, _ := recmock.Path(p, "subjects", 0); fmt.Sprint(s) != fmt.Sprint(wantSA) {
			t.Errorf("auditor RoleBinding in %s binds %v, want %v", ns, p["subjects"], wantSA)
		}
		vb := byObjectName(t, rec, tRoleBinding, ns, n.VerifierProbeRole)
		if str(vb.Plain(), "roleRef", "name") != n.VerifierProbeRole || str(vb.Plain(), "subjects", 0, "name") != "rampart-verifier" {
			t.Errorf("verifier RoleBinding in %s = %v", ns, vb.Plain())
		}
	}
	crb := byObjectName(t, rec, tClusterRoleBinding, "", n.AuditorClusterRole)
	if str(crb.Plain(), "roleRef", "name") != n.AuditorClusterRole || str(crb.Plain(), "subjects", 0, "name") != "rampart-auditor" {
		t.Errorf("auditor ClusterRoleBinding = %v", crb.Plain())
	}
	vap := byObjectName(t, rec, tPolicy, "", n.Policy)
	if str(vap.Plain(), "spec", "failurePolicy") != "Fail" {
		t.Errorf("policy failurePolicy = %v, want Fail", str(vap.Plain(), "spec", "failurePolicy"))
	}
	vapb := byObjectName(t, rec, tPolicyBinding, "", n.Policy)
	if p := vapb.Plain(); str(p, "spec", "policyName") != n.Policy || !slices.Contains(strs(p["spec"].(map[string]any)["validationActions"]), "Deny") {
		t.Errorf("policy binding = %v", p)
	}
}

// want is the auditor's grants derived independently of the component:
// get and list on every inventory kind (in the cluster-wide role when the
// inventory lists it cluster-wide), get on every refresh kind.
func want(namespaced bool) []string {
	set := map[string]bool{}
	for _, k := range inventorykinds.All {
		if k.ListedClusterWide() != namespaced {
			g := cmpOr(k.Group, "core")
			set[g+"/"+k.Resource+" get"], set[g+"/"+k.Resource+" list"] = true, true
		}
	}
	for _, k := range auditor.RefreshKinds {
		if k.Namespaced == namespaced {
			set[cmpOr(k.Group, "core")+"/"+k.Resource+" get"] = true
		}
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func cmpOr(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

func TestAuditor_RulesAreExactlyTheInventoryKindsAndTheDeclaredKinds(t *testing.T) {
	rec := mustRun(t, &auditor.CheckersArgs{ManagedNamespaces: managed})
	n := auditor.ObjectNames("rampart-system")
	for _, c := range []struct {
		role       string
		namespaced bool
	}{{n.AuditorClusterRole, false}, {n.AuditorNamespacedRole, true}} {
		got := grants(byObjectName(t, rec, tClusterRole, "", c.role))
		if w := want(c.namespaced); !slices.Equal(got, w) {
			t.Errorf("%s grants\n%s\nwant\n%s", c.role, strings.Join(got, "\n"), strings.Join(w, "\n"))
		}
		var listed []string
		for _, g := range got {
			res, verb, _ := strings.Cut(g, " ")
			switch {
			case verb != "get" && verb != "list":
				t.Errorf("%s grants %q: the auditor only reads", c.role, g)
			case strings.HasSuffix(res, "/secrets") || strings.Contains(res, "*"):
				t.Errorf("%s grants %q: never a Secret, never a wildcard", c.role, g)
			case verb == "list":
				listed = append(listed, res)
			}
		}
		// list (what the inventory does) is granted on exactly its kinds.
		var inv []string
		for _, k := range inventorykinds.All {
			if k.ListedClusterWide() != c.namespaced {
				inv = append(inv, cmpOr(k.Group, "core")+"/"+k.Resource)
			}
		}
		sort.Strings(inv)
		if !slices.Equal(listed, inv) {
			t.Errorf("%s lists %v, want exactly the inventory's %v", c.role, listed, inv)
		}
	}
	// The inventory kinds of both scopes together are exactly inventorykinds.All.
	if len(want(true))+len(want(false)) < 2*len(inventorykinds.All) {
		t.Error("some inventory kind is granted in neither role")
	}
}

// TestAuditor_ListsRoleBindingsAndVerifierPolicyClusterWide: a RoleBinding
// in kube-system can hand a tenant's ServiceAccount admin there, so the
// inventory lists RoleBindings across every namespace (get and list in the
// cluster-wide role, never a write), and it reads the admission policy and
// binding that hold the verifier's delegated RoleBinding writes.
func TestAuditor_ListsRoleBindingsAndVerifierPolicyClusterWide(t *testing.T) {
	rec := mustRun(t, &auditor.CheckersArgs{ManagedNamespaces: managed})
	n := auditor.ObjectNames("rampart-system")
	cl := grants(byObjectName(t, rec, tClusterRole, "", n.AuditorClusterRole))
	for _, w := range []string{
		"rbac.authorization.k8s.io/rolebindings get", "rbac.authorization.k8s.io/rolebindings list",
		"admissionregistration.k8s.io/validatingadmissionpolicies get", "admissionregistration.k8s.io/validatingadmissionpolicies list",
		"admissionregistration.k8s.io/validatingadmissionpolicybindings get", "admissionregistration.k8s.io/validatingadmissionpolicybindings list",
	} {
		if !slices.Contains(cl, w) {
			t.Errorf("%s lacks %q: %v", n.AuditorClusterRole, w, cl)
		}
	}
	for _, g := range cl {
		if strings.HasPrefix(g, "rbac.authorization.k8s.io/rolebindings ") && !strings.HasSuffix(g, " get") && !strings.HasSuffix(g, " list") {
			t.Errorf("%s grants %q: the auditor only reads", n.AuditorClusterRole, g)
		}
	}
	// The cluster-wide grant covers the managed namespaces: the role bound
	// in each of them need not repeat it.
	if ns := grants(byObjectName(t, rec, tClusterRole, "", n.AuditorNamespacedRole)); slices.Contains(ns, "rbac.authorization.k8s.io/rolebindings list") {
		t.Errorf("%s still lists rolebindings per namespace: %v", n.AuditorNamespacedRole, ns)
	}
}

func TestAuditor_AKindAddedToTheInventoryIsGrantedAtOnce(t *testing.T) {
	saved := inventorykinds.All
	t.Cleanup(func() { inventorykinds.All = saved })
	inventorykinds.All = append(append([]inventorykinds.Kind(nil), saved...),
		inventorykinds.Kind{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets", Kind: "PodDisruptionBudget", Namespaced: true},
		inventorykinds.Kind{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicies", Kind: "ValidatingAdmissionPolicy"})
	rec := mustRun(t, &auditor.CheckersArgs{ManagedNamespaces: managed})
	n := auditor.ObjectNames("rampart-system")
	ns := grants(byObjectName(t, rec, tClusterRole, "", n.AuditorNamespacedRole))
	cl := grants(byObjectName(t, rec, tClusterRole, "", n.AuditorClusterRole))
	for _, w := range []struct {
		got   []string
		grant string
	}{
		{ns, "policy/poddisruptionbudgets get"}, {ns, "policy/poddisruptionbudgets list"},
		{cl, "admissionregistration.k8s.io/validatingadmissionpolicies get"}, {cl, "admissionregistration.k8s.io/validatingadmissionpolicies list"},
	} {
		if !slices.Contains(w.got, w.grant) {
			t.Errorf("grants lack %q after the kind joined inventorykinds.All: %v", w.grant, w.got)
		}
	}
	if slices.Contains(cl, "policy/poddisruptionbudgets list") {
		t.Error("a namespaced kind was granted cluster-wide")
	}
}

func TestVerifier_RolesAllowProbesAndNothingElse(t *testing.T) {
	rec := mustRun(t, &auditor.CheckersArgs{ManagedNamespaces: managed})
	n := auditor.ObjectNames("rampart-system")
	probes := grants(byObjectName(t, rec, tClusterRole, "", n.VerifierProbeRole))
	wantProbes := []string{"core/pods create", "core/pods delete", "core/pods get", "core/pods list", "core/pods watch", "core/pods/log get"}
	if !slices.Equal(probes, wantProbes) {
		t.Errorf("probe role = %v, want %v", probes, wantProbes)
	}
	cluster := grants(byObjectName(t, rec, tClusterRole, "", n.VerifierClusterRole))
	wantCluster := []string{
		"/readyz get", "/readyz/* get",
		"core/namespaces create", "core/namespaces delete", "core/namespaces get",
		"rbac.authorization.k8s.io/clusterroles bind " + n.VerifierProbeRole,
		"rbac.authorization.k8s.io/rolebindings create",
	}
	if !slices.Equal(cluster, wantCluster) {
		t.Errorf("verifier cluster role = %v, want %v", cluster, wantCluster)
	}
	for _, g := range append(probes, cluster...) {
		if strings.Contains(g, "secrets") || strings.Contains(g, "*") && !strings.HasPrefix(g, "/readyz/*") ||
			strings.Contains(g, "pods/exec") || strings.Contains(g, " update") || strings.Contains(g, " patch") || strings.Contains(g, " escalate") {
			t.Errorf("verifier grant %q is broader than the probes need", g)
		}
	}
	// The bindings wait for the admission policy: no window in which the
	// verifier's writes are bound by RBAC alone.
	vapb := rec.MustGet(t, tPolicyBinding, "checkers-verifier-policy-binding")
	for _, r := range append(rec.ByType(tRoleBinding), rec.ByType(tClusterRoleBinding)...) {
		if strings.Contains(r.Name, "verifier") && !slices.ContainsFunc(r.Deps, func(d string) bool { return strings.HasSuffix(d, "::"+vapb.Name) }) {
			t.Errorf("%s does not depend on the admission policy binding (deps %v)", r.Name, r.Deps)
		}
	}
}

func TestCheckers_ExternalSubjectsOnly(t *testing.T) {
	off := false
	got := make(chan string, 1)
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		c, err := auditor.NewCheckers(ctx, "checkers", &auditor.CheckersArgs{
			Namespace:         "platform-ops",
			ManagedNamespaces: []string{"platform-ops", "payments"},
			Auditor: auditor.IdentityArgs{ServiceAccount: &off, Subjects: []auditor.Subject{
				{Kind: auditor.SubjectGroup, Name: "oidc:compliance-officers"},
				{Kind: auditor.SubjectServiceAccount, Name: "drift-bot", Namespace: "ci"},
			}},
			Verifier: auditor.IdentityArgs{Subjects: []auditor.Subject{{Kind: auditor.SubjectUser, Name: "oidc:verify-bot@example.gov.uk"}}},
		})
		if err != nil {
			return err
		}
		c.VerifierSubjects.ApplyT(func(v []any) int { got <- fmt.Sprint(v); return 0 })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sas := rec.ByType(tServiceAccount); len(sas) != 1 || str(sas[0].Plain(), "metadata", "name") != "rampart-verifier" ||
		str(sas[0].Plain(), "metadata", "namespace") != "platform-ops" {
		t.Fatalf("ServiceAccounts = %v, want only the verifier's in platform-ops", rec.Names())
	}
	n := auditor.ObjectNames("platform-ops")
	crb := byObjectName(t, rec, tClusterRoleBinding, "", n.AuditorClusterRole).Plain()
	want := `[map[apiGroup:rbac.authorization.k8s.io kind:Group name:oidc:compliance-officers] map[kind:ServiceAccount name:drift-bot namespace:ci]]`
	if got := fmt.Sprint(crb["subjects"]); got != want {
		t.Errorf("auditor subjects = %s, want %s", got, want)
	}
	vrb := byObjectName(t, rec, tRoleBinding, "payments", n.VerifierProbeRole).Plain()
	if got := fmt.Sprint(vrb["subjects"]); !strings.Contains(got, "name:rampart-verifier namespace:platform-ops") || !strings.Contains(got, "kind:User name:oidc:verify-bot@example.gov.uk") {
		t.Errorf("verifier subjects = %s", got)
	}
	if out := <-got; !strings.Contains(out, "name:rampart-verifier namespace:platform-ops") || !strings.Contains(out, "oidc:verify-bot@example.gov.uk") {
		t.Errorf("verifierSubjects output = %s", out)
	}
}

// TestCheckers_RejectsBadArgsAndRegistersNothing: each rule reports its
// exact key; nothing is registered.
func TestCheckers_RejectsBadArgsAndRegistersNothing(t *testing.T) {
	off := false
	sub := func(k auditor.SubjectKind, name, ns string) []auditor.Subject {
		return []auditor.Subject{{Kind: k, Name: name, Namespace: ns}}
	}
	cases := []struct {
		name string
		args auditor.CheckersArgs
		want string
	}{
		{"unknown kind", auditor.CheckersArgs{Auditor: auditor.IdentityArgs{Subjects: sub("Robot", "r2", "")}},
			`auditor.subjects[0].kind: "Robot": not an RBAC subject kind — use User, Group or ServiceAccount`},
		{"service account without namespace", auditor.CheckersArgs{Verifier: auditor.IdentityArgs{Subjects: sub(auditor.SubjectServiceAccount, "ci-bot", "")}},
			`verifier.subjects[0].namespace: "": missing: a ServiceAccount lives in a namespace — set namespace`},
		{"user with namespace", auditor.CheckersArgs{Auditor: auditor.IdentityArgs{Subjects: sub(auditor.SubjectUser, "alice", "team-a")}},
			`auditor.subjects[0].namespace: "team-a": only a ServiceAccount has a namespace`},
		{"every authenticated user", auditor.CheckersArgs{Auditor: auditor.IdentityArgs{Subjects: sub(auditor.SubjectGroup, "system:authenticated", "")}},
			`auditor.subjects[0].name: "system:authenticated": binds the role to every authenticated user and ServiceAccount — name a dedicated identity`},
		{"anonymous", auditor.CheckersArgs{Verifier: auditor.IdentityArgs{Subjects: sub(auditor.SubjectGroup, "system:unauthenticated", "")}},
			`verifier.subjects[0].name: "system:unauthenticated": binds the role to every anonymous request`},
		{"every service account", auditor.CheckersArgs{Auditor: auditor.IdentityArgs{Subjects: sub(auditor.SubjectGroup, "system:serviceaccounts", "")}},
			`auditor.subjects[0].name: "system:serviceaccounts": binds the role to every ServiceAccount of the cluster`},
		{"a namespace's service accounts", auditor.CheckersArgs{Auditor: auditor.IdentityArgs{Subjects: sub(auditor.SubjectGroup, "system:serviceaccounts:ci", "")}},
			`auditor.subjects[0].name: "system:serviceaccounts:ci": binds the role to every ServiceAccount of namespace ci`},
		{"every node", auditor.CheckersArgs{Verifier: auditor.IdentityArgs{Subjects: sub(auditor.SubjectGroup, "system:nodes", "")}},
			`verifier.subjects[0].name: "system:nodes": a Kubernetes system group`},
		{"service account as user", auditor.CheckersArgs{Auditor: auditor.IdentityArgs{Subjects: sub(auditor.SubjectUser, "system:serviceaccount:ci:bot", "")}},
			`auditor.subjects[0].name: "system:serviceaccount:ci:bot": a ServiceAccount written as a user — use kind ServiceAccount`},
		{"missing name", auditor.CheckersArgs{Auditor: auditor.IdentityArgs{Subjects: sub(auditor.SubjectGroup, "", "")}},
			`auditor.subjects[0].name: "": missing`},
		{"nobody holds the role", auditor.CheckersArgs{Verifier: auditor.IdentityArgs{ServiceAccount: &off}},
			`verifier.subjects: []: serviceAccount is false and no subject is named: nobody would hold the role`},
		{"own service account twice", auditor.CheckersArgs{Auditor: auditor.IdentityArgs{Subjects: sub(auditor.SubjectServiceAccount, "rampart-auditor", "rampart-system")}},
			`auditor.subjects[0]: ServiceAccount rampart-system/rampart-auditor: duplicate of auditor.serviceAccount`},
		{"bad namespace", auditor.CheckersArgs{Namespace: "Rampart_System"}, `namespace: "Rampart_System": not a valid namespace name`},
		{"duplicate managed namespace", auditor.CheckersArgs{ManagedNamespaces: []string{"a", "a"}}, `managedNamespaces[1]: "a": duplicate of managedNamespaces[0]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := run(t, &tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if rec.Len() != 0 {
				t.Fatalf("registered %v despite invalid args", rec.Names())
			}
		})
	}
	// With the stack's prefix, the same problems carry the full key path.
	err := (&auditor.CheckersArgs{Auditor: auditor.IdentityArgs{Subjects: sub(auditor.SubjectGroup, "system:authenticated", "")}}).Validate("rampart:checkers")
	if err == nil || !strings.HasPrefix(err.Error(), `rampart:checkers.auditor.subjects[0].name: "system:authenticated"`) {
		t.Errorf("Validate(rampart:checkers) = %v", err)
	}
}

func TestSubject_Username(t *testing.T) {
	for _, c := range []struct {
		s    auditor.Subject
		want string
	}{
		{auditor.Subject{Kind: auditor.SubjectServiceAccount, Name: "rampart-verifier", Namespace: "rampart-system"}, "system:serviceaccount:rampart-system:rampart-verifier"},
		{auditor.Subject{Kind: auditor.SubjectUser, Name: "oidc:alice"}, "oidc:alice"},
		{auditor.Subject{Kind: auditor.SubjectGroup, Name: "oidc:ops"}, ""},
	} {
		if got := c.s.Username(); got != c.want {
			t.Errorf("%v.Username() = %q, want %q", c.s, got, c.want)
		}
	}
}
