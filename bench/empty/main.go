// Command empty is the floor of `make bench`'s CLI timings (bench/cli.sh): a
// Pulumi Go program that registers only an explicit kubernetes provider, so
// its preview costs what the CLI, the Go language host, the program's build
// and the kubernetes plugin cost before Rampart registers anything.
package main

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		// Same provider settings as infra/providers, so the plugin does the
		// same start-up work (server-side apply, ambient KUBECONFIG).
		_, err := kubernetes.NewProvider(ctx, "kubernetes", &kubernetes.ProviderArgs{
			EnableServerSideApply: pulumi.Bool(true),
		})
		return err
	})
}
