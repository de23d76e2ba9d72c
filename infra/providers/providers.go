// Package providers builds Rampart's explicit providers once per program and
// hands them to the stacks; no component builds a provider. Default
// providers are disabled in Pulumi.yaml, so a resource that misses its
// provider fails instead of silently targeting the ambient cluster.
package providers

import (
	"fmt"

	keycloak "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	vault "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
)

// Providers are the explicit providers of one stack.
type Providers struct {
	// Kubernetes targets the stack's cluster.
	Kubernetes *kubernetes.Provider
	// Vault targets OpenBao's API; nil until NewVault builds it (only when
	// rampart:pki or rampart:kms is enabled).
	Vault *vault.Provider
	// Keycloak targets Keycloak's admin API; nil unless rampart:keycloak is enabled.
	Keycloak *keycloak.Provider

	cfg *config.Config
}

// New builds the providers from validated config. The kubeconfig, when
// given in config, is passed on as a secret so it never appears in state or
// previews in clear; otherwise the provider uses the ambient KUBECONFIG.
func New(ctx *pulumi.Context, cfg *config.Config) (*Providers, error) {
	args := &kubernetes.ProviderArgs{
		// Server-side apply: field ownership makes out-of-band edits visible
		// as drift and lets the default ServiceAccount be adopted.
		EnableServerSideApply: pulumi.Bool(true),
	}
	if s := cfg.Secrets.Kubeconfig; s != nil {
		args.Kubeconfig = s.Output()
	}
	if cfg.Kubernetes.Context != "" {
		args.Context = pulumi.String(cfg.Kubernetes.Context)
	}
	k8s, err := kubernetes.NewProvider(ctx, "kubernetes", args)
	if err != nil {
		return nil, fmt.Errorf("providers: kubernetes: %w", err)
	}
	p := &Providers{Kubernetes: k8s, cfg: cfg}
	if cfg.Keycloak.Enabled {
		if p.Keycloak, err = newKeycloak(ctx, cfg); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// NewVault builds the provider for OpenBao (it speaks the Vault API) once
// the stack knows when OpenBao is up. ready, when given, gates the
// provider's address: while it is unknown (a fresh cluster's preview, before
// this stack's OpenBao exists) the engine does not configure the provider,
// so the preview neither fails nor logs in; on `up` the provider is
// configured after the server is deployed. Pass nil for an OpenBao this
// stack does not deploy. With
// rampart:openbaoDeployerPassword it logs in with userpass as the deployer
// that OpenBao's self-initialisation created (see components/openbao): each
// run gets a token of the deployer's short TTL and no long-lived token is
// stored anywhere. Otherwise it uses rampart:vaultToken (an OpenBao this
// stack does not bootstrap, or the local lab's dev server). Either secret
// reaches the provider only as a Pulumi secret. Its settings are
// config.Config.VaultProvider's; a second call returns the same provider
// (one per stack, whichever sections use it).
func (p *Providers) NewVault(ctx *pulumi.Context, ready pulumi.StringOutput) (*vault.Provider, error) {
	if p.Vault != nil {
		return p.Vault, nil
	}
	cfg := p.cfg
	pc := cfg.VaultProvider()
	var address pulumi.StringInput = pulumi.String(pc.Address)
	if ready != (pulumi.StringOutput{}) {
		address = ready.ApplyT(func(string) string { return pc.Address }).(pulumi.StringOutput)
	}
	args := &vault.ProviderArgs{
		Address: address,
		// Never trust VAULT_SKIP_VERIFY from the environment.
		SkipTlsVerify: pulumi.Bool(false),
		// The provider mints a child token per run, bounded by the
		// deployer's own token max TTL.
		SkipChildToken: pulumi.Bool(false),
	}
	if pc.CACertFile != "" {
		args.CaCertFile = pulumi.String(pc.CACertFile)
	}
	if cfg.VaultUserpass() {
		args.Token = config.SecretOutput("")
		args.AuthLoginUserpass = &vault.ProviderAuthLoginUserpassArgs{
			Mount:    pulumi.String(pc.UserpassMount),
			Username: pulumi.String(cfg.DeployerUsername()),
			Password: cfg.Secrets.OpenBaoDeployerPassword.Output(),
		}
	} else {
		args.Token = cfg.Secrets.VaultToken.Output()
	}
	v, err := vault.NewProvider(ctx, "openbao", args)
	if err != nil {
		return nil, fmt.Errorf("providers: vault: %w", err)
	}
	p.Vault = v
	return v, nil
}

// newKeycloak builds the provider for Keycloak's admin API with the client
// credentials grant of a service-account client; no admin password exists.
func newKeycloak(ctx *pulumi.Context, cfg *config.Config) (*keycloak.Provider, error) {
	pc := cfg.Keycloak.Provider
	args := &keycloak.ProviderArgs{
		Url:          pulumi.String(pc.URL),
		Realm:        pulumi.String(pc.Realm),
		ClientId:     pulumi.String(pc.ClientID),
		ClientSecret: cfg.Secrets.KeycloakClientSecret.Output(),
		// Log in when first needed, not at provider setup, so previews work
		// while Keycloak itself is still being provisioned.
		InitialLogin:          pulumi.Bool(false),
		TlsInsecureSkipVerify: pulumi.Bool(false),
	}
	if pc.RootCACertificate != "" {
		args.RootCaCertificate = pulumi.String(pc.RootCACertificate)
	}
	k, err := keycloak.NewProvider(ctx, "keycloak", args)
	if err != nil {
		return nil, fmt.Errorf("providers: keycloak: %w", err)
	}
	return k, nil
}
