// Package inventory lists, through the Kubernetes API, every live object
// that can weaken one of Rampart's controls in the namespaces a stack
// manages (and the cluster-scoped objects that reach into them), and tells
// for each where it comes from: declared by the stack (in its state), owned
// by another object (ownerReferences), created by a controller a typed rule
// names, or unmanaged (created out of band). A Pulumi refresh reads back
// only the objects in the state; this is what sees the rest.
//
// compliance judges the objects with the same item logic as the declared
// ones; drift reports the unmanaged ones as additions and prunes the ones
// the user names.
package inventory

import (
	"fmt"
	"time"
)

// Ref names one Kubernetes object: API group (empty for core), kind,
// namespace (empty when cluster-scoped) and name.
type Ref struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String is "Kind ns/name" ("Kind name" when cluster-scoped), the way
// reports and --prune name an object.
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// Origin is where a live object comes from.
type Origin string

// Origins, in the order classification tries them.
const (
	// Declared: the stack's state holds an object of this group, kind,
	// namespace and name.
	Declared Origin = "declared"
	// Owned: its controller ownerReference leads to the listed object a
	// built-in controller creates it from (ControllerPairs: a ReplicaSet's
	// Pod, a Deployment's ReplicaSet), with that object's UID; OwnerOrigin
	// says where the root owner comes from, and the object is unmanaged
	// exactly when its root owner is.
	Owned Origin = "owned"
	// KnownController: a typed Controller rule matches it (an object the
	// API server or a controller Rampart installs creates by itself).
	KnownController Origin = "known-controller"
	// Unmanaged: none of the above: created out of band.
	Unmanaged Origin = "unmanaged"
)

// Object is one live object with its classification.
type Object struct {
	Ref        Ref    `json:"ref"`
	APIVersion string `json:"apiVersion"`
	// Object is the live object as the API returned it (JSON shape),
	// managedFields removed.
	Object map[string]any `json:"object"`
	Origin Origin         `json:"origin"`
	// URN is the declaring resource's Pulumi URN (Declared, or Owned by a
	// declared root).
	URN string `json:"urn,omitempty"`
	// Owner is the root owner of an Owned object; OwnerOrigin its origin.
	Owner       *Ref   `json:"owner,omitempty"`
	OwnerOrigin Origin `json:"ownerOrigin,omitempty"`
	// Rule names the Controller rule that matched a KnownController object
	// (for an Owned object: the rule that matched its root owner).
	Rule string `json:"rule,omitempty"`
	// Manager is the earliest field manager (EarliestManager): of the
	// managedFields entries, the one whose time is the oldest
	// ("kubectl-client-side-apply", "pulumi-kubernetes-…"; empty when no
	// entry exists). An entry's time is its manager's LAST write, so this
	// is the manager whose last write is the oldest, usually the creator
	// but not provably: a creator that wrote again later (or whose fields
	// were all taken over) is not it. Created is the creationTimestamp.
	Manager string    `json:"manager,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

// IsUnmanaged reports an object nobody declared: unmanaged itself, or
// owned by an unmanaged root.
func (o *Object) IsUnmanaged() bool {
	return o.Origin == Unmanaged || (o.Origin == Owned && o.OwnerOrigin == Unmanaged)
}

// Creator is "<earliest field manager> at <creation time>", as drift's
// report shows it. The manager did not necessarily create the object (see
// Manager); Provenance says so in words.
func (o *Object) Creator() string {
	switch {
	case o.Manager != "" && !o.Created.IsZero():
		return fmt.Sprintf("%s at %s", o.Manager, o.Created.UTC().Format(time.RFC3339))
	case o.Manager != "":
		return o.Manager
	case !o.Created.IsZero():
		return "created " + o.Created.UTC().Format(time.RFC3339)
	}
	return "unknown"
}

// Provenance is what the compliance reports show about where an object
// comes from, as far as the API tells: "earliest field manager
// kubectl-create, created 2026-12-05T09:00:00Z". The earliest field
// manager is the one whose last write is the oldest, not proof of who
// created the object: the API server's audit log is.
func (o *Object) Provenance() string {
	created := ""
	if !o.Created.IsZero() {
		created = "created " + o.Created.UTC().Format(time.RFC3339)
	}
	switch {
	case o.Manager != "" && created != "":
		return "earliest field manager " + o.Manager + ", " + created
	case o.Manager != "":
		return "earliest field manager " + o.Manager
	case created != "":
		return "no field manager, " + created
	}
	return "unknown"
}

// Controller is a typed rule for objects a known controller creates by
// itself, so they are not reported as unmanaged. Every field set must
// match; the rule's Reason appears in the report.
type Controller struct {
	// Name identifies the rule in reports ("kube-apiserver bootstrap RBAC").
	Name string `json:"name"`
	// Kinds the rule applies to ("ServiceAccount"); empty: any.
	Kinds []string `json:"kinds,omitempty"`
	// Names the object must have (exact); empty: any.
	Names []string `json:"names,omitempty"`
	// Managers: the object's earliest field manager (Object.Manager) must be
	// one of these; "" matches an object without managedFields (one whose
	// writers set nothing but its name). Empty: any.
	Managers []string `json:"managers,omitempty"`
	// Labels the object must carry with these values; empty: any.
	Labels map[string]string `json:"labels,omitempty"`
	// Reason says why such objects are not out-of-band additions.
	Reason string `json:"reason"`
}

// Inventory is one read of the live cluster.
type Inventory struct {
	// Server is the API server's address the objects were read from.
	Server string `json:"server"`
	// Read is when the list calls were made.
	Read time.Time `json:"read"`
	// Namespaces are the managed namespaces listed (from the state).
	Namespaces []string `json:"namespaces"`
	// Kinds lists what was listed ("networking.k8s.io/NetworkPolicy").
	Kinds []string `json:"kinds"`
	// Controllers are the rules applied to tell known controllers' objects
	// from unmanaged ones.
	Controllers []Controller `json:"controllers"`
	// Objects in a stable order (kind, namespace, name).
	Objects []Object `json:"objects"`
}

// Unmanaged returns the objects nobody declared (see Object.IsUnmanaged).
func (inv *Inventory) Unmanaged() []Object {
	var out []Object
	for _, o := range inv.Objects {
		if o.IsUnmanaged() {
			out = append(out, o)
		}
	}
	return out
}
