// Package baoapi calls OpenBao's (and Vault's) HTTP API: one request with
// a token, the answer's data decoded. A failure is an *Error carrying the
// method, the URL, the HTTP status and the server's own messages; never
// the token or the request body (which may hold key material).
package baoapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// MaxAnswer bounds what is read of an answer: the API's answers that
// Rampart reads are a few kilobytes at most.
const MaxAnswer = 1 << 20

// Error is a call that failed: Status 0 when no answer came (Err says
// why); a 2xx status when the answer could not be used (Err says why);
// else the answer's HTTP status and OpenBao's messages.
type Error struct {
	Method, URL string
	Status      int
	Messages    []string
	Err         error
}

func (e *Error) Error() string {
	if e.Status/100 != 4 && e.Status/100 != 5 {
		return fmt.Sprintf("%s %s: %v", e.Method, e.URL, e.Err)
	}
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.Status, strings.Join(e.Messages, "; "))
}

func (e *Error) Unwrap() error { return e.Err }

// StatusOf is err's HTTP status: 0 when no answer came (the server is
// down or unreachable) or err is not an *Error.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Call sends method to u with token (body, when not nil, as JSON) and
// decodes the answer's "data" into out (when not nil). Any 2xx is an
// answer; one without data is an error when out wants some.
func Call(ctx context.Context, c *http.Client, method, u, token string, body, out any) error {
	fail := func(status int, msgs []string, err error) error {
		return &Error{Method: method, URL: u, Status: status, Messages: msgs, Err: err}
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fail(0, nil, fmt.Errorf("encode request: %w", err))
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fail(0, nil, err)
	}
	req.Header.Set("X-Vault-Token", token)
	req.Header.Set("X-Vault-Request", "true")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it repeats the method and the URL
		}
		return fail(0, nil, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	if err != nil {
		return fail(0, nil, fmt.Errorf("read answer: %w", err))
	}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []string        `json:"errors"`
	}
	_ = json.Unmarshal(raw, &env)
	if resp.StatusCode/100 != 2 {
		return fail(resp.StatusCode, env.Errors, nil)
	}
	if out == nil {
		return nil
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return fail(resp.StatusCode, nil, errors.New("answer without data"))
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fail(resp.StatusCode, nil, fmt.Errorf("decode answer: %w", err))
	}
	return nil
}

// NewClient is the HTTP client for one OpenBao: TLS at least minTLS,
// trusting caFile's CAs ("" for the system roots), no proxy from the
// environment (tokens and key material go to OpenBao only), each call
// bounded by timeout.
func NewClient(caFile string, minTLS uint16, timeout time.Duration) (*http.Client, error) {
	cfg := &tls.Config{MinVersion: minTLS}
	if caFile != "" {
		pool, err := RootCAs(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{TLSClientConfig: cfg, Proxy: nil, ForceAttemptHTTP2: true}}, nil
}

// RootCAs reads a PEM bundle of CA certificates into a pool.
func RootCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path) //nolint:gosec // the CA bundle the operator names
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", path)
	}
	return pool, nil
}
