package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/rampart-dev/rampart/components/auditpolicy"
	"github.com/spf13/cobra"
)

// newAuditPolicyCmd is `rampart audit-policy`: the API-server audit policy
// (stdout, or --out FILE) and, with --snippets, the kubeadm / RKE2 / Talos
// snippets that make the control-plane nodes load it. The policy is an
// API-server flag, not an API object, so this is a file for the node
// configuration, never a Pulumi resource. The lab's kube-apiserver runs on
// this output (lab/services/kube.sh), byte for byte.
func newAuditPolicyCmd() *cobra.Command {
	var out, snippets string
	var a auditpolicy.Args
	cmd := &cobra.Command{
		Use:   "audit-policy",
		Short: "Render the kube-apiserver audit policy (and kubeadm, RKE2, Talos snippets)",
		Long: `Renders the API-server audit policy (typed audit.k8s.io/v1, seed 004) to stdout
or --out FILE, and with --snippets DIR the kubeadm, RKE2 and Talos snippets
that make the control-plane nodes load it. Files are replaced atomically.
The policy is an API-server flag, not an API object: it belongs in the node
configuration, never in a Pulumi stack.`,
		Example: `  rampart audit-policy > audit-policy.yaml
  rampart audit-policy --out /etc/kubernetes/audit-policy.yaml
  rampart audit-policy --snippets ./nodes --policy-path /etc/rancher/rke2/audit-policy.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAuditPolicy(cmd.OutOrStdout(), &a, out, snippets)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the policy to `FILE` instead of stdout")
	cmd.Flags().StringVar(&snippets, "snippets", "", "also write the kubeadm, RKE2 and Talos snippets into `DIR`")
	cmd.Flags().StringVar(&a.PolicyPath, "policy-path", "", "policy file `PATH` on the control-plane nodes (default "+auditpolicy.DefaultPolicyPath+")")
	cmd.Flags().StringVar(&a.LogPath, "log-path", "", "audit log `PATH` on the control-plane nodes (default "+auditpolicy.DefaultLogPath+")")
	_ = cmd.MarkFlagDirname("snippets")
	return cmd
}

// runAuditPolicy renders the policy to stdout (or out) and the snippets
// into snippets when set.
func runAuditPolicy(stdout io.Writer, a *auditpolicy.Args, out, snippets string) error {
	policy, err := auditpolicy.Render(a)
	if err != nil {
		return err
	}
	if snippets != "" {
		files, err := auditpolicy.RenderSnippets(a)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(snippets, 0o750); err != nil {
			return fmt.Errorf("audit-policy: --snippets: %w", err)
		}
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if err := writeFileAtomic(filepath.Join(snippets, n), files[n]); err != nil {
				return err
			}
		}
	}
	if out == "" {
		_, err := stdout.Write(policy)
		return err
	}
	return writeFileAtomic(out, policy)
}

// writeFileAtomic replaces path in one rename, so a reader (the API server
// at start, the lab comparing versions) never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("audit-policy: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("audit-policy: write %s: %w", path, err)
	}
	// World-readable like any config file: the API server may run as a
	// non-root UID (Talos), and the policy holds no secret.
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("audit-policy: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("audit-policy: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("audit-policy: %w", err)
	}
	return nil
}
