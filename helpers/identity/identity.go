// Package identity is the vocabulary the identity provider and the cluster
// share: the platform's four roles, the groups that carry them, and how a
// tenant's group is named. The Keycloak realm creates these groups and puts
// them in the tokens' groups claim; Kubernetes RBAC binds the same names
// (behind the API server's groups prefix). Both sides take the names from
// here, so they cannot drift apart.
package identity

// Role is one of the platform's four roles, least privileged first.
type Role string

// The roles. Each includes the one before it.
const (
	// Viewer reads a tenant's resources (no Secrets).
	Viewer Role = "viewer"
	// DevOps deploys and operates a tenant's workloads (no RBAC, no
	// namespace or quota changes).
	DevOps Role = "devops"
	// TenantAdmin administers one tenant (hardware key required).
	TenantAdmin Role = "tenant-admin"
	// PlatformAdmin operates the platform itself (hardware key required).
	PlatformAdmin Role = "platform-admin"
)

// Roles are the four roles, least privileged first.
func Roles() []Role { return []Role{Viewer, DevOps, TenantAdmin, PlatformAdmin} }

// TenantRoles are the roles held per tenant; PlatformAdmin is cluster-wide.
func TenantRoles() []Role { return []Role{Viewer, DevOps, TenantAdmin} }

// Group is the realm group whose members hold the role across the realm
// (Keycloak's role carrier: its MFA and session rules key on the role).
// Only PlatformAdmin's group is bound in Kubernetes; the others are the
// parents of the tenants' groups.
func (r Role) Group() string {
	switch r {
	case Viewer:
		return "viewers"
	case DevOps:
		return "devops"
	case TenantAdmin:
		return "tenant-admins"
	case PlatformAdmin:
		return "platform-admins"
	}
	return ""
}

// TenantGroup is the group of the role's holders in one tenant, a subgroup
// of the role's group (its members inherit the role): "team-a-devops",
// "team-a-tenant-admins". The tokens' groups claim carries this name, and
// the tenant's RoleBinding binds it.
func TenantGroup(tenant string, r Role) string { return tenant + "-" + r.Group() }
