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
	a, err := audit.NewAudit(ctx, "audit", args, pulumi.Providers(s3p, p.Kubernetes), pulumi.DependsOn(deps))
	if err != nil {
		return fmt.Errorf("stacks: %w", err)
	}
	ctx.Export("auditBucket", a.BucketName)
	ctx.Export("auditLockMode", a.LockMode)
	ctx.Export("auditRetentionDays", a.RetentionDays)
	ctx.Export("auditRetentionPreset", a.Preset)
	return nil
}
