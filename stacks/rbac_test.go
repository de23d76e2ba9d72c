package stacks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/rbac"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
)

// TestRBAC_LocalStackBindsEveryTenantAfterItsNamespace: the local stack
// file enables rampart:rbac; the component waits for the tenant
// namespaces and binds each tenant's three roles in it.
func TestRBAC_LocalStackBindsEveryTenantAfterItsNamespace(t *testing.T) {
	rec, cfg := testkit.RunStackFile(t, "..", "Pulumi.local.yaml")
	comp := rec.MustGet(t, rbac.TypeToken, "rbac")
	if len(cfg.Tenants) == 0 {
		t.Fatal("the local stack has no tenant")
	}
	for _, tn := range cfg.Tenants {
		if !slices.ContainsFunc(comp.Deps, func(d string) bool { return strings.HasSuffix(d, "kubernetes:core/v1:Namespace::"+tn.Name+"-ns") }) {
			t.Errorf("rbac does not wait for tenant %s's namespace: %v", tn.Name, comp.Deps)
		}
	}
	bound := map[string]int{}
	for _, rb := range rec.ByType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding") {
		if rb.ParentName() == "rbac" {
			ns, _ := recmock.Path(rb.Plain(), "metadata", "namespace")
			bound[ns.(string)]++
		}
	}
	for _, tn := range cfg.Tenants {
		if bound[tn.Name] != 3 {
			t.Errorf("tenant %s has %d role bindings, want 3", tn.Name, bound[tn.Name])
		}
	}
	if len(bound) != len(cfg.Tenants) {
		t.Errorf("role bindings outside the tenants: %v", bound)
	}
}

// TestProgram_RejectsBadRBACConfigAndRegistersNothing: each rule of
// rampart:rbac is reported at its exact key; nothing is registered.
func TestProgram_RejectsBadRBACConfigAndRegistersNothing(t *testing.T) {
	bg := func(edit func(m map[string]any)) string {
		m := map[string]any{"group": "platform-break-glass", "justification": "etcd restore runbook needs cluster-admin",
			"approvedBy": "CISO, change CHG-1234", "control": "ITSG-33 AC-6(1)"}
		edit(m)
		return js(map[string]any{"enabled": true, "breakGlass": m})
	}
	for _, tc := range []struct{ name, set, want string }{
		{"system prefix", js(map[string]any{"enabled": true, "groupsPrefix": "system:oidc:"}),
			`rampart:rbac.groupsPrefix: "system:oidc:": a prefix starting with system:`},
		{"prefix running into the group", js(map[string]any{"enabled": true, "groupsPrefix": "oidc"}),
			`rampart:rbac.groupsPrefix: "oidc": does not end with a separator`},
		{"break-glass to system:masters", bg(func(m map[string]any) { m["group"] = "system:masters" }),
			`rampart:rbac.breakGlass.group: "system:masters": a Kubernetes system group`},
		{"break-glass to a tenant's group", bg(func(m map[string]any) { m["group"] = "team-b-tenant-admins" }),
			`rampart:rbac.breakGlass.group: "team-b-tenant-admins": tenant team-b's tenant-admin group`},
		{"break-glass without justification", bg(func(m map[string]any) { delete(m, "justification") }),
			`rampart:rbac.breakGlass.justification: "": break-glass needs a written justification (20+ characters)`},
		{"break-glass without approver", bg(func(m map[string]any) { m["approvedBy"] = "" }),
			`rampart:rbac.breakGlass.approvedBy: "": break-glass must name who approved it`},
		{"break-glass without control", bg(func(m map[string]any) { delete(m, "control") }),
			`rampart:rbac.breakGlass.control: "": break-glass must name the control`},
		{"typo", js(map[string]any{"enabled": true, "breakglass": map[string]any{}}),
			`rampart:rbac.breakglass: (value not shown): unknown key — did you mean "breakGlass"?`},
		{"tenants are not a key", js(map[string]any{"enabled": true, "tenants": []any{"x"}}),
			`rampart:rbac.tenants: (value not shown): unknown key`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			cfg["rampart:rbac"] = tc.set
			rec := recmock.New()
			err := rec.Run(program, recmock.WithConfig(cfg))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if rec.Len() != 0 {
				t.Fatalf("registered %v despite invalid config", rec.Names())
			}
		})
	}
}
