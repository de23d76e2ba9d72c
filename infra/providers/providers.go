// Package providers builds Rampart's explicit providers once per program and
// hands them to the stacks; no component builds a provider. Default
// providers are disabled in Pulumi.yaml, so a resource that misses its
// provider fails instead of silently targeting the ambient cluster.
package providers

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
)

// Providers are the explicit providers of one stack.
type Providers struct {
	// Kubernetes targets the stack's cluster.
	Kubernetes *kubernetes.Provider
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
		args.Kubeconfig = pulumi.ToSecret(pulumi.String(s.Value)).(pulumi.StringOutput)
	}
	if cfg.Kubernetes.Context != "" {
		args.Context = pulumi.String(cfg.Kubernetes.Context)
	}
	k8s, err := kubernetes.NewProvider(ctx, "kubernetes", args)
	if err != nil {
		return nil, fmt.Errorf("providers: kubernetes: %w", err)
	}
	return &Providers{Kubernetes: k8s}, nil
}
