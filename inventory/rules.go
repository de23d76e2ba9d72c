package inventory

import (
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// Rule names of DefaultControllers, for callers and tests that refer to one.
const (
	RuleBootstrapRBAC     = "kube-apiserver bootstrap RBAC"
	RuleDefaultSA         = "kube-controller-manager default ServiceAccount"
	RuleEnvoyGatewayProxy = "Envoy Gateway proxies"
)

// DefaultControllers are the typed rules applied by default, in the order
// they are tried. Each pairs what an object says about itself (a label, a
// name) with its earliest field manager (Object.Manager: the manager
// whose last write is the oldest, usually but not provably the creator),
// because a label alone is one kubectl command away from forged. The field
// manager is client-declared too (?fieldManager= on any write), so a rule
// lowers the bar, it does not prove: the API server's audit log (the user
// behind the create) is the proof, and the Reasons say so.
//
// Manager names were checked against the sources Rampart's lab builds
// (Kubernetes 1.34.4, Envoy Gateway 1.9.1). A field manager without an
// explicit name is the User-Agent's product token, i.e. the basename of
// the writing binary: a distribution that renames the binaries (k3s runs
// everything as "k3s") needs its own rules.
func DefaultControllers() []Controller {
	return []Controller{
		{
			Name:  RuleBootstrapRBAC,
			Kinds: []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"},
			// The rbac/bootstrap-roles post-start hook creates these through
			// the loopback client, which sets no User-Agent: client-go's
			// default, "kube-apiserver/<version> …", is the manager
			// (k8s.io/kubernetes pkg/registry/rbac/rest/storage_rbac.go).
			// The aggregated roles (admin, edit, view) also carry a later
			// "clusterrole-aggregation-controller" apply; the earliest entry
			// stays kube-apiserver's unless an upgrade's reconcile rewrites
			// the role, which reports it as unmanaged (the safe side).
			Managers: []string{"kube-apiserver"},
			Labels:   map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"},
			Reason: "default RBAC the API server creates at start (label kubernetes.io/bootstrapping=rbac-defaults, " +
				"earliest field manager kube-apiserver); both are client-settable, the audit log shows the real creator",
		},
		{
			Name:  RuleDefaultSA,
			Kinds: []string{"ServiceAccount"},
			Names: []string{"default"},
			// The serviceaccounts controller creates "default" with nothing
			// but a name, and the API server records no managedFields entry
			// for a write that sets only name and namespace (stripMeta in
			// k8s.io/apimachinery's managedfields): on 1.34 a fresh default
			// account has no manager at all, hence "". kube-controller-manager
			// is its User-Agent product token, kept for clusters whose token
			// controller still writes secrets into the account. Any field
			// someone else writes (automountServiceAccountToken: true, …)
			// makes them its earliest field manager and the account unmanaged.
			// Rampart's namespace component declares its own "default"
			// account; declared is tried before this rule.
			Managers: []string{"", "kube-controller-manager"},
			Reason: "the ServiceAccount kube-controller-manager creates in every namespace, " +
				"no field written by anyone else",
		},
		{
			Name: RuleEnvoyGatewayProxy,
			// Envoy Gateway server-side-applies its proxy (and rate-limit)
			// infrastructure with field owner "envoy-gateway"
			// (internal/infrastructure/kubernetes/infra_client.go). Their
			// ReplicaSets and Pods are written by kube-controller-manager and
			// are classified through their controller ownerReferences; the
			// proxies themselves carry an owner reference to their
			// GatewayClass or Gateway, which Classify does not follow (not a
			// ControllerPairs link: anyone may write one), so this rule is
			// what classifies them.
			Kinds:    []string{"Deployment", "DaemonSet", "ServiceAccount"},
			Managers: []string{"envoy-gateway"},
			Labels:   map[string]string{"app.kubernetes.io/managed-by": "envoy-gateway"},
			Reason: "Envoy proxies the Envoy Gateway controller Rampart installs creates for each Gateway " +
				"(label app.kubernetes.io/managed-by=envoy-gateway, earliest field manager envoy-gateway)",
		},
	}
}

// Matches reports whether every field the rule sets matches o. A rule that
// sets no field matches every object.
func (c Controller) Matches(o *Object) bool {
	if len(c.Kinds) > 0 && !slices.Contains(c.Kinds, o.Ref.Kind) {
		return false
	}
	if len(c.Names) > 0 && !slices.Contains(c.Names, o.Ref.Name) {
		return false
	}
	if len(c.Managers) > 0 && !slices.Contains(c.Managers, o.Manager) {
		return false
	}
	if len(c.Labels) > 0 {
		live := (&unstructured.Unstructured{Object: o.Object}).GetLabels()
		if !labels.SelectorFromSet(c.Labels).Matches(labels.Set(live)) {
			return false
		}
	}
	return true
}

// matchRule is the first rule that matches o, or nil.
func matchRule(o *Object, rules []Controller) *Controller {
	for i := range rules {
		if rules[i].Matches(o) {
			return &rules[i]
		}
	}
	return nil
}
