package inventory

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// controllerPair is an owner kind and a dependent kind a built-in
// controller creates from it (apps and batch controllers, in the owner's
// namespace).
type controllerPair struct{ owner, dependent Ref }

// ControllerPairs are the only ownerReferences Classify follows: the ones
// kube-controller-manager writes when it creates a dependent from its
// controller. Any other reference (to a GatewayClass, a custom resource, a
// ClusterRole) is a field its writer chose, so it vouches for nothing.
var ControllerPairs = []controllerPair{
	{Ref{Group: "apps", Kind: "Deployment"}, Ref{Group: "apps", Kind: "ReplicaSet"}},
	{Ref{Group: "apps", Kind: "ReplicaSet"}, Ref{Kind: "Pod"}},
	{Ref{Group: "apps", Kind: "DaemonSet"}, Ref{Kind: "Pod"}},
	{Ref{Group: "apps", Kind: "StatefulSet"}, Ref{Kind: "Pod"}},
	{Ref{Group: "batch", Kind: "Job"}, Ref{Kind: "Pod"}},
	{Ref{Group: "batch", Kind: "CronJob"}, Ref{Group: "batch", Kind: "Job"}},
}

// Classify tells where each object comes from and returns the objects with
// Origin (and URN, Owner, OwnerOrigin, Rule) set; objs is not modified. The
// order is fixed, first match wins:
//
//  1. Declared: st.Declared holds its Ref (URN copied).
//  2. Owned: its controller ownerReference (controller: true) is one of
//     ControllerPairs, names an object listed in objs in the dependent's
//     namespace, and carries that object's live UID. The chain is followed
//     the same way up to the root: the first declared object, or the
//     first without such a reference, which is classified by itself (rules
//     3 and 4). Owner is the root, OwnerOrigin its origin, URN and Rule the
//     root's.
//  3. KnownController: the first rule whose every set field matches.
//  4. Unmanaged.
//
// Any other ownerReference is ignored, and the object is classified by
// itself: anyone who may write an object may write its ownerReferences,
// so a reference to a declared ClusterRole, GatewayClass or custom
// resource would otherwise launder an out-of-band webhook or pod into
// "owned by a declared object". The UID check stops a reference that names
// one object and carries another's UID (which Classify used to follow).
// What stays possible is a dependent forged with its real owner's name and
// UID (both readable); the API server's audit log is the proof there.
//
// Declared is tried first so that the stack's own objects never depend on
// a rule; Owned before rules so that a controller's pods follow whoever
// declared the controller.
func Classify(objs []Object, st State, rules []Controller) []Object {
	out := slices.Clone(objs)
	byRef := make(map[Ref]int, len(out))
	for i := range out {
		o := &out[i]
		o.Origin, o.URN, o.Owner, o.OwnerOrigin, o.Rule = "", "", nil, "", ""
		byRef[o.Ref] = i
	}
	for i := range out {
		o := &out[i]
		if urn, ok := st.Declared[o.Ref]; ok {
			o.Origin, o.URN = Declared, urn
			continue
		}
		if _, ok := controllerOwner(out, i, byRef); ok {
			root, origin, urn, rule := resolveRoot(out, i, byRef, st, rules)
			o.Origin, o.Owner, o.OwnerOrigin, o.URN, o.Rule = Owned, &root, origin, urn, rule
			continue
		}
		o.Origin, o.Rule = selfOrigin(o, rules)
	}
	return out
}

// selfOrigin classifies an object that is neither declared nor owned.
func selfOrigin(o *Object, rules []Controller) (Origin, string) {
	if r := matchRule(o, rules); r != nil {
		return KnownController, r.Name
	}
	return Unmanaged, ""
}

// controllerOwner is the index of out[i]'s owner when its controller
// reference is a ControllerPairs link to a listed object with that UID.
func controllerOwner(out []Object, i int, byRef map[Ref]int) (int, bool) {
	o := &out[i]
	u := meta(o)
	var ref *metav1.OwnerReference
	for _, r := range u.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller {
			ref = &r
			break
		}
	}
	if ref == nil || ref.UID == "" {
		return 0, false
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return 0, false
	}
	owner := Ref{Group: gv.Group, Kind: ref.Kind, Namespace: o.Ref.Namespace, Name: ref.Name}
	pair := controllerPair{Ref{Group: owner.Group, Kind: owner.Kind}, Ref{Group: o.Ref.Group, Kind: o.Ref.Kind}}
	if !slices.Contains(ControllerPairs, pair) {
		return 0, false
	}
	j, listed := byRef[owner]
	if !listed || meta(&out[j]).GetUID() != ref.UID {
		return 0, false
	}
	return j, true
}

// resolveRoot follows out[i]'s controller owners to the root and returns
// the root's Ref, origin, URN (declared root) and rule (known-controller
// root).
func resolveRoot(out []Object, i int, byRef map[Ref]int, st State, rules []Controller) (Ref, Origin, string, string) {
	seen := map[int]bool{i: true}
	cur := i
	for {
		o := &out[cur]
		if cur != i {
			if urn, ok := st.Declared[o.Ref]; ok {
				return o.Ref, Declared, urn, ""
			}
		}
		next, ok := controllerOwner(out, cur, byRef)
		if !ok {
			origin, rule := selfOrigin(o, rules)
			return o.Ref, origin, "", rule
		}
		if seen[next] {
			// ControllerPairs has no cycle, so a chain cannot loop; kept
			// as a guard against a future pair that would.
			return out[next].Ref, Unmanaged, "", ""
		}
		seen[next] = true
		cur = next
	}
}

// meta gives typed access to an object's metadata.
func meta(o *Object) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: o.Object}
}
