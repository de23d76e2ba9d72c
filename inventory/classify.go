package inventory

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Classify tells where each object comes from and returns the objects with
// Origin (and URN, Owner, OwnerOrigin, Rule) set; objs is not modified. The
// order is fixed, first match wins:
//
//  1. Declared: st.Declared holds its Ref (URN copied).
//  2. Owned: it has ownerReferences. The chain is followed through objs by
//     owner UID (the controller reference, else the first) up to the root:
//     the first declared object, an object without owners, or an owner not
//     in objs, which is looked up in st.Declared by the group and kind of
//     its apiVersion, its name, and the dependent's namespace (then none,
//     for cluster-scoped owners). Owner is the root, OwnerOrigin its origin
//     (declared, known-controller or unmanaged: an unlisted, undeclared
//     root is unmanaged), URN and Rule the root's.
//  3. KnownController: the first rule whose every set field matches.
//  4. Unmanaged.
//
// Declared is tried first so that the stack's own objects never depend on
// a rule; Owned before rules so that a controller's pods follow whoever
// declared the controller.
func Classify(objs []Object, st State, rules []Controller) []Object {
	out := slices.Clone(objs)
	byUID := make(map[types.UID]int, len(out))
	for i := range out {
		o := &out[i]
		o.Origin, o.URN, o.Owner, o.OwnerOrigin, o.Rule = "", "", nil, "", ""
		if uid := meta(o).GetUID(); uid != "" {
			byUID[uid] = i
		}
	}
	for i := range out {
		o := &out[i]
		if urn, ok := st.Declared[o.Ref]; ok {
			o.Origin, o.URN = Declared, urn
			continue
		}
		if len(meta(o).GetOwnerReferences()) > 0 {
			root, origin, urn, rule := resolveRoot(out, i, byUID, st, rules)
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

// resolveRoot follows out[i]'s owners to the root and returns the root's
// Ref, origin, URN (declared root) and rule (known-controller root).
func resolveRoot(out []Object, i int, byUID map[types.UID]int, st State, rules []Controller) (Ref, Origin, string, string) {
	seen := map[int]bool{i: true}
	cur := i
	for {
		o := &out[cur]
		if cur != i {
			if urn, ok := st.Declared[o.Ref]; ok {
				return o.Ref, Declared, urn, ""
			}
		}
		ref, ok := ownerOf(meta(o).GetOwnerReferences())
		if !ok {
			origin, rule := selfOrigin(o, rules)
			return o.Ref, origin, "", rule
		}
		next, listed := byUID[ref.UID]
		if !listed {
			return unlistedRoot(ref, o.Ref.Namespace, st)
		}
		if seen[next] {
			// A cycle cannot be created through the API's garbage
			// collector semantics; if one is read, nothing vouches for it.
			return out[next].Ref, Unmanaged, "", ""
		}
		seen[next] = true
		cur = next
	}
}

// ownerOf picks the reference to follow: the controller, else the first.
func ownerOf(refs []metav1.OwnerReference) (metav1.OwnerReference, bool) {
	if len(refs) == 0 {
		return metav1.OwnerReference{}, false
	}
	for _, r := range refs {
		if r.Controller != nil && *r.Controller {
			return r, true
		}
	}
	return refs[0], true
}

// unlistedRoot classifies an owner the inventory did not list (a
// GatewayClass, a custom resource) from the state alone. Owners live in
// their dependent's namespace or are cluster-scoped (the API forbids
// cross-namespace owners), so both are tried.
func unlistedRoot(ref metav1.OwnerReference, depNS string, st State) (Ref, Origin, string, string) {
	gv, _ := schema.ParseGroupVersion(ref.APIVersion)
	root := Ref{Group: gv.Group, Kind: ref.Kind, Namespace: depNS, Name: ref.Name}
	for _, ns := range []string{depNS, ""} {
		r := root
		r.Namespace = ns
		if urn, ok := st.Declared[r]; ok {
			return r, Declared, urn, ""
		}
	}
	if k, ok := kindOf(root.Group, root.Kind); ok && !k.Namespaced {
		root.Namespace = ""
	}
	return root, Unmanaged, "", ""
}

// meta gives typed access to an object's metadata.
func meta(o *Object) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: o.Object}
}
