package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/apiserver"
	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
	"github.com/rampart-dev/rampart/apiserver/authn"
	"github.com/rampart-dev/rampart/apiserver/encryption"
	"github.com/spf13/cobra"
)

// newAPIServerCmd is `rampart apiserver`: the files kube-apiserver loads
// through a flag (the audit policy, the authentication configuration) and the kubeadm / RKE2 / Talos
// snippets that make the control-plane nodes load them. They are node
// configuration, never API objects, so never Pulumi resources. The lab's
// kube-apiserver runs on this output (lab/services/kube.sh), byte for byte.
// One subcommand per registered config (apiserver.Registered), plus render
// for all of them.
func newAPIServerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apiserver",
		Short: "Render the files kube-apiserver loads (audit policy, authentication and encryption configs) and their kubeadm, RKE2, Talos snippets",
		Long: `Renders the files kube-apiserver loads through a flag, from typed upstream
structs (the audit policy: audit.k8s.io/v1, the sovereign-cloud hardening guide;
the OIDC login: apiserver.config.k8s.io/v1 AuthenticationConfiguration;
Secrets encrypted at rest through the OpenBao KMS plugin: apiserver.config.k8s.io/v1
EncryptionConfiguration), and the kubeadm, RKE2 and Talos snippets that make the control-plane nodes load
them. These files are API-server flags, not API objects: they belong in the
node configuration, never in a Pulumi stack.`,
		Example: `  rampart apiserver render --out ./nodes        # every file and the three snippets
  rampart apiserver audit-policy > audit-policy.yaml
  rampart apiserver authentication-config --oidc-issuer https://keycloak.example/realms/platform --oidc-ca-file ca.crt
  rampart apiserver encryption-provider-config --kms-endpoint unix:///var/run/kmsplugin/socket.sock`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAPIServerRenderCmd())
	for _, c := range apiserver.Registered(nil) {
		cmd.AddCommand(newAPIServerFileCmd(c.Name(), c.Name(), "rampart apiserver "+c.Name()))
	}
	return cmd
}

// configFlags binds each registered config's own flags to its args in s; a
// config whose args the CLI sets gets one entry here.
var configFlags = map[string]func(cmd *cobra.Command, s *apiserver.Settings){
	"audit-policy": func(cmd *cobra.Command, s *apiserver.Settings) {
		cmd.Flags().StringVar(&s.Audit.PolicyPath, "policy-path", "", "audit policy file `PATH` on the control-plane nodes (default "+auditpolicy.DefaultPolicyPath+")")
		cmd.Flags().StringVar(&s.Audit.LogPath, "log-path", "", "audit log `PATH` on the control-plane nodes (default "+auditpolicy.DefaultLogPath+")")
	},
	"authentication-config": func(cmd *cobra.Command, s *apiserver.Settings) {
		f := cmd.Flags()
		f.StringVar(&s.Authn.IssuerURL, "oidc-issuer", "", "OIDC issuer `URL`, exactly the tokens' iss (https; required for the authentication config)")
		f.StringVar(&s.Authn.CAFile, "oidc-ca-file", "", "PEM `FILE` of the CA that signs the issuer's TLS certificate, written into the file (default: the node's system roots)")
		f.StringSliceVar(&s.Authn.Audiences, "oidc-audience", nil, "client `ID` a token must be issued to; repeat for more (default "+authn.DefaultAudience+")")
		f.StringVar(&s.Authn.UsernameClaim, "oidc-username-claim", "", "`CLAIM` that becomes the username (default "+authn.DefaultUsernameClaim+")")
		f.StringVar(&s.Authn.UsernamePrefix, "oidc-username-prefix", "", "`PREFIX` of every username; never system: (default "+authn.DefaultUsernamePrefix+")")
		f.StringVar(&s.Authn.GroupsClaim, "oidc-groups-claim", "", "`CLAIM` listing the groups (default "+authn.DefaultGroupsClaim+")")
		f.StringVar(&s.Authn.GroupsPrefix, "oidc-groups-prefix", "", "`PREFIX` of every group; never system: (default "+authn.DefaultGroupsPrefix+")")
		f.StringVar(&s.Authn.ConfigPath, "authentication-config-path", "", "authentication config file `PATH` on the control-plane nodes (default "+authn.DefaultConfigPath+")")
	},
	"encryption-provider-config": func(cmd *cobra.Command, s *apiserver.Settings) {
		f := cmd.Flags()
		f.StringVar(&s.Encryption.Endpoint, "kms-endpoint", "", "KMS plugin socket `ENDPOINT`, unix:///… (required for the encryption config)")
		f.StringVar(&s.Encryption.ProviderName, "kms-name", "", "KMS provider `NAME`; never change it while encrypted data exists (default "+encryption.DefaultProviderName+")")
		f.DurationVar(&s.Encryption.Timeout, "kms-timeout", 0, "bound of each call to the KMS plugin (default "+encryption.DefaultTimeout.String()+")")
		f.StringSliceVar(&s.Encryption.Resources, "encrypt-resource", nil, "`RESOURCE` to encrypt (resource or resource.group); repeat for more (default "+strings.Join(encryption.DefaultResources, ",")+")")
		f.StringVar(&s.Encryption.ConfigPath, "encryption-config-path", "", "encryption config file `PATH` on the control-plane nodes (default "+encryption.DefaultConfigPath+")")
	},
}

// newAPIServerRenderCmd is `rampart apiserver render --out DIR`.
func newAPIServerRenderCmd() *cobra.Command {
	var s apiserver.Settings
	var out string
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Write every file kube-apiserver loads and the kubeadm, RKE2, Talos snippets into a directory",
		Long: `Writes every registered file (` + fileNames() + `) and the
kubeadm, RKE2 and Talos snippets that load them all into --out DIR. The
authentication config is written only with --oidc-issuer (there is no
default issuer), the encryption config only with --kms-endpoint (there is no
default KMS plugin). Files are replaced atomically.`,
		Example: `  rampart apiserver render --out ./nodes
  rampart apiserver render --out ./nodes --policy-path /etc/rancher/rke2/audit-policy.yaml
  rampart apiserver render --out ./nodes --oidc-issuer https://keycloak.example/realms/platform --oidc-ca-file ca.crt`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			files, err := apiserver.RenderAll(apiserver.Configs(&s))
			if err != nil {
				return err
			}
			return writeFiles(out, files)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the files into `DIR` (created if missing)")
	_ = cmd.MarkFlagRequired("out")
	_ = cmd.MarkFlagDirname("out")
	for _, c := range apiserver.Registered(nil) {
		if bind, ok := configFlags[c.Name()]; ok {
			bind(cmd, &s)
		}
	}
	return cmd
}

// newAPIServerFileCmd is `rampart apiserver NAME` for the config name (use
// is the command word, example the command line its examples show): the
// file on stdout or --out FILE and, with --snippets DIR, that config's
// snippets.
func newAPIServerFileCmd(use, name, example string) *cobra.Command {
	var s apiserver.Settings
	var out, snippets string
	c, _ := apiserver.Lookup(apiserver.Registered(nil), name)
	cmd := &cobra.Command{
		Use:   use,
		Short: "Render " + c.FileName() + " (--" + c.Flag() + ") and its kubeadm, RKE2, Talos snippets",
		Long: `Renders ` + c.FileName() + `, the file kube-apiserver loads with --` + c.Flag() + `, to
stdout or --out FILE, and with --snippets DIR the kubeadm, RKE2 and Talos
snippets that make the control-plane nodes load it. Files are replaced
atomically. The file is an API-server flag, not an API object: it belongs in
the node configuration, never in a Pulumi stack.`,
		Example: "  " + example + " > " + c.FileName() + "\n  " + example + " --out /etc/kubernetes/" + c.FileName() + "\n  " +
			example + " --snippets ./nodes",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, _ := apiserver.Lookup(apiserver.Registered(&s), name)
			return runAPIServerFile(cmd.OutOrStdout(), c, out, snippets)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the file to `FILE` instead of stdout")
	cmd.Flags().StringVar(&snippets, "snippets", "", "also write the kubeadm, RKE2 and Talos snippets into `DIR`")
	_ = cmd.MarkFlagDirname("snippets")
	if bind, ok := configFlags[name]; ok {
		bind(cmd, &s)
	}
	return cmd
}

// newAuditPolicyAliasCmd keeps `rampart audit-policy`, hidden: every policy
// file Rampart rendered says it came from that command (the header is part
// of the bytes, kept unchanged), so the name a reader finds there works.
func newAuditPolicyAliasCmd() *cobra.Command {
	cmd := newAPIServerFileCmd("audit-policy", "audit-policy", "rampart audit-policy")
	cmd.Hidden = true
	cmd.Short += " (alias of `rampart apiserver audit-policy`)"
	return cmd
}

// runAPIServerFile renders c to stdout (or out) and its snippets into
// snippets when set.
func runAPIServerFile(stdout io.Writer, c apiserver.Config, out, snippets string) error {
	body, err := c.Render()
	if err != nil {
		return err
	}
	if snippets != "" {
		files, err := apiserver.RenderSnippets([]apiserver.Config{c})
		if err != nil {
			return err
		}
		if err := writeFiles(snippets, files); err != nil {
			return err
		}
	}
	if out == "" {
		_, err := stdout.Write(body)
		return err
	}
	return writeFileAtomic(out, body)
}

// writeFiles writes files into dir (created if missing), in name order.
func writeFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("apiserver: %w", err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := writeFileAtomic(filepath.Join(dir, n), files[n]); err != nil {
			return err
		}
	}
	return nil
}

// fileNames lists the registered configs' file names for the help text.
func fileNames() string {
	var s string
	for i, c := range apiserver.Registered(nil) {
		if i > 0 {
			s += ", "
		}
		s += c.FileName()
	}
	return s
}

// writeFileAtomic replaces path in one rename, so a reader (the API server
// at start, the lab comparing versions) never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("apiserver: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("apiserver: write %s: %w", path, err)
	}
	// World-readable like any config file: the API server may run as a
	// non-root UID (Talos). A file holding a secret would need its own mode.
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("apiserver: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("apiserver: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("apiserver: %w", err)
	}
	return nil
}
