package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// newIngress composes rampart:ingress (stub until the component exists).
func newIngress(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline, issuer IssuerRef) error {
	return nil
}
