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
	// Namespaced: listed in each managed namespace; otherwise listed
	// cluster-wide and kept when it reaches into a managed namespace.
	Namespaced bool
	// Why says which control an object of this kind can weaken.
	Why string
}

// All are the kinds the live inventory lists, namespaced first.
var All = []Kind{
	{"networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true,
		"policies add up: one allow-all policy undoes a namespace's default-deny"},
	{"rbac.authorization.k8s.io", "v1", "roles", "Role", true,
		"a Role bound to a tenant's identities widens what they may do"},
	{"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true,
		"a RoleBinding can hand cluster-admin or a wide ClusterRole to a namespace's identities"},
	{"", "v1", "pods", "Pod", true,
		"a running pod that fails Pod Security restricted (admitted before a label was lowered, or mutated after)"},
	{"", "v1", "serviceaccounts", "ServiceAccount", true,
		"a ServiceAccount that automounts its token hands every pod using it an API credential"},
	{"apps", "v1", "deployments", "Deployment", true, "its pod template runs pods"},
	{"apps", "v1", "daemonsets", "DaemonSet", true, "its pod template runs pods"},
	{"apps", "v1", "statefulsets", "StatefulSet", true, "its pod template runs pods"},
	{"apps", "v1", "replicasets", "ReplicaSet", true, "its pod template runs pods"},
	{"batch", "v1", "jobs", "Job", true, "its pod template runs pods"},
	{"batch", "v1", "cronjobs", "CronJob", true, "its job template runs pods"},
	{"", "v1", "namespaces", "Namespace", false,
		"its pod-security labels set what admission enforces"},
	{"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false,
		"what a binding into a managed namespace grants"},
	{"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false,
		"binds a ClusterRole cluster-wide, to a managed namespace's identities or to every authenticated user"},
	{"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false,
		"an admission webhook sees (and can block) every matching request"},
	{"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false,
		"a mutating webhook can rewrite every matching pod after it was written"},
}
