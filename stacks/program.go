package stacks

// Program and Run are Rampart's Pulumi program: typed stack config, explicit
// providers and the composition. The entry package cmd/baseline only calls
// pulumi.Run(stacks.Program); the rampart CLI and the e2e tests run the same
// Program inline through the Automation API.

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// Program validates the whole stack config before registering anything,
// then builds the providers and the baseline and exports its outputs.
func Program(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		return fmt.Errorf("rampart: invalid stack config, nothing was changed:\n%w", err)
	}
	return RunWithPodSecurity(ctx, cfg) // the pod security gate first: it must see every resource
}

// Run registers the baseline, then the platform services enabled in the
// config (OpenBao, PKI, KMS, Keycloak), for an already validated config.
func Run(ctx *pulumi.Context, cfg *config.Config) error {
	// An exemption ending within two weeks shows in every preview and up;
	// an expired one never got here (config.Load refuses it).
	for _, w := range cfg.ExemptionWarnings(config.Clock()) {
		if err := ctx.Log.Warn(w, nil); err != nil {
			return fmt.Errorf("rampart: log exemption warning: %w", err)
		}
	}
	p, err := providers.New(ctx, cfg)
	if err != nil {
		return err
	}
	b, err := NewBaseline(ctx, cfg, p)
	if err != nil {
		return err
	}
	if err := newCheckers(ctx, cfg, p, b); err != nil {
		return err
	}
	if err := newRBAC(ctx, cfg, p, b); err != nil {
		return err
	}
	names := pulumi.StringArray{}
	enforce := pulumi.StringMap{}
	policies := pulumi.StringArrayMap{}
	for _, n := range b.Order {
		names = append(names, b.Namespaces[n].Name)
		enforce[n] = b.Namespaces[n].Enforce
		policies[n] = b.Policies[n].Names
	}
	exemptions := exemptionsOutput(cfg)
	ctx.Export("profile", pulumi.String(string(cfg.Profile)))
	ctx.Export("namespaces", names)
	ctx.Export("podSecurity", enforce)
	ctx.Export("networkPolicies", policies)
	ctx.Export(ExemptionsOutput, exemptions)
	exportEgressExceptions(ctx, cfg)
	exportPublicEgress(ctx, cfg)
	exportNetworkIntent(ctx, cfg)
	exportSovereignty(ctx, cfg)

	pl, err := NewPlatform(ctx, cfg, p, b)
	if err != nil {
		return err
	}
	issuer, err := newCertManager(ctx, cfg, p, b)
	if err != nil {
		return err
	}
	if err := newIngress(ctx, cfg, p, b, issuer); err != nil {
		return err
	}
	if err := newAudit(ctx, cfg, p, b); err != nil {
		return err
	}
	if err := newRuntime(ctx, cfg, p, b); err != nil {
		return err
	}
	// Only non-secret outputs: addresses and names other stacks and
	// operators need (the CA chain is public, the client secrets are not
	// exported).
	if pl.OpenBao != nil {
		ctx.Export("openbaoAddress", pl.OpenBao.Address)
	}
	if pl.PKI != nil {
		ctx.Export("pkiIssuerName", pl.PKI.IssuerName)
		ctx.Export("pkiIssuerKind", pl.PKI.IssuerKind)
		ctx.Export("pkiCaChain", pl.PKI.CAChain)
	}
	if pl.KMS != nil {
		ctx.Export("kmsTransitMount", pl.KMS.Mount)
		ctx.Export("kmsKeyName", pl.KMS.KeyName)
		ctx.Export("kmsPolicyName", pl.KMS.PolicyName)
	}
	if pl.Realm != nil {
		ctx.Export("keycloakRealm", pl.Realm.RealmID)
	}
	return nil
}
