package evidenceserver_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// devServer is one `bao server -dev -dev-tls` this test started on
// 127.0.0.1 at a free port (never the lab's OpenBao), as tests/kmsserver
// does.
type devServer struct {
	addr, caFile, rootToken, log string
	cmd                          *exec.Cmd
	exited                       chan error
	http                         *http.Client
}

// startDevServer runs the server with only HOME and PATH in its
// environment and stops it by its PID when the test ends.
func startDevServer(t *testing.T, bin string) *devServer {
	t.Helper()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &devServer{
		addr:      fmt.Sprintf("https://127.0.0.1:%d", port),
		caFile:    filepath.Join(dir, "tls", "vault-ca.pem"),
		rootToken: fmt.Sprintf("root-%d", time.Now().UnixNano()),
		log:       filepath.Join(dir, "bao.log"),
		exited:    make(chan error, 1),
	}
	if err := os.Mkdir(filepath.Dir(s.caFile), 0o700); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "server", "-dev", "-dev-tls", "-dev-tls-cert-dir="+filepath.Join(dir, "tls"),
		"-dev-root-token-id="+s.rootToken, fmt.Sprintf("-dev-listen-address=127.0.0.1:%d", port), "-dev-no-store-token")
	s.cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin"}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		_ = logf.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { s.exited <- s.cmd.Wait(); _ = logf.Close() }()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(60 * time.Second)
	for !s.ready() {
		select {
		case err := <-s.exited:
			s.exited <- err
			t.Fatalf("bao server exited (%v) before it was ready; log:\n%s", err, s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("bao server not ready after 60s; log:\n%s", s.logTail())
		}
		time.Sleep(250 * time.Millisecond)
	}
	return s
}

// ready builds the CA-pinned client once -dev-tls wrote its CA, and
// reports whether the server answers unsealed and active.
func (s *devServer) ready() bool {
	if s.http == nil {
		pem, err := os.ReadFile(s.caFile)
		if err != nil {
			return false
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return false
		}
		s.http = &http.Client{Timeout: 10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}}}
	}
	resp, err := s.http.Get(s.addr + "/v1/sys/health")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// must sends one API request as root and fails the test unless OpenBao
// answers 2xx; it returns the decoded answer.
func (s *devServer) must(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.addr+"/v1/"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", s.rootToken)
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, raw)
	}
	return out
}

// tokenFile creates a token carrying only policies (no default policy)
// and writes it to a new file.
func (s *devServer) tokenFile(t *testing.T, policies ...string) string {
	t.Helper()
	out := s.must(t, http.MethodPost, "auth/token/create", map[string]any{"policies": policies, "no_default_policy": true, "ttl": "1h"})
	auth, _ := out["auth"].(map[string]any)
	tok, _ := auth["client_token"].(string)
	if tok == "" {
		t.Fatalf("no client_token in %v", out)
	}
	f := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(f, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// stop sends SIGTERM to the server's PID and waits; SIGKILL after 15 s.
func (s *devServer) stop(t *testing.T) {
	if s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		s.exited <- err
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		s.exited <- <-s.exited
		t.Logf("bao server (pid %d) did not stop on SIGTERM within 15 s; killed", s.cmd.Process.Pid)
	}
}

func (s *devServer) logTail() string {
	b, _ := os.ReadFile(s.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}
