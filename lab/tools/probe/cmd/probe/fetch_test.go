package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runFetch runs `probe fetch` with args and decodes its JSON line.
func runFetch(t *testing.T, args ...string) (fetchResult, int) {
	t.Helper()
	var out bytes.Buffer
	code := fetch(args, &out)
	var r fetchResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("probe fetch %v printed %q: %v", args, out.String(), err)
	}
	return r, code
}

// A TLS 1.2+ server on 127.0.0.1 with HTTP/2: fetch reports the version,
// ALPN and the verified chain, does not follow a redirect, and a 1.1-only
// client gets a handshake failure with exit 1.
func TestFetch_ReportsHandshakeAndRefusedVersion(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		http.Redirect(w, r, "https://elsewhere.test/", http.StatusMovedPermanently)
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(srv.URL, "https://")
	r, code := runFetch(t, "-ca", ca, "-min", "1.3", "-connect", addr, "https://example.com/")
	if code != 0 || !r.OK || r.Version != "TLS 1.3" || r.ALPN != "h2" || r.Status != 301 || r.Location != "https://elsewhere.test/" || len(r.Chain) == 0 {
		t.Fatalf("1.3 fetch: exit %d, %+v", code, r)
	}
	if got := r.Headers["Strict-Transport-Security"]; len(got) != 1 || got[0] != "max-age=31536000" {
		t.Fatalf("headers: %v", r.Headers)
	}
	r, code = runFetch(t, "-ca", ca, "-min", "1.1", "-max", "1.1", "-connect", addr, "https://example.com/")
	if code != 1 || r.OK || r.Error == "" {
		t.Fatalf("1.1 fetch against a 1.2 floor: exit %d, %+v", code, r)
	}
	if code := fetch([]string{"-ca", filepath.Join(t.TempDir(), "missing"), srv.URL}, &bytes.Buffer{}); code != 2 {
		t.Fatalf("a missing -ca file: exit %d, want 2", code)
	}
}
