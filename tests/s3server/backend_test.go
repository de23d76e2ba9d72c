// Package s3server_test runs components/audit under Pulumi mocks whose
// NewResource performs, against the lab's S3 server (versitygw v1.8.0 with
// Object Lock), the S3 call the pulumi-aws provider would make for each
// resource the component registers, with the endpoint and keys the aws
// provider was configured with (built by infra/providers like the stack
// does). Then the tests prove on the server what the bucket enforces.
//
// These are "server-backed mocks", not provider end-to-end tests: the
// pulumi-aws plugin cannot be had here. What they prove is the bucket the
// component describes, as a real Object Lock implementation enforces it;
// what they do not prove is the provider's own diffing and read-back.
// versitygw's deviations from AWS (see the README) are never relied on: a
// proof that only a deviation would make pass is skipped with the reason.
// The resource types the server cannot store are named in mockOnly; every
// deploy logs which resources the server stored and which stayed mock-only.
package s3server_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit/s3raw"
)

// Resource types the backend serves.
const (
	tBucket     = "aws:s3/bucketV2:BucketV2"
	tVersioning = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	tLock       = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
	tPolicy     = "aws:s3/bucketPolicy:BucketPolicy"
	tSSE        = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tLifecycle  = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	tProvider   = "pulumi:providers:aws"
)

// mockOnly is the whole list of resource types whose S3 call (see s3Op) the
// lab's server may answer 501 NotImplemented, with the reason. Only these
// keep mock-only state on a 501; a 501 for any other type fails the deploy,
// so a ServerBacked test cannot pass on a resource the server never stored.
// Keep it in step with the README's WORM audit bucket row.
var mockOnly = map[string]string{
	tSSE:       "versitygw v1.8.0 does not implement it (501)",
	tLifecycle: "versitygw v1.8.0 does not implement it (501)",
}

// s3Op names the S3 operation the backend performs for each type.
var s3Op = map[string]string{
	tBucket:     "CreateBucket",
	tVersioning: "PutBucketVersioning",
	tLock:       "PutObjectLockConfiguration",
	tPolicy:     "PutBucketPolicy",
	tSSE:        "PutBucketEncryption",
	tLifecycle:  "PutBucketLifecycleConfiguration",
}

// backend serves the aws S3 resources with real calls.
type backend struct {
	t  testing.TB
	mu sync.Mutex
	c  *client // built from the aws provider's registered inputs
	// calls are "METHOD ?sub" in the order the engine made them.
	calls []string
	// proven are "type name" of the resources the server stored.
	proven []string
	// mocked maps each type in mockOnly that the server answered 501 to the
	// server's answer: its state stays mock-only, and the test says so.
	mocked map[string]string
}

func newBackend(t testing.TB) *backend {
	return &backend{t: t, mocked: map[string]string{}}
}

// report logs, one line each, the resources the server stored and the ones
// that stayed mock-only (with the reason from mockOnly).
func (b *backend) report(t testing.TB) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.proven {
		stale := ""
		if _, listed := mockOnly[strings.Fields(r)[0]]; listed {
			stale = " (listed in mockOnly, but the server stored it: drop the entry)"
		}
		t.Logf("proven on the server: %s%s", r, stale)
	}
	for _, typ := range slices.Sorted(maps.Keys(b.mocked)) {
		answer := b.mocked[typ]
		t.Logf("mock-only: %s (%s): %s; server said %q", typ, s3Op[typ], mockOnly[typ], answer)
	}
}

// Recorder returns a recorder whose NewResource is served by the backend.
func (b *backend) Recorder() *recmock.Recorder {
	rec := recmock.New()
	rec.OnNewResource = b.serve
	return rec
}

func str(pm resource.PropertyMap, path ...any) string {
	v, _ := recmock.Path(recmock.Plain(pm), path...)
	s, _ := v.(string)
	return s
}

func num(pm resource.PropertyMap, path ...any) int {
	v, _ := recmock.Path(recmock.Plain(pm), path...)
	f, _ := v.(float64)
	return int(f)
}

func (b *backend) serve(args pulumi.MockResourceArgs) (string, resource.PropertyMap, bool, error) {
	in := args.Inputs
	if args.TypeToken == tProvider {
		// The provider's config is what the S3 calls use: endpoint
		// override, region and the keys (secrets, unwrapped by Plain).
		b.mu.Lock()
		b.c = &client{s3raw.Client{Endpoint: str(in, "endpoints", 0, "s3"), AccessKey: str(in, "accessKey"),
			SecretKey: str(in, "secretKey"), Region: str(in, "region"), HTTP: &http.Client{Timeout: 20 * time.Second}}}
		b.mu.Unlock()
		return "", nil, false, nil
	}
	b.mu.Lock()
	c := b.c
	b.mu.Unlock()
	if c == nil && strings.HasPrefix(args.TypeToken, "aws:") {
		return "", nil, false, fmt.Errorf("%s %s registered before any aws provider", args.TypeToken, args.Name)
	}
	bucket := str(in, "bucket")
	var err error
	switch args.TypeToken {
	case tBucket:
		h := map[string]string{}
		if v, ok := recmock.Path(recmock.Plain(in), "objectLockEnabled"); ok && v == true {
			h["x-amz-bucket-object-lock-enabled"] = "true"
		}
		_, err = b.call("PUT", bucket, "", opts{header: h})
		if err == nil {
			b.stored(args)
			outs := in.Copy()
			outs["arn"] = resource.NewStringProperty("arn:aws:s3:::" + bucket)
			outs["bucketRegionalDomainName"] = resource.NewStringProperty(bucket)
			return bucket, outs, true, nil
		}
	case tVersioning:
		_, err = b.call("PUT", bucket, "versioning", opts{body: mustXML(versioningConfiguration{
			Status: str(in, "versioningConfiguration", "status")})})
	case tLock:
		cfg := objectLockConfiguration{ObjectLockEnabled: str(in, "objectLockEnabled")}
		if mode := str(in, "rule", "defaultRetention", "mode"); mode != "" {
			cfg.Rule = &objectLockRule{}
			cfg.Rule.DefaultRetention.Mode = mode
			cfg.Rule.DefaultRetention.Days = num(in, "rule", "defaultRetention", "days")
			cfg.Rule.DefaultRetention.Years = num(in, "rule", "defaultRetention", "years")
		}
		_, err = b.call("PUT", bucket, "object-lock", opts{body: mustXML(cfg)})
	case tPolicy:
		_, err = b.call("PUT", bucket, "policy", opts{body: []byte(str(in, "policy")),
			header: map[string]string{"Content-Type": "application/json"}})
	case tSSE:
		var cfg sseConfiguration
		cfg.Rule = make([]struct {
			ApplyServerSideEncryptionByDefault struct {
				SSEAlgorithm   string `xml:"SSEAlgorithm"`
				KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
			} `xml:"ApplyServerSideEncryptionByDefault"`
		}, 1)
		cfg.Rule[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm = str(in, "rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm")
		cfg.Rule[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID = str(in, "rules", 0, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
		_, err = b.call("PUT", bucket, "encryption", opts{body: mustXML(cfg)})
	case tLifecycle:
		var cfg lifecycleConfiguration
		for i := 0; ; i++ {
			id := str(in, "rules", i, "id")
			if id == "" {
				break
			}
			r := lifecycleRule{ID: id, Status: str(in, "rules", i, "status")}
			r.Filter.Prefix = str(in, "rules", i, "filter", "prefix")
			if d := num(in, "rules", i, "noncurrentVersionExpiration", "noncurrentDays"); d > 0 {
				r.NoncurrentVersionExpiration = &struct {
					NoncurrentDays int `xml:"NoncurrentDays"`
				}{d}
			}
			if d := num(in, "rules", i, "abortIncompleteMultipartUpload", "daysAfterInitiation"); d > 0 {
				r.AbortIncompleteMultipartUpload = &struct {
					DaysAfterInitiation int `xml:"DaysAfterInitiation"`
				}{d}
			}
			cfg.Rules = append(cfg.Rules, r)
		}
		_, err = b.call("PUT", bucket, "lifecycle", opts{body: mustXML(cfg)})
	default:
		return "", nil, false, nil
	}
	var e *s3raw.Error
	if errors.As(err, &e) && e.Status == http.StatusNotImplemented {
		if _, listed := mockOnly[args.TypeToken]; !listed {
			return "", nil, false, fmt.Errorf("%s %s: the lab's S3 server answered %s with 501 and the type is not in mockOnly "+
				"(tests/s3server/backend_test.go), so its state would be mock-only: %w", args.TypeToken, args.Name, s3Op[args.TypeToken], err)
		}
		b.mu.Lock()
		b.mocked[args.TypeToken] = e.Error()
		b.mu.Unlock()
		return bucket, in.Copy(), true, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("%s %s: %s: %w", args.TypeToken, args.Name, s3Op[args.TypeToken], err)
	}
	b.stored(args)
	return bucket, in.Copy(), true, nil
}

// stored records a resource the server accepted.
func (b *backend) stored(args pulumi.MockResourceArgs) {
	b.mu.Lock()
	b.proven = append(b.proven, args.TypeToken+" "+args.Name)
	b.mu.Unlock()
}

// call performs one bucket-level request with subresource sub ("" for none).
func (b *backend) call(method, bucket, subres string, o opts) (*s3raw.Response, error) {
	b.mu.Lock()
	b.calls = append(b.calls, method+" ?"+subres)
	c := b.c
	b.mu.Unlock()
	if subres != "" {
		o.query = sub(subres)
	}
	return c.do(method, bucket, "", o)
}

// policyOf parses a bucket policy document.
func policyOf(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("bucket policy is not JSON: %v\n%s", err, raw)
	}
	return m
}
