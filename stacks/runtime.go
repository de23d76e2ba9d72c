package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/runtime"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// newRuntime composes rampart:runtime after the baseline: the charts go
// into namespaces the baseline created (with their default-deny policies).
func newRuntime(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline) error {
	if !cfg.Runtime.Enabled {
		return nil
	}
	// The component's namespaces default to trivy-system and falco; a
	// namespace the stack names instead is one of the baseline's too.
	var deps []pulumi.Resource
	seen := map[string]bool{}
	for _, ns := range []string{cfg.Runtime.TrivyOperator.Namespace, cfg.Runtime.Falco.Namespace, "trivy-system", "falco"} {
		if n, ok := b.Namespaces[ns]; ok && !seen[ns] {
			seen[ns] = true
			deps = append(deps, n)
			if pol, ok := b.Policies[ns]; ok {
				deps = append(deps, pol)
			}
		}
	}
	rt, err := runtime.NewRuntime(ctx, "runtime", &cfg.Runtime.RuntimeArgs,
		pulumi.Providers(p.Kubernetes), pulumi.DependsOn(deps))
	if err != nil {
		return fmt.Errorf("rampart: runtime: %w", err)
	}
	ctx.Export("runtimeCompliance", rt.Compliance)
	ctx.Export("runtimeAlerting", rt.Alerting)
	ctx.Export("runtimeImages", rt.Images)
	return nil
}
