package evidence

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // Content-MD5 is what S3 stores ask for on a locked PUT; not used for security.
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// DefaultS3Region signs requests to stores that ignore regions (versitygw,
// MinIO, Ceph RGW) and is AWS's default.
const DefaultS3Region = "us-east-1"

// S3 is one S3 location: a bucket and a key (an object) or a prefix (where
// packs go), on AWS or any S3 store.
type S3 struct {
	Bucket string
	// Key is the object's key, or the prefix packs are written under.
	Key string
	// VersionID selects one version of the object to read.
	VersionID string
	// Endpoint is the store's URL; empty means AWS.
	Endpoint string
	Region   string
	// PathStyle addresses the bucket in the path (default with an
	// Endpoint: such stores rarely serve virtual-hosted buckets).
	PathStyle bool
	// AccessKey, SecretKey and SessionToken sign the requests; ParseS3URL
	// takes them from $RAMPART_EVIDENCE_S3_ACCESS_KEY_ID and
	// $RAMPART_EVIDENCE_S3_SECRET_ACCESS_KEY when set, else from
	// $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY and $AWS_SESSION_TOKEN;
	// never a profile or instance metadata, so nothing reaches AWS from an
	// air gap.
	AccessKey, SecretKey, SessionToken string
}

// The audit bucket's keys when they differ from $AWS_ACCESS_KEY_ID's
// (the state bucket's, in a CI job that reads both).
const (
	EnvAccessKeyID     = "RAMPART_EVIDENCE_S3_ACCESS_KEY_ID"
	EnvSecretAccessKey = "RAMPART_EVIDENCE_S3_SECRET_ACCESS_KEY"
)

// IsS3URL reports whether s names an S3 location.
func IsS3URL(s string) bool { return strings.HasPrefix(s, "s3://") }

// ParseS3URL reads s3://bucket[/key-or-prefix][?endpoint=…&region=…&use_path_style=…&disable_https=…&versionId=…],
// the query as in Pulumi's DIY backend URLs (docs/sovereign-state.md): a
// scheme-less endpoint is https unless disable_https=true.
func ParseS3URL(s string) (*S3, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an s3://bucket/prefix URL", s)
	}
	q := u.Query()
	l := &S3{Bucket: u.Host, Key: strings.TrimPrefix(u.Path, "/"), VersionID: q.Get("versionId"),
		Region: cmpOr(q.Get("region"), DefaultS3Region), Endpoint: q.Get("endpoint"),
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	// A job that also reaches a Pulumi state bucket on S3 (which reads
	// AWS_*) gives the audit bucket's keys under their own names.
	if ak := os.Getenv(EnvAccessKeyID); ak != "" {
		l.AccessKey, l.SecretKey, l.SessionToken = ak, os.Getenv(EnvSecretAccessKey), ""
	}
	for k := range q {
		switch k {
		case "versionId", "region", "endpoint", "use_path_style", "disable_https":
		default:
			return nil, fmt.Errorf("%s: unknown query parameter %q (endpoint, region, use_path_style, disable_https, versionId)", s, k)
		}
	}
	if l.Endpoint != "" && !strings.Contains(l.Endpoint, "://") {
		scheme := "https://"
		if q.Get("disable_https") == "true" {
			scheme = "http://"
		}
		l.Endpoint = scheme + l.Endpoint
	}
	l.PathStyle = l.Endpoint != ""
	if v := q.Get("use_path_style"); v != "" {
		if l.PathStyle, err = strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("%s: use_path_style=%q: want true or false", s, v)
		}
	}
	return l, nil
}

// URL is l as an s3:// URL naming its object version (no credentials).
func (l *S3) URL() string {
	q := url.Values{}
	if l.Endpoint != "" {
		q.Set("endpoint", l.Endpoint)
	}
	if l.Region != "" && l.Region != DefaultS3Region {
		q.Set("region", l.Region)
	}
	if l.VersionID != "" {
		q.Set("versionId", l.VersionID)
	}
	s := "s3://" + l.Bucket + "/" + l.Key
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// Client is the S3 client for l: only the keys given, path-style as set,
// checksums only where the API requires them (a locked PUT carries
// Content-MD5, which every store accepts).
func (l *S3) Client() (*s3.Client, error) {
	if l.AccessKey == "" || l.SecretKey == "" {
		return nil, errors.New("no S3 credentials: set " + EnvAccessKeyID + " and " + EnvSecretAccessKey + " (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) to the audit bucket's keys")
	}
	cfg := aws.Config{
		Region: cmpOr(l.Region, DefaultS3Region),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: l.AccessKey, SecretAccessKey: l.SecretKey, SessionToken: l.SessionToken, Source: "evidence"}, nil
		}),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = l.PathStyle
		if l.Endpoint != "" {
			o.BaseEndpoint = aws.String(l.Endpoint)
		}
	}), nil
}

// PutLocked writes body at key under COMPLIANCE retention until
// retainUntil, reads the object's lock back and returns its version id.
// A store that took the object without the lock (no Object Lock on the
// bucket, or a store that ignores the headers) is an error: the pack is
// then not WORM evidence.
func (l *S3) PutLocked(ctx context.Context, key string, body []byte, retainUntil time.Time) (string, error) {
	c, err := l.Client()
	if err != nil {
		return "", err
	}
	sum := md5.Sum(body) //nolint:gosec // see import
	out, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(l.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/x-tar"),
		ContentMD5:                aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		ObjectLockMode:            types.ObjectLockModeCompliance,
		ObjectLockRetainUntilDate: aws.Time(retainUntil),
	})
	if err != nil {
		return "", fmt.Errorf("evidence: put s3://%s/%s with COMPLIANCE retention until %s: %w", l.Bucket, key, retainUntil.Format(time.RFC3339), err)
	}
	ver := aws.ToString(out.VersionId)
	if ver == "" || ver == "null" {
		return "", fmt.Errorf("evidence: s3://%s/%s has no version id: versioning and Object Lock are off on bucket %s (write packs to the WORM audit bucket)", l.Bucket, key, l.Bucket)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(l.Bucket), Key: aws.String(key), VersionId: aws.String(ver)})
	if err != nil {
		return ver, fmt.Errorf("evidence: read back s3://%s/%s version %s: %w", l.Bucket, key, ver, err)
	}
	if h.ObjectLockMode != types.ObjectLockModeCompliance || h.ObjectLockRetainUntilDate == nil || h.ObjectLockRetainUntilDate.Before(retainUntil.Add(-time.Second)) {
		return ver, fmt.Errorf("evidence: s3://%s/%s version %s holds lock %q until %v, want COMPLIANCE until %s: is Object Lock on for bucket %s?",
			l.Bucket, key, ver, h.ObjectLockMode, aws.ToTime(h.ObjectLockRetainUntilDate), retainUntil.Format(time.RFC3339), l.Bucket)
	}
	return ver, nil
}

// Get reads the object (its VersionID when set), bounded in size.
func (l *S3) Get(ctx context.Context) ([]byte, error) {
	c, err := l.Client()
	if err != nil {
		return nil, err
	}
	in := &s3.GetObjectInput{Bucket: aws.String(l.Bucket), Key: aws.String(l.Key)}
	if l.VersionID != "" {
		in.VersionId = aws.String(l.VersionID)
	}
	out, err := c.GetObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("evidence: get %s: %w", l.URL(), err)
	}
	defer func() { _ = out.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxPackBytes+1))
	if err != nil {
		return nil, fmt.Errorf("evidence: get %s: %w", l.URL(), err)
	}
	if len(b) > maxPackBytes {
		return nil, fmt.Errorf("evidence: %s is over %d bytes", l.URL(), maxPackBytes)
	}
	return b, nil
}
