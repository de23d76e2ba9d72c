package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// newAudit composes rampart:audit (stub until the component exists).
func newAudit(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline) error {
	return nil
}
