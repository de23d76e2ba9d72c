package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/rampart-dev/rampart/components/auditpolicy"
)

// runAuditPolicy is `rampart audit-policy [--out FILE] [--snippets DIR]
// [--policy-path P] [--log-path L]`: the API-server audit policy (stdout, or
// FILE) and, with --snippets, the kubeadm / RKE2 / Talos snippets that make
// the control-plane nodes load it. The policy is an API-server flag, not an
// API object, so this is a file for the node configuration, never a Pulumi
// resource. The lab's kube-apiserver runs on this output (lab/services/kube.sh).
func runAuditPolicy(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("audit-policy", flag.ContinueOnError)
	out := fs.String("out", "", "write the policy to FILE instead of stdout")
	snippets := fs.String("snippets", "", "also write the kubeadm, RKE2 and Talos snippets into DIR")
	var a auditpolicy.Args
	fs.StringVar(&a.PolicyPath, "policy-path", "", "policy file path on the control-plane nodes (default "+auditpolicy.DefaultPolicyPath+")")
	fs.StringVar(&a.LogPath, "log-path", "", "audit log path on the control-plane nodes (default "+auditpolicy.DefaultLogPath+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("audit-policy: unexpected argument %q", fs.Arg(0))
	}
	policy, err := auditpolicy.Render(&a)
	if err != nil {
		return err
	}
	if *snippets != "" {
		files, err := auditpolicy.RenderSnippets(&a)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(*snippets, 0o750); err != nil {
			return fmt.Errorf("audit-policy: %w", err)
		}
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if err := writeFileAtomic(filepath.Join(*snippets, n), files[n]); err != nil {
				return err
			}
		}
	}
	if *out == "" {
		_, err := stdout.Write(policy)
		return err
	}
	return writeFileAtomic(*out, policy)
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
