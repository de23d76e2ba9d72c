package inventory

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/pager"

	"github.com/rampart-dev/rampart/helpers/inventorykinds"
)

// AuditorClusterRole names, for error messages, the read-only roles the
// stack renders from inventorykinds.All (components/auditor): the
// ClusterRole "<namespace>-auditor" for the cluster-scoped kinds and
// "<namespace>-auditor-namespaced", bound in each managed namespace, for
// the rest (<namespace> is rampart:checkers.namespace, rampart-system by
// default; the stack output "checkers" lists them). Their ServiceAccount
// rampart-auditor holds every get/list List makes.
const AuditorClusterRole = "rampart-system-auditor"

// clusterScoped are the cluster-scoped kinds List knows how to filter to
// the ones reaching into a managed namespace. A cluster-scoped kind added
// to inventorykinds.All without a filter here makes List fail rather than
// list the whole cluster or nothing.
var clusterScoped = map[string]bool{
	"Namespace":                        true,
	"ClusterRoleBinding":               true,
	"ClusterRole":                      true,
	"ValidatingWebhookConfiguration":   true,
	"MutatingWebhookConfiguration":     true,
	"ValidatingAdmissionPolicy":        true,
	"ValidatingAdmissionPolicyBinding": true,
}

// allNamespaces are the namespaced kinds List knows how to list across
// every namespace (inventorykinds.Kind.AllNamespaces) and filter to the
// ones in or reaching into a managed namespace; the same failure as
// clusterScoped guards a kind added without one.
var allNamespaces = map[string]bool{
	"RoleBinding": true,
}

// List reads every kind of inventorykinds.All that reaches into st's
// namespaces and classifies each object (Classify):
//
//   - each managed Namespace (one missing live is absent from Objects, and
//     nothing is listed in it);
//   - the namespaced kinds, in each managed namespace that exists;
//     RoleBindings with one call across every namespace, keeping those in
//     a managed namespace and those elsewhere whose subjects are a managed
//     namespace's identities (SubjectsIn);
//   - ClusterRoleBindings that BindingReaches the managed namespaces, or
//     that bind cluster-admin to a user or group (GrantsClusterAdmin);
//   - ClusterRoles bound by those or by a kept RoleBinding
//     (ReferencedClusterRoles);
//   - webhook configurations whose webhooks could intercept a request in a
//     managed namespace (WebhooksReach, on the namespaces' live labels);
//   - the ValidatingAdmissionPolicies and bindings that are or name the
//     stack's own (listAdmissionPolicies).
//
// Any failed call fails List: a Forbidden names the resource and the
// ClusterRole that grants it, since an inventory that skipped a kind would
// report a clean cluster it never read.
func List(ctx context.Context, c *Client, st State, rules []Controller) (*Inventory, error) {
	if c == nil || c.Dynamic == nil {
		return nil, errors.New("inventory: no client; build one with Connect")
	}
	for _, k := range inventorykinds.All {
		if !k.Namespaced && !clusterScoped[k.Kind] {
			return nil, fmt.Errorf("inventory: inventorykinds.All lists cluster-scoped %s but package inventory has no filter for it; add one to list.go", kindName(k))
		}
		if k.Namespaced && k.AllNamespaces && !allNamespaces[k.Kind] {
			return nil, fmt.Errorf("inventory: inventorykinds.All lists %s across every namespace but package inventory has no filter for it; add one to list.go", kindName(k))
		}
	}
	inv := &Inventory{
		Server:      c.Host,
		Read:        time.Now().UTC(),
		Namespaces:  slices.Compact(slices.Sorted(slices.Values(st.Namespaces))),
		Kinds:       KindNames(),
		Controllers: slices.Clone(rules),
	}
	var objs []Object

	// Managed namespaces: their live labels feed the webhook filter.
	nsKind, _ := inventorykinds.Lookup("", "Namespace")
	nsLabels := map[string]map[string]string{}
	for _, ns := range inv.Namespaces {
		u, err := c.Dynamic.Resource(gvr(nsKind)).Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, accessError("get", nsKind, ns, err)
		}
		nsLabels[ns] = u.GetLabels()
		objs = append(objs, objectFrom(u, nsKind))
	}
	live := slices.Sorted(maps.Keys(nsLabels))

	for _, k := range inventorykinds.All {
		switch {
		case !k.Namespaced:
			continue
		case k.AllNamespaces:
			// One call across every namespace: a RoleBinding in kube-system
			// can grant a managed namespace's ServiceAccount admin there.
			got, err := listKind(ctx, c, k, "", func(o *Object) (bool, error) {
				if _, in := nsLabels[o.Ref.Namespace]; in {
					return true, nil
				}
				subjects, _, err := bindingSubjects(o.Object)
				return SubjectsIn(subjects, inv.Namespaces), err
			})
			if err != nil {
				return nil, err
			}
			objs = append(objs, got...)
			continue
		}
		for _, ns := range live {
			got, err := listKind(ctx, c, k, ns, nil)
			if err != nil {
				return nil, err
			}
			objs = append(objs, got...)
		}
	}

	crbKind, _ := inventorykinds.Lookup("rbac.authorization.k8s.io", "ClusterRoleBinding")
	crbs, err := listKind(ctx, c, crbKind, "", func(o *Object) (bool, error) {
		subjects, ref, err := bindingSubjects(o.Object)
		return BindingReaches(subjects, inv.Namespaces) || GrantsClusterAdmin(subjects, ref, inv.Namespaces), err
	})
	if err != nil {
		return nil, err
	}
	objs = append(objs, crbs...)

	bound, err := ReferencedClusterRoles(objs)
	if err != nil {
		return nil, err
	}
	crKind, _ := inventorykinds.Lookup("rbac.authorization.k8s.io", "ClusterRole")
	crs, err := listKind(ctx, c, crKind, "", func(o *Object) (bool, error) { return bound[o.Ref.Name], nil })
	if err != nil {
		return nil, err
	}
	objs = append(objs, crs...)

	for _, name := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		k, _ := inventorykinds.Lookup("admissionregistration.k8s.io", name)
		got, err := listKind(ctx, c, k, "", func(o *Object) (bool, error) {
			sels, err := webhookSelectors(o.Ref.Kind, o.Object)
			return WebhooksReach(sels, nsLabels), err
		})
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}

	policies, err := listAdmissionPolicies(ctx, c, st)
	if err != nil {
		return nil, err
	}
	objs = append(objs, policies...)

	inv.Objects = Classify(objs, st, rules)
	SortObjects(inv.Objects)
	return inv, nil
}

// listAdmissionPolicies lists the ValidatingAdmissionPolicies and their
// bindings that touch the stack's own: a declared one, a binding whose
// policyName is a declared policy, a policy a declared binding names. They
// are read because the stack's verifier policy is what holds the
// verifier's delegated RoleBinding writes (compliance judges that binding
// on them). Other policies are left out: a policy can only deny, so one
// the stack does not know of weakens no control, and listing them would
// report every other tool's policy as drift.
func listAdmissionPolicies(ctx context.Context, c *Client, st State) ([]Object, error) {
	declared := map[string]map[string]bool{"ValidatingAdmissionPolicy": {}, "ValidatingAdmissionPolicyBinding": {}}
	for r := range st.Declared {
		if r.Group == admissionGroup && declared[r.Kind] != nil {
			declared[r.Kind][r.Name] = true
		}
	}
	bk, _ := inventorykinds.Lookup(admissionGroup, "ValidatingAdmissionPolicyBinding")
	bindings, err := listKind(ctx, c, bk, "", func(o *Object) (bool, error) {
		policy, _, _ := unstructured.NestedString(o.Object, "spec", "policyName")
		return declared[bk.Kind][o.Ref.Name] || declared["ValidatingAdmissionPolicy"][policy], nil
	})
	if err != nil {
		return nil, err
	}
	named := maps.Clone(declared["ValidatingAdmissionPolicy"])
	for _, b := range bindings {
		if declared[bk.Kind][b.Ref.Name] {
			policy, _, _ := unstructured.NestedString(b.Object, "spec", "policyName")
			named[policy] = true
		}
	}
	pk, _ := inventorykinds.Lookup(admissionGroup, "ValidatingAdmissionPolicy")
	policies, err := listKind(ctx, c, pk, "", func(o *Object) (bool, error) { return named[o.Ref.Name], nil })
	if err != nil {
		return nil, err
	}
	return append(bindings, policies...), nil
}

// admissionGroup is the admission registration API group.
const admissionGroup = "admissionregistration.k8s.io"

// listKind pages through the objects of kind k in namespace ns ("" for
// cluster-wide) and returns those keep accepts (nil: all).
func listKind(ctx context.Context, c *Client, k inventorykinds.Kind, ns string, keep func(*Object) (bool, error)) ([]Object, error) {
	ri := c.Dynamic.Resource(gvr(k)).Namespace(ns)
	p := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		return ri.List(ctx, opts)
	})
	var out []Object
	err := p.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return fmt.Errorf("unexpected list item %T", obj)
		}
		o := objectFrom(u, k)
		if keep != nil {
			ok, err := keep(&o)
			if err != nil {
				return fmt.Errorf("%s: %w", o.Ref, err)
			}
			if !ok {
				return nil
			}
		}
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, accessError("list", k, ns, err)
	}
	return out, nil
}

// accessError wraps a failed call with the resource and, for a Forbidden,
// the fix.
func accessError(verb string, k inventorykinds.Kind, ns string, err error) error {
	where := "cluster-wide"
	if ns != "" {
		where = fmt.Sprintf("in namespace %q", ns)
	}
	if k.Kind == "Namespace" && ns != "" {
		where = fmt.Sprintf("%q", ns)
	}
	res := gvr(k).GroupResource().String()
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("%s %s %s: forbidden (%w); the stack's auditor roles (%s and its -namespaced twin; stack output \"checkers\") grant get/list on %s: use the rampart-auditor ServiceAccount's token, or name this identity in rampart:checkers.auditor.subjects",
			verb, res, where, err, AuditorClusterRole, res)
	}
	return fmt.Errorf("%s %s %s: %w", verb, res, where, err)
}

// objectFrom makes an Object of a live object: Manager (its earliest
// field manager) read from its managedFields (then stripped), Created from its creationTimestamp.
// Origin is left for Classify.
func objectFrom(u *unstructured.Unstructured, k inventorykinds.Kind) Object {
	u = u.DeepCopy()
	manager := EarliestManager(u.GetManagedFields())
	u.SetManagedFields(nil)
	gv := schema.GroupVersion{Group: k.Group, Version: k.Version}
	u.SetAPIVersion(gv.String())
	u.SetKind(k.Kind)
	return Object{
		Ref:        Ref{Group: k.Group, Kind: k.Kind, Namespace: u.GetNamespace(), Name: u.GetName()},
		APIVersion: gv.String(),
		Object:     jsonShape(u.Object),
		Manager:    manager,
		Created:    u.GetCreationTimestamp().UTC(),
	}
}

// jsonShape is obj as encoding/json decodes it: numbers float64, as in a
// Pulumi state, so every reader of Object sees one shape. The dynamic
// client decodes integers as int64: a port 53 read live would otherwise
// compare unequal to the state's 53 (found on the lab's node: every live
// allow-dns policy read as "no port 53").
func jsonShape(obj map[string]any) map[string]any {
	b, err := json.Marshal(obj)
	if err != nil {
		return obj // unstructured content always marshals; keep it as is otherwise
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return obj
	}
	return out
}

// EarliestManager is the manager of the managedFields entry with the
// earliest time (ties and untimed entries: the first in the list): the
// earliest field manager. An entry's time is when its manager LAST wrote,
// so this is the manager whose last write is the oldest — usually the
// creator, not provably: a creator that wrote again since, or whose
// fields another manager took over, is not it. The API server keeps no
// creator field; its audit log is the record. The list's first entry is
// not the answer either: the API server sorts managedFields by operation
// before time (Apply before Update), so a later server-side apply would
// come first.
func EarliestManager(entries []metav1.ManagedFieldsEntry) string {
	best := -1
	for i, e := range entries {
		switch {
		case best < 0:
			best = i
		case e.Time == nil:
		case entries[best].Time == nil || e.Time.Before(entries[best].Time):
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return entries[best].Manager
}

// FirstManager is EarliestManager under its former name.
//
// Deprecated: the name suggested the creator, which managedFields cannot
// tell; use EarliestManager.
func FirstManager(entries []metav1.ManagedFieldsEntry) string { return EarliestManager(entries) }

// SortObjects orders objects by kind (the order of inventorykinds.All),
// namespace, then name: the stable order reports and diffs rely on.
func SortObjects(objs []Object) {
	order := map[[2]string]int{}
	for i, k := range inventorykinds.All {
		order[[2]string{k.Group, k.Kind}] = i
	}
	rank := func(r Ref) int {
		if i, ok := order[[2]string{r.Group, r.Kind}]; ok {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(objs, func(a, b Object) int {
		return cmp.Or(
			cmp.Compare(rank(a.Ref), rank(b.Ref)),
			cmp.Compare(a.Ref.Namespace, b.Ref.Namespace),
			cmp.Compare(a.Ref.Name, b.Ref.Name),
		)
	})
}

// KindNames lists inventorykinds.All as "group/Kind", the core group as
// "core/Kind" (core/Namespace, networking.k8s.io/NetworkPolicy).
func KindNames() []string {
	out := make([]string, 0, len(inventorykinds.All))
	for _, k := range inventorykinds.All {
		out = append(out, kindName(k))
	}
	return out
}

func kindName(k inventorykinds.Kind) string {
	return cmp.Or(k.Group, "core") + "/" + k.Kind
}

// gvr is the REST resource of a kind.
func gvr(k inventorykinds.Kind) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource}
}
