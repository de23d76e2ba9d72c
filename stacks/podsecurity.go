package stacks

// The Pod Security gate's wiring: the gate itself (helpers/podsecurity)
// is a stack-wide transform; the program registers it before anything
// else, with the stack config's exemptions, and returns its verdict last.

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/podsecurity"
	"github.com/rampart-dev/rampart/infra/config"
)

// RunWithPodSecurity registers the pod security gate, then the program,
// and fails with the gate's verdict.
func RunWithPodSecurity(ctx *pulumi.Context, cfg *config.Config) error {
	g, err := podsecurity.Register(ctx, cfg.Exemptions())
	if err != nil {
		return err
	}
	if err := Run(ctx, cfg); err != nil {
		return err
	}
	return g.Verdict()
}
