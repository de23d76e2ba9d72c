package rbac

import (
	"cmp"
	"fmt"
	"strings"
	"unicode"

	"github.com/rampart-dev/rampart/apiserver/authn"
	"github.com/rampart-dev/rampart/helpers/exemption"
	"github.com/rampart-dev/rampart/helpers/identity"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// DefaultGroupsPrefix is the prefix the API server's AuthenticationConfiguration
// puts on every group of the OIDC groups claim (claimMappings.groups.prefix),
// taken from the rendering itself: a binding names the group as the API
// server reports it, so with another prefix it would bind nobody.
const DefaultGroupsPrefix = authn.DefaultGroupsPrefix

// DefaultNamePrefix starts the name of every object the component renders.
const DefaultNamePrefix = "rampart"

// BreakGlass binds cluster-admin to one OIDC group. It is typed, never a
// free binding, so it carries its written justification, its approver and
// the control it is accepted under, and shows in the compliance report as
// an exception. ITSG-33 AC-6; ISM-1508.
type BreakGlass struct {
	// Group is the identity provider's group (without the groups prefix,
	// which is added) whose members hold cluster-admin. Required; never a
	// Kubernetes system: group nor one of the platform's role or tenant
	// groups: a group of its own, empty in normal operation.
	Group string `json:"group"`
	// Justification says why the platform-admin role is not enough
	// (required, 20+ characters).
	Justification string `json:"justification"`
	// Control names the control the exception is accepted under (required),
	// e.g. "ITSG-33 AC-6(1)" or "ISM-1508".
	Control string `json:"control"`
	// Approval is the exception's lifecycle: owner, approvedBy (required
	// in every profile: who approved the exception; the key predates the
	// shared type), ticket and expires (required outside the local
	// profile; an expired one is refused).
	exemption.Approval
}

// RBACArgs configures the platform's RBAC: the four roles' ClusterRoles,
// each tenant's RoleBindings to its OIDC groups and the platform-admin
// ClusterRoleBinding. NIS2 Art. 21(2)(i); ITSG-33 AC-2, AC-6; ISM-1508.
type RBACArgs struct {
	// GroupsPrefix is the prefix the API server puts on the OIDC groups
	// claim; default "oidc:". It must equal the API server's
	// (AuthenticationConfiguration claimMappings.groups.prefix); absent or
	// empty takes the default, since without a prefix an identity provider
	// group could be a Kubernetes system group (system:masters bypasses
	// RBAC). Never starting with "system:"; it ends with a separator (":",
	// "-", "/", "#" or "_").
	GroupsPrefix string `json:"groupsPrefix,omitempty"`
	// NamePrefix starts every object name (<namePrefix>-viewer, …);
	// default "rampart". Two stacks on one cluster set distinct ones: the
	// ClusterRoles and the ClusterRoleBinding are cluster-wide.
	NamePrefix string `json:"namePrefix,omitempty"`
	// BreakGlass, when set, binds cluster-admin to its group. Default nil:
	// nobody holds cluster-admin through Rampart; platform admins hold the
	// narrower platform-admin role.
	BreakGlass *BreakGlass `json:"breakGlass,omitempty"`
	// Tenants are the tenant namespaces, each bound to its groups (the
	// stack passes rampart:tenants; not a config key).
	Tenants []string `json:"-"`
}

// Names are the Kubernetes names of the objects NewRBAC renders.
type Names struct {
	// Roles are the ClusterRoles by role.
	Roles map[identity.Role]string
	// TenantBinding is the RoleBinding of a tenant role, in each tenant
	// namespace, by role.
	TenantBinding map[identity.Role]string
	// PlatformAdminBinding is the platform-admin ClusterRoleBinding.
	PlatformAdminBinding string
	// BreakGlassBinding is the break-glass ClusterRoleBinding.
	BreakGlassBinding string
}

// ObjectNames are the names of the objects for a name prefix.
func ObjectNames(prefix string) Names {
	n := Names{Roles: map[identity.Role]string{}, TenantBinding: map[identity.Role]string{},
		PlatformAdminBinding: kname.Join(prefix, string(identity.PlatformAdmin)),
		BreakGlassBinding:    kname.Join(prefix, "break-glass")}
	for _, r := range identity.Roles() {
		n.Roles[r] = kname.Join(prefix, string(r))
	}
	for _, r := range identity.TenantRoles() {
		n.TenantBinding[r] = kname.Join(prefix, string(r))
	}
	return n
}

// Group is the subject name of an identity provider group as the API
// server reports it: the groups prefix, then the group.
func (a *RBACArgs) Group(g string) string { return cmp.Or(a.GroupsPrefix, DefaultGroupsPrefix) + g }

func (a *RBACArgs) withDefaults() *RBACArgs {
	out := *a
	out.GroupsPrefix = cmp.Or(out.GroupsPrefix, DefaultGroupsPrefix)
	out.NamePrefix = cmp.Or(out.NamePrefix, DefaultNamePrefix)
	return &out
}

// prefixSeparators may end a groups prefix, so the prefix and the group
// stay apart when read.
const prefixSeparators = ":-/#_"

// Validate reports every problem with the args, each under path (the
// config key of these args, e.g. "rampart:rbac"). It checks the args as
// NewRBAC uses them (defaults applied to a copy).
func (a *RBACArgs) Validate(path string) error {
	d := a.withDefaults()
	var l verr.List
	p := func(s string) string { return verr.Path(path, s) }
	gp := d.GroupsPrefix
	switch {
	case strings.HasPrefix(gp, "system:"):
		l.Add(p("groupsPrefix"), gp, "a prefix starting with system: lets an identity provider group be a Kubernetes system group (system:masters bypasses RBAC)",
			`use the API server's groups prefix, e.g. "oidc:"`)
	case strings.IndexFunc(gp, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		l.Add(p("groupsPrefix"), gp, "holds spaces or control characters, which no groups claim prefix does", `write the prefix as the API server's AuthenticationConfiguration sets it, e.g. "oidc:"`)
	case !strings.ContainsAny(gp[len(gp)-1:], prefixSeparators):
		l.Add(p("groupsPrefix"), gp, "does not end with a separator (one of "+prefixSeparators+"), so the prefix runs into the group name",
			`end it with ":", e.g. "oidc:", and set the API server's groups prefix to the same`)
	}
	if !kname.IsNamespace(d.NamePrefix) || len(d.NamePrefix) > 40 {
		l.Add(p("namePrefix"), d.NamePrefix, "not a lower-case DNS-1123 label of at most 40 characters (the role names append up to 15)",
			`use lower-case letters, digits and '-', e.g. "rampart"`)
	}
	seen := map[string]int{}
	groups := map[string]string{identity.PlatformAdmin.Group(): "the platform-admin group"}
	for _, r := range identity.TenantRoles() {
		groups[r.Group()] = "the " + string(r) + " role's group"
	}
	for i, t := range d.Tenants {
		key := p(fmt.Sprintf("tenants[%d]", i))
		kname.CheckNamespace(&l, key, t)
		if j, dup := seen[t]; dup {
			l.Add(key, t, fmt.Sprintf("duplicate of tenants[%d]", j), "pass each tenant once")
		}
		seen[t] = i
		for _, r := range identity.TenantRoles() {
			groups[identity.TenantGroup(t, r)] = "tenant " + t + "'s " + string(r) + " group"
		}
	}
	if b := d.BreakGlass; b != nil {
		validateBreakGlass(&l, p("breakGlass"), b, gp, groups)
	}
	return l.Err()
}

// validateBreakGlass checks the break-glass exception: a dedicated,
// non-system group and the written record the report shows.
func validateBreakGlass(l *verr.List, path string, b *BreakGlass, prefix string, roleGroups map[string]string) {
	p := func(s string) string { return verr.Path(path, s) }
	const fix = "name a group of its own in the identity provider, empty in normal operation (e.g. platform-break-glass)"
	switch g := b.Group; {
	case strings.TrimSpace(g) == "":
		l.Add(p("group"), g, "missing: the break-glass binding needs the group it hands cluster-admin to", fix)
	case strings.TrimSpace(g) != g || strings.IndexFunc(g, unicode.IsControl) >= 0:
		l.Add(p("group"), g, "holds control characters or surrounding spaces, which no groups claim carries", fix)
	case strings.HasPrefix(g, "system:"):
		l.Add(p("group"), g, "a Kubernetes system group: cluster-admin would go to cluster components or to everyone", fix)
	case strings.HasPrefix(g, prefix):
		l.Add(p("group"), g, "already starts with the groups prefix "+fmt.Sprintf("%q", prefix)+", which is added: the binding would name "+prefix+g,
			"give the identity provider's group name, without the prefix")
	case roleGroups[g] != "":
		l.Add(p("group"), g, roleGroups[g]+": cluster-admin would become a standing right of everyone holding that role", fix)
	}
	if len(strings.TrimSpace(b.Justification)) < 20 {
		l.Add(p("justification"), b.Justification, "break-glass needs a written justification (20+ characters) for the compliance report",
			"say why the platform-admin role is not enough")
	}
	if strings.TrimSpace(b.ApprovedBy) == "" {
		l.Add(p("approvedBy"), b.ApprovedBy, "break-glass must name who approved it", `set e.g. "CISO, change CHG-1234"`)
	}
	b.Approval.Check(l, path)
	if strings.TrimSpace(b.Control) == "" {
		l.Add(p("control"), b.Control, "break-glass must name the control it is accepted under", `set e.g. "ITSG-33 AC-6(1)" or "ISM-1508"`)
	}
}
