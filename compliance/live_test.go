package compliance_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/helpers/inventorykinds"
	"github.com/rampart-dev/rampart/inventory"
)

// created is when the out-of-band objects of these tests were created.
var created = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

// bootstrapRule is the fixtures' controller rule for the API server's
// bootstrap RBAC.
var bootstrapRule = inventory.Controller{Name: "kube-apiserver bootstrap RBAC", Kinds: []string{"ClusterRole", "ClusterRoleBinding"},
	Managers: []string{"kube-apiserver"}, Reason: "the API server creates and reconciles its bootstrap roles and bindings at every start"}

// liveOf is what the cluster returns when it runs exactly dep: every object
// of a listed kind in the state, declared, its state fields as its live
// JSON; plus the API server's bootstrap ClusterRoles and the bindings of
// system:basic-user and system:public-info-viewer to the broad groups.
func liveOf(t *testing.T, dep apitype.DeploymentV3) *inventory.Inventory {
	t.Helper()
	inv := &inventory.Inventory{Server: "https://127.0.0.1:6443", Read: created.Add(time.Hour),
		Controllers: []inventory.Controller{bootstrapRule}}
	for _, k := range inventorykinds.All {
		inv.Kinds = append(inv.Kinds, k.Group+"/"+k.Kind)
	}
	for _, r := range dep.Resources {
		rest, ok := strings.CutPrefix(string(r.Type), "kubernetes:")
		if !ok || r.Outputs == nil {
			continue
		}
		gv, kind, _ := strings.Cut(rest, ":")
		group, version, _ := strings.Cut(gv, "/")
		if group == "core" {
			group = ""
		}
		listed := slices.IndexFunc(inventorykinds.All, func(k inventorykinds.Kind) bool { return k.Group == group && k.Kind == kind })
		if listed < 0 {
			continue
		}
		obj := copyJSON(t, r.Outputs)
		delete(obj, "__inputs")
		md := obj["metadata"].(map[string]any)
		name, _ := md["name"].(string)
		ns, _ := md["namespace"].(string)
		if kind == "Namespace" {
			inv.Namespaces = append(inv.Namespaces, name)
		}
		apiVersion := version
		if group != "" {
			apiVersion = group + "/" + version
		}
		obj["apiVersion"], obj["kind"] = apiVersion, kind
		inv.Objects = append(inv.Objects, inventory.Object{Ref: inventory.Ref{Group: group, Kind: kind, Namespace: ns, Name: name},
			APIVersion: apiVersion, Object: obj, Origin: inventory.Declared, URN: string(r.URN), Manager: "pulumi-kubernetes", Created: created})
	}
	if len(inv.Namespaces) == 0 {
		t.Fatal("no namespace in the deployment")
	}
	for _, o := range []struct {
		kind, name string
		body       string
	}{
		{"ClusterRole", "cluster-admin", `{"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["*"]},{"nonResourceURLs":["*"],"verbs":["*"]}]}`},
		{"ClusterRole", "view", `{"rules":[{"apiGroups":[""],"resources":["pods","services","configmaps","endpoints"],"verbs":["get","list","watch"]}]}`},
		{"ClusterRole", "system:basic-user", `{"rules":[{"apiGroups":["authorization.k8s.io"],"resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"],"verbs":["create"]},{"apiGroups":["authentication.k8s.io"],"resources":["selfsubjectreviews"],"verbs":["create"]}]}`},
		{"ClusterRole", "system:public-info-viewer", `{"rules":[{"nonResourceURLs":["/healthz","/livez","/readyz","/version","/version/"],"verbs":["get"]}]}`},
		{"ClusterRoleBinding", "system:basic-user", `{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:basic-user"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"system:authenticated"}]}`},
		{"ClusterRoleBinding", "system:public-info-viewer", `{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:public-info-viewer"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"system:authenticated"},{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"system:unauthenticated"}]}`},
	} {
		inv.Objects = append(inv.Objects, liveObject(t, inventory.Ref{Group: "rbac.authorization.k8s.io", Kind: o.kind, Name: o.name}, o.body,
			inventory.KnownController, "kube-apiserver"))
		inv.Objects[len(inv.Objects)-1].Rule = bootstrapRule.Name
	}
	return inv
}

// liveObject is an object the stack does not declare, body its JSON
// without metadata.
func liveObject(t *testing.T, ref inventory.Ref, body string, origin inventory.Origin, manager string) inventory.Object {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(body), &obj); err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	md := map[string]any{"name": ref.Name}
	if ref.Namespace != "" {
		md["namespace"] = ref.Namespace
	}
	obj["metadata"] = md
	return inventory.Object{Ref: ref, APIVersion: "v1", Object: obj, Origin: origin, Manager: manager, Created: created}
}

func copyJSON(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// liveFind is the live object named ref.
func liveFind(t *testing.T, inv *inventory.Inventory, ref inventory.Ref) *inventory.Object {
	t.Helper()
	for i := range inv.Objects {
		if inv.Objects[i].Ref == ref {
			return &inv.Objects[i]
		}
	}
	t.Fatalf("no %s in the inventory", ref)
	return nil
}

// liveLocal is the local stack's state and the clean live read of it.
func liveLocal(t *testing.T) (apitype.DeploymentV3, *inventory.Inventory) {
	t.Helper()
	dep := renderedDeployment(t, "Pulumi.local.yaml")
	return dep, liveOf(t, dep)
}

// failingFact is the failing fact of item id about object, or fails the test.
func failingFact(t *testing.T, a *compliance.Assessment, id, object string) compliance.Evidence {
	t.Helper()
	r := verdictOf(t, a, id)
	if r.Verdict != compliance.Fail {
		t.Fatalf("%s = %s, want fail: %+v", id, r.Verdict, r.Evidence)
	}
	for _, e := range r.Evidence {
		if !e.OK && !e.Exempt && e.Object == object {
			return e
		}
	}
	t.Fatalf("%s: no failing fact about %s: %+v", id, object, r.Evidence)
	return compliance.Evidence{}
}

func sameItems(t *testing.T, a *compliance.Assessment, want ...string) {
	t.Helper()
	got := failing(a)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("failing items = %v, want %v", got, want)
	}
}

// TestAssessLive_CleanClusterPassesOnLiveFacts: the local stack's state and
// a cluster running exactly it fail nothing; the items whose kinds the
// inventory lists stand on live facts (tls-ingress, whose Gateway is not
// listed, on the state's), and the live read deploys the RBAC and webhook
// items the state alone leaves unjudged.
func TestAssessLive_CleanClusterPassesOnLiveFacts(t *testing.T) {
	dep, inv := liveLocal(t)
	a := compliance.AssessLive("local", dep, inv, now)
	if a.Failed() {
		t.Fatalf("failing items %v:\n%s", failing(a), rendered(t, a))
	}
	for _, id := range []string{"tls-ingress", "netpol", "pss-restricted", "ssrf-blocklist", "security-headers", "rbac-no-default-admin", "admission-webhooks"} {
		if r := verdictOf(t, a, id); r.Verdict != compliance.Pass {
			t.Errorf("%s = %s, want pass: %+v", id, r.Verdict, r.Evidence)
		}
	}
	for id, want := range map[string][]compliance.Source{
		"netpol":                {compliance.FromLive},
		"pss-restricted":        {compliance.FromLive},
		"rbac-no-default-admin": {compliance.FromLive},
		"tls-ingress":           {compliance.FromState},
	} {
		if got := verdictOf(t, a, id).Sources(); !slices.Equal(got, want) {
			t.Errorf("%s stands on %v, want %v", id, got, want)
		}
	}
	var ns, sa, crb bool
	for _, e := range verdictOf(t, a, "pss-restricted").Evidence {
		if e.Source != compliance.FromLive || e.Object == "" || e.Origin == "" {
			t.Errorf("pss-restricted fact without its live object: %+v", e)
		}
		ns = ns || e.Object == "Namespace team-a" && e.Field == `metadata.labels["`+namespace.LabelEnforce+`"]` && e.OK &&
			strings.HasSuffix(e.URN, "::team-a-ns") && e.Origin == "declared"
		sa = sa || e.Object == "ServiceAccount team-b/default" && e.Field == "automountServiceAccountToken" && e.Value == "false" && e.OK
	}
	for _, e := range verdictOf(t, a, "rbac-no-default-admin").Evidence {
		crb = crb || e.Object == "ClusterRoleBinding system:basic-user" && e.OK && e.URN == "" &&
			strings.Contains(e.Note, "API discovery and self-review for everyone") && e.Origin == "known-controller (kube-apiserver bootstrap RBAC)"
	}
	if !ns || !sa || !crb {
		t.Errorf("live facts missing: team-a's enforce label %v, team-b's default ServiceAccount %v, the bootstrap basic-user binding %v", ns, sa, crb)
	}
	if a.Live == nil || a.Live.Server != inv.Server || a.Live.Counts["declared"] == 0 || a.Live.Counts["known-controller"] != 6 ||
		len(a.Live.Unmanaged) != 0 || len(a.Live.Rules) != 1 {
		t.Errorf("live summary %+v", a.Live)
	}
	md := rendered(t, a)
	for _, want := range []string{"### Live cluster", "#### Unmanaged objects", "None: every object listed is declared",
		"#### Classification rules", "declared = in the stack's state; owned = follows ownerReferences to its root",
		"| kube-apiserver bootstrap RBAC | kinds ClusterRole, ClusterRoleBinding; field manager kube-apiserver | the API server creates",
		"| live |\n", "| state |\n"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

// TestAssessLive_UnmanagedAllowAllPolicyFailsNetpolNamingItsCreator: an
// allow-all policy created out of band in team-a, invisible to the state
// (Assess passes), fails netpol with the policy named as unmanaged with
// its creator, and the SSRF blocklist (its egress reaches every address).
func TestAssessLive_UnmanagedAllowAllPolicyFailsNetpolNamingItsCreator(t *testing.T) {
	dep, inv := liveLocal(t)
	inv.Objects = append(inv.Objects, liveObject(t, inventory.Ref{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "team-a", Name: "allow-all"},
		`{"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"],"ingress":[{}],"egress":[{}]}}`, inventory.Unmanaged, "kubectl-client-side-apply"))
	if got := failing(compliance.Assess("local", dep, now)); len(got) != 0 {
		t.Fatalf("the state alone fails %v: the test would prove nothing", got)
	}
	a := compliance.AssessLive("local", dep, inv, now)
	sameItems(t, a, "netpol", "ssrf-blocklist")
	e := failingFact(t, a, "netpol", "NetworkPolicy team-a/allow-all")
	if e.URN != "" || e.Source != compliance.FromLive || e.Origin != "unmanaged" || e.Creator != "earliest field manager kubectl-client-side-apply, created 2026-12-05T09:00:00Z" ||
		!strings.Contains(e.Note, "overrides team-a's default-deny") {
		t.Errorf("netpol fact %+v: want the policy, unmanaged, its creator, no URN", e)
	}
	md := rendered(t, a)
	for _, want := range []string{
		"| NetworkPolicy team-a/allow-all (unmanaged, earliest field manager kubectl-client-side-apply, created 2026-12-05T09:00:00Z) | `spec.ingress[0].from` |",
		"| NetworkPolicy | `NetworkPolicy team-a/allow-all` | unmanaged | earliest field manager kubectl-client-side-apply, created 2026-12-05T09:00:00Z |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if len(a.Live.Unmanaged) != 1 || a.Live.Counts["unmanaged"] != 1 {
		t.Errorf("live summary: unmanaged %+v, counts %v", a.Live.Unmanaged, a.Live.Counts)
	}
}

// TestAssessLive_DeclaredPolicyMissingLiveFails: a default-deny the state
// holds but the cluster lacks fails netpol (the state's copy, which still
// passes Assess, is not judged), named as declared and absent.
func TestAssessLive_DeclaredPolicyMissingLiveFails(t *testing.T) {
	dep, inv := liveLocal(t)
	ref := inventory.Ref{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "team-a", Name: netpol.DefaultDenyName}
	liveFind(t, inv, ref)
	inv.Objects = slices.DeleteFunc(inv.Objects, func(o inventory.Object) bool { return o.Ref == ref })
	if r := verdictOf(t, compliance.Assess("local", dep, now), "netpol"); r.Verdict != compliance.Pass {
		t.Fatalf("the state alone: netpol %s", r.Verdict)
	}
	a := compliance.AssessLive("local", dep, inv, now)
	sameItems(t, a, "netpol")
	gone := failingFact(t, a, "netpol", ref.String())
	if gone.Value != "absent from the cluster" || !strings.HasSuffix(gone.URN, "::team-a-policies-"+netpol.DefaultDenyName) || gone.Source != compliance.FromLive {
		t.Errorf("gone fact %+v", gone)
	}
	var absent bool
	for _, e := range verdictOf(t, a, "netpol").Evidence {
		absent = absent || !e.OK && strings.HasSuffix(e.URN, "::team-a-ns") && e.Value == "absent" && e.Source == compliance.FromLive
	}
	if !absent {
		t.Errorf("team-a's default-deny is not reported missing: %+v", verdictOf(t, a, "netpol").Evidence)
	}
	if !slices.Equal(a.Live.Gone, []string{ref.String()}) {
		t.Errorf("live summary gone = %v", a.Live.Gone)
	}
}
