package s3server_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/internal/testkit/s3raw"
)

// breakGlass is the exempted principal in the tests' policies.
const breakGlass = "arn:aws:iam::000000000000:role/audit-break-glass"

// deployed is one run of components/audit against the lab's S3 server.
type deployed struct {
	b      *backend
	rec    *recmock.Recorder
	c      *client
	bucket string
	out    map[string]any
}

// deploy runs NewAudit with server-backed mocks on a fresh bucket, through
// the aws provider infra/providers builds from config (as the stack does).
func deploy(t *testing.T, retention audit.RetentionArgs) *deployed {
	t.Helper()
	env := labenv.Require(t, "RAMPART_LAB_S3_ENDPOINT", "RAMPART_LAB_S3_ACCESS_KEY", "RAMPART_LAB_S3_SECRET_KEY")
	d := &deployed{b: newBackend(t), bucket: "rampart-audit-" + testkit.RandHex(6), out: map[string]any{}}
	cfg := &config.Config{
		Profile: config.ProfileLocal,
		Audit: config.Audit{Enabled: true, AuditArgs: audit.AuditArgs{
			Bucket:              d.bucket,
			Retention:           retention,
			BreakGlassPrincipal: breakGlass,
			// The encryption child is registered and sent to the server;
			// versitygw answers 501 (see mockOnly), so it stays mock-only.
			Encryption:        audit.EncryptionArgs{Mode: audit.SSEOn},
			Endpoint:          env["RAMPART_LAB_S3_ENDPOINT"],
			AllowHTTPEndpoint: true, // the lab's server on 127.0.0.1 speaks http
		}},
		Secrets: config.Secrets{
			AuditS3AccessKeyID:     &config.Secret{Key: "rampart:auditS3AccessKeyId", Value: env["RAMPART_LAB_S3_ACCESS_KEY"], IsSecret: true},
			AuditS3SecretAccessKey: &config.Secret{Key: "rampart:auditS3SecretAccessKey", Value: env["RAMPART_LAB_S3_SECRET_KEY"], IsSecret: true},
		},
	}
	d.rec = d.b.Recorder()
	var mu sync.Mutex
	capture := func(k string, o pulumi.Output) {
		o.ApplyT(func(v any) any { mu.Lock(); d.out[k] = v; mu.Unlock(); return v })
	}
	start := time.Now()
	err := d.rec.Run(func(ctx *pulumi.Context) error {
		p, err := providers.NewAuditS3(ctx, "audit-s3", cfg)
		if err != nil {
			return err
		}
		a, err := audit.NewAudit(ctx, "audit", cfg.AuditArgs(), pulumi.Providers(p))
		if err != nil {
			return err
		}
		capture("bucketName", a.BucketName)
		capture("lockMode", a.LockMode)
		capture("retentionDays", a.RetentionDays)
		return nil
	})
	if err != nil {
		t.Fatalf("NewAudit against the lab's S3 server: %v", err)
	}
	d.c = d.b.c
	// A bucket with no objects is removed again; one holding locked test
	// objects cannot be before its 1-day retention ends (that is the
	// point), and stays in the lab state until `make clean`.
	t.Cleanup(func() {
		if _, err := d.c.do("DELETE", d.bucket, "", opts{}); err != nil {
			t.Logf("bucket %s kept: %v", d.bucket, err)
		}
	})
	t.Logf("bucket %s deployed in %v; calls: %s",
		d.bucket, time.Since(start).Round(time.Millisecond), strings.Join(d.b.calls, ", "))
	d.b.report(t)
	return d
}

// put writes one object the way a correct client does (with Content-MD5)
// and returns its version id.
func (d *deployed) put(t *testing.T, key string, body []byte) string {
	t.Helper()
	r, err := d.c.do("PUT", d.bucket, key, opts{body: body})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
	v := r.Header.Get("X-Amz-Version-Id")
	if v == "" || v == "null" {
		t.Fatalf("PutObject %s returned no version id (%q): versioning is not on", key, v)
	}
	return v
}

func wantDenied(t *testing.T, what string, err error, codes ...string) *s3raw.Error {
	t.Helper()
	var e *s3raw.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: want refused (%v), got %v", what, codes, err)
	}
	if !slices.Contains(codes, e.Code) {
		t.Fatalf("%s: want one of %v, got %v", what, codes, e)
	}
	return e
}

func TestWORMBucket_ServerBacked_HasObjectLockAndVersioningForThePresetPeriod(t *testing.T) {
	d := deploy(t, audit.RetentionArgs{Preset: audit.PresetISM})

	r, err := d.c.do("GET", d.bucket, "", opts{query: sub("versioning")})
	if err != nil {
		t.Fatal(err)
	}
	var v versioningConfiguration
	if err := xml.Unmarshal(r.Body, &v); err != nil || v.Status != "Enabled" {
		t.Fatalf("GetBucketVersioning = %q (%v), want Enabled\n%s", v.Status, err, r.Body)
	}
	r, err = d.c.do("GET", d.bucket, "", opts{query: sub("object-lock")})
	if err != nil {
		t.Fatal(err)
	}
	var l objectLockConfiguration
	if err := xml.Unmarshal(r.Body, &l); err != nil {
		t.Fatal(err)
	}
	if l.ObjectLockEnabled != "Enabled" || l.Rule == nil || l.Rule.DefaultRetention.Mode != "COMPLIANCE" ||
		l.Rule.DefaultRetention.Days != audit.PresetDays[audit.PresetISM] {
		t.Fatalf("GetObjectLockConfiguration = %s, want Enabled, COMPLIANCE, %d days", r.Body, audit.PresetDays[audit.PresetISM])
	}
	// The component's outputs (the compliance report's evidence) say what
	// the server holds.
	if d.out["bucketName"] != d.bucket || d.out["lockMode"] != "COMPLIANCE" || d.out["retentionDays"] != 2557 {
		t.Fatalf("outputs = %v, want %s / COMPLIANCE / 2557", d.out, d.bucket)
	}
	if res := d.rec.MustGet(t, tBucket, "audit-bucket"); !res.Protect {
		t.Fatal("the bucket is not protected")
	}
}

func TestWORMBucket_ServerBacked_LockedVersionCannotBeDeleted(t *testing.T) {
	d := deploy(t, audit.RetentionArgs{Preset: audit.PresetCustom, Days: new(1)})
	ver := d.put(t, "audit/2026-12-03.log", []byte("kube-apiserver audit event\n"))

	_, err := d.c.do("DELETE", d.bucket, "audit/2026-12-03.log", opts{query: url.Values{"versionId": {ver}}})
	e := wantDenied(t, "versioned DELETE of a version under the default COMPLIANCE retention", err, "AccessDenied", "ObjectLocked")
	// The root keys are not subject to the bucket policy on this server:
	// the refusal must come from the lock, not the policy.
	if !strings.Contains(strings.ToLower(e.Message), "lock") {
		t.Fatalf("refused, but not by the object lock: %v", e)
	}
	// A governance bypass does not lift COMPLIANCE.
	_, err = d.c.do("DELETE", d.bucket, "audit/2026-12-03.log", opts{query: url.Values{"versionId": {ver}},
		header: map[string]string{"x-amz-bypass-governance-retention": "true"}})
	wantDenied(t, "versioned DELETE with x-amz-bypass-governance-retention", err, "AccessDenied", "ObjectLocked")
	if _, err := d.c.do("GET", d.bucket, "audit/2026-12-03.log", opts{query: url.Values{"versionId": {ver}}}); err != nil {
		t.Fatalf("the locked version is gone: %v", err)
	}
}

func TestWORMBucket_ServerBacked_ComplianceRetentionCannotBeShortened(t *testing.T) {
	d := deploy(t, audit.RetentionArgs{Preset: audit.PresetCustom, Days: new(1)})
	ver := d.put(t, "audit/held.log", []byte("event\n"))
	// versitygw does not stamp the bucket's default retention on each
	// version (a deviation from AWS), so a version's retention is set
	// explicitly here, as AWS would have stamped it, and then shortened.
	until := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
	set := func(t time.Time) error {
		_, err := d.c.do("PUT", d.bucket, "audit/held.log", opts{query: url.Values{"retention": {""}, "versionId": {ver}},
			body: mustXML(retention{Mode: "COMPLIANCE", RetainUntilDate: t.Format(time.RFC3339)})})
		return err
	}
	if err := set(until); err != nil {
		t.Fatalf("PutObjectRetention COMPLIANCE +48h: %v", err)
	}
	wantDenied(t, "shortening a COMPLIANCE retention", set(until.Add(-24*time.Hour)), "AccessDenied", "InvalidRequest", "ObjectLocked")
	_, err := d.c.do("PUT", d.bucket, "audit/held.log", opts{query: url.Values{"retention": {""}, "versionId": {ver}},
		header: map[string]string{"x-amz-bypass-governance-retention": "true"},
		body:   mustXML(retention{Mode: "GOVERNANCE", RetainUntilDate: until.Format(time.RFC3339)})})
	wantDenied(t, "downgrading COMPLIANCE to GOVERNANCE with a bypass", err, "AccessDenied", "InvalidRequest", "ObjectLocked")
	r, err := d.c.do("GET", d.bucket, "audit/held.log", opts{query: url.Values{"retention": {""}, "versionId": {ver}}})
	if err != nil {
		t.Fatal(err)
	}
	// Read back without naming the root element: AWS answers <Retention>,
	// versitygw <ObjectLockRetention> (a harmless deviation).
	var got struct {
		Mode            string `xml:"Mode"`
		RetainUntilDate string `xml:"RetainUntilDate"`
	}
	if err := xml.Unmarshal(r.Body, &got); err != nil || got.Mode != "COMPLIANCE" {
		t.Fatalf("retention after the refused changes = %s (%v), want COMPLIANCE", r.Body, err)
	}
	if ts, err := time.Parse(time.RFC3339, got.RetainUntilDate); err != nil || ts.Before(until) {
		t.Fatalf("retain-until after the refused shortening = %q, want %s", got.RetainUntilDate, until.Format(time.RFC3339))
	}
}

func TestWORMBucket_ServerBacked_UnversionedDeleteOnlyAddsADeleteMarker(t *testing.T) {
	d := deploy(t, audit.RetentionArgs{Preset: audit.PresetCustom, Days: new(1)})
	body := []byte("chunk that Loki's compactor would delete\n")
	ver := d.put(t, "chunks/a", body)

	r, err := d.c.do("DELETE", d.bucket, "chunks/a", opts{})
	if err != nil {
		t.Fatalf("unversioned DELETE: %v (it must succeed, as a delete marker)", err)
	}
	if r.Header.Get("X-Amz-Delete-Marker") != "true" {
		t.Fatalf("unversioned DELETE answered without x-amz-delete-marker: %v", r.Header)
	}
	if _, err := d.c.do("GET", d.bucket, "chunks/a", opts{}); err == nil {
		t.Fatal("the current object is still readable after the delete marker")
	}
	r, err = d.c.do("GET", d.bucket, "chunks/a", opts{query: url.Values{"versionId": {ver}}})
	if err != nil || !bytes.Equal(r.Body, body) {
		t.Fatalf("the data of version %s did not stay: %v", ver, err)
	}
	r, err = d.c.do("GET", d.bucket, "", opts{query: sub("versions", "prefix", "chunks/")})
	if err != nil {
		t.Fatal(err)
	}
	var l listVersionsResult
	if err := xml.Unmarshal(r.Body, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Versions) != 1 || l.Versions[0].VersionID != ver || len(l.DeleteMarkers) != 1 || !l.DeleteMarkers[0].IsLatest {
		t.Fatalf("ListObjectVersions = %s, want the version plus one latest delete marker", r.Body)
	}
}

func TestWORMBucket_ServerBacked_BucketPolicyDeniesVersionDeletesToAllButBreakGlass(t *testing.T) {
	d := deploy(t, audit.RetentionArgs{Preset: audit.PresetNIS2})
	r, err := d.c.do("GET", d.bucket, "", opts{query: sub("policy")})
	if err != nil {
		t.Fatalf("GetBucketPolicy: %v", err)
	}
	p := policyOf(t, r.Body)
	stmts, _ := p["Statement"].([]any)
	denied := map[string]bool{}
	for _, s := range stmts {
		m, _ := s.(map[string]any)
		if m["Effect"] != "Deny" {
			t.Fatalf("statement %v is not a Deny", m)
		}
		cond, _ := recmock.Path(m, "Condition", "StringNotEquals", "aws:PrincipalArn")
		if cond != breakGlass && !slices.Contains(asStrings(cond), breakGlass) {
			t.Fatalf("statement %v does not exempt exactly the break-glass principal", m)
		}
		for _, a := range asStrings(m["Action"]) {
			denied[a] = true
		}
	}
	for _, a := range []string{"s3:DeleteObjectVersion", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketVersioning", "s3:BypassGovernanceRetention"} {
		if !denied[a] {
			t.Errorf("the stored policy does not deny %s: %s", a, r.Body)
		}
	}
}

func TestWORMBucket_ServerBacked_LifecycleExpiresNoncurrentOnlyAfterTheLock(t *testing.T) {
	d := deploy(t, audit.RetentionArgs{Preset: audit.PresetDORA})
	if answer, ok := d.b.mocked[tLifecycle]; ok {
		t.Skipf("mock-only (%s; server said %q): proven in components/audit's mock tests only", mockOnly[tLifecycle], answer)
	}
	r, err := d.c.do("GET", d.bucket, "", opts{query: sub("lifecycle")})
	if err != nil {
		t.Fatalf("GetBucketLifecycleConfiguration: %v", err)
	}
	var l lifecycleConfiguration
	if err := xml.Unmarshal(r.Body, &l); err != nil || len(l.Rules) != 1 || l.Rules[0].NoncurrentVersionExpiration == nil ||
		l.Rules[0].NoncurrentVersionExpiration.NoncurrentDays < audit.PresetDays[audit.PresetDORA] {
		t.Fatalf("lifecycle = %s (%v), want noncurrent expiry ≥ %d days", r.Body, err, audit.PresetDays[audit.PresetDORA])
	}
}

// A PUT under lock parameters (a bucket default counts) without Content-MD5
// or an x-amz-checksum-* header must be refused (AWS: InvalidRequest). Not
// every store enforces it; a store that accepts the PUT is reported, never
// counted as a pass.
func TestWORMBucket_ServerBacked_LockedPutWithoutChecksumIsRefused(t *testing.T) {
	d := deploy(t, audit.RetentionArgs{Preset: audit.PresetCustom, Days: new(1)})
	_, err := d.c.do("PUT", d.bucket, "no-md5", opts{body: []byte("x"), noMD5: true})
	if err == nil {
		t.Skip("known deviation of versitygw v1.8.0: a PUT into an Object Lock bucket without Content-MD5 or " +
			"x-amz-checksum-* is accepted (AWS refuses it with InvalidRequest); nothing to prove on this server")
	}
	wantDenied(t, "locked PUT without Content-MD5", err, "InvalidRequest", "MissingContentMD5")
	if e := (*s3raw.Error)(nil); errors.As(err, &e) && e.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", e.Status)
	}
}

func asStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// versitygw runs the lab's admin CLI with the root keys in its environment.
func versitygw(t *testing.T, env map[string]string, args ...string) {
	t.Helper()
	bin := labenv.RequireCommand(t, "versitygw")
	cmd := exec.Command(bin, append([]string{"admin", "--er", env["RAMPART_LAB_S3_ENDPOINT"]}, args...)...)
	cmd.Env = append(os.Environ(), "ADMIN_ACCESS_KEY_ID="+env["RAMPART_LAB_S3_ACCESS_KEY"], "ADMIN_SECRET_ACCESS_KEY="+env["RAMPART_LAB_S3_SECRET_KEY"])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("versitygw admin %s: %v\n%s", args[0], err, out)
	}
}

// The bucket policy, not only the lock, stops a principal other than the
// break-glass one: the bucket is handed to a fresh non-root account (its
// owner, so nothing but the policy stands in its way; the root account is
// not subject to bucket policies on versitygw), which may read the lock
// configuration but may neither change it nor delete the (empty) bucket.
// The break-glass exemption itself is not proven here: versitygw leaves
// aws:PrincipalArn out of bucket-policy conditions (auth/condition_context.go),
// so on this server every principal counts as "not the break-glass one".
func TestWORMBucket_ServerBacked_PolicyRefusesLockChangesAndBucketDeletionToTheOwner(t *testing.T) {
	d := deploy(t, audit.RetentionArgs{Preset: audit.PresetNIS2})
	env := labenv.Require(t, "RAMPART_LAB_S3_ENDPOINT", "RAMPART_LAB_S3_ACCESS_KEY", "RAMPART_LAB_S3_SECRET_KEY")
	user, secret := "audit-writer-"+testkit.RandHex(4), testkit.RandHex(16)
	versitygw(t, env, "create-user", "-a", user, "-s", secret, "-r", "user")
	t.Cleanup(func() { versitygw(t, env, "delete-user", "-a", user) })
	versitygw(t, env, "change-bucket-owner", "-b", d.bucket, "-o", user)
	// versitygw drops a bucket's policy when its owner changes: put back
	// the exact document the component registered (what the provider sent).
	doc := str(d.rec.MustGet(t, tPolicy, "audit-policy").Inputs, "policy")
	if _, err := d.c.do("PUT", d.bucket, "", opts{query: sub("policy"), body: []byte(doc),
		header: map[string]string{"Content-Type": "application/json"}}); err != nil {
		t.Fatalf("re-applying the component's policy: %v", err)
	}
	uc := &client{s3raw.Client{Endpoint: d.c.Endpoint, AccessKey: user, SecretKey: secret, Region: d.c.Region, HTTP: d.c.HTTP}}

	// The refusal must name the policy's explicit deny (AWS and versitygw
	// both say "with an explicit deny in a resource-based policy"), not a
	// missing grant: with a policy in place versitygw grants the owner
	// nothing implicitly, so a bare AccessDenied would prove nothing.
	explicit := func(what string, err error) {
		t.Helper()
		if e := wantDenied(t, what, err, "AccessDenied"); !strings.Contains(e.Message, "explicit deny") {
			t.Fatalf("%s: refused, but not by the policy's Deny: %v", what, e)
		}
	}
	weaker := objectLockConfiguration{ObjectLockEnabled: "Enabled", Rule: &objectLockRule{}}
	weaker.Rule.DefaultRetention.Mode, weaker.Rule.DefaultRetention.Days = "GOVERNANCE", 1
	_, err := uc.do("PUT", d.bucket, "", opts{query: sub("object-lock"), body: mustXML(weaker)})
	explicit("the owner weakening the default retention", err)
	_, err = uc.do("PUT", d.bucket, "", opts{query: sub("versioning"), body: mustXML(versioningConfiguration{Status: "Suspended"})})
	explicit("the owner suspending versioning", err)
	_, err = uc.do("DELETE", d.bucket, "", opts{})
	explicit("the owner deleting the empty bucket", err)

	r, err := d.c.do("GET", d.bucket, "", opts{query: sub("object-lock")})
	if err != nil {
		t.Fatal(err)
	}
	var l objectLockConfiguration
	if err := xml.Unmarshal(r.Body, &l); err != nil || l.Rule == nil || l.Rule.DefaultRetention.Mode != "COMPLIANCE" ||
		l.Rule.DefaultRetention.Days != audit.PresetDays[audit.PresetNIS2] {
		t.Fatalf("lock configuration after the refused change = %s", r.Body)
	}
}
