package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/auditor"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// newCheckers composes rampart:checkers after the baseline: the auditor
// and verifier are bound in every namespace the baseline created (b.Order),
// and their ServiceAccounts go into one of them.
func newCheckers(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline) error {
	if !cfg.Checkers.On() {
		return nil
	}
	args := cfg.Checkers.CheckersArgs
	args.ManagedNamespaces = append([]string(nil), b.Order...)
	deps := make([]pulumi.Resource, 0, len(b.Order))
	for _, ns := range b.Order {
		deps = append(deps, b.Namespaces[ns])
	}
	c, err := auditor.NewCheckers(ctx, "checkers", &args, pulumi.Providers(p.Kubernetes), pulumi.DependsOn(deps))
	if err != nil {
		return fmt.Errorf("rampart: checkers: %w", err)
	}
	// What the CLI and the operators need to use the identities: the roles,
	// who holds them, the probe role rampart verify binds in its throwaway
	// namespace, and the admission policy that holds the verifier to probes.
	ctx.Export("checkers", pulumi.Map{
		"namespace":         pulumi.String(args.Namespace),
		"auditorRoles":      c.AuditorRoles,
		"auditorSubjects":   c.AuditorSubjects,
		"verifierRoles":     c.VerifierRoles,
		"verifierSubjects":  c.VerifierSubjects,
		"verifierProbeRole": c.VerifierProbeRole,
		"policy":            c.Policy,
	})
	return nil
}
