package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/keycloak"
	"github.com/rampart-dev/rampart/components/kms"
	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// Platform is what the platform services composition created; each field
// is nil when its config key is disabled.
type Platform struct {
	// OpenBao is the secrets manager and CA store (rampart:openbao).
	OpenBao *openbao.OpenBao
	// PKI is the two-tier PKI and cert-manager issuer (rampart:pki).
	PKI *pki.PKI
	// KMS is the KMS v2 plugin's transit key and policy (rampart:kms).
	KMS *kms.SecretsEncryption
	// Realm is the platform's Keycloak realm (rampart:keycloak).
	Realm *keycloak.Realm
}

// NewPlatform composes the platform services on top of the baseline, in
// dependency order: OpenBao in its namespace (after the namespace and its
// policies exist), then the PKI inside OpenBao (vault provider) with its
// cert-manager issuer (kubernetes provider) and the KMS plugin's transit key
// and policy (the same vault provider), then the Keycloak realm
// (keycloak provider), with the groups of every tenant of rampart:tenants
// (cfg.RealmArgs passes them). Disabled services are not built, and their
// providers do not exist.
func NewPlatform(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers, b *Baseline) (*Platform, error) {
	out := &Platform{}
	var after []pulumi.Resource
	var openbaoReady pulumi.StringOutput
	if cfg.OpenBao.Enabled {
		var deps []pulumi.Resource
		if n, ok := b.Namespaces[cfg.OpenBao.Namespace]; ok {
			deps = append(deps, n, b.Policies[cfg.OpenBao.Namespace])
		}
		ob, err := openbao.NewOpenBao(ctx, config.OpenBaoName, cfg.OpenBaoArgs(),
			pulumi.Providers(p.Kubernetes), pulumi.DependsOn(deps))
		if err != nil {
			return nil, fmt.Errorf("platform: %w", err)
		}
		out.OpenBao, after, openbaoReady = ob, []pulumi.Resource{ob}, ob.Address
	}
	if cfg.PKI.Enabled {
		vp, err := p.NewVault(ctx, openbaoReady)
		if err != nil {
			return nil, fmt.Errorf("platform: %w", err)
		}
		// The vault resources and the issuer's Kubernetes objects each take
		// their package's provider from this map.
		pk, err := pki.NewPKI(ctx, "pki", cfg.PKIArgs(), pulumi.Providers(vp, p.Kubernetes), pulumi.DependsOn(after))
		if err != nil {
			return nil, fmt.Errorf("platform: %w", err)
		}
		out.PKI = pk
	}
	if cfg.KMS.Enabled {
		vp, err := p.NewVault(ctx, openbaoReady)
		if err != nil {
			return nil, fmt.Errorf("platform: %w", err)
		}
		k, err := kms.NewSecretsEncryption(ctx, "kms", cfg.KMSArgs(), pulumi.Providers(vp), pulumi.DependsOn(after))
		if err != nil {
			return nil, fmt.Errorf("platform: %w", err)
		}
		out.KMS = k
	}
	if cfg.Keycloak.Enabled {
		r, err := keycloak.NewRealm(ctx, "keycloak", cfg.RealmArgs(), pulumi.Provider(p.Keycloak))
		if err != nil {
			return nil, fmt.Errorf("platform: %w", err)
		}
		out.Realm = r
	}
	return out, nil
}
