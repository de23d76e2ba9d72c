// Command rampart-kms is Rampart's KMS v2 plugin for kube-apiserver
// (helpers/kmsplugin): it wraps the API server's data keys with an OpenBao
// transit key and serves the KMS v2 gRPC API on a unix socket until SIGTERM
// or SIGINT.
//
//	rampart-kms --address https://openbao.example:8200 --token-file /etc/rampart-kms/token \
//	  [--ca-file /etc/rampart-kms/ca.crt] [--transit-mount transit] [--key-name kubernetes-kms] \
//	  [--listen unix:///var/run/kmsplugin/socket.sock] [--timeout 2s] [--key-refresh 1m]
//
// The token is read from --token-file only, never from the environment.
// `rampart-kms policy` prints the OpenBao policy its token needs and
// `rampart-kms static-pod` the control-plane static pod that runs it.
// Exit codes: 0 after a signal, 1 on a bad flag or a failure to serve.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rampart-dev/rampart/helpers/kmsplugin"
	"github.com/rampart-dev/rampart/helpers/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit code; printed
// documents go to stdout, logs and errors to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newRootCmd(stderr)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	if err := cmd.ExecuteContext(ctx); err != nil {
		_, _ = fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// newRootCmd serves the plugin; its flags are kmsplugin.Options, field by
// field (Options.Args writes them back). Its subcommands print what a node
// needs to run it.
func newRootCmd(stderr io.Writer) *cobra.Command {
	var o kmsplugin.Options
	cmd := &cobra.Command{
		Use:   "rampart-kms",
		Short: "KMS v2 plugin for kube-apiserver over an OpenBao transit key",
		Long: `Serves the KMS v2 API kube-apiserver calls to wrap and unwrap the data keys
that encrypt Secrets in etcd. Every wrap and unwrap is an OpenBao transit
call on one key (aes256-gcm96, not exportable); the key ID is the key's
version, so rotating the key rotates new writes. The OpenBao token comes
from --token-file, re-read when the file changes.`,
		Version:       version.Get().String(),
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := kmsplugin.New(o)
			if err != nil {
				return err
			}
			o = o.WithDefaults()
			log := slog.New(slog.NewTextHandler(stderr, nil))
			log.Info("serving", "listen", o.Listen, "address", o.Address, "transitMount", o.TransitMount, "keyName", o.KeyName)
			if err := kmsplugin.Serve(cmd.Context(), o.Listen, o.Timeout, p); err != nil {
				return err
			}
			log.Info("stopped")
			return nil
		},
	}
	pluginFlags(cmd, &o)
	cmd.AddCommand(newPolicyCmd(), newStaticPodCmd())
	return cmd
}

// pluginFlags binds the plugin's flags (kmsplugin.Options) to cmd.
func pluginFlags(cmd *cobra.Command, o *kmsplugin.Options) {
	f := cmd.Flags()
	f.StringVar(&o.Address, "address", "", "OpenBao `URL` (https; required)")
	f.StringVar(&o.TransitMount, "transit-mount", "", "transit engine mount `PATH` (default "+kmsplugin.DefaultTransitMount+")")
	f.StringVar(&o.KeyName, "key-name", "", "transit `KEY` that wraps the data keys (default "+kmsplugin.DefaultKeyName+")")
	f.StringVar(&o.TokenFile, "token-file", "", "`FILE` holding the OpenBao token, re-read when it changes (required)")
	f.StringVar(&o.CAFile, "ca-file", "", "PEM `FILE` of the CA that signs OpenBao's certificate (default: the system roots)")
	f.StringVar(&o.Listen, "listen", "", "unix socket `ENDPOINT` kube-apiserver dials (default "+kmsplugin.DefaultListen+")")
	f.DurationVar(&o.Timeout, "timeout", 0, "bound of each OpenBao call (default "+kmsplugin.DefaultTimeout.String()+")")
	f.DurationVar(&o.KeyRefresh, "key-refresh", 0, "how long the key's latest version is cached (default "+kmsplugin.DefaultKeyRefresh.String()+")")
}

// newPolicyCmd prints the OpenBao policy the plugin's token needs.
func newPolicyCmd() *cobra.Command {
	var mount, key string
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Print the OpenBao policy the plugin's token needs (HCL)",
		Long: `Prints the policy for the plugin's token: update on encrypt and decrypt of
the one transit key, read on its metadata, nothing else. Load it with
` + "`bao policy write " + kmsplugin.PolicyName + " -`" + ` (rampart:kms creates it for a stack).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			hcl, err := kmsplugin.Policy(mount, key)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(hcl)
			return err
		},
	}
	cmd.Flags().StringVar(&mount, "transit-mount", "", "transit engine mount `PATH` (default "+kmsplugin.DefaultTransitMount+")")
	cmd.Flags().StringVar(&key, "key-name", "", "transit `KEY` (default "+kmsplugin.DefaultKeyName+")")
	return cmd
}

// newStaticPodCmd prints the static pod manifest that runs the plugin on a
// control-plane node, with the plugin's flags.
func newStaticPodCmd() *cobra.Command {
	var a kmsplugin.PodArgs
	cmd := &cobra.Command{
		Use:   "static-pod",
		Short: "Print the static pod manifest that runs the plugin on a control-plane node",
		Long: `Prints the static pod for /etc/kubernetes/manifests (kubeadm) or its
distribution's equivalent: the plugin as a non-root user with a read-only
root file system, the token file and CA mounted read-only, the socket
directory shared with kube-apiserver. The node prepares the token file and
the socket directory owned by the plugin's UID.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := kmsplugin.RenderStaticPod(&a)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().StringVar(&a.Image, "image", "", "the plugin's `IMAGE`, pinned by digest (required)")
	cmd.Flags().Int64Var(&a.RunAsUser, "run-as-user", 0, fmt.Sprintf("`UID` and GID the plugin runs as (default %d)", kmsplugin.DefaultRunAsUser))
	pluginFlags(cmd, &a.Plugin)
	return cmd
}
