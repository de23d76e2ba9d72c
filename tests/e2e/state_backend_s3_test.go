package e2e_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// stateS3 is the few S3 calls the sovereign-state test makes to read the
// Pulumi state bucket behind the CLI's back (path-style, SigV4, standard
// library only): the AWS SDK for Go v2 is not a dependency of the main
// module, and tests/s3server's client lives in another test package.
type stateS3 struct {
	endpoint, access, secret, region string
	hc                               *http.Client
}

// stateS3Error is an S3 error document with its HTTP status.
type stateS3Error struct {
	Status  int
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func (e *stateS3Error) Error() string {
	return fmt.Sprintf("S3 %d %s: %s", e.Status, e.Code, e.Message)
}

// call signs and sends one request; a status ≥ 300 comes back as *stateS3Error.
func (c *stateS3) call(method, bucket, key string, q url.Values, header map[string]string) ([]byte, error) {
	u, err := url.Parse(c.endpoint)
	if err != nil {
		return nil, fmt.Errorf("RAMPART_LAB_S3_ENDPOINT %q: %w", c.endpoint, err)
	}
	u.Path = "/" + bucket
	if key != "" {
		u.Path += "/" + key
	}
	u.RawQuery = stateS3Query(q)
	req, err := http.NewRequest(method, u.String(), http.NoBody)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c.sign(req, time.Now().UTC())
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode >= 300 {
		e := &stateS3Error{Status: res.StatusCode}
		_ = xml.Unmarshal(body, e)
		return nil, e
	}
	return body, nil
}

// sign adds an AWS Signature Version 4 header for an empty body.
func (c *stateS3) sign(req *http.Request, now time.Time) {
	amzDate, day := now.Format("20060102T150405Z"), now.Format("20060102")
	empty := sha256.Sum256(nil)
	payload := hex.EncodeToString(empty[:])
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", payload)
	names := []string{"host"}
	vals := map[string]string{"host": req.URL.Host}
	for k, v := range req.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-") {
			names = append(names, lk)
			vals[lk] = strings.TrimSpace(strings.Join(v, ","))
		}
	}
	sort.Strings(names)
	var headers strings.Builder
	for _, n := range names {
		headers.WriteString(n + ":" + vals[n] + "\n")
	}
	signed := strings.Join(names, ";")
	canonical := strings.Join([]string{req.Method, stateS3Escape(req.URL.Path, false), req.URL.RawQuery,
		headers.String(), signed, payload}, "\n")
	scope := day + "/" + c.region + "/s3/aws4_request"
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	k := stateHMAC([]byte("AWS4"+c.secret), day)
	for _, part := range []string{c.region, "s3", "aws4_request"} {
		k = stateHMAC(k, part)
	}
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		c.access, scope, signed, hex.EncodeToString(stateHMAC(k, toSign))))
}

func stateHMAC(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// stateS3Escape is SigV4's URI encoding: RFC 3986 unreserved characters
// kept, '/' kept in paths.
func stateS3Escape(s string, encodeSlash bool) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// stateS3Query is the sorted, encoded query ("object-lock=" for a bare key).
func stateS3Query(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, v := range q[k] {
			parts = append(parts, stateS3Escape(k, true)+"="+stateS3Escape(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// createBucket makes a bucket without Object Lock (no
// x-amz-bucket-object-lock-enabled header).
func (c *stateS3) createBucket(bucket string) error {
	_, err := c.call(http.MethodPut, bucket, "", nil, nil)
	return err
}

// objectLock returns the bucket's GetObjectLockConfiguration answer, or the
// S3 error (ObjectLockConfigurationNotFoundError when lock is absent).
func (c *stateS3) objectLock(bucket string) ([]byte, error) {
	return c.call(http.MethodGet, bucket, "", url.Values{"object-lock": {""}}, nil)
}

// list returns every key under prefix (ListObjectsV2, following continuation).
func (c *stateS3) list(bucket, prefix string) ([]string, error) {
	var keys []string
	token := ""
	for {
		q := url.Values{"list-type": {"2"}, "prefix": {prefix}}
		if token != "" {
			q.Set("continuation-token", token)
		}
		body, err := c.call(http.MethodGet, bucket, "", q, nil)
		if err != nil {
			return nil, err
		}
		var page struct {
			Contents []struct {
				Key string `xml:"Key"`
			} `xml:"Contents"`
			IsTruncated           bool   `xml:"IsTruncated"`
			NextContinuationToken string `xml:"NextContinuationToken"`
		}
		if err := xml.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("ListObjectsV2 %s: %w", bucket, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, o.Key)
		}
		if !page.IsTruncated || page.NextContinuationToken == "" {
			return keys, nil
		}
		token = page.NextContinuationToken
	}
}

// get returns an object's bytes.
func (c *stateS3) get(bucket, key string) ([]byte, error) {
	return c.call(http.MethodGet, bucket, key, nil, nil)
}

// emptyAndDelete deletes every object, then the bucket: what a state bucket
// must allow, and what an Object-Locked one would refuse.
func (c *stateS3) emptyAndDelete(bucket string) error {
	keys, err := c.list(bucket, "")
	if err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := c.call(http.MethodDelete, bucket, k, nil, nil); err != nil {
			return fmt.Errorf("delete %s: %w", k, err)
		}
	}
	_, err = c.call(http.MethodDelete, bucket, "", nil, nil)
	return err
}
