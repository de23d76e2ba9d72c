package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/certmanager"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// newCertManager composes rampart:certManager in its namespace (after the
// namespace and its baseline policies exist) and returns the issuer the
// ingress Gateway's certificates come from. Exactly one sovereign issuer
// exists: the pki component's (rampart:pki.issuer) when the stack renders
// it, else this component's (rampart:certManager.vault); the config layer
// refuses both. Who runs the ACME directory is judged with every other
// endpoint (exportSovereignty).
func newCertManager(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline) (IssuerRef, error) {
	m := &cfg.CertManager
	pkiIssuer := cfg.PKIIssuerName()
	if !m.Enabled {
		// cert-manager installed by someone else may still serve the pki
		// component's issuer.
		if pkiIssuer != "" {
			return IssuerRef{Name: pkiIssuer, Kind: string(cfg.PKI.Issuer.Kind)}, nil
		}
		return IssuerRef{}, nil
	}
	var deps []pulumi.Resource
	if n, ok := b.Namespaces[m.Namespace]; ok {
		deps = append(deps, n, b.Policies[m.Namespace])
	}
	cm, err := certmanager.NewCertManager(ctx, config.CertManagerName, cfg.CertManagerArgs(),
		pulumi.Providers(p.Kubernetes), pulumi.DependsOn(deps))
	if err != nil {
		return IssuerRef{}, fmt.Errorf("certmanager: %w", err)
	}
	ctx.Export("certManagerNamespace", cm.Namespace)

	ref := IssuerRef{Kind: "ClusterIssuer", Ready: cm}
	switch {
	case m.GatewayIssuer == certmanager.GatewayIssuerACME && m.ACME != nil:
		ref.Name = m.ACME.Name
		if ref.Name == "" {
			ref.Name = certmanager.DefaultACMEIssuerName
		}
	case pkiIssuer != "":
		ref.Name, ref.Kind = pkiIssuer, string(cfg.PKI.Issuer.Kind)
	case m.Vault != nil:
		ref.Name = m.Vault.Name
		if ref.Name == "" {
			ref.Name = certmanager.DefaultVaultIssuerName
		}
	default:
		return IssuerRef{}, nil
	}
	if ref.Kind == "" {
		ref.Kind = "ClusterIssuer"
	}
	return ref, nil
}
