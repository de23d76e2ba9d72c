package s3server_test

import (
	"crypto/md5" //nolint:gosec // Content-MD5 is what S3 asks for; not used for security.
	"encoding/base64"
	"encoding/xml"
	"maps"
	"net/url"

	"github.com/rampart-dev/rampart/internal/testkit/s3raw"
)

// client sends raw S3 requests (s3raw: path-style, SigV4) and keeps the
// server's bytes: the proofs read back the XML itself, and some requests
// (a PUT without Content-MD5) are ones an SDK would not send. The calls are
// what the pulumi-aws provider makes for the component's resources plus
// what the proofs read back.
type client struct{ s3raw.Client }

// opts are the optional parts of a request.
type opts struct {
	query  url.Values
	header map[string]string
	body   []byte
	noMD5  bool // send the body without Content-MD5 (and without any checksum)
}

// do sends one request, with Content-MD5 for a body as a correct client
// does (unless o.noMD5); a status ≥ 300 is returned as *s3raw.Error.
func (c *client) do(method, bucket, key string, o opts) (*s3raw.Response, error) {
	h := maps.Clone(o.header)
	if len(o.body) > 0 && !o.noMD5 {
		sum := md5.Sum(o.body) //nolint:gosec // see import
		if h == nil {
			h = map[string]string{}
		}
		h["Content-MD5"] = base64.StdEncoding.EncodeToString(sum[:])
	}
	return c.Do(method, bucket, key, o.query, h, o.body)
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
