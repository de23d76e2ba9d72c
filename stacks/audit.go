package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// newAudit composes rampart:audit: the aws provider for the S3 store, then
// the WORM bucket on it and, when enabled, Loki in its namespace after that
// namespace and its default-deny policies exist. Its lock mode and
// retention are exported for the compliance report.
func newAudit(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline) error {
	if !cfg.Audit.Enabled {
		return nil
	}
	s3p, err := p.NewAWS(ctx)
	if err != nil {
		return err
	}
	args := cfg.AuditArgs()
	var deps []pulumi.Resource
	if l := args.Loki; l != nil && l.Enabled && b != nil {
		ns := l.Namespace
		if ns == "" {
			ns = audit.DefaultLokiNamespace
		}
		if n, ok := b.Namespaces[ns]; ok {
			deps = append(deps, n, b.Policies[ns])
		}
	}
	a, err := audit.NewAudit(ctx, config.AuditName, args, pulumi.Providers(s3p, p.Kubernetes), pulumi.DependsOn(deps))
	if err != nil {
		return fmt.Errorf("stacks: %w", err)
	}
	if err := newAuditAgent(ctx, args, b, a, p); err != nil {
		return err
	}
	ctx.Export("auditBucket", a.BucketName)
	ctx.Export("auditLockMode", a.LockMode)
	ctx.Export("auditRetentionDays", a.RetentionDays)
	ctx.Export("auditRetentionPreset", a.Preset)
	return nil
}

// newAuditAgent deploys the audit log agent (Fluent Bit on the
// control-plane nodes) in its exempted namespace once that namespace, its
// default-deny policies and the audit component (Loki) exist.
func newAuditAgent(ctx *pulumi.Context, args *audit.AuditArgs, b *Baseline, a *audit.Audit, p *providers.Providers) error {
	g, l := args.Agent, args.Loki
	if g == nil || !g.Enabled || l == nil || !l.Enabled {
		return nil
	}
	ns := g.WithDefaults().Namespace
	deps := []pulumi.Resource{a}
	if b != nil {
		if n, ok := b.Namespaces[ns]; ok {
			deps = append(deps, n, b.Policies[ns])
		}
	}
	lokiNS := l.Namespace
	if lokiNS == "" {
		lokiNS = audit.DefaultLokiNamespace
	}
	if _, err := audit.NewAgent(ctx, config.AuditName+"-agent", g, config.AuditName, lokiNS,
		pulumi.Provider(p.Kubernetes), pulumi.DependsOn(deps)); err != nil {
		return fmt.Errorf("stacks: %w", err)
	}
	return nil
}
