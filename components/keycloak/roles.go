package keycloak

import (
	"fmt"
	"slices"

	kc "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/identity"
)

// Role is one of the platform's realm roles, as listed in the compliance
// report. The STOA security hardening checklist: "Keycloak RBAC, 4 roles". NIS2 Art. 21(2)(i), ISM-1507
// (privileged access is limited to what duties need), DORA Art. 9(4)(c).
type Role struct {
	// Name of the realm role.
	Name string
	// Group is the realm group whose members hold the role
	// (identity.Role.Group). Its per-tenant subgroups (identity.TenantGroup)
	// inherit the role; the groups claim carries the group a user is a
	// direct member of, for Kubernetes and the gateway.
	Group string
	// Includes names the role this one is a composite of (its permissions
	// are a superset); "" for the least-privileged role.
	Includes string
	// Privileged roles must log in with a hardware key (WebAuthn, user
	// verification required); the others with TOTP. The sovereign-cloud hardening guide, ISM-1173.
	Privileged bool
	// Description is stored on the role in Keycloak.
	Description string
	// Permissions lists what holders may do, for the compliance report. The
	// bindings themselves live in the consumers (Kubernetes RBAC bound to the
	// group, gateway policies).
	Permissions []string
}

// Role names, one constant each so callers bind to them without typos. They
// are helpers/identity's, the vocabulary Kubernetes RBAC binds too.
const (
	// RoleViewer reads the tenant's resources.
	RoleViewer = string(identity.Viewer)
	// RoleDevOps deploys and operates the tenant's workloads.
	RoleDevOps = string(identity.DevOps)
	// RoleTenantAdmin administers one tenant (hardware key required).
	RoleTenantAdmin = string(identity.TenantAdmin)
	// RolePlatformAdmin operates the platform (hardware key required).
	RolePlatformAdmin = string(identity.PlatformAdmin)
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
			Name: RoleViewer, Group: identity.Viewer.Group(),
			Description: "Read-only access to the tenant's platform resources",
			Permissions: []string{
				"kubernetes: ClusterRole view in the tenant's namespaces (no Secrets)",
				"gateway: read the API catalogue and the tenant's own usage metrics",
				"observability: read dashboards and logs of the tenant's namespaces",
			},
		},
		{
			Name: RoleDevOps, Group: identity.DevOps.Group(), Includes: RoleViewer,
			Description: "Deploy and operate workloads of the tenant",
			Permissions: []string{
				"kubernetes: ClusterRole edit in the tenant's namespaces (workloads, Services, ConfigMaps, the tenant's Secrets); no RBAC, no namespace or quota changes",
				"gateway: publish and update the tenant's APIs and routes",
			},
		},
		{
			Name: RoleTenantAdmin, Group: identity.TenantAdmin.Group(), Includes: RoleDevOps, Privileged: true,
			Description: "Administer one tenant: its access, quotas and consumers (hardware key required)",
			Permissions: []string{
				"kubernetes: ClusterRole admin in the tenant's namespaces (RoleBindings inside the tenant); no cluster-scoped objects",
				"gateway: manage the tenant's consumers, subscriptions and API keys",
				"identity: manage membership of the tenant's groups",
			},
		},
		{
			Name: RolePlatformAdmin, Group: identity.PlatformAdmin.Group(), Includes: RoleTenantAdmin, Privileged: true,
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

// DefaultUserRoles are the roles every new user of the realm gets: the
// account console only (see and manage one's own profile and credentials).
// Keycloak's default also grants offline_access and uma_authorization.
var DefaultUserRoles = []string{"account/view-profile", "account/manage-account"}

// newDefaultRoles gives new users only the account console roles: no
// offline_access (30-day offline tokens only for those granted it), no
// uma_authorization. Least privilege, NIS2 Art. 21(2)(i).
func newDefaultRoles(ctx *pulumi.Context, name string, realmID pulumi.StringOutput, parent pulumi.ResourceOption) error {
	if _, err := kc.NewDefaultRoles(ctx, name+"-default-roles", &kc.DefaultRolesArgs{
		RealmId:      realmID,
		DefaultRoles: pulumi.ToStringArray(DefaultUserRoles),
	}, parent); err != nil {
		return fmt.Errorf("keycloak %q: set default roles: %w", name, err)
	}
	return nil
}

// newRoles creates the four roles as a composite chain, one group per role
// and the group's role mapping, and under the group of each tenant role
// (identity.TenantRoles) one subgroup per tenant. A subgroup has no role
// mapping of its own: Keycloak gives members of a subgroup the roles of
// its parents, so a tenant's devops hold the devops role, and the MFA
// flow's role condition (tenant-admin: hardware key) applies to them as to
// the role group's members. It returns the roles by name.
func newRoles(ctx *pulumi.Context, name string, realmID pulumi.StringOutput, tenants []string, parent pulumi.ResourceOption) (map[string]*kc.Role, error) {
	roles := map[string]*kc.Role{}
	for _, r := range PlatformRoles() {
		args := &kc.RoleArgs{
			RealmId:     realmID,
			Name:        pulumi.String(r.Name),
			Description: pulumi.String(r.Description),
		}
		if r.Includes != "" {
			args.CompositeRoles = pulumi.StringArray{roles[r.Includes].ID().ToStringOutput()}
		}
		role, err := kc.NewRole(ctx, name+"-role-"+r.Name, args, parent)
		if err != nil {
			return nil, fmt.Errorf("keycloak %q: create role %s: %w", name, r.Name, err)
		}
		roles[r.Name] = role
		group, err := kc.NewGroup(ctx, name+"-group-"+r.Group, &kc.GroupArgs{
			RealmId: realmID,
			Name:    pulumi.String(r.Group),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("keycloak %q: create group %s: %w", name, r.Group, err)
		}
		if _, err := kc.NewGroupRoles(ctx, name+"-group-"+r.Group+"-roles", &kc.GroupRolesArgs{
			RealmId:    realmID,
			GroupId:    group.ID().ToStringOutput(),
			RoleIds:    pulumi.StringArray{role.ID().ToStringOutput()},
			Exhaustive: pulumi.Bool(true),
		}, parent); err != nil {
			return nil, fmt.Errorf("keycloak %q: map role %s to group %s: %w", name, r.Name, r.Group, err)
		}
		if !slices.Contains(identity.TenantRoles(), identity.Role(r.Name)) {
			continue
		}
		for _, t := range tenants {
			g := identity.TenantGroup(t, identity.Role(r.Name))
			if _, err := kc.NewGroup(ctx, name+"-group-"+g, &kc.GroupArgs{
				RealmId:  realmID,
				ParentId: group.ID().ToStringOutput(),
				Name:     pulumi.String(g),
			}, parent); err != nil {
				return nil, fmt.Errorf("keycloak %q: create group %s: %w", name, g, err)
			}
		}
	}
	return roles, nil
}
