// Package s3raw sends raw S3 requests, path-style and signed with AWS
// Signature Version 4 (the signer of github.com/aws/aws-sdk-go-v2), and
// hands back the server's status, headers and bytes untouched. Tests use it
// where an SDK client would hide what they check: the exact XML a server
// answers, a request an SDK would refuse to send (a locked PUT without
// Content-MD5), or the objects a Pulumi backend wrote behind the CLI's back.
package s3raw

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// DefaultRegion is the signing region when Client.Region is empty: the lab's
// S3 server (versitygw) accepts any region, and us-east-1 is AWS's default.
const DefaultRegion = "us-east-1"

// Client is one set of S3 credentials at one endpoint.
type Client struct {
	// Endpoint is the server's base URL, e.g. RAMPART_LAB_S3_ENDPOINT
	// (http://127.0.0.1:PORT); buckets go in the path (path-style), which
	// every S3 server accepts, unlike virtual-hosted names.
	Endpoint string
	// AccessKey and SecretKey sign every request.
	AccessKey, SecretKey string
	// Region is the SigV4 signing region; empty means DefaultRegion.
	Region string
	// HTTP sends the requests; nil means http.DefaultClient (no timeout, so
	// callers set one).
	HTTP *http.Client
}

// Response is a successful (status < 300) answer, body read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Error is an S3 error answer (status ≥ 300) with its error document's
// code and message (empty when the body is not one, e.g. after a HEAD).
type Error struct {
	Status  int
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func (e *Error) Error() string { return fmt.Sprintf("S3 %d %s: %s", e.Status, e.Code, e.Message) }

var signer = v4.NewSigner(func(o *v4.SignerOptions) {
	// S3 signs the path as sent, escaped once (the path below is already
	// escaped the AWS way); other services escape it a second time.
	o.DisableURIPathEscaping = true
})

// Do signs and sends one request to /bucket[/key]?query with the given
// headers and body; a status ≥ 300 comes back as *Error. Every header in
// header is signed, as are Host, Content-Length and X-Amz-Content-Sha256
// (the body's SHA-256, which S3 servers check against the body). The
// query goes on the wire in SigV4's canonical form (sorted, RFC 3986
// escaped; a bare subresource such as "versioning" as "versioning=").
func (c *Client) Do(method, bucket, key string, query url.Values, header map[string]string, body []byte) (*Response, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("S3 endpoint %q is not a URL like http://host:port (%v)", c.Endpoint, err)
	}
	u.Path = "/" + bucket
	if key != "" {
		u.Path += "/" + key
	}
	u.RawPath = httpbinding.EscapePath(u.Path, false)
	u.RawQuery = query.Encode() // the signer rewrites it in canonical form
	req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", payload)
	region := c.Region
	if region == "" {
		region = DefaultRegion
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKey, SecretAccessKey: c.SecretKey}
	if err := signer.SignHTTP(context.Background(), creds, req, payload, "s3", region, time.Now()); err != nil {
		return nil, fmt.Errorf("sign %s %s: %w", method, u.Path, err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode >= 300 {
		e := &Error{Status: res.StatusCode}
		_ = xml.Unmarshal(b, e)
		return nil, e
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}
