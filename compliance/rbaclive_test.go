package compliance_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/inventory"
)

const rbacAPI = "rbac.authorization.k8s.io"

// boundTo is a binding (ClusterRoleBinding when ns is "") of ClusterRole
// role to subject (JSON).
func boundTo(t *testing.T, ns, name, role, subject string) inventory.Object {
	t.Helper()
	kind := "RoleBinding"
	if ns == "" {
		kind = "ClusterRoleBinding"
	}
	return liveObject(t, inventory.Ref{Group: rbacAPI, Kind: kind, Namespace: ns, Name: name},
		`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"`+role+`"},"subjects":[`+subject+`]}`, inventory.Unmanaged, "kubectl-create")
}

// clusterRole is an out-of-band ClusterRole with rules (JSON).
func clusterRole(t *testing.T, name, rules string) inventory.Object {
	t.Helper()
	return liveObject(t, inventory.Ref{Group: rbacAPI, Kind: "ClusterRole", Name: name}, `{"rules":`+rules+`}`, inventory.Unmanaged, "kubectl-create")
}

const teamACI = `{"kind":"ServiceAccount","name":"ci","namespace":"team-a"}`

// TestAssessLive_RBACClusterWidePowersAreAdminLike: granted cluster-wide
// to team-a's ServiceAccount, each of these lets it act as another
// identity or intercept every namespace, and used to pass: running pods
// (a pod in kube-system runs as its controllers), minting tokens, exec,
// the kubelet through nodes/proxy, approving kubernetes.io certificates,
// writing admission webhooks or policies. The same role bound by a
// RoleBinding in team-a itself stays fine; in kube-system it fails.
func TestAssessLive_RBACClusterWidePowersAreAdminLike(t *testing.T) {
	for _, tc := range []struct{ name, rules, why string }{
		{"create pods", `[{"apiGroups":[""],"resources":["pods"],"verbs":["create"]}]`, "runs pods in every namespace"},
		{"create deployments", `[{"apiGroups":["apps"],"resources":["deployments"],"verbs":["create","get"]}]`, "runs pods in every namespace"},
		{"patch daemonsets", `[{"apiGroups":["apps"],"resources":["daemonsets"],"verbs":["patch"]}]`, "runs pods in every namespace"},
		{"create cronjobs", `[{"apiGroups":["batch"],"resources":["cronjobs"],"verbs":["create"]}]`, "runs pods in every namespace"},
		{"create serviceaccounts/token", `[{"apiGroups":[""],"resources":["serviceaccounts/token"],"verbs":["create"]}]`, "mints ServiceAccount tokens"},
		{"create pods/exec", `[{"apiGroups":[""],"resources":["pods/exec"],"verbs":["create"]}]`, "execs, attaches or port-forwards"},
		{"create pods/attach", `[{"apiGroups":[""],"resources":["pods/attach"],"verbs":["create"]}]`, "execs, attaches or port-forwards"},
		{"create */portforward", `[{"apiGroups":[""],"resources":["*/portforward"],"verbs":["create"]}]`, "execs, attaches or port-forwards"},
		{"get nodes/proxy", `[{"apiGroups":[""],"resources":["nodes/proxy"],"verbs":["get"]}]`, "reaches the kubelet API through nodes/proxy"},
		{"approve kubernetes.io signers", `[{"apiGroups":["certificates.k8s.io"],"resources":["signers"],"resourceNames":["kubernetes.io/kube-apiserver-client"],"verbs":["approve"]}]`, "approves certificate requests for the kubernetes.io signers"},
		{"update certificatesigningrequests/approval", `[{"apiGroups":["certificates.k8s.io"],"resources":["certificatesigningrequests/approval"],"verbs":["update"]}]`, "approves certificate signing requests"},
		{"create mutatingwebhookconfigurations", `[{"apiGroups":["admissionregistration.k8s.io"],"resources":["mutatingwebhookconfigurations"],"verbs":["create"]}]`, "writes admission webhooks or policies"},
		{"delete validatingadmissionpolicybindings", `[{"apiGroups":["admissionregistration.k8s.io"],"resources":["validatingadmissionpolicybindings"],"verbs":["delete"]}]`, "writes admission webhooks or policies"},
		{"patch validatingadmissionpolicies", `[{"apiGroups":["admissionregistration.k8s.io"],"resources":["validatingadmissionpolicies"],"verbs":["patch"]}]`, "writes admission webhooks or policies"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, b := range []struct {
				ns, object string
				fails      bool
			}{{"", "ClusterRoleBinding ci-power", true}, {"kube-system", "RoleBinding kube-system/ci-power", true}, {"team-a", "RoleBinding team-a/ci-power", false}} {
				dep, inv := liveLocal(t)
				inv.Objects = append(inv.Objects, clusterRole(t, "power", tc.rules), boundTo(t, b.ns, "ci-power", "power", teamACI))
				a := compliance.AssessLive("local", dep, inv, now)
				if !b.fails {
					sameItems(t, a)
					continue
				}
				e := failingFact(t, a, "rbac-no-default-admin", b.object)
				if !strings.Contains(e.Note, "admin-like role ("+tc.why) || !strings.Contains(e.Note, "bound to ServiceAccount team-a/ci") {
					t.Errorf("%s: note %q lacks %q", b.object, e.Note, tc.why)
				}
			}
		})
	}
	// Narrowed to signers outside kubernetes.io (cert-manager's approver),
	// approve mints no cluster credential.
	dep, inv := liveLocal(t)
	inv.Objects = append(inv.Objects, clusterRole(t, "approver", `[{"apiGroups":["certificates.k8s.io"],"resources":["signers"],"resourceNames":["issuers.cert-manager.io/*","clusterissuers.cert-manager.io/*"],"verbs":["approve"]}]`),
		boundTo(t, "", "ci-approver", "approver", teamACI))
	sameItems(t, compliance.AssessLive("local", dep, inv, now))
}

// TestAssessLive_RoleBindingElsewhereReachingTeamAFails: a RoleBinding in
// kube-system (outside the managed namespaces: it used to be neither
// listed nor judged) granting admin, edit or cluster-admin to team-a's
// ServiceAccount fails; so does one to a Role there, whose rules the
// inventory does not read.
func TestAssessLive_RoleBindingElsewhereReachingTeamAFails(t *testing.T) {
	for _, role := range []string{"admin", "edit", "cluster-admin"} {
		dep, inv := liveLocal(t)
		inv.Objects = append(inv.Objects, boundTo(t, "kube-system", "team-a-"+role, role, teamACI))
		a := compliance.AssessLive("local", dep, inv, now)
		sameItems(t, a, "rbac-no-default-admin")
		e := failingFact(t, a, "rbac-no-default-admin", "RoleBinding kube-system/team-a-"+role)
		if !strings.Contains(e.Note, "admin-like role (the "+role+" role) bound to ServiceAccount team-a/ci") {
			t.Errorf("note %q", e.Note)
		}
	}
	dep, inv := liveLocal(t)
	inv.Objects = append(inv.Objects, liveObject(t, inventory.Ref{Group: rbacAPI, Kind: "RoleBinding", Namespace: "kube-system", Name: "team-a-local-role"},
		`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"anything"},"subjects":[{"kind":"Group","name":"system:serviceaccounts:team-a"}]}`,
		inventory.Unmanaged, "kubectl-create"))
	e := failingFact(t, compliance.AssessLive("local", dep, inv, now), "rbac-no-default-admin", "RoleBinding kube-system/team-a-local-role")
	if !strings.Contains(e.Note, "what it grants to Group system:serviceaccounts:team-a is unknown") {
		t.Errorf("note %q", e.Note)
	}
}

// TestAssessLive_BroadGroupGetsTheBootstrapURLsOnly: the discovery
// allowance used to accept any non-resource URL; now exactly the paths the
// bootstrap roles grant pass, and nonResourceURLs ["*"] (or /metrics) to
// system:unauthenticated fails.
func TestAssessLive_BroadGroupGetsTheBootstrapURLsOnly(t *testing.T) {
	const anonymous = `{"kind":"Group","name":"system:unauthenticated"}`
	for _, tc := range []struct {
		name, urls string
		fails      bool
	}{
		{"every URL", `["*"]`, true},
		{"metrics", `["/metrics"]`, true},
		{"debug", `["/debug/pprof/*"]`, true},
		{"discovery as bootstrapped", `["/api","/api/*","/apis","/apis/*","/healthz","/livez","/openapi","/openapi/*","/readyz","/version","/version/"]`, false},
		{"issuer discovery as bootstrapped", `["/.well-known/openid-configuration","/.well-known/openid-configuration/","/openid/v1/jwks","/openid/v1/jwks/"]`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dep, inv := liveLocal(t)
			inv.Objects = append(inv.Objects, clusterRole(t, "urls", `[{"nonResourceURLs":`+tc.urls+`,"verbs":["get"]}]`), boundTo(t, "", "anonymous-urls", "urls", anonymous))
			a := compliance.AssessLive("local", dep, inv, now)
			if !tc.fails {
				sameItems(t, a)
				return
			}
			e := failingFact(t, a, "rbac-no-default-admin", "ClusterRoleBinding anonymous-urls")
			if !strings.Contains(e.Note, "to every identity of Group system:unauthenticated") {
				t.Errorf("note %q", e.Note)
			}
		})
	}
}

// TestAssessLive_VerifierBindingHeldByItsAdmissionPolicy: the verifier may
// create RoleBindings and bind only its probe role, which creates pods:
// judged as granted cluster-wide (a RoleBinding can be written in
// kube-system) that is admin-like, and it passes only while the stack's
// verifier policy is live with failurePolicy Fail and a binding with Deny
// — the fact names the policy. It used to pass whatever the policy's state.
// Another identity with the same delegated role is not held by it.
func TestAssessLive_VerifierBindingHeldByItsAdmissionPolicy(t *testing.T) {
	const (
		policy  = "rampart-system-verifier-probes-only"
		binding = "ClusterRoleBinding rampart-system-verifier"
	)
	vap := inventory.Ref{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy", Name: policy}
	vapb := inventory.Ref{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding", Name: policy}

	dep, inv := liveLocal(t)
	a := compliance.AssessLive("local", dep, inv, now)
	sameItems(t, a)
	held := false
	for _, e := range verdictOf(t, a, "rbac-no-default-admin").Evidence {
		held = held || e.Object == binding && e.OK && strings.Contains(e.Note, "held by ValidatingAdmissionPolicy "+policy)
	}
	if !held {
		t.Fatalf("no passing fact says the verifier's binding is held by %s: %+v", policy, verdictOf(t, a, "rbac-no-default-admin").Evidence)
	}

	for _, tc := range []struct {
		name, note string
		edit       func(*inventory.Inventory)
	}{
		{"policy binding deleted", "no declared ValidatingAdmissionPolicyBinding of ValidatingAdmissionPolicy " + policy + " is live", func(inv *inventory.Inventory) {
			inv.Objects = slices.DeleteFunc(inv.Objects, func(o inventory.Object) bool { return o.Ref == vapb })
		}},
		{"policy binding audit-only", "validationActions [Audit] live, without Deny", func(inv *inventory.Inventory) {
			liveFind(t, inv, vapb).Object["spec"].(map[string]any)["validationActions"] = []any{"Audit"}
		}},
		{"policy failing open", "has failurePolicy Ignore live", func(inv *inventory.Inventory) {
			liveFind(t, inv, vap).Object["spec"].(map[string]any)["failurePolicy"] = "Ignore"
		}},
		{"policy deleted", "ValidatingAdmissionPolicy " + policy + " is missing from the cluster", func(inv *inventory.Inventory) {
			inv.Objects = slices.DeleteFunc(inv.Objects, func(o inventory.Object) bool { return o.Ref == vap })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dep, inv := liveLocal(t)
			tc.edit(inv)
			a := compliance.AssessLive("local", dep, inv, now)
			e := failingFact(t, a, "rbac-no-default-admin", binding)
			if !strings.Contains(e.Note, tc.note) || !strings.Contains(e.Note, "admin-like role (writes RBAC objects: create on rolebindings) bound to ServiceAccount rampart-system/rampart-verifier") {
				t.Errorf("note %q lacks %q", e.Note, tc.note)
			}
		})
	}

	dep, inv = liveLocal(t)
	inv.Objects = append(inv.Objects, clusterRole(t, "delegate-probes",
		`[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["rolebindings"],"verbs":["create"]},{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"resourceNames":["rampart-system-verifier-probes"],"verbs":["bind"]}]`),
		boundTo(t, "", "ci-delegate-probes", "delegate-probes", teamACI))
	e := failingFact(t, compliance.AssessLive("local", dep, inv, now), "rbac-no-default-admin", "ClusterRoleBinding ci-delegate-probes")
	if !strings.Contains(e.Note, "match condition does not name ServiceAccount system:serviceaccount:team-a:ci") {
		t.Errorf("note %q", e.Note)
	}
}
