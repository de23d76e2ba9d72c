package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// newRuntime composes rampart:runtime (stub until the component exists).
func newRuntime(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline) error {
	return nil
}
