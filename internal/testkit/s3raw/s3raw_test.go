package s3raw

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// seen is what the fake server received.
type seen struct {
	uri, auth, payloadHash, bodyHash, reSigned string
}

// fakeS3 records each request and re-signs it as a server would verify it:
// from the bytes on the wire, with the signed headers the client listed.
func fakeS3(t *testing.T, status int, answer string) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		s.uri, s.auth = r.RequestURI, r.Header.Get("Authorization")
		s.payloadHash, s.bodyHash = r.Header.Get("X-Amz-Content-Sha256"), hex.EncodeToString(sum[:])
		when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil {
			t.Errorf("X-Amz-Date %q: %v", r.Header.Get("X-Amz-Date"), err)
		}
		check, _ := http.NewRequest(r.Method, "http://"+r.Host+r.RequestURI, strings.NewReader(string(body)))
		_, signedList, _ := strings.Cut(s.auth, "SignedHeaders=")
		signedList, _, _ = strings.Cut(signedList, ",")
		for _, h := range strings.Split(signedList, ";") {
			if h != "host" && h != "content-length" {
				check.Header.Set(h, r.Header.Get(h))
			}
		}
		creds := aws.Credentials{AccessKeyID: "AKTEST", SecretAccessKey: "secret-test"}
		if err := signer.SignHTTP(context.Background(), creds, check, s.payloadHash, "s3", "eu-test-1", when); err != nil {
			t.Error(err)
		}
		s.reSigned = check.Header.Get("Authorization")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

func TestDo_FakeServer_SignsWhatGoesOnTheWire(t *testing.T) {
	srv, s := fakeS3(t, http.StatusOK, "<ok/>")
	c := &Client{Endpoint: srv.URL, AccessKey: "AKTEST", SecretKey: "secret-test", Region: "eu-test-1", HTTP: srv.Client()}
	body := []byte("<VersioningConfiguration/>")
	r, err := c.Do(http.MethodPut, "b", "dir/a:b c.json", url.Values{"versioning": {""}, "prefix": {"x y/+"}},
		map[string]string{"Content-MD5": "bWQ1", "Content-Type": "application/xml"}, body)
	if err != nil || r.Status != http.StatusOK || string(r.Body) != "<ok/>" {
		t.Fatalf("Do = %+v, %v; want 200 <ok/>", r, err)
	}
	if want := "/b/dir/a%3Ab%20c.json?prefix=x%20y%2F%2B&versioning="; s.uri != want {
		t.Errorf("request URI %q, want %q (RFC 3986 escaping, canonical query)", s.uri, want)
	}
	if s.payloadHash != s.bodyHash {
		t.Errorf("X-Amz-Content-Sha256 %q, want the body's SHA-256 %q", s.payloadHash, s.bodyHash)
	}
	if !strings.Contains(s.auth, "/eu-test-1/s3/aws4_request, SignedHeaders=content-length;content-md5;content-type;host;x-amz-content-sha256;x-amz-date, Signature=") {
		t.Errorf("Authorization %q lacks the scope or a signed header", s.auth)
	}
	if s.auth == "" || s.auth != s.reSigned {
		t.Errorf("the signature does not verify from the wire: sent %q, server computes %q", s.auth, s.reSigned)
	}
}

func TestDo_FakeServer_ErrorDocumentBecomesError(t *testing.T) {
	srv, s := fakeS3(t, http.StatusConflict, "<Error><Code>BucketAlreadyOwnedByYou</Code><Message>yours</Message></Error>")
	c := &Client{Endpoint: srv.URL, AccessKey: "AKTEST", SecretKey: "secret-test", Region: "eu-test-1"}
	_, err := c.Do(http.MethodGet, "b", "", nil, nil, nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusConflict || e.Code != "BucketAlreadyOwnedByYou" || e.Message != "yours" {
		t.Fatalf("err = %v, want *Error 409 BucketAlreadyOwnedByYou: yours", err)
	}
	if s.auth != s.reSigned {
		t.Errorf("the signature does not verify from the wire: sent %q, server computes %q", s.auth, s.reSigned)
	}
	if want := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; s.payloadHash != want {
		t.Errorf("X-Amz-Content-Sha256 %q for an empty body, want %q", s.payloadHash, want)
	}
}

func TestDo_RejectsAnEndpointThatIsNotAURL(t *testing.T) {
	c := &Client{Endpoint: "127.0.0.1:9000"}
	if _, err := c.Do(http.MethodGet, "b", "", nil, nil, nil); err == nil || !strings.Contains(err.Error(), "http://host:port") {
		t.Fatalf("err = %v, want the endpoint named with the expected form", err)
	}
}
