// Package inventorykinds is the one list of the Kubernetes kinds Rampart's
// live inventory reads (package inventory) — and so exactly the get/list
// the read-only auditor ClusterRole grants (components/auditor). Keeping it
// in one place means the role can never drift from what the inventory
// needs: a kind added here is listed and granted at once.
package inventorykinds

// Kind is one listed resource.
type Kind struct {
	// Group is the API group ("" for core), Version its version.
	Group, Version string
	// Resource is the plural resource name RBAC and the REST path use.
	Resource string
	// Kind is the object's kind.
	Kind string
	// Namespaced: the kind's objects live in a namespace. A namespaced kind
	// is listed in each managed namespace (unless AllNamespaces); a
	// cluster-scoped one is listed cluster-wide and kept when it reaches
	// into a managed namespace.
	Namespaced bool
	// AllNamespaces: a namespaced kind listed with one call across every
	// namespace, because an object outside the managed namespaces can
	// reach into them (a RoleBinding in kube-system granting a tenant's
	// ServiceAccount admin there). The inventory keeps those in a managed
	// namespace and those that reach one; the auditor's grant is then
	// cluster-wide.
	AllNamespaces bool
	// Why says which control an object of this kind can weaken.
	Why string
}

// ListedClusterWide reports a kind the inventory lists with one
// cluster-wide call (cluster-scoped, or AllNamespaces): the auditor's
// cluster-wide role grants it, not the role bound in each namespace.
func (k Kind) ListedClusterWide() bool { return !k.Namespaced || k.AllNamespaces }

// All are the kinds the live inventory lists, namespaced first.
var All = []Kind{
	{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies", Kind: "NetworkPolicy", Namespaced: true,
		Why: "policies add up: one allow-all policy undoes a namespace's default-deny"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles", Kind: "Role", Namespaced: true,
		Why: "a Role bound to a tenant's identities widens what they may do"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings", Kind: "RoleBinding", Namespaced: true, AllNamespaces: true,
		Why: "a RoleBinding can hand cluster-admin or a wide ClusterRole to a namespace's identities, in their namespace or in any other (kube-system included)"},
	{Group: "", Version: "v1", Resource: "pods", Kind: "Pod", Namespaced: true,
		Why: "a running pod that fails Pod Security restricted (admitted before a label was lowered, or mutated after)"},
	{Group: "", Version: "v1", Resource: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true,
		Why: "a ServiceAccount that automounts its token hands every pod using it an API credential"},
	{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Namespaced: true, Why: "its pod template runs pods"},
	{Group: "apps", Version: "v1", Resource: "daemonsets", Kind: "DaemonSet", Namespaced: true, Why: "its pod template runs pods"},
	{Group: "apps", Version: "v1", Resource: "statefulsets", Kind: "StatefulSet", Namespaced: true, Why: "its pod template runs pods"},
	{Group: "apps", Version: "v1", Resource: "replicasets", Kind: "ReplicaSet", Namespaced: true, Why: "its pod template runs pods"},
	{Group: "batch", Version: "v1", Resource: "jobs", Kind: "Job", Namespaced: true, Why: "its pod template runs pods"},
	{Group: "batch", Version: "v1", Resource: "cronjobs", Kind: "CronJob", Namespaced: true, Why: "its job template runs pods"},
	{Group: "", Version: "v1", Resource: "namespaces", Kind: "Namespace",
		Why: "its pod-security labels set what admission enforces"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles", Kind: "ClusterRole",
		Why: "what a binding into a managed namespace grants"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings", Kind: "ClusterRoleBinding",
		Why: "binds a ClusterRole cluster-wide, to a managed namespace's identities or to every authenticated user"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations", Kind: "ValidatingWebhookConfiguration",
		Why: "an admission webhook sees (and can block) every matching request"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations", Kind: "MutatingWebhookConfiguration",
		Why: "a mutating webhook can rewrite every matching pod after it was written"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicies", Kind: "ValidatingAdmissionPolicy",
		Why: "the stack's verifier policy is what holds the verifier's delegated RoleBinding writes to probes; an Ignore failurePolicy lets them through"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicybindings", Kind: "ValidatingAdmissionPolicyBinding",
		Why: "a policy enforces nothing unless a binding with validationActions Deny applies it"},
}

// Lookup is the listed kind of group ("" for core) and kind, if the
// inventory lists it.
func Lookup(group, kind string) (Kind, bool) {
	for _, k := range All {
		if k.Group == group && k.Kind == kind {
			return k, true
		}
	}
	return Kind{}, false
}
