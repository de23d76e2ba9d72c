package s3server_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5" //nolint:gosec // Content-MD5 is what S3 asks for; not used for security.
	"crypto/sha256"
	"encoding/base64"
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

// client is a minimal S3 client (path-style, SigV4) on the Go standard
// library: the AWS SDK for Go v2 is not a dependency of the main module, and
// the handful of calls below are what the pulumi-aws provider makes for the
// component's resources plus what the proofs read back.
type client struct {
	endpoint, access, secret, region string
	hc                               *http.Client
}

// s3Error is an S3 error response.
type s3Error struct {
	Status  int
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func (e *s3Error) Error() string { return fmt.Sprintf("S3 %d %s: %s", e.Status, e.Code, e.Message) }

// response is a successful answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// opts are the optional parts of a request.
type opts struct {
	query  url.Values
	header map[string]string
	body   []byte
	noMD5  bool // send the body without Content-MD5 (and without any checksum)
}

// do signs and sends one request; a status ≥ 300 is returned as *s3Error.
func (c *client) do(method, bucket, key string, o opts) (*response, error) {
	path := "/" + bucket
	if key != "" {
		path += "/" + key
	}
	u, err := url.Parse(c.endpoint)
	if err != nil {
		return nil, err
	}
	u.Path = path
	u.RawQuery = canonicalQuery(o.query)
	req, err := http.NewRequest(method, u.String(), bytes.NewReader(o.body))
	if err != nil {
		return nil, err
	}
	for k, v := range o.header {
		req.Header.Set(k, v)
	}
	if len(o.body) > 0 && !o.noMD5 {
		sum := md5.Sum(o.body) //nolint:gosec // see import
		req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	}
	req.ContentLength = int64(len(o.body))
	c.sign(req, o.body, time.Now().UTC())
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
		e := &s3Error{Status: res.StatusCode}
		_ = xml.Unmarshal(body, e)
		return nil, e
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: body}, nil
}

// sign adds an AWS Signature Version 4 Authorization header.
func (c *client) sign(req *http.Request, body []byte, now time.Time) {
	amzDate := now.Format("20060102T150405Z")
	day := now.Format("20060102")
	payload := sha256.Sum256(body)
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(payload[:]))

	names := []string{"host"}
	vals := map[string]string{"host": req.URL.Host}
	for k, v := range req.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") || lk == "content-md5" || lk == "content-type" {
			names = append(names, lk)
			vals[lk] = strings.TrimSpace(strings.Join(v, ","))
		}
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, n := range names {
		ch.WriteString(n + ":" + vals[n] + "\n")
	}
	signed := strings.Join(names, ";")
	canonical := strings.Join([]string{req.Method, uriEncode(req.URL.Path, false), req.URL.RawQuery,
		ch.String(), signed, hex.EncodeToString(payload[:])}, "\n")
	scope := day + "/" + c.region + "/s3/aws4_request"
	ch2 := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(ch2[:])
	k := hmacSHA256([]byte("AWS4"+c.secret), day)
	k = hmacSHA256(k, c.region)
	k = hmacSHA256(k, "s3")
	k = hmacSHA256(k, "aws4_request")
	sig := hex.EncodeToString(hmacSHA256(k, toSign))
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		c.access, scope, signed, sig))
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// uriEncode is SigV4's URI encoding (RFC 3986 unreserved characters kept;
// '/' kept in paths).
func uriEncode(s string, encodeSlash bool) string {
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

// canonicalQuery is the sorted, encoded query ("versioning=" for a bare key).
func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, uriEncode(k, true)+"="+uriEncode(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// sub is a query with one bare subresource key, e.g. sub("versioning").
func sub(k string, kv ...string) url.Values {
	q := url.Values{k: {""}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// Wire types of the S3 API, the subset the tests use.
type (
	versioningConfiguration struct {
		XMLName xml.Name `xml:"VersioningConfiguration"`
		Status  string   `xml:"Status,omitempty"`
	}
	objectLockConfiguration struct {
		XMLName           xml.Name        `xml:"ObjectLockConfiguration"`
		ObjectLockEnabled string          `xml:"ObjectLockEnabled,omitempty"`
		Rule              *objectLockRule `xml:"Rule,omitempty"`
	}
	objectLockRule struct {
		DefaultRetention struct {
			Mode  string `xml:"Mode,omitempty"`
			Days  int    `xml:"Days,omitempty"`
			Years int    `xml:"Years,omitempty"`
		} `xml:"DefaultRetention"`
	}
	retention struct {
		XMLName         xml.Name `xml:"Retention"`
		Mode            string   `xml:"Mode,omitempty"`
		RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
	}
	lifecycleConfiguration struct {
		XMLName xml.Name        `xml:"LifecycleConfiguration"`
		Rules   []lifecycleRule `xml:"Rule"`
	}
	lifecycleRule struct {
		ID     string `xml:"ID"`
		Status string `xml:"Status"`
		Filter struct {
			Prefix string `xml:"Prefix"`
		} `xml:"Filter"`
		NoncurrentVersionExpiration *struct {
			NoncurrentDays int `xml:"NoncurrentDays"`
		} `xml:"NoncurrentVersionExpiration,omitempty"`
		AbortIncompleteMultipartUpload *struct {
			DaysAfterInitiation int `xml:"DaysAfterInitiation"`
		} `xml:"AbortIncompleteMultipartUpload,omitempty"`
	}
	sseConfiguration struct {
		XMLName xml.Name `xml:"ServerSideEncryptionConfiguration"`
		Rule    []struct {
			ApplyServerSideEncryptionByDefault struct {
				SSEAlgorithm   string `xml:"SSEAlgorithm"`
				KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
			} `xml:"ApplyServerSideEncryptionByDefault"`
		} `xml:"Rule"`
	}
	listVersionsResult struct {
		Versions []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
			IsLatest  bool   `xml:"IsLatest"`
		} `xml:"Version"`
		DeleteMarkers []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
			IsLatest  bool   `xml:"IsLatest"`
		} `xml:"DeleteMarker"`
	}
)

func mustXML(v any) []byte {
	b, err := xml.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
