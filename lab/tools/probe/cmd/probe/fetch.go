package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// fetchResult is the one JSON line `probe fetch` prints. TLS fields are
// empty for http:// URLs; Error is set when no response came back (the
// handshake failed, the connection was refused or dropped).
type fetchResult struct {
	URL      string              `json:"url"`
	OK       bool                `json:"ok"`
	Error    string              `json:"error,omitempty"`
	Verdict  string              `json:"verdict,omitempty"`
	Version  string              `json:"version,omitempty"`
	Cipher   string              `json:"cipher,omitempty"`
	ALPN     string              `json:"alpn,omitempty"`
	Chain    []string            `json:"chain,omitempty"`
	Status   int                 `json:"status,omitempty"`
	Proto    string              `json:"proto,omitempty"`
	Headers  map[string][]string `json:"headers,omitempty"`
	Location string              `json:"location,omitempty"`
	Body     string              `json:"body,omitempty"`
}

var tlsVersions = map[string]uint16{"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// fetch makes one request and reports how it went as a JSON line:
//
//	probe fetch [-min V] [-max V] [-alpn h2,http/1.1] [-ca FILE] [-connect IP:PORT] [-timeout T] URL
//
// -min/-max bound the TLS versions offered (1.0 to 1.3; default Go's own
// bounds, 1.2 to 1.3). -ca is the only root trusted (the system roots
// otherwise); the chain is always verified against it, with the URL's host
// as the name. -connect dials that address instead of resolving the host,
// which still names the server (SNI, Host). Redirects are not followed.
// Exit 0 when a response came back (whatever its status), 1 when none did,
// 2 on a usage error.
func fetch(args []string, stdout io.Writer) int {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	minV := fs.String("min", "", "lowest TLS version offered: 1.0, 1.1, 1.2 or 1.3")
	maxV := fs.String("max", "", "highest TLS version offered")
	alpn := fs.String("alpn", "h2,http/1.1", "ALPN protocols offered, comma-separated")
	caFile := fs.String("ca", "", "PEM file with the only trusted root")
	connect := fs.String("connect", "", "dial IP:PORT instead of the URL's host")
	d := fs.Duration("timeout", 5*time.Second, "for the whole request")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: probe fetch [-min V] [-max V] [-alpn LIST] [-ca FILE] [-connect IP:PORT] [-timeout T] URL")
		return 2
	}
	cfg := &tls.Config{NextProtos: strings.Split(*alpn, ",")}
	for flagName, v := range map[string]string{"min": *minV, "max": *maxV} {
		if v == "" {
			continue
		}
		ver, ok := tlsVersions[v]
		if !ok {
			fmt.Fprintf(os.Stderr, "probe: -%s %q: use 1.0, 1.1, 1.2 or 1.3\n", flagName, v)
			return 2
		}
		if flagName == "min" {
			cfg.MinVersion = ver
		} else {
			cfg.MaxVersion = ver
		}
	}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			return 2
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			fmt.Fprintf(os.Stderr, "probe: %s holds no PEM certificate\n", *caFile)
			return 2
		}
	}
	dialer := &net.Dialer{}
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true, DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if *connect != "" {
				addr = *connect
			}
			return dialer.DialContext(ctx, network, addr)
		}}
	c := &http.Client{Transport: tr, Timeout: *d, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	url := fs.Arg(0)
	r := fetchResult{URL: url}
	resp, err := c.Get(url) //nolint:gosec // fetching what the test names is the probe's job
	if err != nil {
		r.Error, r.Verdict = err.Error(), verdict(err)
		var ae tls.AlertError
		if errors.As(err, &ae) {
			r.Verdict = "TLS-ALERT"
		}
		return printFetch(stdout, r, 1)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	r.Body = string(body)
	r.OK, r.Status, r.Proto, r.Headers, r.Location = true, resp.StatusCode, resp.Proto, resp.Header, resp.Header.Get("Location")
	if s := resp.TLS; s != nil {
		r.Version, r.Cipher, r.ALPN = tls.VersionName(s.Version), tls.CipherSuiteName(s.CipherSuite), s.NegotiatedProtocol
		if len(s.VerifiedChains) > 0 {
			for _, cert := range s.VerifiedChains[0] {
				r.Chain = append(r.Chain, cert.Subject.CommonName)
			}
		}
	}
	return printFetch(stdout, r, 0)
}

func printFetch(w io.Writer, r fetchResult, code int) int {
	b, err := json.Marshal(r)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 2
	}
	_, _ = fmt.Fprintln(w, string(b))
	return code
}
