package stacks_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/components/auditor"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/helpers/inventorykinds"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
)

const (
	tCheckers    = "rampart:auditor:Checkers"
	tRoleBinding = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
)

// declaredKind is the group, kind and scope of a recorded Kubernetes
// resource ("kubernetes:rbac.authorization.k8s.io/v1:Role" → rbac…, Role).
func declaredKind(r recmock.Resource) (group, kind string, namespaced, ok bool) {
	rest, isK8s := strings.CutPrefix(r.Type, "kubernetes:")
	if !isK8s || !r.Custom || strings.HasPrefix(rest, "helm.sh/") {
		return "", "", false, false
	}
	gv, kind, found := strings.Cut(rest, ":")
	if !found {
		return "", "", false, false
	}
	group, _, _ = strings.Cut(gv, "/")
	if group == "core" {
		group = ""
	}
	ns, _ := recmock.Path(r.Plain(), "metadata", "namespace")
	return group, kind, ns != nil && ns != "", true
}

// TestCheckers_AuditorCanRefreshEveryKindTheStackDeclares runs the stack
// with every component on (prod's stack file, cert-manager, the audit
// bucket with Loki and its agent, runtime security, the local stack file)
// and checks that a refresh with the auditor's identity can read each
// declared object: its kind is one the live inventory lists or one of
// auditor.RefreshKinds, in the object's scope. Secrets are the one
// exception, on purpose. A component that starts to declare a new kind
// fails here until the kind joins auditor.RefreshKinds.
func TestCheckers_AuditorCanRefreshEveryKindTheStackDeclares(t *testing.T) {
	readable := map[[2]string]bool{} // {group, kind} → namespaced
	for _, k := range append(append([]inventorykinds.Kind(nil), inventorykinds.All...), auditor.RefreshKinds...) {
		readable[[2]string{k.Group, k.Kind}] = k.Namespaced
	}
	var recs []*recmock.Recorder
	for _, f := range []string{"Pulumi.prod.yaml", "Pulumi.local.yaml"} {
		rec, _ := testkit.RunStackFile(t, "..", f)
		recs = append(recs, rec)
	}
	cm := platformConfig()
	cm["rampart:certManager"] = certManagerSection(nil)
	au, auSecrets := auditConfig(agentSection())
	withAgentNamespace(au, namespace.NamespaceArgs{Name: audit.DefaultAgentNamespace, Exemption: &config.AuditAgentExemption})
	for _, c := range []struct {
		cfg    map[string]string
		secret []string
	}{
		{cm, platformSecrets}, {au, auSecrets}, {runtimeConfig("prod", runtimeSection(), nil), nil},
	} {
		rec := recmock.New()
		if err := rec.Run(program, recmock.WithConfig(c.cfg, c.secret...)); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	seen := map[string]bool{}
	for _, rec := range recs {
		// The auditor reads namespaced kinds in the stack's own namespaces
		// only: every declared namespaced object must live in one.
		managed := map[string]bool{}
		for _, ns := range rec.ByType("kubernetes:core/v1:Namespace") {
			name, _ := recmock.Path(ns.Plain(), "metadata", "name")
			managed[name.(string)] = true
		}
		for _, r := range rec.All() {
			group, kind, namespaced, ok := declaredKind(r)
			if !ok || kind == "Secret" {
				continue
			}
			if ns, _ := recmock.Path(r.Plain(), "metadata", "namespace"); namespaced && !managed[ns.(string)] {
				t.Errorf("%s %s is declared in namespace %v, which the stack does not manage: the auditor cannot refresh it", r.Type, r.Name, ns)
			}
			key := group + "/" + kind
			if seen[key] {
				continue
			}
			seen[key] = true
			ns, known := readable[[2]string{group, kind}]
			switch {
			case !known:
				t.Errorf("%s (%s %s) is declared but the auditor cannot read it: a refresh with its identity would fail — add it to auditor.RefreshKinds", key, r.Type, r.Name)
			case ns != namespaced:
				t.Errorf("%s: namespaced = %v in the stack, %v in the auditor's lists", key, namespaced, ns)
			}
		}
	}
	var kinds []string
	for k := range seen {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	t.Logf("declared kinds checked: %s", strings.Join(kinds, ", "))
}

func TestCheckers_BoundInEveryNamespaceOfTheStack(t *testing.T) {
	rec, cfg := testkit.RunStackFile(t, "..", "Pulumi.local.yaml")
	comp := rec.MustGet(t, tCheckers, "checkers")
	if len(comp.Deps) == 0 {
		t.Error("the checkers do not wait for the namespaces they bind into")
	}
	n := auditor.ObjectNames("rampart-system")
	bound := map[string]int{}
	for _, rb := range rec.ByType(tRoleBinding) {
		name, _ := recmock.Path(rb.Plain(), "metadata", "name")
		ns, _ := recmock.Path(rb.Plain(), "metadata", "namespace")
		if name == n.AuditorNamespacedRole || name == n.VerifierProbeRole {
			bound[ns.(string)]++
		}
	}
	var want []string
	for _, ns := range cfg.Namespaces {
		want = append(want, ns.Name)
	}
	for _, ns := range cfg.Tenants {
		want = append(want, ns.Name)
	}
	for _, ns := range want {
		if bound[ns] != 2 {
			t.Errorf("namespace %s has %d of the auditor's and verifier's RoleBindings, want 2", ns, bound[ns])
		}
	}
	if len(bound) != len(want) {
		t.Errorf("RoleBindings in %d namespaces, the stack manages %d", len(bound), len(want))
	}
}

func TestCheckers_OffRendersNothing(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:checkers"] = js(map[string]any{"enabled": false})
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.All() {
		if r.Type == tCheckers || strings.Contains(r.Type, "ValidatingAdmissionPolicy") {
			t.Errorf("%s/%s rendered with rampart:checkers.enabled=false", r.Type, r.Name)
		}
	}
}

// A stack whose namespace names carry a prefix (the e2e stacks sharing the
// lab) puts the ServiceAccounts into its own prefixed rampart-system, and
// its cluster-scoped objects get names of their own.
func TestCheckers_PrefixedStackUsesItsOwnNamespace(t *testing.T) {
	flat := testkit.Flatten(t, testkit.PrefixedLocalConfig("e2e-"))
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(flat)); err != nil {
		t.Fatal(err)
	}
	sa := rec.MustGet(t, "kubernetes:core/v1:ServiceAccount", "checkers-auditor-sa")
	if ns, _ := recmock.Path(sa.Plain(), "metadata", "namespace"); ns != "e2e-rampart-system" {
		t.Errorf("auditor ServiceAccount in %v, want e2e-rampart-system", ns)
	}
	role := rec.MustGet(t, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "checkers-auditor-role")
	if name, _ := recmock.Path(role.Plain(), "metadata", "name"); name != "e2e-rampart-system-auditor" {
		t.Errorf("auditor ClusterRole %v, want e2e-rampart-system-auditor", name)
	}
}

// TestProgram_RejectsBadCheckersConfigAndRegistersNothing: each rule of
// rampart:checkers is reported at its exact key; nothing is registered.
func TestProgram_RejectsBadCheckersConfigAndRegistersNothing(t *testing.T) {
	subjects := func(role string, s ...map[string]any) string {
		list := make([]any, len(s))
		for i := range s {
			list[i] = s[i]
		}
		return js(map[string]any{role: map[string]any{"subjects": list}})
	}
	cases := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"every authenticated user", map[string]string{"rampart:checkers": subjects("auditor", map[string]any{"kind": "Group", "name": "system:authenticated"})},
			`rampart:checkers.auditor.subjects[0].name: "system:authenticated": binds the role to every authenticated user and ServiceAccount`},
		{"every ServiceAccount", map[string]string{"rampart:checkers": subjects("verifier", map[string]any{"kind": "Group", "name": "system:serviceaccounts"})},
			`rampart:checkers.verifier.subjects[0].name: "system:serviceaccounts"`},
		{"ServiceAccount without namespace", map[string]string{"rampart:checkers": subjects("verifier", map[string]any{"kind": "ServiceAccount", "name": "ci"})},
			`rampart:checkers.verifier.subjects[0].namespace: "": missing: a ServiceAccount lives in a namespace`},
		{"unknown subject kind", map[string]string{"rampart:checkers": subjects("auditor", map[string]any{"kind": "Robot", "name": "r2"})},
			`rampart:checkers.auditor.subjects[0].kind: "Robot": not an RBAC subject kind — use User, Group or ServiceAccount`},
		{"group with namespace", map[string]string{"rampart:checkers": subjects("auditor", map[string]any{"kind": "Group", "name": "oidc:ops", "namespace": "x"})},
			`rampart:checkers.auditor.subjects[0].namespace: "x": only a ServiceAccount has a namespace`},
		{"nobody holds the verifier role", map[string]string{"rampart:checkers": js(map[string]any{"verifier": map[string]any{"serviceAccount": false}})},
			`rampart:checkers.verifier.subjects: []: serviceAccount is false and no subject is named`},
		{"namespace outside the stack", map[string]string{"rampart:checkers": js(map[string]any{"namespace": "ops"})},
			`rampart:checkers.namespace: "ops": not a namespace of this stack`},
		{"tenant namespace", map[string]string{"rampart:checkers": js(map[string]any{"namespace": "team-a"})},
			`rampart:checkers.namespace: "team-a": a tenant namespace`},
		{"typo", map[string]string{"rampart:checkers": js(map[string]any{"auditer": map[string]any{}})},
			`rampart:checkers.auditer: (value not shown): unknown key — did you mean "auditor"?`},
		{"wrong type", map[string]string{"rampart:checkers": js(map[string]any{"enabled": "yes"})},
			`rampart:checkers.enabled: "yes": expected true or false`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			for k, v := range tc.set {
				cfg[k] = v
			}
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
