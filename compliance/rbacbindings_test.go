package compliance_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/inventory"
)

// rbacObject is a hand-made RBAC resource of the state, body its outputs
// without metadata.
func rbacObject(t *testing.T, kind, ns, name, body string) apitype.ResourceV3 {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	md := map[string]any{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	out["metadata"] = md
	typ := "kubernetes:" + rbacAPI + "/v1:" + kind
	return apitype.ResourceV3{URN: resource.URN("urn:pulumi:test::rampart::" + typ + "::" + name), Type: tokens.Type(typ), Custom: true, Outputs: out}
}

// factAbout is the evidence of item rbac-bindings whose field starts with
// field.
func factAbout(t *testing.T, a *compliance.Assessment, field string) compliance.Evidence {
	t.Helper()
	for _, e := range verdictOf(t, a, "rbac-bindings").Evidence {
		if strings.HasPrefix(e.Field, field) {
			return e
		}
	}
	t.Fatalf("no rbac-bindings fact %q: %+v", field, verdictOf(t, a, "rbac-bindings").Evidence)
	return compliance.Evidence{}
}

// TestRBACBindings_LocalStackBindsEveryTenantRoleWithLeastVerbs: the
// rendered local stack passes, with one fact per tenant and tenant role
// naming its RoleBinding and group, and a least-verbs fact per role, from
// the state and, read live, from the cluster.
func TestRBACBindings_LocalStackBindsEveryTenantRoleWithLeastVerbs(t *testing.T) {
	dep, inv := liveLocal(t)
	for name, a := range map[string]*compliance.Assessment{
		"state": compliance.Assess("local", dep, now),
		"live":  compliance.AssessLive("local", dep, inv, now),
	} {
		t.Run(name, func(t *testing.T) {
			if r := verdictOf(t, a, "rbac-bindings"); r.Verdict != compliance.Pass {
				t.Fatalf("rbac-bindings = %s: %+v", r.Verdict, r.Evidence)
			}
			for _, tc := range []struct{ field, value string }{
				{"tenant team-a viewer: RoleBinding team-a/rampart-viewer", "ClusterRole rampart-viewer → Group oidc:team-a-viewers"},
				{"tenant team-a devops: RoleBinding team-a/rampart-devops", "ClusterRole rampart-devops → Group oidc:team-a-devops"},
				{"tenant team-b tenant-admin: RoleBinding team-b/rampart-tenant-admin", "ClusterRole rampart-tenant-admin → Group oidc:team-b-tenant-admins"},
				{"ClusterRole rampart-platform-admin rules", "least verbs"},
				{"ClusterRole rampart-viewer rules", "least verbs"},
				{"cluster-admin bindings", "none to a group or user"},
			} {
				if e := factAbout(t, a, tc.field); !e.OK || e.Value != tc.value {
					t.Errorf("%s = %+v, want OK %q", tc.field, e, tc.value)
				}
			}
			if name == "live" {
				if e := factAbout(t, a, "tenant team-b viewer"); e.Source != compliance.FromLive || e.Object != "RoleBinding team-b/rampart-viewer" {
					t.Errorf("tenant binding fact not read live: %+v", e)
				}
			}
		})
	}
}

// TestRBACBindings_FailsOnAHandMadeBadState: cluster-admin bound to a
// group outside the break-glass, a binding to every authenticated user, a
// tenant missing one of its bindings and a viewer role reading Secrets
// each fail the item, at the fact that says so.
func TestRBACBindings_FailsOnAHandMadeBadState(t *testing.T) {
	for _, tc := range []struct {
		name, field, note string
		edit              func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3
	}{
		{"cluster-admin to a group", "ClusterRoleBinding ops-admin roleRef → subject", "cluster-admin bound to Group oidc:ops outside the typed break-glass",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				dep.Resources = append(dep.Resources, rbacObject(t, "ClusterRoleBinding", "", "ops-admin",
					`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"Group","name":"oidc:ops"}]}`))
				return dep
			}},
		{"cluster-admin to a user in a namespace", "RoleBinding team-a/alice-admin roleRef → subject", "cluster-admin bound to User alice",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				dep.Resources = append(dep.Resources, rbacObject(t, "RoleBinding", "team-a", "alice-admin",
					`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"alice"}]}`))
				return dep
			}},
		{"binding to system:authenticated", "RoleBinding team-a/everyone subjects", "the stack binds a broad group",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				dep.Resources = append(dep.Resources, rbacObject(t, "RoleBinding", "team-a", "everyone",
					`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"rampart-viewer"},"subjects":[{"kind":"Group","name":"system:authenticated"}]}`))
				return dep
			}},
		{"anonymous user", "ClusterRoleBinding anon subjects", "User system:anonymous",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				dep.Resources = append(dep.Resources, rbacObject(t, "ClusterRoleBinding", "", "anon",
					`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"rampart-viewer"},"subjects":[{"kind":"User","name":"system:anonymous"}]}`))
				return dep
			}},
		{"a tenant missing a binding", "tenant team-b devops RoleBinding", "no RoleBinding in team-b binds ClusterRole rampart-devops → Group oidc:team-b-devops",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				return without(t, dep, "rbac-team-b-devops")
			}},
		{"a viewer reading Secrets", "ClusterRole rampart-viewer rules", "the viewer role grants more than it may",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				r := find(t, &dep, "rbac-viewer")
				rules := r.Outputs["rules"].([]any)
				r.Outputs["rules"] = append(rules, map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"get"}})
				return dep
			}},
		{"a devops role writing RBAC", "ClusterRole rampart-devops rules", "the devops role grants more than it may",
			func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
				r := find(t, &dep, "rbac-devops")
				rules := r.Outputs["rules"].([]any)
				r.Outputs["rules"] = append(rules, map[string]any{"apiGroups": []any{rbacAPI}, "resources": []any{"rolebindings"}, "verbs": []any{"create"}})
				return dep
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := compliance.Assess("local", tc.edit(t, renderedDeployment(t, "Pulumi.local.yaml")), now)
			if r := verdictOf(t, a, "rbac-bindings"); r.Verdict != compliance.Fail {
				t.Fatalf("rbac-bindings = %s, want fail: %+v", r.Verdict, r.Evidence)
			}
			if e := factAbout(t, a, tc.field); e.OK || e.Exempt || !strings.Contains(e.Note, tc.note) {
				t.Errorf("fact %+v: want failing, note containing %q", e, tc.note)
			}
		})
	}
}

// breakGlass is rampart:rbac with a typed break-glass.
var breakGlass = map[string]any{"enabled": true, "breakGlass": map[string]any{
	"group": "platform-break-glass", "justification": "etcd restore runbook needs cluster-admin for the restore window",
	"approvedBy": "CISO, change CHG-1234", "control": "ITSG-33 AC-6(1)"}}

// TestRBACBindings_BreakGlassIsAnExemptionWithItsRecord: the typed
// break-glass binding shows as an exempted fact carrying its control,
// approver and justification (read from the stack output, or from the
// binding's annotations without one), and the item still passes; another
// subject added to that binding is not covered.
func TestRBACBindings_BreakGlassIsAnExemptionWithItsRecord(t *testing.T) {
	const field = "ClusterRoleBinding rampart-break-glass roleRef → subject"
	withOutput := func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
		find(t, &dep, "rampart-test").Outputs["rbac"] = map[string]any{"groupsPrefix": "oidc:", "breakGlass": map[string]any{
			"binding": "rampart-break-glass", "group": "oidc:platform-break-glass", "justification": "etcd restore runbook needs cluster-admin for the restore window",
			"approvedBy": "CISO, change CHG-1234", "control": "ITSG-33 AC-6(1)"}}
		return dep
	}
	for name, edit := range map[string]func(*testing.T, apitype.DeploymentV3) apitype.DeploymentV3{
		"annotations":   func(_ *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 { return dep },
		"stack outputs": withOutput,
	} {
		t.Run(name, func(t *testing.T) {
			dep := edit(t, renderedWith(t, "Pulumi.local.yaml", map[string]any{"rampart:rbac": breakGlass}, nil))
			a := compliance.Assess("local", dep, now)
			if r := verdictOf(t, a, "rbac-bindings"); r.Verdict != compliance.Pass {
				t.Fatalf("rbac-bindings = %s: %+v", r.Verdict, r.Evidence)
			}
			e := factAbout(t, a, field)
			if !e.Exempt || e.Value != "ClusterRole cluster-admin → Group oidc:platform-break-glass" {
				t.Errorf("break-glass fact = %+v, want exempt", e)
			}
			for _, want := range []string{"ITSG-33 AC-6(1)", "CISO, change CHG-1234", "etcd restore runbook"} {
				if !strings.Contains(e.Note, want) {
					t.Errorf("note %q lacks %q", e.Note, want)
				}
			}
		})
	}
	dep := withOutput(t, renderedWith(t, "Pulumi.local.yaml", map[string]any{"rampart:rbac": breakGlass}, nil))
	b := find(t, &dep, "rbac-break-glass")
	b.Outputs["subjects"] = append(b.Outputs["subjects"].([]any), map[string]any{"kind": "User", "name": "mallory"})
	a := compliance.Assess("local", dep, now)
	if r := verdictOf(t, a, "rbac-bindings"); r.Verdict != compliance.Fail {
		t.Fatalf("a subject added to the break-glass binding passed: %+v", r.Evidence)
	}
}

// TestAssessLive_RBACBindings_ClusterAdminAndMissingBindingsLive: read
// live, the API server's own cluster-admin binding to system:masters
// passes under its typed rule, one made out of band to an identity
// provider group fails, and a tenant binding deleted from the cluster
// fails although the state still holds it.
func TestAssessLive_RBACBindings_ClusterAdminAndMissingBindingsLive(t *testing.T) {
	dep, inv := liveLocal(t)
	master := liveObject(t, inventory.Ref{Group: rbacAPI, Kind: "ClusterRoleBinding", Name: "cluster-admin"},
		`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"system:masters"}]}`,
		inventory.KnownController, "kube-apiserver")
	master.Rule = bootstrapRule.Name
	inv.Objects = append(inv.Objects, master)
	a := compliance.AssessLive("local", dep, inv, now)
	if r := verdictOf(t, a, "rbac-bindings"); r.Verdict != compliance.Pass {
		t.Fatalf("the bootstrap superuser binding fails: %+v", r.Evidence)
	}
	if e := factAbout(t, a, "ClusterRoleBinding cluster-admin roleRef"); !e.OK || !strings.Contains(e.Note, "The API server's superuser binding") || e.Source != compliance.FromLive {
		t.Errorf("bootstrap binding fact = %+v", e)
	}

	inv.Objects = append(inv.Objects, liveObject(t, inventory.Ref{Group: rbacAPI, Kind: "ClusterRoleBinding", Name: "ops-admin"},
		`{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"Group","name":"oidc:ops"}]}`,
		inventory.Unmanaged, "kubectl-create"))
	var kept []inventory.Object
	for _, o := range inv.Objects {
		if o.Ref != (inventory.Ref{Group: rbacAPI, Kind: "RoleBinding", Namespace: "team-a", Name: "rampart-tenant-admin"}) {
			kept = append(kept, o)
		}
	}
	inv.Objects = kept
	a = compliance.AssessLive("local", dep, inv, now)
	if e := failingFact(t, a, "rbac-bindings", "ClusterRoleBinding ops-admin"); !strings.Contains(e.Note, "outside the typed break-glass") {
		t.Errorf("out-of-band cluster-admin note = %q", e.Note)
	}
	if e := factAbout(t, a, "tenant team-a tenant-admin RoleBinding"); e.OK || !strings.Contains(e.Note, "absent from the cluster") {
		t.Errorf("deleted tenant binding fact = %+v", e)
	}
}
