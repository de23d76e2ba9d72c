package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// newIngress composes rampart:ingress: after the ingress and tenant
// namespaces and their policies exist, and after the issuer that signs the
// listeners' certificates. Without cert-manager (issuer empty) the listeners
// reference TLS Secrets the user provides (ingress.SecretName per host).
func newIngress(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline, issuer IssuerRef) error {
	if !cfg.Ingress.Enabled {
		return nil
	}
	args := cfg.IngressArgs()
	if args.Issuer.Name == "" && issuer.Name != "" {
		args.Issuer = ingress.IssuerRef{Name: issuer.Name, Kind: issuer.Kind}
	}
	var deps []pulumi.Resource
	for _, n := range b.Order {
		deps = append(deps, b.Namespaces[n], b.Policies[n])
	}
	if issuer.Ready != nil {
		deps = append(deps, issuer.Ready)
	}
	in, err := ingress.NewIngress(ctx, "ingress", args, pulumi.Providers(p.Kubernetes), pulumi.DependsOn(deps))
	if err != nil {
		return fmt.Errorf("ingress: %w", err)
	}
	ctx.Export("ingressGateway", in.GatewayName)
	ctx.Export("ingressListeners", in.Listeners)
	ctx.Export("ingressHosts", in.Hosts)
	ctx.Export("ingressTLSFloor", pulumi.ToMap(IngressTLSFloor(cfg)))
	return nil
}

// IngressTLSFloor is the stack output "ingressTLSFloor" the compliance
// report judges the rendered floor against: minVersion (the floor
// rendered), profileMinVersion (the profile's, config.Profile.TLSFloor) and,
// for a floor below the profile's, the justification of that typed choice
// (rampart:ingress.tls12Justification), which the report shows as the
// floor's exception.
func IngressTLSFloor(cfg *config.Config) map[string]any {
	a := cfg.IngressArgs().WithDefaults()
	floor := cfg.Profile.TLSFloor()
	out := map[string]any{"minVersion": string(a.TLSMinVersion), "profileMinVersion": string(floor)}
	if a.TLSMinVersion == ingress.TLS12 && floor == ingress.TLS13 {
		out["justification"] = a.TLS12Justification
	}
	return out
}
