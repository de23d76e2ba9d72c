package drift

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/helpers/inventorykinds"
	"github.com/rampart-dev/rampart/inventory"
)

// Addition is a live object in a managed namespace (or a cluster-scoped one
// that reaches into one) that the stack does not declare, that no typed
// controller rule accounts for, and that is not owned by a declared or
// known object: something created out of band. A Pulumi refresh never sees
// it, because it reads back only the objects in the state.
type Addition struct {
	// Object is how reports and --prune name it: "Kind ns/name".
	Object    string `json:"object"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Creator is the field manager and creation time, as far as the API
	// tells.
	Creator string `json:"creator"`
	// Why is the control an object of this kind can weaken.
	Why string `json:"why"`
	// Dependents counts the listed objects it owns (a Deployment's
	// ReplicaSets and Pods), which go with it when it is pruned.
	Dependents int `json:"dependents,omitempty"`
}

// additions are inv's unmanaged roots: objects classified unmanaged, and
// objects owned by an unmanaged root that is not itself listed (deleting
// them is then the only way to remove them). Owned objects of a listed
// unmanaged root are counted on the root, whose deletion takes them along.
func additions(inv *inventory.Inventory) (adds []Addition, objs []inventory.Object) {
	listed := map[inventory.Ref]bool{}
	for _, o := range inv.Objects {
		listed[o.Ref] = true
	}
	deps := map[inventory.Ref]int{}
	for _, o := range inv.Objects {
		if o.Origin == inventory.Owned && o.OwnerOrigin == inventory.Unmanaged && o.Owner != nil && listed[*o.Owner] {
			deps[*o.Owner]++
		}
	}
	for _, o := range inv.Objects {
		root := o.Origin == inventory.Unmanaged ||
			(o.Origin == inventory.Owned && o.OwnerOrigin == inventory.Unmanaged && (o.Owner == nil || !listed[*o.Owner]))
		if !root {
			continue
		}
		adds = append(adds, Addition{Object: o.Ref.String(), Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name,
			Creator: o.Provenance(), Why: why(o.Ref), Dependents: deps[o.Ref]})
		objs = append(objs, o)
	}
	return adds, objs
}

// why is the inventorykinds reason for ref's kind.
func why(ref inventory.Ref) string {
	if k, ok := inventorykinds.Lookup(ref.Group, ref.Kind); ok {
		return k.Why
	}
	return "listed by the live inventory"
}

// AddLive adds the live inventory's additions to the report: the report
// drifts when any is found. The inventory is kept for Prunable.
func (r *Report) AddLive(inv *inventory.Inventory) {
	r.Additions, r.live = additions(inv)
	r.Inventoried = true
	if len(r.Additions) > 0 {
		r.Drifted = true
	}
}

// Prunable resolves --prune names against the report's additions, in the
// report's order: "all" selects every namespaced addition (a
// cluster-scoped one — a webhook configuration a cloud provider installed,
// a ClusterRoleBinding — reaches beyond the stack's namespaces and is
// deleted only when named); any other name must be exactly an addition's
// Object ("RoleBinding team-b/admin"), a name given twice counting once. Declared and known
// objects can never be selected; a name that is not an addition is an
// error listing the ones that are, and nothing is selected.
func (r *Report) Prunable(names []string) ([]inventory.Object, error) {
	if len(names) == 0 {
		return nil, nil
	}
	var out []inventory.Object
	picked := map[int]bool{}
	if slices.Contains(names, "all") {
		for i, o := range r.live {
			if o.Ref.Namespace != "" {
				picked[i] = true
			}
		}
	}
	var bad []string
	for _, n := range names {
		if n == "all" {
			continue
		}
		i := slices.IndexFunc(r.Additions, func(a Addition) bool { return a.Object == n })
		if i < 0 {
			bad = append(bad, fmt.Sprintf("%q", n))
			continue
		}
		picked[i] = true
	}
	if len(bad) > 0 {
		known := make([]string, 0, len(r.Additions))
		for _, a := range r.Additions {
			known = append(known, fmt.Sprintf("%q", a.Object))
		}
		return nil, fmt.Errorf("drift: --prune %s: not an unmanaged object of stack %s (the unmanaged ones are: %s); nothing was deleted",
			strings.Join(bad, ", "), r.Stack, cmp.Or(strings.Join(known, ", "), "none"))
	}
	for i, o := range r.live {
		if picked[i] {
			out = append(out, o)
		}
	}
	return out, nil
}
