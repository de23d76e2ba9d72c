package compliance

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/components/rbac"
	"github.com/rampart-dev/rampart/helpers/identity"
	"github.com/rampart-dev/rampart/inventory"
)

// Type tokens of the RBAC objects the item reads.
const (
	clusterRoleType        = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
	clusterRoleBindingType = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
	roleBindingType        = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
)

// bootstrapSuperuser is the typed rule under which cluster-admin is bound
// outside the break-glass: the API server's own binding to system:masters.
var bootstrapSuperuser = AllowRule{
	Name:   "The API server's superuser binding",
	Grants: "ClusterRole cluster-admin to Group system:masters, by the ClusterRoleBinding cluster-admin",
	Reason: "kube-apiserver recreates it at every start (bootstrap policy), and system:masters bypasses RBAC whatever is bound: " +
		"who holds a system:masters client certificate is the control, not this binding",
}

// rbacSetup is what the stack's rbac output says the bindings should be.
type rbacSetup struct {
	prefix     string
	roles      map[identity.Role]string
	tenants    []string
	breakGlass map[string]string // binding, group, justification, approvedBy, control
}

// rbacSetupOf reads the stack's rbac output (the component's defaults
// where a key is missing) and the tenants: those the output binds and
// every namespace the state labels a tenant, so a tenant the RBAC
// component left out is still missed.
func (s *state) rbacSetupOf() rbacSetup {
	r := rbacSetup{prefix: rbac.DefaultGroupsPrefix, roles: rbac.ObjectNames(rbac.DefaultNamePrefix).Roles, breakGlass: map[string]string{}}
	if v, ok := s.output("rbac.groupsPrefix"); ok {
		if p, ok := v.(string); ok && p != "" {
			r.prefix = p
		}
	}
	if v, ok := s.output("rbac.roles"); ok {
		for k, name := range asMap(v) {
			if n, ok := name.(string); ok {
				r.roles[identity.Role(k)] = n
			}
		}
	}
	if v, ok := s.output("rbac.breakGlass"); ok {
		for k, x := range asMap(v) {
			if str, ok := x.(string); ok {
				r.breakGlass[k] = str
			}
		}
	}
	seen := map[string]bool{}
	if v, ok := s.output("rbac.tenantBindings"); ok {
		for t := range asMap(v) {
			seen[t] = true
		}
	}
	for _, ns := range s.byType(namespaceType) {
		if v, _ := ns.get(field("metadata.labels", tierLabel)); v == "tenant" {
			seen[ns.str("metadata.name")] = true
		}
	}
	for t := range seen {
		if t != "" {
			r.tenants = append(r.tenants, t)
		}
	}
	sort.Strings(r.tenants)
	return r
}

// checkRBACBindings: with rampart:rbac deployed, (a) cluster-admin is
// bound to no group or user but under the typed break-glass (shown as an
// exemption with its record), (b) no binding names a broad group (the API
// server's own discovery bindings aside, live), (c) every tenant has a
// RoleBinding per tenant role to its group, and (d) the roles keep least
// verbs. Read from the state, and from the live cluster when it was read
// (the inventory keeps every binding of cluster-admin to a user or group,
// every binding to a broad group and the RoleBindings of the managed
// namespaces).
func checkRBACBindings(s *state) (bool, []Evidence) {
	comp, ok := s.component(rbac.TypeToken, "rbac")
	if !ok {
		return false, nil
	}
	setup := s.rbacSetupOf()
	var ev []Evidence
	ev = append(ev, s.clusterAdminEvidence(comp, setup)...)
	ev = append(ev, s.broadBindingEvidence(comp)...)
	ev = append(ev, s.tenantBindingEvidence(comp, setup)...)
	ev = append(ev, s.roleEvidence(comp, setup)...)
	return true, ev
}

// bindings are every RoleBinding and ClusterRoleBinding the state (merged
// with the live cluster, when read) holds.
func (s *state) bindings() []*object {
	return append(append([]*object(nil), s.byType(clusterRoleBindingType)...), s.byType(roleBindingType)...)
}

// bindingRef is a binding's roleRef kind and name.
func bindingRef(b *object) (kind, name string) {
	v, _ := b.get("roleRef")
	rr := asMap(v)
	kind, _ = rr["kind"].(string)
	name, _ = rr["name"].(string)
	return kind, name
}

// bindingName is "ClusterRoleBinding name" or "RoleBinding ns/name".
func bindingName(b *object) string {
	if b.Type == roleBindingType {
		return "RoleBinding " + b.str("metadata.namespace") + "/" + b.str("metadata.name")
	}
	return "ClusterRoleBinding " + b.str("metadata.name")
}

// subjectsOfBinding are a binding's subjects as {kind, name}.
func subjectsOfBinding(b *object) []subject {
	var out []subject
	for _, x := range listOf(b, "subjects") {
		m := asMap(x)
		kind, _ := m["kind"].(string)
		name, _ := m["name"].(string)
		ns, _ := m["namespace"].(string)
		out = append(out, subject{kind, name, ns})
	}
	return out
}

// clusterAdminEvidence: item (a).
func (s *state) clusterAdminEvidence(comp *object, setup rbacSetup) []Evidence {
	var ev []Evidence
	bg := setup.breakGlass
	for _, b := range s.bindings() {
		kind, role := bindingRef(b)
		if kind != "ClusterRole" || role != rbac.ClusterAdmin {
			continue
		}
		for _, x := range subjectsOfBinding(b) {
			if x.kind != "Group" && x.kind != "User" {
				continue
			}
			e := Evidence{URN: b.URN, Field: bindingName(b) + " roleRef → subject", Value: "ClusterRole cluster-admin → " + x.kind + " " + x.name}
			rec, typed := s.breakGlassOf(b, bg)
			switch {
			case typed && x.kind == "Group" && (rec["group"] == "" || x.name == rec["group"]):
				e.Exempt = true
				e.Note = fmt.Sprintf("break-glass (rampart:rbac.breakGlass), accepted under %s, approved by %s: %s", rec["control"], rec["approvedBy"], rec["justification"])
			case b.Type == clusterRoleBindingType && b.str("metadata.name") == rbac.ClusterAdmin && x.kind == "Group" && x.name == "system:masters":
				e.OK = true
				e.Note = fmt.Sprintf("under the rule %q (%s): %s", bootstrapSuperuser.Name, bootstrapSuperuser.Grants, bootstrapSuperuser.Reason)
			default:
				e.Note = "cluster-admin bound to " + x.kind + " " + x.name + " outside the typed break-glass: platform admins hold " +
					setup.roles[identity.PlatformAdmin] + "; an emergency superuser is rampart:rbac.breakGlass, with its justification, approver and control"
			}
			ev = append(ev, e)
		}
	}
	if len(ev) == 0 {
		ev = append(ev, Evidence{URN: comp.URN, Field: "cluster-admin bindings", Value: "none to a group or user", OK: true,
			Note: "no break-glass is typed and no binding hands cluster-admin to a group or user"})
	}
	return ev
}

// breakGlassOf is the typed break-glass record of a cluster-admin
// ClusterRoleBinding, if b is the stack's break-glass binding: the one the
// stack output rbac.breakGlass names (its group the only subject
// accepted), or, when the state carries no outputs, a binding the rbac
// component declares with the break-glass annotations (any group subject).
func (s *state) breakGlassOf(b *object, out map[string]string) (map[string]string, bool) {
	if b.Type != clusterRoleBindingType {
		return nil, false
	}
	if out["binding"] != "" {
		return out, b.str("metadata.name") == out["binding"]
	}
	declared := b.live == nil || b.live.Origin == inventory.Declared
	ann := func(k string) string { return b.str(field("metadata.annotations", k)) }
	if !declared || !strings.Contains(b.qualifiedType(), rbac.TypeToken) || ann(rbac.AnnotationJustification) == "" {
		return nil, false
	}
	return map[string]string{"justification": ann(rbac.AnnotationJustification), "approvedBy": ann(rbac.AnnotationApprovedBy),
		"control": ann(rbac.AnnotationControl)}, true
}

// broadBindingEvidence: item (b). The stack's own bindings never name a
// broad group; a binding the stack does not declare may, live, only under
// broadGroupAllowance (the API server's discovery bindings).
func (s *state) broadBindingEvidence(comp *object) []Evidence {
	var ev []Evidence
	for _, b := range s.bindings() {
		var broad []string
		for _, x := range subjectsOfBinding(b) {
			if slices.Contains(broadGroups[x.kind], x.name) {
				broad = append(broad, x.kind+" "+x.name)
			}
		}
		if len(broad) == 0 {
			continue
		}
		kind, role := bindingRef(b)
		e := Evidence{URN: b.URN, Field: bindingName(b) + " subjects", Value: kind + " " + role + " → " + strings.Join(broad, ", ")}
		declared := b.live == nil || b.live.Origin == inventory.Declared
		allowed := false
		if !declared {
			var rules []rbacRule
			if r := s.liveRef(inventory.Ref{Group: rbacGroup, Kind: "ClusterRole", Name: role}); kind == "ClusterRole" && r != nil {
				rules = rulesOf(r)
				allowed, _ = broadAllowed(rules)
			} else {
				allowed = kind == "ClusterRole" && slices.Contains(bootstrapBroadRoles, role)
			}
		}
		switch {
		case allowed:
			e.OK = true
			e.Note = fmt.Sprintf("under the rule %q (%s): %s", broadGroupAllowance.Name, broadGroupAllowance.Grants, broadGroupAllowance.Reason)
		case declared:
			e.Note = "the stack binds a broad group: every identity of " + strings.Join(broad, ", ") + " gets " + kind + " " + role
		default:
			e.Note = kind + " " + role + " goes beyond " + fmt.Sprintf("%q", broadGroupAllowance.Name) + " and is bound to every identity of " + strings.Join(broad, ", ")
		}
		ev = append(ev, e)
	}
	if len(ev) == 0 {
		ev = append(ev, Evidence{URN: comp.URN, Field: "bindings to system:authenticated, system:unauthenticated, system:serviceaccounts, system:anonymous",
			Value: "none", OK: true})
	}
	return ev
}

// tenantBindingEvidence: item (c), one fact per tenant and tenant role.
func (s *state) tenantBindingEvidence(comp *object, setup rbacSetup) []Evidence {
	var ev []Evidence
	for _, t := range setup.tenants {
		for _, r := range identity.TenantRoles() {
			role, group := setup.roles[r], setup.prefix+identity.TenantGroup(t, r)
			want := "ClusterRole " + role + " → Group " + group
			var found *object
			for _, b := range s.byType(roleBindingType) {
				if b.str("metadata.namespace") != t {
					continue
				}
				if kind, name := bindingRef(b); kind != "ClusterRole" || name != role {
					continue
				}
				if slices.ContainsFunc(subjectsOfBinding(b), func(x subject) bool { return x.kind == "Group" && x.name == group }) {
					found = b
					break
				}
			}
			if found != nil {
				ev = append(ev, Evidence{URN: found.URN, Field: "tenant " + t + " " + string(r) + ": " + bindingName(found), Value: want, OK: true})
				continue
			}
			note := fmt.Sprintf("no RoleBinding in %s binds %s: the tenant's %s group has no access", t, want, r)
			for _, g := range s.gone {
				if g.ref.Kind == "RoleBinding" && g.ref.Namespace == t {
					note += fmt.Sprintf("; %s is declared in the state but absent from the cluster (deleted out of band: `pulumi up` recreates it)", g.ref)
				}
			}
			ev = append(ev, Evidence{URN: comp.URN, Field: "tenant " + t + " " + string(r) + " RoleBinding", Value: "absent", Note: note})
		}
	}
	return ev
}

// roleEvidence: item (d), the roles keep least verbs: no "*", escalate,
// bind or impersonate in any; below platform-admin no RBAC, Namespace,
// quota, limit or NetworkPolicy write; the viewer no Secret, devops no
// Secret read (update and patch answer with the stored object, so they
// count), neither exec nor port-forward; platform-admin no nodes/proxy,
// serviceaccounts/token or CSR approval.
func (s *state) roleEvidence(comp *object, setup rbacSetup) []Evidence {
	var ev []Evidence
	for _, r := range identity.Roles() {
		name := setup.roles[r]
		var role *object
		for _, o := range s.byType(clusterRoleType) {
			if o.str("metadata.name") == name {
				role = o
				break
			}
		}
		if role == nil {
			ev = append(ev, missing(comp, "ClusterRole "+name))
			continue
		}
		e := Evidence{URN: role.URN, Field: "ClusterRole " + name + " rules", Value: "least verbs", OK: true}
		if why := roleExcess(r, rulesOf(role)); why != "" {
			e.OK, e.Value, e.Note = false, why, "the "+string(r)+" role grants more than it may"
		}
		ev = append(ev, e)
	}
	return ev
}

// roleExcess says what a role grants beyond its limits ("" when nothing).
func roleExcess(r identity.Role, rules []rbacRule) string {
	for _, x := range rules {
		switch {
		case anyOf(x.verbs, "*") || anyOf(x.resources, "*") || anyOf(x.groups, "*"):
			return "a wildcard: " + describeRule(x)
		case anyOf(x.verbs, "escalate", "bind", "impersonate"):
			return "escalate, bind or impersonate: " + describeRule(x)
		}
		if r == identity.PlatformAdmin {
			switch {
			case x.grants("", "nodes/proxy", "get", "create", "update", "patch", "delete"):
				return "nodes/proxy: " + describeRule(x)
			case x.grants("", "serviceaccounts/token", "create"):
				return "ServiceAccount tokens: " + describeRule(x)
			case x.grants("certificates.k8s.io", "certificatesigningrequests/approval", "update", "patch"):
				return "CSR approval: " + describeRule(x)
			}
			continue
		}
		switch {
		case x.grantsAny(rbacGroup, rbacResources, writeVerbs...):
			return "RBAC writes: " + describeRule(x)
		case x.grantsAny("", []string{"namespaces", "resourcequotas", "limitranges"}, writeVerbs...):
			return "namespace, quota or limit writes: " + describeRule(x)
		case x.grants("networking.k8s.io", "networkpolicies", writeVerbs...):
			return "NetworkPolicy writes: " + describeRule(x)
		case r == identity.Viewer && x.grants("", "secrets", "get", "list", "watch", "create", "update", "patch", "delete"):
			return "Secrets: " + describeRule(x)
		// update and patch answer with the whole stored object: reads too.
		case r == identity.DevOps && x.grants("", "secrets", "get", "list", "watch", "update", "patch"):
			return "Secret reads: " + describeRule(x)
		case r != identity.TenantAdmin && x.grantsAny("", podStreams, "create", "get"):
			return "exec, attach or port-forward: " + describeRule(x)
		}
	}
	return ""
}
