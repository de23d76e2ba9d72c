package openbao

import (
	"fmt"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// Paths inside the server container (ModeChart); the external mode uses the
// same layout so one runbook fits both.
const (
	dataPath      = "/openbao/data"
	hsmMountPath  = "/openbao/hsm"
	hsmConfigPath = "/openbao/hsm-config"
	listenAddr    = "[::]:8200"
	clusterListen = "[::]:8201"
)

// RenderConfig renders the server configuration with a real HCL writer. In
// ModeChart it is the one file every pod loads (node id, api_addr and
// cluster_addr come per pod from the chart's BAO_RAFT_NODE_ID, BAO_API_ADDR and
// BAO_CLUSTER_ADDR); in ModeExternal it is the file of Nodes[0] (see
// RenderNodeConfig). args are defaulted and validated first; nothing secret
// is ever rendered.
func RenderConfig(name string, args *OpenBaoArgs) ([]byte, error) {
	a, err := prepare(name, args)
	if err != nil {
		return nil, err
	}
	if a.Mode == ModeExternal {
		return renderConfig(name, &a, &a.Nodes[0]), nil
	}
	return renderConfig(name, &a, nil), nil
}

// RenderNodeConfig renders the configuration of one ModeExternal node
// (node_id, api_addr, cluster_addr and retry_join to the other nodes).
func RenderNodeConfig(name string, args *OpenBaoArgs, node Node) ([]byte, error) {
	a, err := prepare(name, args)
	if err != nil {
		return nil, err
	}
	return renderConfig(name, &a, &node), nil
}

// RenderSeal renders only the seal stanzas for version: plugin_directory and
// plugin "kms" "pkcs11" (≥ 2.6) and seal "pkcs11". The seal never carries the
// PIN; OpenBao reads it from BAO_HSM_PIN. It validates like OpenBaoArgs.Validate.
func RenderSeal(seal SealArgs, version string) ([]byte, error) {
	a := OpenBaoArgs{Mode: ModeExternal, Version: version, Seal: seal, APIAddr: "https://placeholder:8200",
		Nodes: []Node{{ID: "n", APIAddr: "https://n:8200", ClusterAddr: "https://n:8201"}}, Bootstrap: BootstrapArgs{Disabled: true}}
	a = a.withDefaults("openbao")
	if err := a.validate("openbao", false); err != nil {
		return nil, err
	}
	f := hclwrite.NewEmptyFile()
	writeSeal(f.Body(), &a)
	return f.Bytes(), nil
}

func prepare(name string, args *OpenBaoArgs) (OpenBaoArgs, error) {
	if args == nil {
		return OpenBaoArgs{}, fmt.Errorf("openbao %q: args are required", name)
	}
	a := args.withDefaults(name)
	if err := a.validate("openbao", false); err != nil {
		return OpenBaoArgs{}, err
	}
	return a, nil
}

func str(s string) cty.Value { return cty.StringVal(s) }

func renderConfig(name string, a *OpenBaoArgs, node *Node) []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.SetAttributeValue("ui", cty.BoolVal(a.UI))
	if node != nil {
		body.SetAttributeValue("api_addr", str(node.APIAddr))
		body.SetAttributeValue("cluster_addr", str(node.ClusterAddr))
	}
	// disable_mlock is deliberately absent: OpenBao 2.0 removed mlock, and a
	// config with disable_mlock = false no longer starts. Swap must be off or
	// encrypted on the platform instead.
	body.AppendNewline()

	storage := body.AppendNewBlock("storage", []string{"raft"}).Body()
	storage.SetAttributeValue("path", str(dataPath))
	if node != nil {
		storage.SetAttributeValue("node_id", str(node.ID))
	}
	for _, peer := range peers(name, a, node) {
		rj := storage.AppendNewBlock("retry_join", nil).Body()
		rj.SetAttributeValue("leader_api_addr", str(peer))
		rj.SetAttributeValue("leader_ca_cert_file", str(a.TLS.CAFile))
	}

	body.AppendNewline()
	l := body.AppendNewBlock("listener", []string{"tcp"}).Body()
	l.SetAttributeValue("address", str(listenAddr))
	l.SetAttributeValue("cluster_address", str(clusterListen))
	l.SetAttributeValue("tls_cert_file", str(a.TLS.CertFile))
	l.SetAttributeValue("tls_key_file", str(a.TLS.KeyFile))
	l.SetAttributeValue("tls_min_version", str("tls13"))

	if a.Mode == ModeChart {
		body.AppendNewline()
		body.AppendNewBlock("service_registration", []string{"kubernetes"})
	}

	body.AppendNewline()
	writeSeal(body, a)

	body.AppendNewline()
	t := body.AppendNewBlock("telemetry", nil).Body()
	t.SetAttributeValue("prometheus_retention_time", str(a.Telemetry.PrometheusRetention))
	t.SetAttributeValue("disable_hostname", cty.True)

	body.AppendNewline()
	au := body.AppendNewBlock("audit", []string{"file", "file"}).Body()
	au.SetAttributeValue("description", str("Rampart: every request and response, HMAC-ed"))
	au.AppendNewBlock("options", nil).Body().SetAttributeValue("file_path", str(a.Audit.FilePath))

	if !a.Bootstrap.Disabled {
		body.AppendNewline()
		writeInitialize(body, a)
	}
	return f.Bytes()
}

// peers are the raft retry_join targets.
func peers(name string, a *OpenBaoArgs, node *Node) []string {
	var out []string
	if a.Mode == ModeChart {
		fn := fullname(name)
		for i := range *a.Replicas {
			out = append(out, fmt.Sprintf("https://%s-%d.%s-internal:8200", fn, i, fn))
		}
		return out
	}
	for _, n := range a.Nodes {
		if node == nil || n.ID != node.ID {
			out = append(out, n.APIAddr)
		}
	}
	return out
}

func writeSeal(body *hclwrite.Body, a *OpenBaoArgs) {
	s := &a.Seal
	if usesPluginSeal(a.Version) {
		body.SetAttributeValue("plugin_directory", str(s.PluginDirectory))
		body.AppendNewline()
		pb := body.AppendNewBlock("plugin", []string{"kms", string(SealPKCS11)}).Body()
		if s.PluginImage != "" {
			pb.SetAttributeValue("image", str(a.pluginImage()))
			pb.SetAttributeValue("version", str(s.PluginVersion))
		} else {
			pb.SetAttributeValue("command", str(s.PluginCommand))
			if s.PluginVersion != "" {
				pb.SetAttributeValue("version", str(s.PluginVersion))
			}
		}
		pb.SetAttributeValue("sha256sum", str(s.PluginSHA256))
		body.AppendNewline()
	}
	sb := body.AppendNewBlock("seal", []string{string(SealPKCS11)}).Body()
	sb.SetAttributeValue("lib", str(s.Lib))
	if s.Slot != "" {
		sb.SetAttributeValue("slot", str(s.Slot))
	}
	if s.TokenLabel != "" {
		sb.SetAttributeValue("token_label", str(s.TokenLabel))
	}
	sb.SetAttributeValue("key_label", str(s.KeyLabel))
	sb.SetAttributeValue("mechanism", str(string(s.Mechanism)))
	if s.Mechanism == MechanismRSAOAEP {
		sb.SetAttributeValue("rsa_oaep_hash", str(s.RSAOAEPHash))
	}
}

// writeInitialize renders the self-initialisation stanzas. They run once, on
// the first start of an auto-unsealed cluster, with a transient root token
// that OpenBao revokes afterwards; no root token or recovery key is ever
// returned. They leave exactly one way in for automation: the deployer user,
// whose tokens are short-lived and scoped by the deployer policy.
func writeInitialize(body *hclwrite.Body, a *OpenBaoArgs) {
	b := &a.Bootstrap
	ib := body.AppendNewBlock("initialize", []string{"rampart-deployer"}).Body()

	r := ib.AppendNewBlock("request", []string{"deployer-policy"}).Body()
	r.SetAttributeValue("operation", str("update"))
	r.SetAttributeValue("path", str("sys/policies/acl/"+b.DeployerUsername))
	r.SetAttributeValue("data", cty.ObjectVal(map[string]cty.Value{"policy": str(b.DeployerPolicy)}))

	ib.AppendNewline()
	r = ib.AppendNewBlock("request", []string{"enable-userpass"}).Body()
	r.SetAttributeValue("operation", str("update"))
	r.SetAttributeValue("path", str("sys/auth/userpass"))
	r.SetAttributeValue("data", cty.ObjectVal(map[string]cty.Value{"type": str("userpass")}))

	ib.AppendNewline()
	r = ib.AppendNewBlock("request", []string{"deployer-user"}).Body()
	r.SetAttributeValue("operation", str("update"))
	r.SetAttributeValue("path", str("auth/userpass/users/"+b.DeployerUsername))
	r.SetAttributeValue("data", cty.ObjectVal(map[string]cty.Value{
		"password": cty.ObjectVal(map[string]cty.Value{
			"eval_type":       str("string"),
			"eval_source":     str("env"),
			"env_var":         str(DeployerPasswordEnv),
			"require_present": cty.True,
		}),
		"token_policies": cty.TupleVal([]cty.Value{str(b.DeployerUsername)}),
		"token_ttl":      str(b.TokenTTL),
		"token_max_ttl":  str(b.TokenMaxTTL),
		"token_type":     str("service"),
	}))
}

// defaultDeployerPolicy is what the Rampart stack configures through the vault
// provider (PKI mounts and roles, auth methods, policies), plus child tokens,
// which the provider creates for every run. It is rendered with the same HCL
// writer and travels as a string inside the config.
func defaultDeployerPolicy() string {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	rule := func(p string, caps ...string) {
		vals := make([]cty.Value, len(caps))
		for i, c := range caps {
			vals[i] = str(c)
		}
		body.AppendNewBlock("path", []string{p}).Body().SetAttributeValue("capabilities", cty.ListVal(vals))
	}
	crud := []string{"create", "read", "update", "patch", "delete", "list"}
	rule("sys/mounts", "read", "list")
	rule("sys/mounts/*", crud...)
	rule("pki*", crud...)
	rule("sys/auth", "read", "list")
	rule("sys/auth/*", "create", "read", "update", "delete", "sudo")
	rule("auth/*", crud...)
	rule("sys/policies/acl/*", crud...)
	rule("auth/token/create", "create", "update")
	rule("auth/token/lookup-self", "read")
	rule("auth/token/renew-self", "update")
	rule("auth/token/revoke-self", "update")
	return string(f.Bytes())
}
