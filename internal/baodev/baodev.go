// Package baodev starts a real OpenBao for a server-backed test: the lab's
// pinned upstream bao binary as its own `bao server -dev -dev-tls` on
// 127.0.0.1 at a free port (never the lab's server), with a CA-pinned API
// client and tokens of chosen policies. tests/kmsserver and
// tests/evidenceserver use it.
package baodev

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

// Server is one `bao server -dev -dev-tls` a test started, on 127.0.0.1
// at a free port: never the lab's OpenBao.
type Server struct {
	// Addr is the server's https URL, CAFile the CA -dev-tls wrote (the
	// client trusts only it), RootToken the dev root token.
	Addr, CAFile, RootToken string
	log                     string
	cmd                     *exec.Cmd
	exited                  chan error
	http                    *http.Client
}

// Start runs bin (the lab's pinned bao, labenv.OpenBao) as `bao server
// -dev -dev-tls` with only HOME and PATH in its environment (no
// BAO_*/VAULT_* of the caller), waits until it answers unsealed, and stops
// it by its PID when the test ends.
func Start(t *testing.T, bin string) *Server {
	t.Helper()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &Server{
		Addr:      fmt.Sprintf("https://127.0.0.1:%d", port),
		CAFile:    filepath.Join(dir, "tls", "vault-ca.pem"),
		RootToken: fmt.Sprintf("root-%d", time.Now().UnixNano()),
		log:       filepath.Join(dir, "bao.log"),
		exited:    make(chan error, 1),
	}
	if err := os.Mkdir(filepath.Dir(s.CAFile), 0o700); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "server", "-dev", "-dev-tls", "-dev-tls-cert-dir="+filepath.Join(dir, "tls"),
		"-dev-root-token-id="+s.RootToken, fmt.Sprintf("-dev-listen-address=127.0.0.1:%d", port), "-dev-no-store-token")
	s.cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin"}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		_ = logf.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { s.exited <- s.cmd.Wait(); _ = logf.Close() }()
	t.Cleanup(func() { s.Stop(t) })

	deadline := time.Now().Add(60 * time.Second)
	for {
		if s.ready() {
			return s
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			t.Fatalf("bao server exited (%v) before it was ready; log:\n%s", err, s.LogTail())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("bao server not ready after 60s; log:\n%s", s.LogTail())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// ready builds the CA-pinned client once -dev-tls wrote its CA, and
// reports whether the server answers unsealed and active.
func (s *Server) ready() bool {
	if s.http == nil {
		pem, err := os.ReadFile(s.CAFile)
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
	resp, err := s.http.Get(s.Addr + "/v1/sys/health")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Call sends one API request with token and returns the status and the
// decoded answer.
func (s *Server) Call(t *testing.T, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.Addr+"/v1/"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Vault-Token", token)
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// Must is Call as root, failing the test unless OpenBao answers 2xx.
func (s *Server) Must(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	code, out := s.Call(t, s.RootToken, method, path, body)
	if code/100 != 2 {
		t.Fatalf("%s %s: HTTP %d %v", method, path, code, out["errors"])
	}
	return out
}

// Token creates a token carrying only policies (no default policy) and
// writes it to file by a rename, as a renewal agent would.
func (s *Server) Token(t *testing.T, file string, policies ...string) {
	t.Helper()
	out := s.Must(t, http.MethodPost, "auth/token/create", map[string]any{"policies": policies, "no_default_policy": true, "ttl": "1h"})
	auth, _ := out["auth"].(map[string]any)
	tok, _ := auth["client_token"].(string)
	if tok == "" {
		t.Fatalf("no client_token in %v", out)
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
}

// Stop sends SIGTERM to the server's PID and waits; SIGKILL after 15 s.
func (s *Server) Stop(t *testing.T) {
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

// LogTail is the last 40 lines of the server's log.
func (s *Server) LogTail() string {
	b, _ := os.ReadFile(s.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// TokenFile is Token into a new file of the test's, whose path it returns.
func (s *Server) TokenFile(t *testing.T, policies ...string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "token")
	s.Token(t, f, policies...)
	return f
}
