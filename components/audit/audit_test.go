package audit_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	aws "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	tBucket     = "aws:s3/bucketV2:BucketV2"
	tVersioning = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	tLock       = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
	tPolicy     = "aws:s3/bucketPolicy:BucketPolicy"
	tSSE        = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tLifecycle  = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
)

func validArgs() *audit.AuditArgs {
	return &audit.AuditArgs{
		Bucket:              "rampart-audit-prod",
		Retention:           audit.RetentionArgs{Preset: audit.PresetISM},
		BreakGlassPrincipal: "arn:aws:iam::123456789012:role/audit-break-glass",
		Endpoint:            "https://s3.example.internal",
	}
}

// run builds the component with an aws provider under the recording mock.
func run(t *testing.T, a *audit.AuditArgs) (*recmock.Recorder, map[string]any, error) {
	t.Helper()
	rec := recmock.New()
	out := map[string]any{}
	var mu sync.Mutex
	err := rec.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "s3", &aws.ProviderArgs{})
		if err != nil {
			return err
		}
		c, err := audit.NewAudit(ctx, "audit", a, pulumi.Providers(p))
		if err != nil {
			return err
		}
		set := func(k string, v any) { mu.Lock(); out[k] = v; mu.Unlock() }
		c.BucketName.ApplyT(func(v string) string { set("bucketName", v); return v })
		c.LockMode.ApplyT(func(v string) string { set("lockMode", v); return v })
		c.RetentionDays.ApplyT(func(v int) int { set("retentionDays", v); return v })
		return nil
	})
	return rec, out, err
}

func path(t *testing.T, r recmock.Resource, steps ...any) any {
	t.Helper()
	v, ok := recmock.Path(r.Plain(), steps...)
	if !ok {
		t.Fatalf("%s %s: no input at %v in %v", r.Type, r.Name, steps, r.Plain())
	}
	return v
}

func TestAudit_BuildsAProtectedObjectLockBucketWithEveryChildUnderTheComponent(t *testing.T) {
	rec, out, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	b := rec.MustGet(t, tBucket, "audit-bucket")
	if path(t, b, "objectLockEnabled") != true || path(t, b, "bucket") != "rampart-audit-prod" || path(t, b, "forceDestroy") != false {
		t.Fatalf("bucket inputs = %v, want object lock at creation, the name, no forceDestroy", b.Plain())
	}
	if !b.Protect {
		t.Fatal("the audit bucket is not protected")
	}
	for _, c := range []struct{ token, name string }{
		{tBucket, "audit-bucket"}, {tVersioning, "audit-versioning"}, {tLock, "audit-lock"},
		{tPolicy, "audit-policy"}, {tSSE, "audit-encryption"}, {tLifecycle, "audit-lifecycle"},
	} {
		r := rec.MustGet(t, c.token, c.name)
		if r.ParentName() != "audit" {
			t.Errorf("%s's parent = %q, want the component", c.name, r.ParentName())
		}
		if !strings.Contains(r.Provider, "pulumi:providers:aws::s3") {
			t.Errorf("%s's provider = %q, want the caller's aws provider", c.name, r.Provider)
		}
		if c.token != tBucket && path(t, r, "bucket") != "rampart-audit-prod" {
			t.Errorf("%s targets bucket %v", c.name, path(t, r, "bucket"))
		}
	}
	if v := path(t, rec.MustGet(t, tVersioning, "audit-versioning"), "versioningConfiguration", "status"); v != "Enabled" {
		t.Errorf("versioning status = %v", v)
	}
	lock := rec.MustGet(t, tLock, "audit-lock")
	if path(t, lock, "rule", "defaultRetention", "mode") != "COMPLIANCE" || path(t, lock, "rule", "defaultRetention", "days") != 2557.0 {
		t.Errorf("default retention = %v, want COMPLIANCE 2557 days", path(t, lock, "rule"))
	}
	if v := path(t, rec.MustGet(t, tSSE, "audit-encryption"), "rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm"); v != "AES256" {
		t.Errorf("default SSE algorithm = %v, want AES256", v)
	}
	lc := rec.MustGet(t, tLifecycle, "audit-lifecycle")
	if d := path(t, lc, "rules", 0, "noncurrentVersionExpiration", "noncurrentDays"); d != 2557.0 {
		t.Errorf("noncurrent versions expire after %v days, want the lock's 2557", d)
	}
	if _, ok := recmock.Path(lc.Plain(), "rules", 0, "expiration"); ok {
		t.Error("the lifecycle rule expires current objects; only noncurrent versions may expire")
	}
	if out["bucketName"] != "rampart-audit-prod" || out["lockMode"] != "COMPLIANCE" || out["retentionDays"] != 2557 {
		t.Errorf("outputs = %v", out)
	}
}

func TestAudit_BucketPolicyDeniesVersionDeletesAndLockChangesToAllButBreakGlass(t *testing.T) {
	rec, _, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := path(t, rec.MustGet(t, tPolicy, "audit-policy"), "policy").(string)
	var doc audit.PolicyDocument
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("policy is not JSON: %v", err)
	}
	denied := map[string]string{}
	for _, s := range doc.Statement {
		if s.Effect != "Deny" || s.Principal != "*" {
			t.Errorf("statement %s: %s for %s, want Deny for *", s.Sid, s.Effect, s.Principal)
		}
		if got := s.Condition["StringNotEquals"]["aws:PrincipalArn"]; got != validArgs().BreakGlassPrincipal {
			t.Errorf("statement %s exempts %q, want the break-glass principal", s.Sid, got)
		}
		for _, a := range s.Action {
			denied[a] = strings.Join(s.Resource, ",")
		}
	}
	for a, res := range map[string]string{
		"s3:DeleteObjectVersion":              "arn:aws:s3:::rampart-audit-prod/*",
		"s3:BypassGovernanceRetention":        "arn:aws:s3:::rampart-audit-prod/*",
		"s3:PutBucketObjectLockConfiguration": "arn:aws:s3:::rampart-audit-prod",
		"s3:PutBucketVersioning":              "arn:aws:s3:::rampart-audit-prod",
	} {
		if denied[a] != res {
			t.Errorf("%s denied on %q, want on %q", a, denied[a], res)
		}
	}
	if _, ok := denied["s3:DeleteObject"]; ok {
		t.Error("the policy denies unversioned deletes: Loki's compactor needs them (they only add delete markers)")
	}
}

func TestAudit_PresetsSetTheirPeriodAndCustomTakesDays(t *testing.T) {
	for _, c := range []struct {
		r    audit.RetentionArgs
		days float64
		mode string
	}{
		{audit.RetentionArgs{Preset: audit.PresetNIS2}, 1096, "COMPLIANCE"},
		{audit.RetentionArgs{Preset: audit.PresetDORA}, 1827, "COMPLIANCE"},
		{audit.RetentionArgs{Preset: audit.PresetISM}, 2557, "COMPLIANCE"},
		{audit.RetentionArgs{Preset: audit.PresetITSG33}, 731, "COMPLIANCE"},
		{audit.RetentionArgs{Preset: audit.PresetCEPlus}, 366, "COMPLIANCE"},
		{audit.RetentionArgs{Preset: audit.PresetCustom, Days: new(30), Mode: audit.LockGovernance}, 30, "GOVERNANCE"},
	} {
		t.Run(string(c.r.Preset), func(t *testing.T) {
			a := validArgs()
			a.Retention = c.r
			rec, _, err := run(t, a)
			if err != nil {
				t.Fatal(err)
			}
			lock := rec.MustGet(t, tLock, "audit-lock")
			if path(t, lock, "rule", "defaultRetention", "days") != c.days || path(t, lock, "rule", "defaultRetention", "mode") != c.mode {
				t.Errorf("default retention = %v, want %s %v days", path(t, lock, "rule"), c.mode, c.days)
			}
		})
	}
}

func TestAudit_EncryptionOffRegistersNoSSEAndKMSNamesTheKey(t *testing.T) {
	a := validArgs()
	a.Encryption = audit.EncryptionArgs{Mode: audit.SSEOff}
	rec, _, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ByType(tSSE)); n != 0 {
		t.Errorf("encryption off registered %d SSE configurations", n)
	}
	a = validArgs()
	a.Encryption = audit.EncryptionArgs{Algorithm: audit.SSEKMS, KMSKeyID: "arn:aws:kms:eu-central-1:123456789012:key/abc"}
	rec, _, err = run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	sse := rec.MustGet(t, tSSE, "audit-encryption")
	if path(t, sse, "rules", 0, "applyServerSideEncryptionByDefault", "kmsMasterKeyId") != a.Encryption.KMSKeyID {
		t.Errorf("KMS key not passed: %v", sse.Plain())
	}
}

func TestAudit_RejectsBadConfig(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *audit.AuditArgs)
		path   string
		text   string
	}{
		{"no preset", func(a *audit.AuditArgs) { a.Retention.Preset = "" }, "retention.preset", "required"},
		{"unknown preset", func(a *audit.AuditArgs) { a.Retention.Preset = "hipaa" }, "retention.preset", "unknown preset"},
		{"governance under a framework preset", func(a *audit.AuditArgs) { a.Retention.Mode = audit.LockGovernance },
			"retention.mode", "preset ism demands COMPLIANCE"},
		{"days with a framework preset", func(a *audit.AuditArgs) { a.Retention.Days = new(30) }, "retention.days", "preset ism sets the period"},
		{"explicit 0 days with a framework preset", func(a *audit.AuditArgs) { a.Retention.Days = new(0) }, "retention.days: 0", "preset ism sets the period"},
		{"custom without days", func(a *audit.AuditArgs) { a.Retention = audit.RetentionArgs{Preset: audit.PresetCustom} },
			"retention.days", "needs a period"},
		{"negative period", func(a *audit.AuditArgs) { a.Retention = audit.RetentionArgs{Preset: audit.PresetCustom, Days: new(-7)} },
			"retention.days", "-7: preset custom needs a period"},
		{"absurd period", func(a *audit.AuditArgs) {
			a.Retention = audit.RetentionArgs{Preset: audit.PresetCustom, Days: new(365000)}
		},
			"retention.days", "needs a period of 1-36500"},
		{"unknown mode", func(a *audit.AuditArgs) {
			a.Retention = audit.RetentionArgs{Preset: audit.PresetCustom, Days: new(1), Mode: "LEGAL_HOLD"}
		},
			"retention.mode", "unknown lock mode"},
		{"upper-case bucket", func(a *audit.AuditArgs) { a.Bucket = "Rampart-Audit" }, "bucket", "S3 rejects this bucket name"},
		{"short bucket", func(a *audit.AuditArgs) { a.Bucket = "ab" }, "bucket", "3-63 characters"},
		{"bucket as IP", func(a *audit.AuditArgs) { a.Bucket = "192.168.1.10" }, "bucket", "IP address"},
		{"bucket with ..", func(a *audit.AuditArgs) { a.Bucket = "audit..logs" }, "bucket", "adjacent periods"},
		{"underscore bucket", func(a *audit.AuditArgs) { a.Bucket = "audit_logs" }, "bucket", "only lowercase letters"},
		{"reserved prefix", func(a *audit.AuditArgs) { a.Bucket = "xn--audit" }, "bucket", "reserved prefix"},
		{"no break-glass", func(a *audit.AuditArgs) { a.BreakGlassPrincipal = "" }, "breakGlassPrincipal", "required"},
		{"wildcard break-glass", func(a *audit.AuditArgs) { a.BreakGlassPrincipal = "*" }, "breakGlassPrincipal", "without wildcards"},
		{"http endpoint", func(a *audit.AuditArgs) { a.Endpoint = "http://s3.example.internal:9000" }, "endpoint", "only the local profile allows it"},
		{"keys in the endpoint", func(a *audit.AuditArgs) { a.Endpoint = "https://AKIA:secret@s3.example.internal" }, "endpoint", "must not carry credentials"},
		{"not a URL", func(a *audit.AuditArgs) { a.Endpoint = "s3.example.internal" }, "endpoint", "not an http(s) URL"},
		{"kms without key", func(a *audit.AuditArgs) { a.Encryption.Algorithm = audit.SSEKMS }, "encryption.kmsKeyId", "required with algorithm aws:kms"},
		{"unknown SSE mode", func(a *audit.AuditArgs) { a.Encryption.Mode = "maybe" }, "encryption.mode", "unknown mode"},
		{"bad region", func(a *audit.AuditArgs) { a.Region = "EU Central" }, "region", "not a region name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := validArgs()
			c.mutate(a)
			rec, _, err := run(t, a)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.path+": ") || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("error %q lacks %q / %q", err, c.path, c.text)
			}
			if !strings.Contains(err.Error(), `audit "audit": `) {
				t.Errorf("error not wrapped with the component's name: %q", err)
			}
			if n := len(rec.ByType(tBucket)); n != 0 {
				t.Errorf("bad config registered %d buckets", n)
			}
			if strings.Contains(err.Error(), "secret@") {
				t.Errorf("error leaks the endpoint's credentials: %q", err)
			}
		})
	}
}

func TestAudit_ValidatePrefixesEveryPathAndAllowsHTTPOnlyWhenTold(t *testing.T) {
	a := validArgs()
	a.Endpoint = "http://127.0.0.1:9000"
	err := a.Validate("rampart:audit")
	if err == nil || !strings.Contains(err.Error(), "rampart:audit.endpoint: ") {
		t.Fatalf("http endpoint: %v", err)
	}
	a.AllowHTTPEndpoint = true
	if err := a.Validate("rampart:audit"); err != nil {
		t.Fatalf("http endpoint with AllowHTTPEndpoint (local profile): %v", err)
	}
	if err := (&audit.AuditArgs{}).Validate("rampart:audit"); err == nil ||
		!strings.Contains(err.Error(), "rampart:audit.bucket: ") || !strings.Contains(err.Error(), "rampart:audit.retention.preset: ") ||
		!strings.Contains(err.Error(), "rampart:audit.breakGlassPrincipal: ") {
		t.Fatalf("empty args must report every missing field: %v", err)
	}
}

func TestAudit_NilArgsAreAnError(t *testing.T) {
	if _, _, err := run(t, nil); err == nil || !strings.Contains(err.Error(), "args are required") {
		t.Fatalf("nil args: %v", err)
	}
}
