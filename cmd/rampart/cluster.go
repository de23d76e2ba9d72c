package main

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/inventory"
	"github.com/spf13/cobra"
)

// cluster names the cluster a command reads directly through the
// Kubernetes API (the live inventory, verify), beside the stack's own
// provider: a kubeconfig file and a context in it.
type cluster struct {
	kubeconfig, context string
}

// clusterFlags adds --kubeconfig and --context to cmd.
func clusterFlags(cmd *cobra.Command, c *cluster) {
	cmd.Flags().StringVar(&c.kubeconfig, "kubeconfig", "", "kubeconfig `FILE` for the live cluster (default $KUBECONFIG, then ~/.kube/config)")
	cmd.Flags().StringVar(&c.context, "context", "", "kubeconfig context `NAME` (default the current context)")
	_ = cmd.MarkFlagFilename("kubeconfig")
}

// list connects to the cluster and lists the live inventory of the
// deployment's managed namespaces (check --live, drift); the client stays
// usable for drift's --prune.
func (c cluster) list(ctx context.Context, dep apitype.DeploymentV3) (*inventory.Client, *inventory.Inventory, error) {
	cl, err := inventory.Connect(c.kubeconfig, c.context)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the live cluster (check --kubeconfig and --context): %w", err)
	}
	inv, err := inventory.List(ctx, cl, inventory.FromDeployment(dep), inventory.DefaultControllers())
	return cl, inv, err
}
