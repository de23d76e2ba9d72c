package drift

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/inventory"
)

// liveFixture is an inventory with one object of each origin: a declared
// policy, an unmanaged allow-all, an unmanaged Deployment with a ReplicaSet
// and a Pod it owns, a pod owned by an unmanaged object the inventory does
// not list, a known controller's ServiceAccount and a declared Deployment's
// ReplicaSet.
func liveFixture() *inventory.Inventory {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	ref := func(group, kind, ns, name string) inventory.Ref {
		return inventory.Ref{Group: group, Kind: kind, Namespace: ns, Name: name}
	}
	evil := ref("apps", "Deployment", "team-a", "miner")
	crd := ref("example.com", "Widget", "team-a", "w")
	web := ref("apps", "Deployment", "team-a", "web")
	return &inventory.Inventory{Objects: []inventory.Object{
		{Ref: ref("networking.k8s.io", "NetworkPolicy", "team-a", "default-deny"), Origin: inventory.Declared, URN: "urn:x"},
		{Ref: ref("networking.k8s.io", "NetworkPolicy", "team-a", "allow-all"), Origin: inventory.Unmanaged,
			Manager: "kubectl-client-side-apply", Created: at},
		{Ref: evil, Origin: inventory.Unmanaged, Manager: "kubectl-create", Created: at},
		{Ref: ref("apps", "ReplicaSet", "team-a", "miner-1"), Origin: inventory.Owned, Owner: &evil, OwnerOrigin: inventory.Unmanaged},
		{Ref: ref("", "Pod", "team-a", "miner-1-x"), Origin: inventory.Owned, Owner: &evil, OwnerOrigin: inventory.Unmanaged},
		{Ref: ref("", "Pod", "team-a", "w-pod"), Origin: inventory.Owned, Owner: &crd, OwnerOrigin: inventory.Unmanaged},
		{Ref: ref("", "ServiceAccount", "team-a", "default"), Origin: inventory.KnownController, Rule: "kube-controller-manager default ServiceAccount"},
		{Ref: ref("apps", "ReplicaSet", "team-a", "web-1"), Origin: inventory.Owned, Owner: &web, OwnerOrigin: inventory.Declared},
	}}
}

func TestAddLive_ReportsUnmanagedRootsOnly(t *testing.T) {
	r := &Report{Stack: "local"}
	r.AddLive(liveFixture())
	var got []string
	for _, a := range r.Additions {
		got = append(got, a.Object)
	}
	want := []string{"NetworkPolicy team-a/allow-all", "Deployment team-a/miner", "Pod team-a/w-pod"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("additions = %q, want %q (declared, known and declared-owned objects are no additions; owned objects of a listed root go with it)", got, want)
	}
	if !r.Drifted || !r.Inventoried {
		t.Errorf("Drifted=%v Inventoried=%v, want both true", r.Drifted, r.Inventoried)
	}
	if r.Additions[1].Dependents != 2 {
		t.Errorf("miner's dependents = %d, want its ReplicaSet and Pod (2)", r.Additions[1].Dependents)
	}
	if c := r.Additions[0].Creator; c != "earliest field manager kubectl-client-side-apply, created 2026-12-06T10:00:00Z" {
		t.Errorf("creator = %q", c)
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Unmanaged objects", "NetworkPolicy team-a/allow-all", "Deployment team-a/miner (+2 owned)", "policies add up"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("Markdown lacks %q:\n%s", s, md.String())
		}
	}
}

func TestAddLive_CleanClusterDoesNotDrift(t *testing.T) {
	inv := liveFixture()
	var clean []inventory.Object
	for _, o := range inv.Objects {
		if !o.IsUnmanaged() {
			clean = append(clean, o)
		}
	}
	inv.Objects = clean
	r := &Report{Stack: "local"}
	r.AddLive(inv)
	if r.Drifted || len(r.Additions) != 0 {
		t.Fatalf("a cluster with only declared, owned-by-declared and known objects drifts: %+v", r.Additions)
	}
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "no unmanaged object") {
		t.Errorf("Markdown does not say the namespaces were listed: %s", md.String())
	}
}

func TestPrunable_SelectsOnlyNamedAdditions(t *testing.T) {
	r := &Report{Stack: "local"}
	r.AddLive(liveFixture())
	all, err := r.Prunable([]string{"all"})
	if err != nil || len(all) != 3 {
		t.Fatalf("--prune all = %d objects, %v; want the 3 additions", len(all), err)
	}
	one, err := r.Prunable([]string{"NetworkPolicy team-a/allow-all"})
	if err != nil || len(one) != 1 || one[0].Ref.Name != "allow-all" {
		t.Fatalf("--prune allow-all = %+v, %v", one, err)
	}
	for _, names := range [][]string{
		{"NetworkPolicy team-a/default-deny"},                           // declared: never prunable
		{"ServiceAccount team-a/default"},                               // known controller
		{"ReplicaSet team-a/miner-1"},                                   // goes with its root
		{"NetworkPolicy team-a/allow-all", "NetworkPolicy team-a/typo"}, // one bad name selects nothing
	} {
		got, err := r.Prunable(names)
		if err == nil || got != nil {
			t.Errorf("--prune %q selected %d objects (err %v); want an error and nothing selected", names, len(got), err)
		}
	}
	if _, err := r.Prunable([]string{"x"}); err == nil || !strings.Contains(err.Error(), `"Deployment team-a/miner"`) {
		t.Errorf("the error does not list the prunable objects: %v", err)
	}
}

// --prune all never selects a cluster-scoped object (it may be a cloud
// provider's webhook); naming it does. A name given twice counts once, so
// the "left" count cannot reach zero with objects left.
func TestPrunable_AllSkipsClusterScopedAndNamesCountOnce(t *testing.T) {
	inv := liveFixture()
	inv.Objects = append(inv.Objects, inventory.Object{
		Ref: inventory.Ref{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration", Name: "cloud-identity"}, Origin: inventory.Unmanaged})
	r := &Report{Stack: "local"}
	r.AddLive(inv)
	all, err := r.Prunable([]string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range all {
		if o.Ref.Namespace == "" {
			t.Errorf("--prune all selected the cluster-scoped %s", o.Ref)
		}
	}
	if len(all) != 3 {
		t.Errorf("--prune all = %d objects, want the 3 namespaced additions", len(all))
	}
	named, err := r.Prunable([]string{"MutatingWebhookConfiguration cloud-identity", "MutatingWebhookConfiguration cloud-identity"})
	if err != nil || len(named) != 1 {
		t.Errorf("a cluster-scoped addition named twice = %d objects (%v), want 1", len(named), err)
	}
}

// Text an out-of-band writer controls (a field manager) renders inert in
// the Markdown that lands in a GitHub issue.
func TestMarkdown_EscapesWhatAWriterControls(t *testing.T) {
	r := &Report{Stack: "local"}
	r.AddLive(&inventory.Inventory{Objects: []inventory.Object{{
		Ref: inventory.Ref{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "team-a", Name: "x"}, Origin: inventory.Unmanaged,
		Manager: "@org/sec [click](https://evil.example) <img src=x> | y"}}})
	var md bytes.Buffer
	if err := r.Markdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"[click](", "<img", "@org", " | y"} {
		if strings.Contains(md.String(), bad) {
			t.Errorf("Markdown keeps %q live:\n%s", bad, md.String())
		}
	}
}
