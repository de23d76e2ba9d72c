package openbaoserver_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/helpers/baoapi"
	"github.com/rampart-dev/rampart/internal/baodev"
	"github.com/rampart-dev/rampart/internal/labenv"
)

// TestBaoAPI_RealOpenBao_DecodesDataAndFailsWithoutTheToken drives
// helpers/baoapi (the client of rampart-kms and of the evidence signer)
// against a real `bao server -dev -dev-tls`: a read decodes its data, a
// denied write is HTTP 403 with OpenBao's message and shows neither the
// token nor the request body, and a stopped server is a failure with no
// status that names the URL once.
func TestBaoAPI_RealOpenBao_DecodesDataAndFailsWithoutTheToken(t *testing.T) {
	s := baodev.Start(t, labenv.OpenBao(t))
	pool, err := baoapi.RootCAs(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}}}
	ctx := context.Background()
	s.Must(t, http.MethodPost, "sys/mounts/transit", map[string]any{"type": "transit"})
	s.Must(t, http.MethodPost, "transit/keys/k", map[string]any{"type": "aes256-gcm96"})

	var key struct {
		LatestVersion int    `json:"latest_version"`
		Type          string `json:"type"`
	}
	if err := baoapi.Call(ctx, c, http.MethodGet, s.Addr+"/v1/transit/keys/k", s.RootToken, nil, &key); err != nil || key.LatestVersion != 1 || key.Type != "aes256-gcm96" {
		t.Fatalf("read the key: %v, %+v", err, key)
	}

	const bogus = "s.not-a-token-do-not-print"
	body := map[string]string{"plaintext": "c2VjcmV0LWtleS1tYXRlcmlhbA=="}
	err = baoapi.Call(ctx, c, http.MethodPost, s.Addr+"/v1/transit/encrypt/k", bogus, body, &key)
	if baoapi.StatusOf(err) != http.StatusForbidden || !strings.Contains(err.Error(), "HTTP 403: permission denied") {
		t.Errorf("a bad token: err = %v (status %d), want HTTP 403 with OpenBao's message", err, baoapi.StatusOf(err))
	}
	if err != nil && (strings.Contains(err.Error(), bogus) || strings.Contains(err.Error(), body["plaintext"])) {
		t.Errorf("the error shows the token or the body: %v", err)
	}

	var none struct{}
	err = baoapi.Call(ctx, c, http.MethodGet, s.Addr+"/v1/sys/health", s.RootToken, nil, &none)
	if err == nil || !strings.Contains(err.Error(), "answer without data") || baoapi.StatusOf(err) != http.StatusOK {
		t.Errorf("an answer without data (sys/health): err = %v", err)
	}

	c.Timeout = time.Second
	bad := "https://127.0.0.1:1/v1/transit/keys/k"
	err = baoapi.Call(ctx, c, http.MethodGet, bad, s.RootToken, nil, &key)
	if err == nil || baoapi.StatusOf(err) != 0 || strings.Count(err.Error(), bad) != 1 {
		t.Errorf("no server: err = %v, want no status and the URL once", err)
	}
}
