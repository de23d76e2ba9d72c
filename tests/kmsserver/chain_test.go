package kmsserver_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kmsv2api "k8s.io/apiserver/pkg/storage/value/encrypt/envelope/kmsv2/v2"
	kmsapi "k8s.io/kms/apis/v2"

	"github.com/rampart-dev/rampart/apiserver"
	"github.com/rampart-dev/rampart/apiserver/encryption"
	"github.com/rampart-dev/rampart/helpers/kmsplugin"
	"github.com/rampart-dev/rampart/internal/baodev"
	"github.com/rampart-dev/rampart/internal/labenv"
)

// ns is the namespace of the test's Secrets, in its own API server.
const ns = "kms-proof"

// storedPrefix starts every Secret the KMS v2 provider writes to etcd: the
// API server's "k8s:enc:kms:v2:" and the provider's name from the rendered
// EncryptionConfiguration.
const storedPrefix = "k8s:enc:kms:v2:" + encryption.DefaultProviderName + ":"

// renderEncryptionConfig writes what `rampart apiserver
// encryption-provider-config --kms-endpoint ENDPOINT` prints: the registered
// config's Render, byte for byte.
func renderEncryptionConfig(t *testing.T, dir, endpoint string) string {
	t.Helper()
	c, ok := apiserver.Lookup(apiserver.Configs(&apiserver.Settings{Encryption: encryption.Args{Endpoint: endpoint}}), "encryption-provider-config")
	if !ok {
		t.Fatal("apiserver.Configs has no encryption-provider-config with a KMS endpoint set")
	}
	b, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, c.FileName())
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// envelope parses a Secret's value as etcd holds it: storedPrefix, then
// the KMS v2 EncryptedObject (protobuf) whose keyID is the plugin's key ID,
// the transit key version.
func envelope(v []byte) (*kmsv2api.EncryptedObject, error) {
	if !bytes.HasPrefix(v, []byte(storedPrefix)) {
		n := min(len(v), 40)
		return nil, fmt.Errorf("value starts %q, not %q", v[:n], storedPrefix)
	}
	o := &kmsv2api.EncryptedObject{}
	if err := proto.Unmarshal(v[len(storedPrefix):], o); err != nil {
		return nil, fmt.Errorf("not a KMS v2 EncryptedObject after the prefix: %w", err)
	}
	return o, nil
}

// cluster is the chain under test, every part this test's own process on
// 127.0.0.1: OpenBao (a dev server), the proxy the plugin reaches it
// through, the plugin (cmd/rampart-kms), etcd and kube-apiserver.
type cluster struct {
	bao    *baodev.Server
	proxy  *tcpProxy
	plugin *kmsPlugin
	etcd   *etcdServer
	api    *apiServer
}

// storedKeyID reads Secret name from etcd and returns its envelope's key
// ID, failing unless the value is a KMS v2 envelope whose data key OpenBao
// wrapped with that same transit version (vault:vN:).
func (c *cluster) storedKeyID(t *testing.T, name string) string {
	t.Helper()
	v, found := c.etcd.get(t, "/registry/secrets/"+ns+"/"+name)
	if !found {
		t.Fatalf("etcd has no /registry/secrets/%s/%s", ns, name)
	}
	o, err := envelope(v)
	if err != nil {
		t.Fatalf("secret %s in etcd: %v", name, err)
	}
	if want := "vault:v" + o.KeyID + ":"; !strings.HasPrefix(string(o.EncryptedDEKSource), want) {
		t.Fatalf("secret %s in etcd: key ID %q but the wrapped data key starts %.12q, want %q", name, o.KeyID, o.EncryptedDEKSource, want)
	}
	return o.KeyID
}

// allEncrypted checks every Secret etcd holds (every namespace) is a KMS v2
// envelope: nothing under /registry/secrets/ in clear or under identity.
func (c *cluster) allEncrypted(t *testing.T) int {
	t.Helper()
	kvs := c.etcd.prefix(t, "/registry/secrets/")
	for k, v := range kvs {
		if _, err := envelope(v); err != nil {
			t.Errorf("etcd %s: %v", k, err)
		}
	}
	return len(kvs)
}

// notInEtcd fails if any of the markers is in a file of etcd's data dir.
func (c *cluster) notInEtcd(t *testing.T, markers ...string) {
	t.Helper()
	for m, files := range c.etcd.scan(t, markers...) {
		t.Errorf("plaintext %s found in etcd's data dir: %v", m, files)
	}
}

func (c *cluster) createSecret(name, value string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.api.client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name},
		Data: map[string][]byte{"value": []byte(value)}}, metav1.CreateOptions{})
	return err
}

func (c *cluster) getSecret(name string) (*corev1.Secret, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.api.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
}

// kmsCheck waits for /readyz?verbose to report the KMS check failing and
// returns its line. A KMS v2 provider's check is "kms-providers" (one check
// for every v2 provider, k8s.io/apiserver's encryptionconfig); the API server
// caches a passing result for 20 s and a failing one for 3 s.
func (c *cluster) kmsCheckFails(t *testing.T, timeout time.Duration) string {
	t.Helper()
	return eventually(t, "readyz reports the kms-providers check failing", timeout, func() (bool, string) {
		if c.api.proc.exited() {
			t.Fatalf("kube-apiserver exited (%v); log:\n%s", c.api.proc.err, c.api.proc.tail(40))
		}
		code, body, _ := c.api.readyz()
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "[-]kms-providers ") && code == http.StatusInternalServerError {
				return true, l
			}
		}
		return false, fmt.Sprintf("HTTP %d %s", code, failing(body))
	})
}

// startCluster starts the chain: OpenBao with the transit key and the
// plugin's policy, the plugin on a token holding only that policy, etcd and
// kube-apiserver on the rendered EncryptionConfiguration; it returns once
// the API server is ready and the test's namespace exists.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	baoBin := labenv.OpenBao(t)
	for _, tool := range []string{"etcd", "kube-apiserver"} {
		labenv.RequireTool(t, tool, toolFix[tool])
	}
	dir := t.TempDir()
	c := &cluster{bao: baodev.Start(t, baoBin)}
	c.bao.Must(t, http.MethodPost, "sys/mounts/"+mount, map[string]any{"type": "transit"})
	c.bao.Must(t, http.MethodPost, mount+"/keys/"+key, map[string]any{"type": "aes256-gcm96", "exportable": false})
	policy, err := kmsplugin.Policy(mount, key)
	if err != nil {
		t.Fatal(err)
	}
	c.bao.Must(t, http.MethodPut, "sys/policies/acl/"+kmsplugin.PolicyName, map[string]any{"policy": string(policy)})
	token := filepath.Join(dir, "token")
	c.bao.Token(t, token, kmsplugin.PolicyName)

	c.proxy = newTCPProxy(t, strings.TrimPrefix(c.bao.Addr, "https://"))
	if err := os.Mkdir(filepath.Join(dir, "kms"), 0o700); err != nil {
		t.Fatal(err)
	}
	// KeyRefresh 1 s: the plugin's Status names a rotated key at once, so
	// the wait below is the API server's alone.
	c.plugin = buildPlugin(t, dir, kmsplugin.Options{Address: "https://" + c.proxy.addr, TransitMount: mount, KeyName: key,
		CAFile: c.bao.CAFile, Listen: "unix://" + filepath.Join(dir, "kms", "kms.sock"), Timeout: 2 * time.Second, KeyRefresh: time.Second})
	c.plugin.start(t, token)

	c.etcd = startEtcd(t, dir)
	c.api = newAPIServer(t, dir, c.etcd, renderEncryptionConfig(t, dir, c.plugin.opts.Listen))
	c.api.start(t)
	c.api.waitReady(t, 150*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.api.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return c
}

// pluginStatus asks the plugin directly, on its socket, as the API server
// does.
func pluginStatus(t *testing.T, p *kmsPlugin) *kmsapi.StatusResponse {
	t.Helper()
	conn, err := grpc.NewClient(p.opts.Listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	return status(t, kmsapi.NewKeyManagementServiceClient(conn))
}
