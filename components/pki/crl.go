package pki

import (
	"cmp"
	"github.com/pulumi/pulumi-vault/sdk/v6/go/vault/pkisecret"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// CRLArgs configures revocation publishing (config/crl) on both mounts;
// config key rampart:pki.crl. Every field is optional.
type CRLArgs struct {
	// Expiry is how long a CRL is valid. Default DefaultCRLExpiry (72h).
	Expiry string `json:"expiry,omitempty"`
	// DisableAutoRebuild turns off periodic CRL rebuilds. Default false
	// (auto-rebuild on): relying parties never see an expired CRL.
	DisableAutoRebuild bool `json:"disableAutoRebuild,omitempty"`
	// DisableDelta turns delta CRLs off. Default false (on): with
	// auto-rebuild a revocation reaches the full CRL only at its next
	// rebuild (verified on the Vault 1.13 stand-in), the delta CRL carries it
	// within DeltaRebuildInterval.
	DisableDelta bool `json:"disableDelta,omitempty"`
	// DeltaRebuildInterval is how often the delta CRL is rebuilt. Default
	// DefaultDeltaRebuildInterval (15m); must be shorter than Expiry.
	DeltaRebuildInterval string `json:"deltaRebuildInterval,omitempty"`
	// DisableOCSP turns OCSP off. Default false: OCSP answers are served by
	// OpenBao at <mount>/ocsp and reflect a revocation at once (the only
	// revocation channel without a rebuild lag). ITSG-33 SC-17.
	DisableOCSP bool `json:"disableOCSP,omitempty"`
}

func (c CRLArgs) withDefaults() CRLArgs {
	c.Expiry = cmp.Or(c.Expiry, DefaultCRLExpiry)
	c.DeltaRebuildInterval = cmp.Or(c.DeltaRebuildInterval, DefaultDeltaRebuildInterval)
	return c
}

func validateCRL(l *verr.List, p string, c CRLArgs) {
	expiry := parseTTL(l, verr.Path(p, "expiry"), c.Expiry)
	if d := parseTTL(l, verr.Path(p, "deltaRebuildInterval"), c.DeltaRebuildInterval); d > 0 && expiry > 0 && d >= expiry {
		l.Add(verr.Path(p, "deltaRebuildInterval"), c.DeltaRebuildInterval, "not shorter than the CRL expiry "+c.Expiry, "use minutes, e.g. 15m")
	}
	if c.DisableOCSP && (c.DisableAutoRebuild || c.DisableDelta) {
		l.Add(verr.Path(p, "disableOCSP"), true, "with OCSP off and no delta CRL (or no auto-rebuild), a revocation can go unseen for days", "keep OCSP on, or keep both delta CRLs and auto-rebuild on")
	}
}

// crlConfig publishes a mount's CRLs (full and delta) and turns OCSP on.
func crlConfig(ctx *pulumi.Context, name string, backend pulumi.StringInput, c CRLArgs, opts ...pulumi.ResourceOption) (*pkisecret.SecretBackendCrlConfig, error) {
	return pkisecret.NewSecretBackendCrlConfig(ctx, name, &pkisecret.SecretBackendCrlConfigArgs{
		Backend:     backend,
		Expiry:      pulumi.String(c.Expiry),
		Disable:     pulumi.Bool(false),
		AutoRebuild: pulumi.Bool(!c.DisableAutoRebuild),
		EnableDelta: pulumi.Bool(!c.DisableDelta),
		// Only meaningful with deltas on; always sent so state matches read-back.
		DeltaRebuildInterval: pulumi.String(c.DeltaRebuildInterval),
		OcspDisable:          pulumi.Bool(c.DisableOCSP),
	}, opts...)
}
