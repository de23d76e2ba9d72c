package rbac_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/rbac"
	"github.com/rampart-dev/rampart/helpers/exemption"
	"github.com/rampart-dev/rampart/helpers/identity"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	tClusterRole        = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
	tClusterRoleBinding = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
	tRoleBinding        = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
)

func run(t *testing.T, args *rbac.RBACArgs) (*recmock.Recorder, error) {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := rbac.NewRBAC(ctx, "rbac", args)
		return err
	})
	return rec, err
}

func mustRun(t *testing.T, args *rbac.RBACArgs) *recmock.Recorder {
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

// grants flattens a rendered role's rules to "group/resource verb".
func grants(r recmock.Resource) []string {
	var out []string
	rules, _ := r.Plain()["rules"].([]any)
	for _, rule := range rules {
		m := rule.(map[string]any)
		for _, g := range strs(m["apiGroups"]) {
			if g == "" {
				g = "core"
			}
			for _, res := range strs(m["resources"]) {
				for _, v := range strs(m["verbs"]) {
					out = append(out, g+"/"+res+" "+v)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestRBAC_RendersFourRolesTenantBindingsAndPlatformAdmin(t *testing.T) {
	rec := mustRun(t, &rbac.RBACArgs{Tenants: []string{"team-a", "team-b"}})
	want := []string{
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole/rbac-devops",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole/rbac-platform-admin",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole/rbac-tenant-admin",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole/rbac-viewer",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding/rbac-platform-admin",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/rbac-team-a-devops",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/rbac-team-a-tenant-admin",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/rbac-team-a-viewer",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/rbac-team-b-devops",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/rbac-team-b-tenant-admin",
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding/rbac-team-b-viewer",
		"rampart:rbac:RBAC/rbac",
	}
	if got := rec.Names(); !slices.Equal(got, want) {
		t.Fatalf("resources =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range rec.All() {
		if r.Type != rbac.TypeToken && r.ParentName() != "rbac" {
			t.Errorf("%s/%s parent = %q, want the component", r.Type, r.Name, r.ParentName())
		}
	}
	for _, r := range identity.Roles() {
		cr := rec.MustGet(t, tClusterRole, "rbac-"+string(r))
		if got := str(cr.Plain(), "metadata", "name"); got != "rampart-"+string(r) {
			t.Errorf("ClusterRole of %s named %q", r, got)
		}
	}
	for _, tenant := range []string{"team-a", "team-b"} {
		for _, r := range identity.TenantRoles() {
			p := rec.MustGet(t, tRoleBinding, "rbac-"+tenant+"-"+string(r)).Plain()
			if ns, name := str(p, "metadata", "namespace"), str(p, "metadata", "name"); ns != tenant || name != "rampart-"+string(r) {
				t.Errorf("binding of %s/%s at %s/%s", tenant, r, ns, name)
			}
			if ref := str(p, "roleRef", "name"); ref != "rampart-"+string(r) || str(p, "roleRef", "kind") != "ClusterRole" {
				t.Errorf("binding of %s/%s refers to %q", tenant, r, ref)
			}
			subjects, _ := p["subjects"].([]any)
			if len(subjects) != 1 || str(subjects[0], "kind") != "Group" || str(subjects[0], "name") != "oidc:"+identity.TenantGroup(tenant, r) {
				t.Errorf("binding of %s/%s subjects = %v", tenant, r, subjects)
			}
		}
	}
	pa := rec.MustGet(t, tClusterRoleBinding, "rbac-platform-admin").Plain()
	subjects, _ := pa["subjects"].([]any)
	if str(pa, "roleRef", "name") != "rampart-platform-admin" || len(subjects) != 1 || str(subjects[0], "name") != "oidc:platform-admins" {
		t.Errorf("platform-admin binding = %v", pa)
	}
	if len(rec.ByType(tClusterRoleBinding)) != 1 {
		t.Error("a ClusterRoleBinding beside platform-admin's without a break-glass")
	}
}

// TestRBAC_RolesHaveLeastVerbs: no role holds a wildcard, escalate, bind
// or impersonate; the roles below platform-admin write no RBAC object,
// Namespace, quota, limit or NetworkPolicy; the viewer touches no Secret
// and devops reads none; only tenant-admin (below platform-admin) execs;
// platform-admin has no nodes/proxy, token or CSR approval grant.
func TestRBAC_RolesHaveLeastVerbs(t *testing.T) {
	rec := mustRun(t, &rbac.RBACArgs{Tenants: []string{"team-a"}})
	write := []string{"create", "update", "patch", "delete", "deletecollection"}
	for _, r := range identity.Roles() {
		g := grants(rec.MustGet(t, tClusterRole, "rbac-"+string(r)))
		has := func(resource string, verbs ...string) bool {
			for _, v := range verbs {
				if slices.Contains(g, resource+" "+v) {
					return true
				}
			}
			return false
		}
		for _, x := range g {
			if strings.Contains(x, "*") || strings.HasSuffix(x, " escalate") || strings.HasSuffix(x, " bind") || strings.HasSuffix(x, " impersonate") {
				t.Errorf("%s grants %s", r, x)
			}
		}
		forbidden := map[string][]string{}
		if r == identity.PlatformAdmin {
			forbidden["core/nodes/proxy"] = []string{"get", "create"}
			forbidden["core/serviceaccounts/token"] = []string{"create"}
			forbidden["certificates.k8s.io/certificatesigningrequests/approval"] = []string{"update", "patch"}
			if !has("rbac.authorization.k8s.io/rolebindings", "create") || !has("core/namespaces", "create") {
				t.Errorf("platform-admin cannot operate the cluster: %v", g)
			}
		} else {
			for _, res := range []string{"rbac.authorization.k8s.io/roles", "rbac.authorization.k8s.io/rolebindings", "rbac.authorization.k8s.io/clusterroles",
				"rbac.authorization.k8s.io/clusterrolebindings", "core/namespaces", "core/resourcequotas", "core/limitranges", "networking.k8s.io/networkpolicies"} {
				forbidden[res] = write
			}
		}
		switch r {
		case identity.Viewer:
			forbidden["core/secrets"] = append([]string{"get", "list", "watch"}, write...)
			forbidden["core/pods/exec"] = []string{"create", "get"}
			forbidden["core/pods/portforward"] = []string{"create", "get"}
			if !has("core/pods/log", "get") || !has("gateway.networking.k8s.io/httproutes", "list") {
				t.Errorf("viewer cannot read logs or routes: %v", g)
			}
		case identity.DevOps:
			forbidden["core/secrets"] = []string{"get", "list", "watch"}
			forbidden["core/pods/exec"] = []string{"create", "get"}
			if !has("apps/deployments", "create") || !has("core/secrets", "create") {
				t.Errorf("devops cannot deploy: %v", g)
			}
		case identity.TenantAdmin:
			if !has("core/secrets", "get") || !has("core/pods/exec", "create") || !has("core/pods/portforward", "create") || !has("core/resourcequotas", "get") {
				t.Errorf("tenant-admin lacks secrets, exec, port-forward or quota reads: %v", g)
			}
		}
		for res, verbs := range forbidden {
			if has(res, verbs...) {
				t.Errorf("%s may %v %s", r, verbs, res)
			}
		}
	}
}

func TestRBAC_BreakGlassOnlyWhenTyped(t *testing.T) {
	bg := &rbac.BreakGlass{Group: "platform-break-glass", Justification: "etcd restore runbook needs cluster-admin",
		Approval: exemption.Approval{ApprovedBy: "CISO, CHG-1234"}, Control: "ITSG-33 AC-6(1)"}
	rec := mustRun(t, &rbac.RBACArgs{Tenants: []string{"team-a"}, BreakGlass: bg, GroupsPrefix: "idp:"})
	b := rec.MustGet(t, tClusterRoleBinding, "rbac-break-glass").Plain()
	subjects, _ := b["subjects"].([]any)
	if str(b, "roleRef", "name") != "cluster-admin" || str(b, "metadata", "name") != "rampart-break-glass" ||
		len(subjects) != 1 || str(subjects[0], "name") != "idp:platform-break-glass" {
		t.Errorf("break-glass binding = %v", b)
	}
	for k, v := range map[string]string{rbac.AnnotationJustification: bg.Justification, rbac.AnnotationApprovedBy: bg.ApprovedBy, rbac.AnnotationControl: bg.Control} {
		if got := str(b, "metadata", "annotations", k); got != v {
			t.Errorf("annotation %s = %q, want %q", k, got, v)
		}
	}
	for _, r := range rec.ByType(tClusterRoleBinding) {
		if r.Name != "rbac-break-glass" && str(r.Plain(), "roleRef", "name") == "cluster-admin" {
			t.Errorf("%s binds cluster-admin", r.Name)
		}
	}
	if got := str(rec.MustGet(t, tRoleBinding, "rbac-team-a-viewer").Plain(), "subjects", 0, "name"); got != "idp:team-a-viewers" {
		t.Errorf("prefix not applied to tenant bindings: %q", got)
	}
}

func TestRBAC_RejectsBadArgsAtTheirKey(t *testing.T) {
	good := func() *rbac.BreakGlass {
		return &rbac.BreakGlass{Group: "break-glass", Justification: "etcd restore runbook needs cluster-admin", Approval: exemption.Approval{ApprovedBy: "CISO"}, Control: "ISM-1508"}
	}
	for _, tc := range []struct {
		name string
		args rbac.RBACArgs
		want string
	}{
		{"system prefix", rbac.RBACArgs{GroupsPrefix: "system:"}, `groupsPrefix: "system:": a prefix starting with system:`},
		{"prefix without separator", rbac.RBACArgs{GroupsPrefix: "oidc"}, `groupsPrefix: "oidc": does not end with a separator`},
		{"name prefix", rbac.RBACArgs{NamePrefix: "Rampart"}, `namePrefix: "Rampart": not a lower-case DNS-1123 label`},
		{"bad tenant", rbac.RBACArgs{Tenants: []string{"Team_A"}}, `tenants[0]: "Team_A": not a valid namespace name`},
		{"system group", rbac.RBACArgs{BreakGlass: func() *rbac.BreakGlass { b := good(); b.Group = "system:masters"; return b }()},
			`breakGlass.group: "system:masters": a Kubernetes system group`},
		{"empty group", rbac.RBACArgs{BreakGlass: func() *rbac.BreakGlass { b := good(); b.Group = ""; return b }()}, `breakGlass.group: "": missing`},
		{"role group", rbac.RBACArgs{BreakGlass: func() *rbac.BreakGlass { b := good(); b.Group = "platform-admins"; return b }()},
			`breakGlass.group: "platform-admins": the platform-admin group`},
		{"tenant group", rbac.RBACArgs{Tenants: []string{"team-a"}, BreakGlass: func() *rbac.BreakGlass { b := good(); b.Group = "team-a-devops"; return b }()},
			`breakGlass.group: "team-a-devops": tenant team-a's devops group`},
		{"prefixed group", rbac.RBACArgs{BreakGlass: func() *rbac.BreakGlass { b := good(); b.Group = "oidc:ops"; return b }()},
			`breakGlass.group: "oidc:ops": already starts with the groups prefix`},
		{"short justification", rbac.RBACArgs{BreakGlass: func() *rbac.BreakGlass { b := good(); b.Justification = "because"; return b }()},
			`breakGlass.justification: "because": break-glass needs a written justification`},
		{"no approver", rbac.RBACArgs{BreakGlass: func() *rbac.BreakGlass { b := good(); b.ApprovedBy = " "; return b }()}, `breakGlass.approvedBy: " ": break-glass must name who approved it`},
		{"no control", rbac.RBACArgs{BreakGlass: func() *rbac.BreakGlass { b := good(); b.Control = ""; return b }()}, `breakGlass.control: "": break-glass must name the control`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := run(t, &tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant %q", err, tc.want)
			}
			if rec.Len() != 0 {
				t.Errorf("%d resources registered for bad args", rec.Len())
			}
		})
	}
	if _, err := run(t, nil); err == nil {
		t.Error("nil args accepted")
	}
}
