package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/rbac"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// newRBAC composes rampart:rbac after the baseline: each tenant's
// RoleBindings go into its namespace, so they wait for it.
func newRBAC(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline) error {
	if !cfg.RBAC.Enabled {
		return nil
	}
	args := cfg.RBACArgs()
	deps := make([]pulumi.Resource, 0, len(args.Tenants))
	for _, t := range args.Tenants {
		deps = append(deps, b.Namespaces[t])
	}
	r, err := rbac.NewRBAC(ctx, "rbac", args, pulumi.Providers(p.Kubernetes), pulumi.DependsOn(deps))
	if err != nil {
		return fmt.Errorf("rampart: rbac: %w", err)
	}
	// What compliance and the operators read: the groups prefix, the
	// roles, each tenant's bindings, the platform-admin binding and the
	// break-glass record (empty without one).
	ctx.Export("rbac", pulumi.Map{
		"groupsPrefix":         r.GroupsPrefix,
		"roles":                r.Roles,
		"tenantBindings":       r.TenantBindings,
		"platformAdminBinding": r.PlatformAdminBinding,
		"breakGlass":           r.BreakGlass,
	})
	return nil
}
