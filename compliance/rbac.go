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
	Name: "Binding delegated to named roles",
	Grants: "create, update, patch, delete on rolebindings and clusterrolebindings, by a role whose every bind verb is narrowed by resourceNames to roles " +
		"that are not admin-like when granted cluster-wide — or, for the stack's verifier, not admin-like in a namespace while the stack's " +
		"verifier ValidatingAdmissionPolicy (failurePolicy Fail) is live and bound with validationActions Deny",
	Reason: "the API server lets a subject write a binding only to a role whose rights it holds or may bind, so such a role hands out the named roles and nothing more; " +
		"granted cluster-wide, a RoleBinding can be written in any namespace, kube-system included, so the named roles count as granted cluster-wide unless an admission policy " +
		"confines the writes (rampart verify's verifier: its policy lets it bind only its probe role, in its own rampart-verify-* namespace); " +
		"a named role the inventory lacks is judged by its name",
}

// bootstrapBroadRoles are the API server's bootstrap ClusterRoles bound to
// broad groups, each granting no more than broadGroupAllowance: a binding
// to one of them whose rules the inventory lacks is judged by this name.
var bootstrapBroadRoles = []string{"system:basic-user", "system:discovery", "system:public-info-viewer", "system:service-account-issuer-discovery"}

// bootstrapURLs are exactly the non-resource URLs the bootstrap roles bound
// to broad groups grant (Kubernetes v1.34, plugin/pkg/auth/authorizer/rbac/
// bootstrappolicy: system:discovery, system:public-info-viewer,
// system:service-account-issuer-discovery). Anything else (/metrics,
// /debug/*, /logs, "*") is not for everyone.
var bootstrapURLs = []string{
	"/api", "/api/*", "/apis", "/apis/*",
	"/healthz", "/livez", "/readyz", "/version", "/version/",
	"/openapi", "/openapi/*",
	"/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/",
}

// broadGroupAllowance is the one typed rule under which a role may be
// bound to a broad group.
var broadGroupAllowance = AllowRule{
	Name: "API discovery and self-review for everyone",
	Grants: "get/head on the non-resource URLs " + strings.Join(bootstrapURLs, " ") +
		"; create on " + strings.Join(selfReviews, ", "),
	Reason: "exactly what kube-apiserver's bootstrap bindings (" + strings.Join(bootstrapBroadRoles, ", ") +
		") grant every user: discovery, health, the ServiceAccount issuer's keys and asking what one may do; nothing on any object",
}

// checkRBAC: the realm's default roles (keycloak.go), and, when the live
// cluster was read, every RoleBinding and ClusterRoleBinding the inventory
// lists (liveRBAC).
func checkRBAC(s *state) (bool, []Evidence) {
	deployed, ev := checkDefaultRoles(s)
	if s.inv == nil {
		return deployed, ev
	}
	return true, append(ev, liveRBAC(s)...)
}

// liveRBAC judges each binding: an admin-like role bound to an identity of
// a managed namespace fails, and so does any role beyond
// broadGroupAllowance bound to a broad group. The RoleBindings are those
// of the managed namespaces and those elsewhere (kube-system, …) that name
// a managed namespace's identities: the inventory keeps only these.
func liveRBAC(s *state) []Evidence {
	var ev []Evidence
	for _, o := range s.liveObjs {
		r := o.live.Ref
		if r.Group == rbacGroup && (r.Kind == "ClusterRoleBinding" || r.Kind == "RoleBinding") {
			ev = append(ev, s.bindingEvidence(o))
		}
	}
	if len(ev) == 0 {
		ev = append(ev, Evidence{Field: "RoleBindings, ClusterRoleBindings", Value: "none", OK: true, Source: FromLive,
			Note: "no binding in a managed namespace, none reaching into one"})
	}
	return ev
}

// broadAllowed reports whether every rule stays within
// broadGroupAllowance, and names the first that does not.
func broadAllowed(rules []rbacRule) (bool, string) {
	for _, r := range rules {
		switch {
		case len(r.verbs) == 0:
		case len(r.urls) > 0 && len(r.resources) == 0 && allIn(r.verbs, "get", "head") && allIn(r.urls, bootstrapURLs...):
		case len(r.urls) == 0 && len(r.resources) > 0 && allIn(r.resources, selfReviews...) && allIn(r.verbs, "create") &&
			allIn(r.groups, "authorization.k8s.io", "authentication.k8s.io"):
		default:
			return false, describeRule(r)
		}
	}
	return true, ""
}

// subject is one subject of a binding.
type subject struct{ kind, name, namespace string }

// identity is how the API server names the subject in a request's
// userInfo: the username of a User or ServiceAccount, a Group's name.
func (x subject) identity() string {
	if x.kind == "ServiceAccount" {
		return "system:serviceaccount:" + x.namespace + ":" + x.name
	}
	return x.name
}

// subjectsOf sorts a binding's subjects into the identities of managed
// namespaces and the broad groups, and renders them all.
func (s *state) subjectsOf(b *object) (subjects []subject, all, inNS, broad []string) {
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
		subjects = append(subjects, subject{kind, name, ns})
		all = append(all, text)
	}
	return subjects, all, inNS, broad
}

// bindingEvidence judges one RoleBinding or ClusterRoleBinding on the
// rules of its role as the inventory read them; a role the inventory lacks
// is judged by its name only, and the fact says so. A RoleBinding in
// kube-system is judged as cluster-wide: a pod there can run as the
// cluster's own controllers.
func (s *state) bindingEvidence(b *object) Evidence {
	ref := b.live.Ref
	sc := scope{cluster: ref.Kind == "ClusterRoleBinding" || ref.Namespace == kubeSystem, ns: ref.Namespace}
	rr := asMap(asMap(b.Outputs)["roleRef"])
	rkind, _ := rr["kind"].(string)
	rname, _ := rr["name"].(string)
	var role *object
	switch rkind {
	case "ClusterRole":
		role = s.liveRef(inventory.Ref{Group: rbacGroup, Kind: rkind, Name: rname})
	case "Role":
		if ref.Kind == "RoleBinding" {
			role = s.liveRef(inventory.Ref{Group: rbacGroup, Kind: rkind, Namespace: ref.Namespace, Name: rname})
		}
	}
	var rules []rbacRule
	if role != nil {
		rules = rulesOf(role)
	}
	subjects, all, inNS, broad := s.subjectsOf(b)
	roleText := rkind + " " + rname
	e := Evidence{URN: b.URN, Field: "roleRef → subjects", Value: roleText + " → " + strings.Join(all, ", "), OK: true}
	if len(all) == 0 {
		e.Value = roleText + " → (no subject)"
	}
	var notes []string
	outside := ref.Kind == "RoleBinding" && !s.managedNamespace(ref.Namespace)
	switch {
	case role == nil && rkind == "Role" && outside && len(inNS) > 0:
		e.OK = false
		notes = append(notes, fmt.Sprintf("%s lives in %s, outside the managed namespaces, where the inventory reads no Role: what it grants to %s is unknown, so it is not accepted",
			roleText, ref.Namespace, strings.Join(inNS, ", ")))
	case role == nil:
		notes = append(notes, roleText+" is not in the inventory: judged by its name only")
	}
	if outside && len(inNS) > 0 {
		notes = append(notes, fmt.Sprintf("a RoleBinding in %s, outside the managed namespaces, binding their identities", ref.Namespace))
	}
	if sc.cluster && ref.Kind == "RoleBinding" {
		notes = append(notes, "judged as cluster-wide: a pod in kube-system can run as the cluster's own controllers")
	}
	why, heldBy := s.adminLike(rname, rules, sc, 0), false
	if why != "" && len(inNS) > 0 && sc.cluster {
		held := sc
		held.held = true
		if s.adminLike(rname, rules, held, 0) == "" {
			// Admin-like only because the roles it may bind are judged
			// cluster-wide: the stack's verifier policy may confine that.
			hold := s.verifierHold(subjects)
			if hold.ok {
				why, heldBy = "", true
			}
			notes = append(notes, hold.note)
		}
	}
	if why != "" && len(inNS) > 0 {
		e.OK = false
		notes = append(notes, fmt.Sprintf("admin-like role (%s) bound to %s of a managed namespace", why, strings.Join(inNS, ", ")))
	}
	if len(broad) > 0 {
		ok, what := broadAllowed(rules)
		if role == nil {
			ok, what = slices.Contains(bootstrapBroadRoles, rname), "rules unknown"
		}
		if ok {
			notes = append(notes, fmt.Sprintf("bound to %s under the rule %q (%s): %s", strings.Join(broad, ", "),
				broadGroupAllowance.Name, broadGroupAllowance.Grants, broadGroupAllowance.Reason))
		} else {
			e.OK = false
			notes = append(notes, fmt.Sprintf("%s grants %s to every identity of %s: a broad group gets no more than %q (%s)",
				roleText, what, strings.Join(broad, ", "), broadGroupAllowance.Name, broadGroupAllowance.Grants))
		}
	}
	if e.OK && len(inNS)+len(broad) == 0 {
		notes = append(notes, "binds no identity of a managed namespace and no broad group")
	} else if e.OK && len(inNS) > 0 && !heldBy {
		notes = append(notes, "the role is not admin-like")
	}
	e.Note = strings.Join(notes, "; ")
	return e
}
