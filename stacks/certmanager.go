package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// newCertManager composes rampart:certmanager (stub until the component exists).
func newCertManager(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline) (IssuerRef, error) {
	return IssuerRef{}, nil
}
