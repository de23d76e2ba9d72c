package compliance

import (
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/inventory"
)

// rbacRule is one PolicyRule of a Role or ClusterRole.
type rbacRule struct {
	verbs, groups, resources, urls, names []string
}

func rulesOf(role *object) []rbacRule {
	var out []rbacRule
	for _, r := range listOf(role, "rules") {
		m := asMap(r)
		out = append(out, rbacRule{strs(m["verbs"]), strs(m["apiGroups"]), strs(m["resources"]), strs(m["nonResourceURLs"]), strs(m["resourceNames"])})
	}
	return out
}

// grants reports whether r allows one of verbs on resource (with its
// subresource: "pods/exec") of group, as the RBAC authorizer matches:
// "*" in verbs, groups or resources matches all, "*/exec" every resource's
// exec. resourceNames are not looked at: a grant narrowed to names still
// counts (the safe side).
func (r rbacRule) grants(group, resource string, verbs ...string) bool {
	if !anyOf(r.groups, group, "*") || !anyOf(r.verbs, append(verbs, "*")...) {
		return false
	}
	_, sub, hasSub := strings.Cut(resource, "/")
	for _, res := range r.resources {
		if res == "*" || res == resource || hasSub && res == "*/"+sub {
			return true
		}
	}
	return false
}

// grantsAny reports r.grants on any of resources.
func (r rbacRule) grantsAny(group string, resources []string, verbs ...string) bool {
	for _, res := range resources {
		if r.grants(group, res, verbs...) {
			return true
		}
	}
	return false
}

// strs reads a list of strings.
func strs(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func anyOf(have []string, want ...string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

func allIn(have []string, allowed ...string) bool {
	for _, h := range have {
		if !slices.Contains(allowed, h) {
			return false
		}
	}
	return true
}

// writeVerbs change an object.
var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

// workloads are the resources whose create (or pod-template edit) runs a
// pod: granted cluster-wide, a pod in kube-system can run as any of its
// controllers' ServiceAccounts (and mount their tokens), which is
// cluster-admin in a few steps.
var workloads = []struct {
	group     string
	resources []string
}{
	{"", []string{"pods", "replicationcontrollers"}},
	{"apps", []string{"deployments", "daemonsets", "statefulsets", "replicasets"}},
	{"batch", []string{"jobs", "cronjobs"}},
}

// podStreams are the pod subresources that run or reach a process in a
// container. A WebSocket exec is a GET request, so get counts beside
// create (the safe side).
var podStreams = []string{"pods/exec", "pods/attach", "pods/portforward"}

// admissionObjects are the admission configurations: writing one
// intercepts, rewrites or stops checking requests in every namespace (the
// verifier's policy among them).
var admissionObjects = []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations",
	"validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"}

// scope is where a binding grants its role: cluster-wide (a
// ClusterRoleBinding, or a RoleBinding in kube-system, whose controllers'
// ServiceAccounts hold cluster-wide rights) or in ns. held: the binding's
// RoleBinding writes are held by the stack's verifier admission policy
// (verifierHold), so the roles it may bind are judged where the policy
// lets it bind them, a throwaway namespace, not cluster-wide.
type scope struct {
	cluster bool
	ns      string
	held    bool
}

// kubeSystem is the namespace of the cluster's own controllers.
const kubeSystem = "kube-system"

// adminLike says why a role is admin-like ("" when it is not): its name,
// or a rule with * verbs or resources, escalate or impersonate, bind (but
// for bind narrowed by resourceNames to roles that are not admin-like), a
// write on RBAC objects (but for writes on bindings by a role whose every
// bind is so narrowed: boundedBinding), or, granted cluster-wide
// (clusterPowers): a read of secrets, a workload create, a token, a pod
// stream, the node proxy, CSR approval or an admission write. depth stops
// the look into named roles after one step.
func (s *state) adminLike(name string, rules []rbacRule, sc scope, depth int) string {
	if slices.Contains(adminRoles, name) {
		return "the " + name + " role"
	}
	bounded := s.boundedBinding(rules, sc, depth)
	for _, r := range rules {
		why := ""
		switch {
		case slices.Contains(r.verbs, "*"):
			why = "verbs *"
		case slices.Contains(r.resources, "*"):
			why = "resources *"
		case anyOf(r.verbs, "escalate", "impersonate"):
			why = "escalate or impersonate"
		case slices.Contains(r.verbs, "bind") && !s.bindsOnly(r, sc, depth):
			why = "bind"
		case anyOf(r.verbs, writeVerbs...) &&
			anyOf(r.resources, rbacResources...) && anyOf(r.groups, rbacGroup, "*") &&
			!(bounded && allIn(r.resources, "rolebindings", "clusterrolebindings")):
			why = "writes RBAC objects"
		case sc.cluster:
			why = clusterPowers(r)
		}
		if why != "" {
			return why + ": " + describeRule(r)
		}
	}
	return ""
}

// clusterPowers says why a rule granted cluster-wide is admin-like ("" when
// it is not): each of these lets its holder act as another identity or
// intercept every namespace's requests.
func clusterPowers(r rbacRule) string {
	for _, w := range workloads {
		if r.grantsAny(w.group, w.resources, "create", "update", "patch") {
			return "runs pods in every namespace (a pod can run as any ServiceAccount of its namespace, kube-system's included)"
		}
	}
	switch {
	case r.grants("", "secrets", "get", "list", "watch"):
		return "reads secrets in every namespace"
	case r.grants("", "serviceaccounts/token", "create"):
		return "mints ServiceAccount tokens in every namespace"
	case r.grantsAny("", podStreams, "create", "get"):
		return "execs, attaches or port-forwards into pods in every namespace"
	case r.grants("", "nodes/proxy", "get", "list", "watch", "create", "update", "patch", "delete"):
		return "reaches the kubelet API through nodes/proxy"
	case r.grants("certificates.k8s.io", "signers", "approve") && approvesKubernetesSigners(r):
		return "approves certificate requests for the kubernetes.io signers (client certificates for any user)"
	case r.grants("certificates.k8s.io", "certificatesigningrequests/approval", "update", "patch"):
		return "approves certificate signing requests"
	case r.grantsAny("admissionregistration.k8s.io", admissionObjects, writeVerbs...):
		return "writes admission webhooks or policies (intercepts or unblocks every namespace's requests)"
	}
	return ""
}

// approvesKubernetesSigners reports an approve grant not narrowed, by
// resourceNames, to signers outside kubernetes.io (cert-manager approves
// for issuers.cert-manager.io/* only, which mints no cluster credential).
func approvesKubernetesSigners(r rbacRule) bool {
	if len(r.names) == 0 {
		return true
	}
	for _, n := range r.names {
		if n == "*" || strings.HasPrefix(n, "kubernetes.io/") {
			return true
		}
	}
	return false
}

// bindsOnly reports a bind rule narrowed by resourceNames to roles that are
// not admin-like (a named role the inventory lacks is judged by its name),
// judged where the binding lets its subject write bindings: granted
// cluster-wide, it may write a RoleBinding in any namespace, kube-system
// included, so the named roles are judged as granted cluster-wide —
// unless the stack's verifier policy holds its writes (sc.held), which
// confines them to a throwaway namespace; granted in a namespace, it
// writes bindings there only.
func (s *state) bindsOnly(r rbacRule, sc scope, depth int) bool {
	if len(r.names) == 0 || depth > 0 {
		return false
	}
	named := scope{cluster: sc.cluster && !sc.held, ns: sc.ns}
	for _, n := range r.names {
		role := s.liveRef(inventory.Ref{Group: rbacGroup, Kind: "ClusterRole", Name: n})
		if role == nil && sc.ns != "" && slices.Contains(r.resources, "roles") {
			role = s.liveRef(inventory.Ref{Group: rbacGroup, Kind: "Role", Namespace: sc.ns, Name: n})
		}
		var rules []rbacRule
		if role != nil {
			rules = rulesOf(role)
		}
		if s.adminLike(n, rules, named, depth+1) != "" {
			return false
		}
	}
	return true
}

// boundedBinding reports a role that may bind only named roles that are
// not admin-like (delegatedBinding): the API server lets a subject write a
// binding only to a role whose rights it holds or may bind, so its writes
// on bindings hand out those roles and nothing more.
func (s *state) boundedBinding(rules []rbacRule, sc scope, depth int) bool {
	binds := 0
	for _, r := range rules {
		if slices.Contains(r.verbs, "bind") {
			if !s.bindsOnly(r, sc, depth) {
				return false
			}
			binds++
		}
	}
	return binds > 0
}

// describeRule renders a rule: "get,list on pods,secrets" or "get on /healthz".
func describeRule(r rbacRule) string {
	what := r.resources
	if len(what) == 0 {
		what = r.urls
	}
	return strings.Join(r.verbs, ",") + " on " + strings.Join(what, ",")
}
