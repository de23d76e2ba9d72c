package kmsserver_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/rampart-dev/rampart/helpers/kmsplugin"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
)

// toolFix is how to get each of the lab's binaries the test runs.
var toolFix = map[string]string{
	"etcd":           "build it with `bash lab/toolchain.sh etcd` (make test does)",
	"kube-apiserver": "build it with `bash lab/toolchain.sh kube` (make test does)",
}

// pki is a throwaway CA for one kube-apiserver: its serving certificate, an
// admin client certificate (O=system:masters) and the service-account key
// pair, as lab/services/kube.sh makes with openssl. internal/testca makes a
// CA certificate only; the API server needs the CA's key too.
type pki struct {
	caPEM, serverCert, serverKey, adminCert, adminKey []byte
	files                                             map[string]string // ca.crt, apiserver.crt/key, sa.key/pub → path
}

func newPKI(t *testing.T, dir string) *pki {
	t.Helper()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rampart-kms-test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(2 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, subject pkix.Name, usage x509.ExtKeyUsage, ips []net.IP, dns []string) ([]byte, []byte) {
		k := newKey(t)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: subject,
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(2 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, DNSNames: dns}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM(t, k)
	}
	p := &pki{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), files: map[string]string{}}
	p.serverCert, p.serverKey = issue(2, pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth,
		[]net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"})
	p.adminCert, p.adminKey = issue(3, pkix.Name{CommonName: "rampart-kms-test-admin", Organization: []string{"system:masters"}},
		x509.ExtKeyUsageClientAuth, nil, nil)
	sa := newKey(t)
	saPub, err := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"ca.crt": p.caPEM, "apiserver.crt": p.serverCert, "apiserver.key": p.serverKey,
		"sa.key": keyPEM(t, sa), "sa.pub": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
	} {
		p.files[name] = filepath.Join(dir, name)
		if err := os.WriteFile(p.files[name], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyPEM(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// etcdServer is the test's own etcd (the lab's built binary, never the
// lab's running etcd), in a data dir of the test's.
type etcdServer struct {
	url, dataDir string
	proc         *proc
}

func startEtcd(t *testing.T, dir string) *etcdServer {
	t.Helper()
	bin := labenv.RequireTool(t, "etcd", toolFix["etcd"])
	client, peer := freePort(t), freePort(t)
	e := &etcdServer{url: fmt.Sprintf("http://127.0.0.1:%d", client), dataDir: filepath.Join(dir, "etcd")}
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
	// fsync off as in the lab: the data is thrown away, and the scans read
	// the files through the page cache, where every write is at once.
	e.proc = startProc(t, t, "etcd", dir, filepath.Join(dir, "etcd.log"), bin, "--name", "kms-test", "--data-dir", e.dataDir,
		"--listen-client-urls", e.url, "--advertise-client-urls", e.url,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "kms-test="+peerURL, "--unsafe-no-fsync", "--log-level", "warn")
	eventually(t, "etcd healthy", 60*time.Second, func() (bool, string) {
		if e.proc.exited() {
			t.Fatalf("etcd exited (%v); log:\n%s", e.proc.err, e.proc.tail(30))
		}
		resp, err := http.Get(e.url + "/health")
		if err != nil {
			return false, err.Error()
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return e
}

// get reads one key straight from etcd through its v3 JSON gateway
// (POST /v3/kv/range, keys and values in base64): go.etcd.io/etcd/client/v3
// is in the module graph but not in go.sum. found is false when the key is
// absent.
func (e *etcdServer) get(t *testing.T, key string) (value []byte, found bool) {
	t.Helper()
	kvs := e.rangeKeys(t, map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(key))})
	if len(kvs) == 0 {
		return nil, false
	}
	return kvs[key], true
}

// prefix reads every key under prefix.
func (e *etcdServer) prefix(t *testing.T, prefix string) map[string][]byte {
	t.Helper()
	end := []byte(prefix)
	end[len(end)-1]++ // the key range [prefix, prefix with its last byte + 1)
	return e.rangeKeys(t, map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(prefix)),
		"range_end": base64.StdEncoding.EncodeToString(end)})
}

func (e *etcdServer) rangeKeys(t *testing.T, req map[string]string) map[string][]byte {
	t.Helper()
	body, _ := json.Marshal(req)
	resp, err := http.Post(e.url+"/v3/kv/range", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("etcd range: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("etcd range %s: %s %s", body, resp.Status, raw)
	}
	var out struct {
		KVs []struct{ Key, Value []byte } `json:"kvs"` // []byte: base64 in JSON
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("etcd range: %v in %s", err, raw)
	}
	kvs := map[string][]byte{}
	for _, kv := range out.KVs {
		kvs[string(kv.Key)] = kv.Value
	}
	return kvs
}

// scan reports, for each marker, the files of etcd's data dir (the bbolt
// database and the write-ahead log, every file) whose bytes contain it, raw
// or base64-encoded (the form a JSON-stored Secret would take).
func (e *etcdServer) scan(t *testing.T, markers ...string) map[string][]string {
	t.Helper()
	found := map[string][]string{}
	files := 0
	err := filepath.WalkDir(e.dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		for _, m := range markers {
			if bytes.Contains(b, []byte(m)) || bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString([]byte(m)))) {
				found[m] = append(found[m], strings.TrimPrefix(p, e.dataDir+"/"))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", e.dataDir, err)
	}
	if files < 2 {
		t.Fatalf("scan %s: %d files; want at least the database and a WAL file", e.dataDir, files)
	}
	return found
}

// apiServer is the test's own kube-apiserver (the lab's built binary),
// started with lab/services/kube.sh's flags on the test's etcd and
// certificates, plus --encryption-provider-config.
type apiServer struct {
	owner         *testing.T // the top-level test: its cleanup stops every start
	bin, dir, url string
	args          []string
	starts        int
	proc          *proc
	client        kubernetes.Interface
	http          *http.Client
}

func newAPIServer(t *testing.T, dir string, etcd *etcdServer, encryptionConfig string) *apiServer {
	t.Helper()
	p := newPKI(t, dir)
	port := freePort(t)
	a := &apiServer{owner: t, bin: labenv.RequireTool(t, "kube-apiserver", toolFix["kube-apiserver"]), dir: dir, url: fmt.Sprintf("https://127.0.0.1:%d", port)}
	a.args = []string{
		"--etcd-servers", etcd.url,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", fmt.Sprint(port),
		"--tls-cert-file", p.files["apiserver.crt"], "--tls-private-key-file", p.files["apiserver.key"],
		"--client-ca-file", p.files["ca.crt"], "--authorization-mode", "RBAC", "--anonymous-auth=false",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", p.files["sa.pub"], "--service-account-signing-key-file", p.files["sa.key"],
		"--service-cluster-ip-range", "10.96.0.0/16", "--endpoint-reconciler-type", "none",
		"--encryption-provider-config", encryptionConfig,
		// -v=2: the API server logs why a readyz check failed (the plugin's
		// healthz text), which the readyz answer itself withholds.
		"-v=2",
	}
	cfg := &rest.Config{Host: a.url, Timeout: 20 * time.Second, QPS: 50, Burst: 100,
		TLSClientConfig: rest.TLSClientConfig{CAData: p.caPEM, CertData: p.adminCert, KeyData: p.adminKey}}
	var err error
	if a.client, err = kubernetes.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if a.http, err = rest.HTTPClientFor(cfg); err != nil {
		t.Fatal(err)
	}
	return a
}

// start runs the API server (again), logging to kube-apiserver-N.log.
func (a *apiServer) start(t *testing.T) {
	t.Helper()
	a.starts++
	a.proc = startProc(t, a.owner, "kube-apiserver", a.dir, filepath.Join(a.dir, fmt.Sprintf("kube-apiserver-%d.log", a.starts)), a.bin, a.args...)
}

// readyz is GET /readyz?verbose as the admin: the status code and body,
// or ok false when the server does not answer.
func (a *apiServer) readyz() (code int, body string, ok bool) {
	resp, err := a.http.Get(a.url + "/readyz?verbose")
	if err != nil {
		return 0, err.Error(), false
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), true
}

// waitReady waits for /readyz to answer 200, failing early if the process
// exits.
func (a *apiServer) waitReady(t *testing.T, timeout time.Duration) {
	t.Helper()
	eventually(t, "kube-apiserver ready", timeout, func() (bool, string) {
		if a.proc.exited() {
			t.Fatalf("kube-apiserver exited (%v); log:\n%s", a.proc.err, a.proc.tail(40))
		}
		code, body, _ := a.readyz()
		return code == http.StatusOK, fmt.Sprintf("HTTP %d %s", code, failing(body))
	})
}

// failing is the failed checks of a verbose readyz answer ("[-]…" lines).
func failing(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "[-]") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

// kmsPlugin is cmd/rampart-kms, built once into the test's temp dir and run
// as a node runs it: its own process, flags from kmsplugin.Options.Args.
type kmsPlugin struct {
	owner    *testing.T // the top-level test: its cleanup stops every start
	bin, dir string
	opts     kmsplugin.Options
	starts   int
	proc     *proc
}

func buildPlugin(t *testing.T, dir string, o kmsplugin.Options) *kmsPlugin {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go not on PATH to build cmd/rampart-kms: %v", err)
	}
	p := &kmsPlugin{owner: t, bin: filepath.Join(dir, "rampart-kms"), dir: dir, opts: o}
	build := exec.Command(goBin, "build", "-o", p.bin, "./cmd/rampart-kms")
	build.Dir = labenv.RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/rampart-kms: %v\n%s", err, out)
	}
	return p
}

// start runs the plugin (again) with tokenFile and waits for its socket.
func (p *kmsPlugin) start(t *testing.T, tokenFile string) {
	t.Helper()
	p.starts++
	o := p.opts
	o.TokenFile = tokenFile
	p.proc = startProc(t, p.owner, "rampart-kms", p.dir, filepath.Join(p.dir, fmt.Sprintf("rampart-kms-%d.log", p.starts)), p.bin, o.Args()...)
	sock, err := kmsplugin.SocketPath(o.Listen)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "rampart-kms socket", 30*time.Second, func() (bool, string) {
		if p.proc.exited() {
			t.Fatalf("rampart-kms exited (%v); log:\n%s", p.proc.err, p.proc.tail(20))
		}
		c, err := net.Dial("unix", sock)
		if err != nil {
			return false, err.Error()
		}
		_ = c.Close()
		return true, ""
	})
}

// marker is a fresh random value no etcd file holds by chance.
func marker(kind string) string { return "rampart-kms-" + kind + "-" + testkit.RandHex(32) }
