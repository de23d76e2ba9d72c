package openbaoserver_test

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	bao "github.com/openbao/openbao/api/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/internal/labenv"
)

// rendered is the openbao component's server configuration for one
// ModeExternal node on 127.0.0.1, parsed so a test can move what must move
// to run here.
type rendered struct {
	f     *hclwrite.File
	dir   string // the test's folder
	addr  string // https://127.0.0.1:<port>
	tls   *tlsFiles
	audit string // the audit device's file
	data  string // raft's folder
}

// render renders the component's config (ModeExternal: a server started
// with `bao server -config`, like the HSM-attached VMs) with TLS files, the
// audit file and the node's addresses in a temp folder, then moves the two
// things the component fixes for its own servers and which cannot be used
// here: raft's path (/openbao/data) and the listener's addresses
// ([::]:8200 and [::]:8201; here 127.0.0.1 on free ports). Everything else
// is loaded as rendered.
func render(t *testing.T, bootstrap bool) *rendered {
	t.Helper()
	if v := labenv.Versions(t)["OPENBAO_VERSION"]; v != openbao.DefaultVersion {
		t.Fatalf("the lab's OpenBao is %s but the component renders for %s by default: keep lab/versions.env's OPENBAO_VERSION at the component's DefaultVersion", v, openbao.DefaultVersion)
	}
	dir := t.TempDir()
	ports := freePorts(t, 2)
	r := &rendered{dir: dir, addr: fmt.Sprintf("https://127.0.0.1:%d", ports[0]),
		tls: newTLSFiles(t, filepath.Join(dir, "tls")), audit: filepath.Join(dir, "audit", "audit.log"), data: filepath.Join(dir, "data")}
	for _, d := range []string{filepath.Dir(r.audit), r.data} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cluster := fmt.Sprintf("127.0.0.1:%d", ports[1])
	raw, err := openbao.RenderConfig("openbao", &openbao.OpenBaoArgs{
		Mode:    openbao.ModeExternal,
		APIAddr: r.addr,
		Nodes:   []openbao.Node{{ID: "bao-1", APIAddr: r.addr, ClusterAddr: "https://" + cluster}},
		TLS:     openbao.TLSArgs{CertFile: r.tls.cert, KeyFile: r.tls.key, CAFile: r.tls.ca},
		Audit:   openbao.AuditArgs{FilePath: r.audit},
		Seal: openbao.SealArgs{Lib: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "rampart-lab", KeyLabel: "bao-root-key-aes",
			PluginSHA256: strings.Repeat("0", 64)},
		Bootstrap: openbao.BootstrapArgs{Disabled: !bootstrap},
	})
	if err != nil {
		t.Fatalf("RenderConfig: %v", err)
	}
	f, diags := hclwrite.ParseConfig(raw, "openbao.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("the rendered config does not parse: %v\n%s", diags, raw)
	}
	r.f = f
	storage := block(t, f.Body(), "storage", "raft")
	listener := block(t, f.Body(), "listener", "tcp")
	for _, c := range []struct {
		b         blockBody
		name, was string
		now       string
	}{
		{storage, "path", "/openbao/data", r.data},
		{listener, "address", "[::]:8200", strings.TrimPrefix(r.addr, "https://")},
		{listener, "cluster_address", "[::]:8201", cluster},
	} {
		if got := attr(t, c.b, c.name); got != c.was {
			t.Fatalf("the component renders %s = %q, want %q (update this test's move)", c.name, got, c.was)
		}
		c.b.SetAttributeValue(c.name, cty.StringVal(c.now))
	}
	if got := attr(t, listener, "tls_min_version"); got != "tls13" {
		t.Fatalf("rendered tls_min_version = %q, want tls13", got)
	}
	return r
}

// removeSeal takes out the seal and what belongs to it: OpenBao 2.6 runs the
// PKCS#11 seal as the kms-pkcs11 plugin (plugin_directory, plugin "kms"
// "pkcs11" with its sha256, seal "pkcs11"), which this machine cannot have,
// and this bao build has no built-in PKCS#11 seal (CGO_ENABLED=0). The seal
// is proven through OpenBao's seal library on SoftHSM (tests/hsm);
// TestOpenBao262_ComponentSealStanzaNeedsTheKMSPlugin shows this server
// refusing the stanza.
func (r *rendered) removeSeal(t *testing.T) {
	t.Helper()
	body := r.f.Body()
	if body.GetAttribute("plugin_directory") == nil {
		t.Fatal("the rendered config has no plugin_directory (the 2.6 seal plugin form)")
	}
	body.RemoveAttribute("plugin_directory")
	body.RemoveBlock(block(t, body, "plugin", "kms", "pkcs11").parent)
	body.RemoveBlock(block(t, body, "seal", "pkcs11").parent)
}

// write saves the config (owner-only) and returns its path.
func (r *rendered) write(t *testing.T) string {
	t.Helper()
	p := filepath.Join(r.dir, "openbao.hcl")
	if err := os.WriteFile(p, r.f.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("config loaded into bao:\n%s", r.f.Bytes())
	return p
}

// blockBody is a block's body with the block itself (for RemoveBlock).
type blockBody struct {
	*hclwrite.Body
	parent *hclwrite.Block
}

func block(t *testing.T, body *hclwrite.Body, typ string, labels ...string) blockBody {
	t.Helper()
	b := body.FirstMatchingBlock(typ, labels)
	if b == nil {
		t.Fatalf("the rendered config has no %s %q block", typ, labels)
	}
	return blockBody{b.Body(), b}
}

// attr is a string attribute's value as rendered.
func attr(t *testing.T, body interface {
	GetAttribute(string) *hclwrite.Attribute
}, name string) string {
	t.Helper()
	a := body.GetAttribute(name)
	if a == nil {
		t.Fatalf("the rendered config has no %s", name)
	}
	v, err := strconv.Unquote(strings.TrimSpace(string(a.Expr().BuildTokens(nil).Bytes())))
	if err != nil {
		t.Fatalf("%s is not a plain string: %v", name, err)
	}
	return v
}

func randHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// status is the HTTP status of an API error (0 for none or another error).
func status(err error) int {
	var re *bao.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// TestOpenBao262_ComponentConfigLoadsAndServes_TLS13RaftTelemetryAudit loads
// the server configuration components/openbao renders into the real bao
// server (listener with TLS 1.3 as the minimum, raft storage, telemetry, the
// file audit device), with the seal stanza removed (see removeSeal) and
// self-initialisation off (it needs auto-unseal; see
// TestOpenBao262_SelfInitialisationNeedsAutoUnseal): the server starts
// sealed, is initialised with Shamir keys, unsealed and serves.
func TestOpenBao262_ComponentConfigLoadsAndServes_TLS13RaftTelemetryAudit(t *testing.T) {
	bin := baoBinary(t)
	r := render(t, false)
	r.removeSeal(t)
	s := startServer(t, bin, r.write(t), r.addr, r.tls)
	s.waitListening(t)

	st, err := s.c.Sys().SealStatus()
	if err != nil || st.Initialized || !st.Sealed {
		t.Fatalf("a new server: seal status %+v, %v; want uninitialised and sealed", st, err)
	}
	keys, err := s.c.Sys().Init(&bao.InitRequest{SecretShares: 5, SecretThreshold: 3})
	if err != nil {
		t.Fatalf("sys/init: %v\n%s", err, s.logTail())
	}
	if len(keys.KeysB64) != 5 || keys.RootToken == "" {
		t.Fatalf("sys/init gave %d key shares and root token set=%v; want 5 and a token", len(keys.KeysB64), keys.RootToken != "")
	}
	for i, k := range keys.KeysB64[:3] {
		st, err := s.c.Sys().Unseal(k)
		if err != nil {
			t.Fatalf("unseal with key %d: %v", i+1, err)
		}
		if wantSealed := i < 2; st.Sealed != wantSealed || st.Type != "shamir" || st.T != 3 || st.N != 5 {
			t.Fatalf("after key %d: sealed=%v type=%s t=%d n=%d; want sealed=%v shamir 3 of 5", i+1, st.Sealed, st.Type, st.T, st.N, wantSealed)
		}
	}
	s.waitActive(t)
	s.c.SetToken(keys.RootToken)

	t.Run("health", func(t *testing.T) {
		h, err := s.c.Sys().Health()
		if err != nil {
			t.Fatal(err)
		}
		if !h.Initialized || h.Sealed || h.Standby || h.Version != "2.6.2" {
			t.Errorf("sys/health = %+v; want initialised, unsealed, active, version 2.6.2", h)
		}
	})

	t.Run("the server loaded the rendered config", func(t *testing.T) {
		// The server's own view of its configuration, not the file's.
		sec, err := s.c.Logical().Read("sys/config/state/sanitized")
		if err != nil {
			t.Fatal(err)
		}
		d := sec.Data
		l, _ := d["listeners"].([]any)
		if len(l) != 1 {
			t.Fatalf("listeners = %v, want the rendered one", d["listeners"])
		}
		lc, _ := l[0].(map[string]any)["config"].(map[string]any)
		if lc["tls_min_version"] != "tls13" || lc["tls_cert_file"] != r.tls.cert || lc["tls_key_file"] != r.tls.key {
			t.Errorf("listener as loaded: %v", lc)
		}
		if sto, _ := d["storage"].(map[string]any); sto["type"] != "raft" {
			t.Errorf("storage as loaded: %v", d["storage"])
		}
		tel, _ := d["telemetry"].(map[string]any)
		if fmt.Sprint(tel["prometheus_retention_time"]) != fmt.Sprint(int64(30*time.Second)) || tel["disable_hostname"] != true {
			t.Errorf("telemetry as loaded: retention %v, disable_hostname %v; want 30s and true", tel["prometheus_retention_time"], tel["disable_hostname"])
		}
		if d["enable_ui"] != false {
			t.Errorf("enable_ui = %v, want false", d["enable_ui"])
		}
		if seals := fmt.Sprint(d["seals"]); seals != "[map[disabled:false type:shamir]]" {
			t.Errorf("seals = %s, want Shamir only (the PKCS#11 stanza was removed)", seals)
		}
	})

	t.Run("raft", func(t *testing.T) {
		sec, err := s.c.Logical().Read("sys/storage/raft/configuration")
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := sec.Data["config"].(map[string]any)
		servers, _ := cfg["servers"].([]any)
		if len(servers) != 1 {
			t.Fatalf("raft servers = %v, want this node", cfg["servers"])
		}
		me, _ := servers[0].(map[string]any)
		if me["node_id"] != "bao-1" || me["leader"] != true || me["voter"] != true {
			t.Errorf("raft server %v; want node bao-1, leader and voter", me)
		}
		for _, f := range []string{"vault.db", filepath.Join("raft", "raft.db")} {
			if st, err := os.Stat(filepath.Join(r.data, f)); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("raft file %s in the rendered path: %v, mode %v; want present and 0600", f, err, st.Mode().Perm())
			}
		}
	})

	t.Run("TLS 1.3 only", func(t *testing.T) {
		host := strings.TrimPrefix(r.addr, "https://")
		pool := x509.NewCertPool()
		pool.AddCert(r.tls.caCert)
		d := &net.Dialer{Timeout: 5 * time.Second}
		if c, err := tls.DialWithDialer(d, "tcp", host, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12}); err == nil {
			c.Close()
			t.Error("a TLS 1.2 handshake was accepted; the listener's minimum is TLS 1.3")
		} else {
			t.Logf("TLS 1.2 refused: %v", err)
		}
		c, err := tls.DialWithDialer(d, "tcp", host, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13})
		if err != nil {
			t.Fatalf("TLS 1.3 handshake: %v", err)
		}
		defer c.Close()
		cs := c.ConnectionState()
		if cs.Version != tls.VersionTLS13 || !cs.PeerCertificates[0].Equal(r.tls.serverCert) {
			t.Errorf("TLS 1.3 handshake: version %x, serves the rendered certificate = %v", cs.Version, cs.PeerCertificates[0].Equal(r.tls.serverCert))
		}
	})

	t.Run("UI off", func(t *testing.T) {
		resp, err := s.http.Get(r.addr + "/ui/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /ui/ = %d, want 404 (ui = false)", resp.StatusCode)
		}
	})

	t.Run("telemetry", func(t *testing.T) {
		// The rendered listener does not open metrics to anonymous callers.
		resp, err := s.http.Get(r.addr + "/v1/sys/metrics?format=prometheus")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("metrics without a token: %d, want 403", resp.StatusCode)
		}
		req, _ := http.NewRequest("GET", r.addr+"/v1/sys/metrics?format=prometheus", nil)
		req.Header.Set("X-Vault-Token", keys.RootToken)
		resp, err = s.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "# TYPE vault_") {
			t.Fatalf("Prometheus metrics with a token: %d, %.300s", resp.StatusCode, body)
		}
		// disable_hostname: no metric is prefixed with this host's name.
		host, _ := os.Hostname()
		if host != "" && strings.Contains(string(body), "vault_"+strings.ReplaceAll(host, "-", "_")+"_") {
			t.Errorf("metrics carry the host name %q although disable_hostname = true", host)
		}
	})

	t.Run("audit device", func(t *testing.T) {
		devs, err := s.c.Sys().ListAudit()
		if err != nil {
			t.Fatal(err)
		}
		dev, ok := devs["file/"]
		if !ok || dev.Type != "file" || dev.Options["file_path"] != r.audit || dev.Description != "Rampart: every request and response, HMAC-ed" {
			t.Fatalf("audit devices %+v; want the rendered file device at %s", devs, r.audit)
		}
		// A request carrying a marker: it must be logged, HMAC-ed.
		probe, marker := "audit-probe-"+randHex(t, 4), "marker-"+randHex(t, 8)
		if _, err := s.c.Logical().Write("sys/policies/acl/"+probe, map[string]any{
			"policy": `path "` + marker + `/*" { capabilities = ["read"] }`}); err != nil {
			t.Fatal(err)
		}
		entries, raw := auditEntries(t, r.audit)
		var seen []string
		for _, e := range entries {
			if e.Request.Path == "sys/policies/acl/"+probe {
				seen = append(seen, e.Type)
				if !strings.HasPrefix(e.Request.ClientToken, "hmac-sha256:") {
					t.Errorf("%s entry carries client_token %q, want HMAC-ed", e.Type, e.Request.ClientToken)
				}
			}
		}
		if !slices.Contains(seen, "request") || !slices.Contains(seen, "response") {
			t.Errorf("audit log has %v for the probe; want its request and response", seen)
		}
		for what, secret := range map[string]string{"the root token": keys.RootToken, "a request body value": marker} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("the audit log holds %s in clear", what)
			}
		}
		if st, err := os.Stat(r.audit); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("audit log mode: %v, %v; want 0600", st.Mode().Perm(), err)
		}
		// Declared in the config, the device can be neither removed nor
		// joined by another through the API, even by root.
		if err := s.c.Sys().DisableAudit("file"); status(err) != http.StatusBadRequest {
			t.Errorf("disabling the config's audit device through the API: %v; want refused (400)", err)
		}
		if err := s.c.Sys().EnableAuditWithOptions("other", &bao.EnableAuditOptions{Type: "file",
			Options: map[string]string{"file_path": filepath.Join(r.dir, "audit", "other.log")}}); status(err) != http.StatusBadRequest {
			t.Errorf("enabling another audit device through the API: %v; want refused (400)", err)
		}
	})
}

// TestOpenBao262_ComponentBootstrapSelfInitialisesUnderAutoUnseal loads the
// rendered config with its self-initialisation stanza. OpenBao runs it only
// under auto-unseal, and the PKCS#11 seal cannot load here (see removeSeal),
// so OpenBao's static seal (a key file in the test's folder; a stand-in for
// the HSM's key, never for production) takes the seal's place. Nobody calls
// init or unseal: the server initialises itself, creates the deployer user
// with the password from BAO_DEPLOYER_PASSWORD, revokes its transient root
// token, and the deployer gets only short-lived tokens with its policy.
func TestOpenBao262_ComponentBootstrapSelfInitialisesUnderAutoUnseal(t *testing.T) {
	bin := baoBinary(t)
	r := render(t, true)
	r.removeSeal(t)
	key := filepath.Join(r.dir, "static-seal.key")
	raw := make([]byte, 32) // AES-256
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	sb := r.f.Body().AppendNewBlock("seal", []string{"static"}).Body()
	sb.SetAttributeValue("current_key_id", cty.StringVal("test-1"))
	sb.SetAttributeValue("current_key", cty.StringVal((&url.URL{Scheme: "file", Path: key}).String()))
	password := "pw-" + randHex(t, 12)
	s := startServer(t, bin, r.write(t), r.addr, r.tls, openbao.DeployerPasswordEnv+"="+password)
	s.waitActive(t)

	st, err := s.c.Sys().SealStatus()
	if err != nil || !st.Initialized || st.Sealed || st.Type != "static" {
		t.Fatalf("seal status %+v, %v; want initialised and unsealed by itself under the static seal", st, err)
	}
	if _, err := s.c.Sys().Init(&bao.InitRequest{RecoveryShares: 1, RecoveryThreshold: 1}); err == nil {
		t.Error("sys/init succeeded on a self-initialised server: a root token could be had")
	}

	login := func(pw string) (*bao.Secret, error) {
		c, err := s.c.Clone()
		if err != nil {
			t.Fatal(err)
		}
		return c.Logical().Write("auth/userpass/login/"+openbao.DefaultDeployerUsername, map[string]any{"password": pw})
	}
	if _, err := login("not-" + password); status(err) != http.StatusBadRequest {
		t.Errorf("login with a wrong password: %v; want refused (400)", err)
	}
	sec, err := login(password)
	if err != nil {
		t.Fatalf("the deployer's login with the password from %s: %v\n%s", openbao.DeployerPasswordEnv, err, s.logTail())
	}
	a := sec.Auth
	t.Logf("deployer token: policies %v, lease %ds, renewable %v", a.TokenPolicies, a.LeaseDuration, a.Renewable)
	if !slices.Contains(a.TokenPolicies, openbao.DefaultDeployerUsername) || slices.Contains(a.TokenPolicies, "root") || a.LeaseDuration != 900 {
		t.Errorf("deployer token: policies %v, lease %ds; want the deployer policy, no root, 15m", a.TokenPolicies, a.LeaseDuration)
	}
	dc, err := s.c.Clone()
	if err != nil {
		t.Fatal(err)
	}
	dc.SetToken(a.ClientToken)
	user, err := dc.Logical().Read("auth/userpass/users/" + openbao.DefaultDeployerUsername)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"token_ttl": "900", "token_max_ttl": "3600", "token_type": "service",
		"token_policies": "[" + openbao.DefaultDeployerUsername + "]"} {
		if got := fmt.Sprint(user.Data[k]); got != want {
			t.Errorf("deployer user %s = %s, want %s", k, got, want)
		}
	}
	// What the vault provider needs: a PKI mount, a policy, a child token.
	mount := "pki-bootstrap-" + randHex(t, 3)
	if err := dc.Sys().Mount(mount, &bao.MountInput{Type: "pki"}); err != nil {
		t.Errorf("deployer cannot mount a PKI engine: %v", err)
	}
	if _, err := dc.Logical().Write("sys/policies/acl/bootstrap-probe", map[string]any{"policy": `path "x/*" { capabilities = ["read"] }`}); err != nil {
		t.Errorf("deployer cannot write a policy: %v", err)
	}
	// The provider's child token inherits the deployer's policies; one with
	// a policy the deployer does not hold is refused.
	if _, err := dc.Auth().Token().Create(&bao.TokenCreateRequest{TTL: "5m"}); err != nil {
		t.Errorf("deployer cannot create a child token: %v", err)
	}
	if _, err := dc.Auth().Token().Create(&bao.TokenCreateRequest{Policies: []string{"bootstrap-probe"}, TTL: "5m"}); status(err) != http.StatusBadRequest {
		t.Errorf("deployer child token with a policy it does not hold: %v; want refused (400)", err)
	}
	// And nothing of the server's own: audit, raft, sealing.
	for _, p := range []struct{ op, path string }{{"read", "sys/audit"}, {"read", "sys/storage/raft/configuration"}, {"write", "sys/seal"}} {
		var err error
		if p.op == "read" {
			_, err = dc.Logical().Read(p.path)
		} else {
			_, err = dc.Logical().Write(p.path, nil)
		}
		if status(err) != http.StatusForbidden {
			t.Errorf("deployer %s %s: %v; want 403", p.op, p.path, err)
		}
	}

	// The self-initialisation is in the audit log, without the password.
	entries, raw := auditEntries(t, r.audit)
	var ids []string
	revoked := false
	for _, e := range entries {
		if e.Type == "request" && strings.HasPrefix(e.Request.ID, "initialize[") {
			ids = append(ids, e.Request.ID)
		}
		if e.Type == "request" && e.Request.Path == "auth/token/revoke-self" {
			revoked = true
		}
	}
	for _, want := range []string{"deployer-policy", "enable-userpass", "deployer-user"} {
		if !slices.ContainsFunc(ids, func(id string) bool { return strings.HasSuffix(id, "."+want) }) {
			t.Errorf("audit log has no self-initialisation request %q (has %v)", want, ids)
		}
	}
	if !revoked {
		t.Error("audit log shows no revoke-self of the transient root token")
	}
	if strings.Contains(string(raw), password) {
		t.Error("the audit log holds the deployer's password in clear")
	}
}

// TestOpenBao262_SelfInitialisationNeedsAutoUnseal: with the seal stanza
// removed the server falls back to Shamir, and refuses the rendered
// initialize stanza instead of starting (the keys would have nowhere to
// go). This is why the component pairs self-initialisation with the
// PKCS#11 auto-unseal.
func TestOpenBao262_SelfInitialisationNeedsAutoUnseal(t *testing.T) {
	bin := baoBinary(t)
	r := render(t, true)
	r.removeSeal(t)
	s := startServer(t, bin, r.write(t), r.addr, r.tls, openbao.DeployerPasswordEnv+"=unused")
	log, err := s.exitLog(t, 60*time.Second)
	if err == nil || !strings.Contains(log, "self-initialization requires auto-unseal") {
		t.Fatalf("bao server with initialize and Shamir: exit %v; want refused for want of auto-unseal; log:\n%s", err, log)
	}
}

// TestOpenBao262_ComponentSealStanzaNeedsTheKMSPlugin loads the rendered
// config with its seal (only raft's path, the listener's addresses and
// plugin_directory moved into the test's folder): this bao refuses it
// because the kms-pkcs11 plugin the stanza names is not there — it cannot be
// had on this machine. The seal is proven through OpenBao's seal library on
// SoftHSM instead (tests/hsm).
func TestOpenBao262_ComponentSealStanzaNeedsTheKMSPlugin(t *testing.T) {
	bin := baoBinary(t)
	r := render(t, false)
	plugins := filepath.Join(r.dir, "plugins")
	if err := os.MkdirAll(plugins, 0o700); err != nil {
		t.Fatal(err)
	}
	if got := attr(t, r.f.Body(), "plugin_directory"); got != "/openbao/hsm/plugins" {
		t.Fatalf("rendered plugin_directory = %q", got)
	}
	r.f.Body().SetAttributeValue("plugin_directory", cty.StringVal(plugins))
	s := startServer(t, bin, r.write(t), r.addr, r.tls)
	log, err := s.exitLog(t, 60*time.Second)
	if err == nil || !strings.Contains(log, `Error configuring seal "pkcs11"`) || !strings.Contains(log, openbao.DefaultPluginCommand) {
		t.Fatalf("bao server with the rendered seal: exit %v; want the pkcs11 seal refused for want of %s; log:\n%s", err, openbao.DefaultPluginCommand, log)
	}
	t.Logf("refused as expected: %s", lastLine(log))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
