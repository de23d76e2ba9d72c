package openbao_test

import (
	"strings"
	"testing"

	hcl1 "github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/rampart-dev/rampart/components/openbao"
)

// The schema below is strict: gohcl fails on any attribute or block it does
// not list, so a stray `pin`, `disable_mlock` or `hmac_*` in the rendered
// config fails the parse instead of slipping through.
type serverFile struct {
	UI              bool              `hcl:"ui"`
	APIAddr         *string           `hcl:"api_addr,optional"`
	ClusterAddr     *string           `hcl:"cluster_addr,optional"`
	PluginDirectory *string           `hcl:"plugin_directory,optional"`
	Storage         []storageBlock    `hcl:"storage,block"`
	Listener        []listenerBlock   `hcl:"listener,block"`
	ServiceReg      []serviceRegBlock `hcl:"service_registration,block"`
	Plugin          []pluginBlock     `hcl:"plugin,block"`
	Seal            []sealBlock       `hcl:"seal,block"`
	Telemetry       []telemetryBlock  `hcl:"telemetry,block"`
	Audit           []auditBlock      `hcl:"audit,block"`
	Initialize      []initializeBlock `hcl:"initialize,block"`
}

type storageBlock struct {
	Type      string           `hcl:"type,label"`
	Path      string           `hcl:"path"`
	NodeID    *string          `hcl:"node_id,optional"`
	RetryJoin []retryJoinBlock `hcl:"retry_join,block"`
}

type retryJoinBlock struct {
	LeaderAPIAddr    string `hcl:"leader_api_addr"`
	LeaderCACertFile string `hcl:"leader_ca_cert_file"`
}

type listenerBlock struct {
	Type           string `hcl:"type,label"`
	Address        string `hcl:"address"`
	ClusterAddress string `hcl:"cluster_address"`
	TLSCertFile    string `hcl:"tls_cert_file"`
	TLSKeyFile     string `hcl:"tls_key_file"`
	TLSMinVersion  string `hcl:"tls_min_version"`
}

type serviceRegBlock struct {
	Type string `hcl:"type,label"`
}

type pluginBlock struct {
	Type      string  `hcl:"type,label"`
	Name      string  `hcl:"name,label"`
	Command   *string `hcl:"command,optional"`
	Image     *string `hcl:"image,optional"`
	Version   *string `hcl:"version,optional"`
	SHA256Sum string  `hcl:"sha256sum"`
}

type sealBlock struct {
	Type        string  `hcl:"type,label"`
	Lib         string  `hcl:"lib"`
	Slot        *string `hcl:"slot,optional"`
	TokenLabel  *string `hcl:"token_label,optional"`
	KeyLabel    string  `hcl:"key_label"`
	Mechanism   string  `hcl:"mechanism"`
	RSAOAEPHash *string `hcl:"rsa_oaep_hash,optional"`
}

type telemetryBlock struct {
	PrometheusRetentionTime string `hcl:"prometheus_retention_time"`
	DisableHostname         bool   `hcl:"disable_hostname"`
}

type auditBlock struct {
	Type        string `hcl:"type,label"`
	Path        string `hcl:"path,label"`
	Description string `hcl:"description"`
	Options     []struct {
		FilePath string `hcl:"file_path"`
	} `hcl:"options,block"`
}

type initializeBlock struct {
	Name     string `hcl:"name,label"`
	Requests []struct {
		Name      string    `hcl:"name,label"`
		Operation string    `hcl:"operation"`
		Path      string    `hcl:"path"`
		Data      cty.Value `hcl:"data"`
	} `hcl:"request,block"`
}

// parseConfig parses src with the HCL 2 native-syntax parser and decodes it
// strictly into serverFile; it also parses it with HCL 1 (the parser OpenBao
// itself uses), so the file means the same to both.
func parseConfig(t *testing.T, src []byte) serverFile {
	t.Helper()
	f, diags := hclsyntax.ParseConfig(src, "config.hcl", hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		t.Fatalf("rendered config does not parse: %s\n%s", diags.Error(), src)
	}
	var out serverFile
	if diags := gohcl.DecodeBody(f.Body, nil, &out); diags.HasErrors() {
		t.Fatalf("rendered config does not decode: %s\n%s", diags.Error(), src)
	}
	if _, err := hcl1.ParseBytes(src); err != nil {
		t.Fatalf("OpenBao's HCL 1 parser rejects the config: %v\n%s", err, src)
	}
	return out
}

// hcl1Strings decodes src with HCL 1 (OpenBao's parser) and collects every
// string value by its key, wherever it is nested.
func hcl1Strings(t *testing.T, src []byte) map[string][]string {
	t.Helper()
	var root map[string]any
	if err := hcl1.Decode(&root, string(src)); err != nil {
		t.Fatalf("HCL 1 decode: %v", err)
	}
	out := map[string][]string{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok {
					out[k] = append(out[k], s)
				}
				walk(e)
			}
		case []map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(root)
	return out
}

const sum = "9fdd8be7947e4a4caf7cce4f0e02695081b6c85178aa912df5d37be97363144c"

func externalArgs() *openbao.OpenBaoArgs {
	return &openbao.OpenBaoArgs{
		Mode:    openbao.ModeExternal,
		APIAddr: "https://bao.sovereign.example:8200",
		Nodes: []openbao.Node{
			{ID: "bao-1", APIAddr: "https://bao-1.example:8200", ClusterAddr: "https://bao-1.example:8201"},
			{ID: "bao-2", APIAddr: "https://bao-2.example:8200", ClusterAddr: "https://bao-2.example:8201"},
			{ID: "bao-3", APIAddr: "https://bao-3.example:8200", ClusterAddr: "https://bao-3.example:8201"},
		},
		Seal: openbao.SealArgs{
			Lib: "/usr/lib/libCryptoki2_64.so", Slot: "0", KeyLabel: "vault-unseal-key",
			Mechanism: "CKM_AES_GCM", PluginSHA256: sum,
		},
	}
}

func str(p *string) string {
	if p == nil {
		return "<unset>"
	}
	return *p
}

func TestRenderNodeConfig_ParsesBackFieldByField(t *testing.T) {
	a := externalArgs()
	src, err := openbao.RenderNodeConfig("openbao", a, a.Nodes[1])
	if err != nil {
		t.Fatal(err)
	}
	c := parseConfig(t, src)
	// OpenBao 2.0 removed mlock; `disable_mlock = false` stops the server.
	if strings.Contains(string(src), "mlock") {
		t.Error("config mentions mlock")
	}

	if c.UI {
		t.Error("ui: want false by default")
	}
	if str(c.APIAddr) != "https://bao-2.example:8200" || str(c.ClusterAddr) != "https://bao-2.example:8201" {
		t.Errorf("addresses: api_addr %s, cluster_addr %s", str(c.APIAddr), str(c.ClusterAddr))
	}
	if len(c.Storage) != 1 || c.Storage[0].Type != "raft" || c.Storage[0].Path != "/openbao/data" || str(c.Storage[0].NodeID) != "bao-2" {
		t.Fatalf("storage: %+v", c.Storage)
	}
	var joins []string
	for _, rj := range c.Storage[0].RetryJoin {
		joins = append(joins, rj.LeaderAPIAddr)
		if rj.LeaderCACertFile != "/openbao/tls/ca.crt" {
			t.Errorf("retry_join leader_ca_cert_file %q", rj.LeaderCACertFile)
		}
	}
	if strings.Join(joins, ",") != "https://bao-1.example:8200,https://bao-3.example:8200" {
		t.Errorf("retry_join: %v (must list the other nodes)", joins)
	}
	l := c.Listener
	if len(l) != 1 || l[0].Type != "tcp" || l[0].TLSMinVersion != "tls13" || l[0].TLSCertFile != "/openbao/tls/tls.crt" ||
		l[0].TLSKeyFile != "/openbao/tls/tls.key" || l[0].Address != "[::]:8200" || l[0].ClusterAddress != "[::]:8201" {
		t.Errorf("listener: %+v", l)
	}
	if len(c.ServiceReg) != 0 {
		t.Error("external mode must not register with Kubernetes")
	}
	if str(c.PluginDirectory) != "/openbao/hsm/plugins" {
		t.Errorf("plugin_directory %s", str(c.PluginDirectory))
	}
	if len(c.Plugin) != 1 || c.Plugin[0].Type != "kms" || c.Plugin[0].Name != "pkcs11" ||
		str(c.Plugin[0].Command) != "openbao-plugin-kms-pkcs11" || c.Plugin[0].SHA256Sum != sum || c.Plugin[0].Image != nil {
		t.Errorf("plugin: %+v", c.Plugin)
	}
	s := c.Seal
	if len(s) != 1 || s[0].Type != "pkcs11" || s[0].Lib != "/usr/lib/libCryptoki2_64.so" || str(s[0].Slot) != "0" ||
		s[0].TokenLabel != nil || s[0].KeyLabel != "vault-unseal-key" || s[0].Mechanism != "0x1087" || s[0].RSAOAEPHash != nil {
		t.Errorf("seal: %+v", s)
	}
	if len(c.Telemetry) != 1 || c.Telemetry[0].PrometheusRetentionTime != "30s" || !c.Telemetry[0].DisableHostname {
		t.Errorf("telemetry: %+v", c.Telemetry)
	}
	if len(c.Audit) != 1 || c.Audit[0].Type != "file" || len(c.Audit[0].Options) != 1 || c.Audit[0].Options[0].FilePath != "/openbao/audit/audit.log" {
		t.Errorf("audit: %+v", c.Audit)
	}
	checkInitialize(t, c, "rampart-deployer", "15m", "1h")
	v1 := hcl1Strings(t, src)
	if got := v1["policy"]; len(got) != 1 || got[0] != c.Initialize[0].Requests[0].Data.GetAttr("policy").AsString() {
		t.Error("HCL 1 and HCL 2 read different deployer policies")
	}
	if got := v1["node_id"]; len(got) != 1 || got[0] != "bao-2" {
		t.Errorf("HCL 1 node_id %q", got)
	}
}

func checkInitialize(t *testing.T, c serverFile, user, ttl, maxTTL string) {
	t.Helper()
	if len(c.Initialize) != 1 || c.Initialize[0].Name != "rampart-deployer" {
		t.Fatalf("initialize: %+v", c.Initialize)
	}
	reqs := c.Initialize[0].Requests
	if len(reqs) != 3 {
		t.Fatalf("initialize requests: %d", len(reqs))
	}
	want := []struct{ name, op, path string }{
		{"deployer-policy", "update", "sys/policies/acl/" + user},
		{"enable-userpass", "update", "sys/auth/userpass"},
		{"deployer-user", "update", "auth/userpass/users/" + user},
	}
	for i, w := range want {
		if reqs[i].Name != w.name || reqs[i].Operation != w.op || reqs[i].Path != w.path {
			t.Errorf("request %d: %s %s %s, want %+v", i, reqs[i].Name, reqs[i].Operation, reqs[i].Path, w)
		}
	}
	pol := reqs[0].Data.GetAttr("policy").AsString()
	pf, diags := hclsyntax.ParseConfig([]byte(pol), "policy.hcl", hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		t.Fatalf("deployer policy does not parse: %s", diags.Error())
	}
	paths := map[string]bool{}
	for _, b := range pf.Body.(*hclsyntax.Body).Blocks {
		paths[b.Labels[0]] = true
	}
	for _, p := range []string{"pki*", "sys/mounts/*", "auth/token/create"} {
		if !paths[p] {
			t.Errorf("deployer policy lacks path %q", p)
		}
	}
	if paths["*"] || paths["sys/*"] {
		t.Error("deployer policy must not be a wildcard root policy")
	}
	if got := reqs[1].Data.GetAttr("type").AsString(); got != "userpass" {
		t.Errorf("enable-userpass type %q", got)
	}
	d := reqs[2].Data
	pw := d.GetAttr("password")
	if pw.GetAttr("eval_source").AsString() != "env" || pw.GetAttr("env_var").AsString() != openbao.DeployerPasswordEnv ||
		pw.GetAttr("eval_type").AsString() != "string" || !pw.GetAttr("require_present").True() {
		t.Errorf("password must come from env %s: %#v", openbao.DeployerPasswordEnv, pw)
	}
	if d.GetAttr("token_ttl").AsString() != ttl || d.GetAttr("token_max_ttl").AsString() != maxTTL {
		t.Errorf("deployer token ttl %s/%s", d.GetAttr("token_ttl").AsString(), d.GetAttr("token_max_ttl").AsString())
	}
	pols := d.GetAttr("token_policies").AsValueSlice()
	if len(pols) != 1 || pols[0].AsString() != user {
		t.Errorf("token_policies %#v", pols)
	}
}

func TestRenderSeal_FormFollowsVersion(t *testing.T) {
	base := openbao.SealArgs{Lib: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "OpenBao", KeyLabel: "bao-root-key-aes"}
	withSum := base
	withSum.PluginSHA256 = sum
	oci := withSum
	oci.PluginImage, oci.PluginVersion = "registry.internal/openbao/openbao-plugin-kms-pkcs11", "v0.2.0"
	rsa := withSum
	rsa.Mechanism = "CKM_RSA_PKCS_OAEP"

	cases := []struct {
		name, version string
		seal          openbao.SealArgs
		plugin        bool
		image         string
		mech, hash    string
	}{
		{"2.4 built-in seal", "2.4.4", base, false, "", "0x1087", "<unset>"},
		{"2.5 built-in seal", "2.5.5", base, false, "", "0x1087", "<unset>"},
		{"2.6 plugin form", "2.6.2", withSum, true, "", "0x1087", "<unset>"},
		{"2.7 plugin form (built-in removed)", "2.7.0", withSum, true, "", "0x1087", "<unset>"},
		{"OCI plugin from mirror", "2.6.2", oci, true, "registry.internal/openbao/openbao-plugin-kms-pkcs11", "0x1087", "<unset>"},
		{"RSA OAEP gets sha256", "2.6.2", rsa, true, "", "0x0009", "sha256"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := openbao.RenderSeal(tc.seal, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := hclsyntax.ParseConfig(src, "seal.hcl", hcl.Pos{Line: 1, Column: 1})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			var c struct {
				PluginDirectory *string       `hcl:"plugin_directory,optional"`
				Plugin          []pluginBlock `hcl:"plugin,block"`
				Seal            []sealBlock   `hcl:"seal,block"`
			}
			if diags := gohcl.DecodeBody(f.Body, nil, &c); diags.HasErrors() {
				t.Fatalf("%s\n%s", diags.Error(), src)
			}
			if (len(c.Plugin) == 1) != tc.plugin || (c.PluginDirectory != nil) != tc.plugin {
				t.Fatalf("plugin form = %v, want %v:\n%s", len(c.Plugin) == 1, tc.plugin, src)
			}
			if tc.plugin {
				p := c.Plugin[0]
				if p.Type != "kms" || p.Name != "pkcs11" || p.SHA256Sum != sum {
					t.Errorf("plugin %+v", p)
				}
				if tc.image != "" {
					if str(p.Image) != tc.image || str(p.Version) != "v0.2.0" || p.Command != nil || str(c.PluginDirectory) != "/openbao/plugins" {
						t.Errorf("OCI plugin %+v dir %s", p, str(c.PluginDirectory))
					}
				} else if str(p.Command) != openbao.DefaultPluginCommand || p.Image != nil {
					t.Errorf("command plugin %+v", p)
				}
			}
			if len(c.Seal) != 1 || c.Seal[0].Type != "pkcs11" || str(c.Seal[0].TokenLabel) != "OpenBao" || c.Seal[0].Slot != nil ||
				c.Seal[0].KeyLabel != "bao-root-key-aes" || c.Seal[0].Mechanism != tc.mech || str(c.Seal[0].RSAOAEPHash) != tc.hash {
				t.Errorf("seal %+v", c.Seal)
			}
			if strings.Contains(string(src), "pin") {
				t.Errorf("the seal stanza must never carry the PIN:\n%s", src)
			}
		})
	}
}

// TestRenderSeal_RefusesSlotBesideTokenLabel: both used to reach the
// stanza, where they may name different tokens; now neither form renders.
func TestRenderSeal_RefusesSlotBesideTokenLabel(t *testing.T) {
	both := openbao.SealArgs{Lib: "/usr/lib/softhsm/libsofthsm2.so", Slot: "2", TokenLabel: "OpenBao", KeyLabel: "bao-root-key-aes", PluginSHA256: sum}
	for _, version := range []string{"2.5.5", "2.6.2"} {
		src, err := openbao.RenderSeal(both, version)
		if err == nil || !strings.Contains(err.Error(), `openbao.seal.slot: "2": set beside seal.tokenLabel`) {
			t.Errorf("%s: err = %v, want seal.slot refused beside seal.tokenLabel; rendered:\n%s", version, err, src)
		}
	}
}

func TestRenderConfig_ChartConfigSurvivesTheChartsTemplating(t *testing.T) {
	a := chartArgs()
	src, err := openbao.RenderConfig("openbao", a)
	if err != nil {
		t.Fatal(err)
	}
	c := parseConfig(t, src)
	// One file for every pod: node id and addresses come per pod from env.
	if c.APIAddr != nil || c.ClusterAddr != nil || c.Storage[0].NodeID != nil {
		t.Errorf("chart config must not pin a node id or per-pod address:\n%s", src)
	}
	var joins []string
	for _, rj := range c.Storage[0].RetryJoin {
		joins = append(joins, rj.LeaderAPIAddr)
	}
	if strings.Join(joins, ",") != "https://openbao-0.openbao-internal:8200,https://openbao-1.openbao-internal:8200,https://openbao-2.openbao-internal:8200" {
		t.Errorf("retry_join %v", joins)
	}
	if len(c.ServiceReg) != 1 || c.ServiceReg[0].Type != "kubernetes" {
		t.Errorf("service_registration %+v", c.ServiceReg)
	}
	// The chart passes the config through Helm's tpl and sed-replaces these
	// placeholders; the rendered file must contain none of them.
	for _, tok := range []string{"{{", "HOSTNAME", "POD_IP", "HOST_IP", "API_ADDR", "RAFT_ADDR", "TRANSIT_ADDR"} {
		if strings.Contains(string(src), tok) {
			t.Errorf("config contains %q, which the chart would rewrite", tok)
		}
	}
	checkInitialize(t, c, "rampart-deployer", "15m", "1h")
}

func TestRenderConfig_BootstrapDisabledHasNoInitialize(t *testing.T) {
	a := externalArgs()
	a.Bootstrap.Disabled = true
	a.UI = true
	src, err := openbao.RenderConfig("openbao", a)
	if err != nil {
		t.Fatal(err)
	}
	c := parseConfig(t, src)
	if len(c.Initialize) != 0 || !c.UI {
		t.Errorf("initialize %d, ui %v", len(c.Initialize), c.UI)
	}
}

func TestRenderConfig_CustomDeployerPolicyTravelsVerbatim(t *testing.T) {
	a := externalArgs()
	a.Bootstrap.DeployerUsername = "ci-deployer"
	a.Bootstrap.TokenTTL, a.Bootstrap.TokenMaxTTL = "10m", "30m"
	a.Bootstrap.DeployerPolicy = "path \"pki_int/issue/*\" {\n  capabilities = [\"update\"]\n}\n"
	src, err := openbao.RenderConfig("openbao", a)
	if err != nil {
		t.Fatal(err)
	}
	c := parseConfig(t, src)
	reqs := c.Initialize[0].Requests
	if got := reqs[0].Data.GetAttr("policy").AsString(); got != a.Bootstrap.DeployerPolicy {
		t.Errorf("policy changed in transit:\n%q\n%q", got, a.Bootstrap.DeployerPolicy)
	}
	// OpenBao's own (HCL 1) parser must read the same values.
	v1 := hcl1Strings(t, src)
	if got := v1["policy"]; len(got) != 1 || got[0] != a.Bootstrap.DeployerPolicy {
		t.Errorf("HCL 1 reads the policy as %q", got)
	}
	for k, want := range map[string]string{"mechanism": "0x1087", "tls_min_version": "tls13", "key_label": "vault-unseal-key", "env_var": openbao.DeployerPasswordEnv} {
		if got := v1[k]; len(got) != 1 || got[0] != want {
			t.Errorf("HCL 1 reads %s as %q, want %q", k, got, want)
		}
	}
	if reqs[0].Path != "sys/policies/acl/ci-deployer" || reqs[2].Path != "auth/userpass/users/ci-deployer" {
		t.Errorf("paths %s %s", reqs[0].Path, reqs[2].Path)
	}
	d := reqs[2].Data
	if d.GetAttr("token_ttl").AsString() != "10m" || d.GetAttr("token_max_ttl").AsString() != "30m" {
		t.Error("token ttls not rendered")
	}
}
