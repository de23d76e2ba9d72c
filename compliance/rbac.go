package compliance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/inventory"
)

// rbacGroup is the RBAC API group.
const rbacGroup = "rbac.authorization.k8s.io"

// adminRoles are the user-facing ClusterRoles that are admin-like by name.
var adminRoles = []string{"cluster-admin", "admin", "edit"}

// broadGroups hold every identity of a kind: a binding to one binds
// everyone. system:anonymous is the user every unauthenticated request is.
var broadGroups = map[string][]string{
	"Group": {"system:authenticated", "system:unauthenticated", "system:serviceaccounts"},
	"User":  {"system:anonymous"},
}

// rbacResources are the resources whose write hands out permissions.
var rbacResources = []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"}

// selfReviews are the resources a user creates to ask what they may do.
var selfReviews = []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"}

// delegatedBinding is the typed rule under which a role that writes
// bindings is not admin-like.
var delegatedBinding = AllowRule{
	Name:   "Binding delegated to named roles",
	Grants: "create, update, patch, delete on rolebindings and clusterrolebindings, by a role whose every bind verb is narrowed by resourceNames to roles that are not admin-like",
	Reason: "the API server lets a subject write a binding only to a role whose rights it holds or may bind, so such a role hands out the named roles and nothing more " +
		"(rampart verify's verifier binds only its probe role); a named role the inventory lacks is judged by its name",
}

// bootstrapBroadRoles are the API server's bootstrap ClusterRoles bound to
// broad groups, each granting no more than broadGroupAllowance: a binding
// to one of them whose rules the inventory lacks is judged by this name.
var bootstrapBroadRoles = []string{"system:basic-user", "system:discovery", "system:public-info-viewer", "system:service-account-issuer-discovery"}

// broadGroupAllowance is the one typed rule under which a role may be
// bound to a broad group.
var broadGroupAllowance = AllowRule{
	Name:   "API discovery and self-review for everyone",
	Grants: "get/head on non-resource URLs; create on " + strings.Join(selfReviews, ", "),
	Reason: "exactly what kube-apiserver's bootstrap bindings (" + strings.Join(bootstrapBroadRoles, ", ") +
		") grant every user: discovery, health and asking what one may do; nothing on any object",
}

// checkRBAC: the realm's default roles (keycloak.go), and, when the live
// cluster was read, every RoleBinding of a managed namespace and every
// ClusterRoleBinding the inventory lists (liveRBAC).
func checkRBAC(s *state) (bool, []Evidence) {
	deployed, ev := checkDefaultRoles(s)
	if s.inv == nil {
		return deployed, ev
	}
	return true, append(ev, liveRBAC(s)...)
}

// liveRBAC judges each binding: an admin-like role bound to an identity of
// a managed namespace fails, and so does any role beyond
// broadGroupAllowance bound to a broad group.
func liveRBAC(s *state) []Evidence {
	var ev []Evidence
	for _, o := range s.liveObjs {
		r := o.live.Ref
		if r.Group == rbacGroup && (r.Kind == "ClusterRoleBinding" || r.Kind == "RoleBinding" && s.managedNamespace(r.Namespace)) {
			ev = append(ev, s.bindingEvidence(o))
		}
	}
	if len(ev) == 0 {
		ev = append(ev, Evidence{Field: "RoleBindings, ClusterRoleBindings", Value: "none", OK: true, Source: FromLive,
			Note: "no binding in a managed namespace, none reaching into one"})
	}
	return ev
}

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

// adminLike says why a role is admin-like ("" when it is not): its name,
// or a rule with * verbs or resources, escalate or impersonate, bind (but
// for bind narrowed by resourceNames to roles that are not admin-like), a
// write on RBAC objects (but for writes on bindings by a role whose every
// bind is so narrowed: boundedBinding), or, bound cluster-wide, a read of
// secrets. ns is the binding's namespace (where a named Role lives); depth
// stops the look into named roles after one step.
func (s *state) adminLike(name string, rules []rbacRule, cluster bool, ns string, depth int) string {
	if slices.Contains(adminRoles, name) {
		return "the " + name + " role"
	}
	bounded := s.boundedBinding(rules, cluster, ns, depth)
	for _, r := range rules {
		why := ""
		switch {
		case slices.Contains(r.verbs, "*"):
			why = "verbs *"
		case slices.Contains(r.resources, "*"):
			why = "resources *"
		case anyOf(r.verbs, "escalate", "impersonate"):
			why = "escalate or impersonate"
		case slices.Contains(r.verbs, "bind") && !s.bindsOnly(r, cluster, ns, depth):
			why = "bind"
		case anyOf(r.verbs, "create", "update", "patch", "delete", "deletecollection") &&
			anyOf(r.resources, rbacResources...) && anyOf(r.groups, rbacGroup, "*") &&
			!(bounded && allIn(r.resources, "rolebindings", "clusterrolebindings")):
			why = "writes RBAC objects"
		case cluster && anyOf(r.verbs, "get", "list", "watch") && slices.Contains(r.resources, "secrets") && anyOf(r.groups, "", "*"):
			why = "reads secrets in every namespace"
		default:
			continue
		}
		return why + ": " + describeRule(r)
	}
	return ""
}

// bindsOnly reports a bind rule narrowed by resourceNames to roles that are
// not admin-like (a named role the inventory lacks is judged by its name).
func (s *state) bindsOnly(r rbacRule, cluster bool, ns string, depth int) bool {
	if len(r.names) == 0 || depth > 0 {
		return false
	}
	for _, n := range r.names {
		role := s.liveRef(inventory.Ref{Group: rbacGroup, Kind: "ClusterRole", Name: n})
		if role == nil && ns != "" && slices.Contains(r.resources, "roles") {
			role = s.liveRef(inventory.Ref{Group: rbacGroup, Kind: "Role", Namespace: ns, Name: n})
		}
		var rules []rbacRule
		if role != nil {
			rules = rulesOf(role)
		}
		if s.adminLike(n, rules, cluster, ns, depth+1) != "" {
			return false
		}
	}
	return true
}

// boundedBinding reports a role that may bind only named roles that are
// not admin-like (delegatedBinding): the API server lets a subject write a
// binding only to a role whose rights it holds or may bind, so its writes
// on bindings hand out those roles and nothing more.
func (s *state) boundedBinding(rules []rbacRule, cluster bool, ns string, depth int) bool {
	binds := 0
	for _, r := range rules {
		if slices.Contains(r.verbs, "bind") {
			if !s.bindsOnly(r, cluster, ns, depth) {
				return false
			}
			binds++
		}
	}
	return binds > 0
}

// broadAllowed reports whether every rule stays within
// broadGroupAllowance, and names the first that does not.
func broadAllowed(rules []rbacRule) (bool, string) {
	for _, r := range rules {
		switch {
		case len(r.verbs) == 0:
		case len(r.urls) > 0 && len(r.resources) == 0 && allIn(r.verbs, "get", "head"):
		case len(r.urls) == 0 && len(r.resources) > 0 && allIn(r.resources, selfReviews...) && allIn(r.verbs, "create") &&
			allIn(r.groups, "authorization.k8s.io", "authentication.k8s.io"):
		default:
			return false, describeRule(r)
		}
	}
	return true, ""
}

// describeRule renders a rule: "get,list on pods,secrets" or "get on /healthz".
func describeRule(r rbacRule) string {
	what := r.resources
	if len(what) == 0 {
		what = r.urls
	}
	return strings.Join(r.verbs, ",") + " on " + strings.Join(what, ",")
}

// subjectsOf sorts a binding's subjects into the identities of managed
// namespaces and the broad groups, and renders them all.
func (s *state) subjectsOf(b *object) (all, inNS, broad []string) {
	for _, x := range listOf(b, "subjects") {
		m := asMap(x)
		kind, _ := m["kind"].(string)
		name, _ := m["name"].(string)
		ns, _ := m["namespace"].(string)
		text := kind + " " + name
		switch kind {
		case "ServiceAccount":
			if ns == "" {
				ns = b.live.Ref.Namespace
			}
			text = kind + " " + ns + "/" + name
			if s.managedNamespace(ns) {
				inNS = append(inNS, text)
			}
		case "Group":
			if n, ok := strings.CutPrefix(name, "system:serviceaccounts:"); ok && s.managedNamespace(n) {
				inNS = append(inNS, text)
			}
		case "User":
			if rest, ok := strings.CutPrefix(name, "system:serviceaccount:"); ok {
				if n, _, _ := strings.Cut(rest, ":"); s.managedNamespace(n) {
					inNS = append(inNS, text)
				}
			}
		}
		if slices.Contains(broadGroups[kind], name) {
			broad = append(broad, text)
		}
		all = append(all, text)
	}
	return all, inNS, broad
}

// bindingEvidence judges one RoleBinding or ClusterRoleBinding on the
// rules of its role as the inventory read them; a role the inventory lacks
// is judged by its name only, and the fact says so.
func (s *state) bindingEvidence(b *object) Evidence {
	ref := b.live.Ref
	cluster := ref.Kind == "ClusterRoleBinding"
	rr := asMap(asMap(b.Outputs)["roleRef"])
	rkind, _ := rr["kind"].(string)
	rname, _ := rr["name"].(string)
	var role *object
	switch rkind {
	case "ClusterRole":
		role = s.liveRef(inventory.Ref{Group: rbacGroup, Kind: rkind, Name: rname})
	case "Role":
		if !cluster {
			role = s.liveRef(inventory.Ref{Group: rbacGroup, Kind: rkind, Namespace: ref.Namespace, Name: rname})
		}
	}
	var rules []rbacRule
	if role != nil {
		rules = rulesOf(role)
	}
	all, inNS, broad := s.subjectsOf(b)
	roleText := rkind + " " + rname
	e := Evidence{URN: b.URN, Field: "roleRef → subjects", Value: roleText + " → " + strings.Join(all, ", "), OK: true}
	if len(all) == 0 {
		e.Value = roleText + " → (no subject)"
	}
	var notes []string
	if role == nil {
		notes = append(notes, roleText+" is not in the inventory: judged by its name only")
	}
	if why := s.adminLike(rname, rules, cluster, ref.Namespace, 0); why != "" && len(inNS) > 0 {
		e.OK = false
		notes = append(notes, fmt.Sprintf("admin-like role (%s) bound to %s of a managed namespace", why, strings.Join(inNS, ", ")))
	}
	if len(broad) > 0 {
		ok, why := broadAllowed(rules)
		if role == nil {
			ok, why = slices.Contains(bootstrapBroadRoles, rname), "rules unknown"
		}
		if ok {
			notes = append(notes, fmt.Sprintf("bound to %s under the rule %q (%s): %s", strings.Join(broad, ", "),
				broadGroupAllowance.Name, broadGroupAllowance.Grants, broadGroupAllowance.Reason))
		} else {
			e.OK = false
			notes = append(notes, fmt.Sprintf("%s grants %s to every identity of %s: a broad group gets no more than %q (%s)",
				roleText, why, strings.Join(broad, ", "), broadGroupAllowance.Name, broadGroupAllowance.Grants))
		}
	}
	if e.OK && len(inNS)+len(broad) == 0 {
		notes = append(notes, "binds no identity of a managed namespace and no broad group")
	} else if e.OK && len(inNS) > 0 {
		notes = append(notes, "the role is not admin-like")
	}
	e.Note = strings.Join(notes, "; ")
	return e
}
