package inventory

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/rampart-dev/rampart/helpers/inventorykinds"
)

func TestFirstManager(t *testing.T) {
	at := func(sec int) *metav1.Time {
		tm := metav1.NewTime(time.Date(2026, 12, 6, 10, 0, sec, 0, time.UTC))
		return &tm
	}
	for _, tc := range []struct {
		test    string
		entries []metav1.ManagedFieldsEntry
		want    string
	}{
		{"NoEntries", nil, ""},
		// The API server sorts Apply before Update: the list's first entry
		// is a later server-side apply, not the creator.
		{"EarliestTimeNotFirstInList", []metav1.ManagedFieldsEntry{
			{Manager: "clusterrole-aggregation-controller", Operation: metav1.ManagedFieldsOperationApply, Time: at(30)},
			{Manager: "kube-apiserver", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(1)},
		}, "kube-apiserver"},
		{"TieGoesToFirstInList", []metav1.ManagedFieldsEntry{
			{Manager: "envoy-gateway", Operation: metav1.ManagedFieldsOperationApply, Time: at(5)},
			{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(5)},
		}, "envoy-gateway"},
		{"UntimedEntryLosesToTimedOne", []metav1.ManagedFieldsEntry{
			{Manager: "unknown"},
			{Manager: "kubectl-create", Time: at(9)},
		}, "kubectl-create"},
	} {
		t.Run(tc.test, func(t *testing.T) {
			if got := FirstManager(tc.entries); got != tc.want {
				t.Errorf("FirstManager = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestObjectFrom_ReadsManagerAndStripsManagedFields(t *testing.T) {
	created := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetName("allow-all")
	u.SetNamespace("tenant-a")
	u.SetCreationTimestamp(metav1.NewTime(created))
	later, first := metav1.NewTime(created.Add(time.Hour)), metav1.NewTime(created)
	u.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "pulumi-kubernetes-9f", Operation: metav1.ManagedFieldsOperationApply, Time: &later},
		{Manager: "kubectl-client-side-apply", Operation: metav1.ManagedFieldsOperationUpdate, Time: &first},
	})
	k, _ := inventorykinds.Lookup("networking.k8s.io", "NetworkPolicy")

	o := objectFrom(u, k)

	if o.Manager != "kubectl-client-side-apply" || !o.Created.Equal(created) {
		t.Errorf("Manager=%q Created=%v, want kubectl-client-side-apply at %v", o.Manager, o.Created, created)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(o.Object, "metadata", "managedFields"); found {
		t.Error("managedFields kept in the stored object")
	}
	if len(u.GetManagedFields()) != 2 {
		t.Error("objectFrom modified the listed object")
	}
	want := Ref{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "tenant-a", Name: "allow-all"}
	if o.Ref != want || o.APIVersion != "networking.k8s.io/v1" || o.Object["kind"] != "NetworkPolicy" {
		t.Errorf("Ref=%v APIVersion=%q kind=%v, want %v networking.k8s.io/v1 NetworkPolicy", o.Ref, o.APIVersion, o.Object["kind"], want)
	}
}

func TestSortObjects_KindOrderThenNamespaceThenName(t *testing.T) {
	objs := []Object{
		{Ref: Ref{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "admin"}},
		{Ref: Ref{Kind: "Pod", Namespace: "b", Name: "a"}},
		{Ref: Ref{Kind: "Pod", Namespace: "a", Name: "z"}},
		{Ref: Ref{Kind: "Namespace", Name: "a"}},
		{Ref: Ref{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "b", Name: "deny"}},
		{Ref: Ref{Kind: "Pod", Namespace: "a", Name: "b"}},
	}
	SortObjects(objs)
	var got []string
	for _, o := range objs {
		got = append(got, o.Ref.String())
	}
	// NetworkPolicy is first in inventorykinds.All, Namespace after the
	// namespaced kinds: alphabetical order would differ.
	want := []string{"NetworkPolicy b/deny", "Pod a/b", "Pod a/z", "Pod b/a", "Namespace a", "ClusterRole admin"}
	if !slices.Equal(got, want) {
		t.Errorf("order = %q, want %q", got, want)
	}
}

func TestKindNames_SpellCoreAsCore(t *testing.T) {
	names := KindNames()
	if len(names) != len(inventorykinds.All) {
		t.Fatalf("%d names for %d kinds", len(names), len(inventorykinds.All))
	}
	for _, want := range []string{"core/Namespace", "core/Pod", "networking.k8s.io/NetworkPolicy", "rbac.authorization.k8s.io/ClusterRoleBinding"} {
		if !slices.Contains(names, want) {
			t.Errorf("KindNames lacks %q: %v", want, names)
		}
	}
}

func TestList_EveryClusterScopedKindHasAReachFilter(t *testing.T) {
	for _, k := range inventorykinds.All {
		if !k.Namespaced && !clusterScoped[k.Kind] {
			t.Errorf("%s is listed cluster-wide but List has no filter for it", kindName(k))
		}
	}
	for kind := range clusterScoped {
		if k, ok := inventorykinds.Lookup(kindGroup(kind), kind); !ok || k.Namespaced {
			t.Errorf("filter for %s, which inventorykinds.All does not list cluster-wide", kind)
		}
	}
}

// kindGroup finds a kind's group in inventorykinds.All.
func kindGroup(kind string) string {
	for _, k := range inventorykinds.All {
		if k.Kind == kind {
			return k.Group
		}
	}
	return ""
}

func TestAccessError_ForbiddenNamesResourceAndAuditorRole(t *testing.T) {
	k, _ := inventorykinds.Lookup("networking.k8s.io", "NetworkPolicy")
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "networking.k8s.io", Resource: "networkpolicies"}, "",
		errors.New(`User "ci" cannot list resource "networkpolicies"`))
	err := accessError("list", k, "tenant-a", forbidden)
	for _, want := range []string{"networkpolicies.networking.k8s.io", `"tenant-a"`, AuditorClusterRole, "rampart:checkers.auditor.subjects"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !apierrors.IsForbidden(err) {
		t.Error("the Forbidden must stay matchable (errors.As)")
	}
	other := accessError("list", k, "tenant-a", errors.New("connection refused"))
	if strings.Contains(other.Error(), AuditorClusterRole) {
		t.Errorf("a non-RBAC failure must not blame RBAC: %q", other)
	}
}

// TestObjectFrom_NumbersAreJSONShaped: the dynamic client decodes integers
// as int64, the state holds float64; the inventory hands out the state's
// shape, so a live port 53 equals a declared one (on the lab's node every
// live allow-dns policy read as "no port 53" before).
func TestObjectFrom_NumbersAreJSONShaped(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"egress": []any{map[string]any{"ports": []any{map[string]any{"port": int64(53), "protocol": "UDP"}}}}}}}
	u.SetName("allow-dns")
	k, _ := inventorykinds.Lookup("networking.k8s.io", "NetworkPolicy")
	o := objectFrom(u, k)
	port := o.Object["spec"].(map[string]any)["egress"].([]any)[0].(map[string]any)["ports"].([]any)[0].(map[string]any)["port"]
	if _, ok := port.(float64); !ok {
		t.Fatalf("live port is %T(%v), want float64 as in a Pulumi state", port, port)
	}
}

// TestObject_ProvenanceNamesTheEarliestFieldManager: managedFields keep
// each manager's LAST write, so the manager with the oldest entry is not
// provably the creator; what the reports show says "earliest field
// manager", never "created by".
func TestObject_ProvenanceNamesTheEarliestFieldManager(t *testing.T) {
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		o    Object
		want string
	}{
		{Object{Manager: "kubectl-create", Created: at}, "earliest field manager kubectl-create, created 2026-12-05T09:00:00Z"},
		{Object{Manager: "kubectl-create"}, "earliest field manager kubectl-create"},
		{Object{Created: at}, "no field manager, created 2026-12-05T09:00:00Z"},
		{Object{}, "unknown"},
	} {
		if got := tc.o.Provenance(); got != tc.want {
			t.Errorf("Provenance() = %q, want %q", got, tc.want)
		}
	}
	if EarliestManager(nil) != "" {
		t.Error("no managedFields: no manager")
	}
}
