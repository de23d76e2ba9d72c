package keycloak

// Role is one of the platform's realm roles, as listed in the compliance
// report. Seed 000: "Keycloak RBAC, 4 roles". NIS2 Art. 21(2)(i), ISM-1507
// (privileged access is limited to what duties need), DORA Art. 9(4)(c).
type Role struct {
	// Name of the realm role.
	Name string
	// Group is the realm group whose members hold the role; the group name is
	// what the "groups" token claim carries to Kubernetes and the gateway.
	Group string
	// Includes names the role this one is a composite of (its permissions
	// are a superset); "" for the least-privileged role.
	Includes string
	// Privileged roles must log in with a hardware key (WebAuthn, user
	// verification required); the others with TOTP. Seed 004, ISM-1173.
	Privileged bool
	// Description is stored on the role in Keycloak.
	Description string
	// Permissions lists what holders may do, for the compliance report. The
	// bindings themselves live in the consumers (Kubernetes RBAC bound to the
	// group, gateway policies).
	Permissions []string
}

// Role names, one constant each so callers bind to them without typos.
const (
	// RoleViewer reads the tenant's resources.
	RoleViewer = "viewer"
	// RoleDevOps deploys and operates the tenant's workloads.
	RoleDevOps = "devops"
	// RoleTenantAdmin administers one tenant (hardware key required).
	RoleTenantAdmin = "tenant-admin"
	// RolePlatformAdmin operates the platform (hardware key required).
	RolePlatformAdmin = "platform-admin"
)

// privilegeFloor is the lowest privileged role. The roles are a chain of
// composites, so Keycloak's "user has role" condition on this role matches
// every privileged user (tenant-admin and platform-admin) and only them.
const privilegeFloor = RoleTenantAdmin

// PlatformRoles returns the four platform roles from least to most
// privileged. Each includes the one before it (composite role).
func PlatformRoles() []Role {
	return []Role{
		{
			Name: RoleViewer, Group: "viewers",
			Description: "Read-only access to the tenant's platform resources",
			Permissions: []string{
				"kubernetes: ClusterRole view in the tenant's namespaces (no Secrets)",
				"gateway: read the API catalogue and the tenant's own usage metrics",
				"observability: read dashboards and logs of the tenant's namespaces",
			},
		},
		{
			Name: RoleDevOps, Group: "devops", Includes: RoleViewer,
			Description: "Deploy and operate workloads of the tenant",
			Permissions: []string{
				"kubernetes: ClusterRole edit in the tenant's namespaces (workloads, Services, ConfigMaps, the tenant's Secrets); no RBAC, no namespace or quota changes",
				"gateway: publish and update the tenant's APIs and routes",
			},
		},
		{
			Name: RoleTenantAdmin, Group: "tenant-admins", Includes: RoleDevOps, Privileged: true,
			Description: "Administer one tenant: its access, quotas and consumers (hardware key required)",
			Permissions: []string{
				"kubernetes: ClusterRole admin in the tenant's namespaces (RoleBindings inside the tenant); no cluster-scoped objects",
				"gateway: manage the tenant's consumers, subscriptions and API keys",
				"identity: manage membership of the tenant's groups",
			},
		},
		{
			Name: RolePlatformAdmin, Group: "platform-admins", Includes: RoleTenantAdmin, Privileged: true,
			Description: "Operate the platform itself (hardware key required)",
			Permissions: []string{
				"kubernetes: cluster-admin (namespaces, CRDs, admission, PSS exemptions)",
				"gateway: global configuration, all tenants",
				"secrets and PKI: OpenBao operator policies",
				"audit: read the audit trail of every tenant (the trail itself is WORM: nobody can delete it)",
			},
		},
	}
}
