package main

import "github.com/spf13/cobra"

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
