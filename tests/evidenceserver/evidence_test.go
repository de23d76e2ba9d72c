// Package evidenceserver_test proves the signed evidence packs of
// `rampart check --evidence` against real servers: the manifest signed by
// a real OpenBao transit key (the lab's pinned bao, its own `bao server
// -dev` on 127.0.0.1), the pack written as one tar to the lab's versitygw
// S3 with Object Lock, read back and verified (also by the built CLI),
// failing on any flipped byte, and its object version refused deletion
// while its COMPLIANCE retention runs.
package evidenceserver_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/compliance/report"
	"github.com/rampart-dev/rampart/evidence"
	"github.com/rampart-dev/rampart/internal/baodev"
	"github.com/rampart-dev/rampart/internal/evidencetest"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
)

const keyName = "rampart-evidence"

// transitKey starts a dev OpenBao with a transit key of keyType and
// returns the signer (a token holding only evidence.TransitPolicy, from a
// file) and the key's public half as the server gives it, in PEM.
func transitKey(t *testing.T, keyType string) (*evidence.Transit, []byte) {
	t.Helper()
	s := baodev.Start(t, labenv.OpenBao(t))
	s.Must(t, http.MethodPost, "sys/mounts/transit", map[string]any{"type": "transit"})
	s.Must(t, http.MethodPost, "transit/keys/"+keyName, map[string]any{"type": keyType})
	s.Must(t, http.MethodPut, "sys/policies/acl/evidence-sign", map[string]any{"policy": evidence.TransitPolicy("transit", keyName)})
	tr := &evidence.Transit{Addr: s.Addr, Key: keyName, TokenFile: s.TokenFile(t, "evidence-sign"), CAFile: s.CAFile}
	k := s.Must(t, http.MethodGet, "transit/keys/"+keyName, nil)
	data, _ := k["data"].(map[string]any)
	keys, _ := data["keys"].(map[string]any)
	v1, _ := keys["1"].(map[string]any)
	pub, _ := v1["public_key"].(string)
	if keyType == "ed25519" {
		raw, err := base64.StdEncoding.DecodeString(pub)
		if err != nil {
			t.Fatal(err)
		}
		b, err := evidence.EncodePublicKey(ed25519.PublicKey(raw))
		if err != nil {
			t.Fatal(err)
		}
		return tr, b
	}
	return tr, []byte(pub)
}

// run is a real check run's material: the renderers' bytes of an
// assessment of a lab deployment, and that deployment's digest.
func run(t *testing.T) evidence.Run {
	t.Helper()
	dep := []byte(`{"manifest":{"time":"2026-12-03T05:17:00Z","magic":"","version":""},"resources":[]}`)
	as := compliance.Assess("lab", apitype.DeploymentV3{}, time.Now())
	files := map[string][]byte{}
	for name, render := range map[string]func(w *bytes.Buffer) error{
		evidence.OSCALName: func(w *bytes.Buffer) error { return report.OSCAL(w, as) },
		evidence.HTMLName:  func(w *bytes.Buffer) error { return report.HTML(w, as) },
		evidence.JSONName:  func(w *bytes.Buffer) error { return report.JSON(w, as) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		files[name] = b.Bytes()
	}
	st, err := evidence.StateFromExport("lab", 3, dep)
	if err != nil {
		t.Fatal(err)
	}
	return evidence.Run{Stack: "lab", Profile: "local", Generated: as.Generated, Reports: files, State: st,
		Tool: evidence.Tool{Name: "rampart", Version: "test", Commit: "test"}}
}

func TestEvidence_ServerBacked_TransitSignsEd25519AndECDSAP256Packs(t *testing.T) {
	for _, typ := range []string{"ed25519", "ecdsa-p256"} {
		t.Run(typ, func(t *testing.T) {
			tr, pub := transitKey(t, typ)
			p, err := evidence.Build(context.Background(), run(t), tr)
			if err != nil {
				t.Fatal(err)
			}
			if r := evidence.Verify(p, pub); !r.OK() {
				t.Fatalf("a pack signed by transit does not verify with the server's public key: %v", r.Err())
			}
			sig, _ := evidence.ParseSignature(p.Files[evidence.SignatureName])
			if !strings.HasPrefix(sig.Transit, "vault:v1:") || sig.KeyVersion != 1 {
				t.Errorf("signature = %+v", sig)
			}
			// A token without the sign policy cannot sign.
			tr.TokenFile = ""
			tr.Token = "s.not-a-token"
			if _, err := evidence.Build(context.Background(), run(t), tr); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
				t.Errorf("signing with a bad token: %v, want HTTP 403", err)
			}
		})
	}
}

// s3Env is the lab's S3 server: its endpoint and root keys, also put in
// the environment for the CLI and ParseS3URL.
func s3Env(t *testing.T) (endpoint string) {
	t.Helper()
	env := labenv.Require(t, "RAMPART_LAB_S3_ENDPOINT", "RAMPART_LAB_S3_ACCESS_KEY", "RAMPART_LAB_S3_SECRET_KEY")
	t.Setenv("AWS_ACCESS_KEY_ID", env["RAMPART_LAB_S3_ACCESS_KEY"])
	t.Setenv("AWS_SECRET_ACCESS_KEY", env["RAMPART_LAB_S3_SECRET_KEY"])
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv(evidence.EnvAccessKeyID, "")
	return env["RAMPART_LAB_S3_ENDPOINT"]
}

// bucket creates a fresh bucket, with Object Lock (and so versioning) when
// locked is set, and returns its client.
func bucket(t *testing.T, endpoint string, locked bool) (string, *s3.Client) {
	t.Helper()
	name := "rampart-evidence-" + testkit.RandHex(6)
	c, err := (&evidence.S3{Bucket: name, Endpoint: endpoint, PathStyle: true,
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY")}).Client()
	if err != nil {
		t.Fatal(err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if locked {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	if _, err := c.CreateBucket(context.Background(), in); err != nil {
		t.Fatalf("CreateBucket %s (object lock %v) on the lab's S3: %v", name, locked, err)
	}
	// A bucket holding locked objects cannot be removed before their
	// 1-day retention ends (that is the point): it stays in the lab state
	// until `make clean`, like tests/s3server's.
	t.Cleanup(func() {
		if _, err := c.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Logf("bucket %s kept: %v", name, err)
		}
	})
	return name, c
}

func TestEvidence_ServerBacked_PackOnLockedS3VerifiesFailsOnAnyFlippedByteAndCannotBeDeleted(t *testing.T) {
	endpoint := s3Env(t)
	tr, pub := transitKey(t, "ed25519")
	name, c := bucket(t, endpoint, true)
	ctx := context.Background()

	p, err := evidence.Build(ctx, run(t), tr)
	if err != nil {
		t.Fatal(err)
	}
	dest := "s3://" + name + "/evidence/lab?endpoint=" + endpoint
	start := time.Now()
	w, err := evidence.Write(ctx, p, dest, 24*time.Hour, start)
	if err != nil {
		t.Fatalf("write the pack to the lab's S3: %v", err)
	}
	t.Logf("pack at %s, retained until %s", w.Where, w.RetainUntil.Format(time.RFC3339))
	if !strings.HasPrefix(w.S3.Key, "evidence/lab/rampart-evidence-lab-") || !strings.HasSuffix(w.S3.Key, ".tar") || w.S3.VersionID == "" {
		t.Fatalf("object %+v", w.S3)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(name), Key: aws.String(w.S3.Key), VersionId: aws.String(w.S3.VersionID)})
	if err != nil {
		t.Fatal(err)
	}
	if string(head.ObjectLockMode) != "COMPLIANCE" || head.ObjectLockRetainUntilDate.Before(start.Add(24*time.Hour)) {
		t.Fatalf("the object's lock is %q until %v, want COMPLIANCE until ≥ now+24h", head.ObjectLockMode, head.ObjectLockRetainUntilDate)
	}

	// Downloaded from S3, the pack verifies, with the server's key too,
	// and its tar is the bytes written.
	got, err := evidence.Open(ctx, w.Where)
	if err != nil {
		t.Fatal(err)
	}
	if r := evidence.Verify(got, pub); !r.OK() {
		t.Fatalf("the pack read back from S3 does not verify: %v", r.Err())
	}
	if tb, _ := got.Tar(); evidence.Digest(tb) != w.TarSHA256 {
		t.Error("the downloaded pack tars to other bytes than the object written")
	}

	// The CLI verifies the object itself, and fails on one flipped byte.
	cli := testkit.BuildRampart(t, labenv.RepoRoot(t))
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := cli(t, "evidence", "verify", "--public-key", keyFile, w.Where); code != 0 || !strings.Contains(out, "VALID") {
		t.Fatalf("rampart evidence verify %s: exit %d\n%s", w.Where, code, out)
	}
	for _, n := range got.Names() {
		q := got.Clone()
		q.Files[n][len(q.Files[n])/2] ^= 0x01
		r := evidence.Verify(q, pub)
		if r.OK() || !strings.Contains(r.Err().Error(), n) {
			t.Errorf("%s with one byte flipped: %v (want a failure naming it)", n, r.Err())
		}
		if n != evidence.JSONName {
			continue
		}
		dir := filepath.Join(t.TempDir(), "pack")
		if err := q.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		if code, out := cli(t, "evidence", "verify", dir); code != 2 || !strings.Contains(out, "FAIL "+n) {
			t.Errorf("rampart evidence verify on a flipped %s: exit %d, want 2\n%s", n, code, out)
		}
	}

	// The object version cannot be deleted before its retention ends, not
	// even with a governance bypass; it is still there afterwards.
	for _, bypass := range []bool{false, true} {
		in := &s3.DeleteObjectInput{Bucket: aws.String(name), Key: aws.String(w.S3.Key), VersionId: aws.String(w.S3.VersionID)}
		if bypass {
			in.BypassGovernanceRetention = aws.Bool(true)
		}
		_, err := c.DeleteObject(ctx, in)
		var ae smithy.APIError
		if !errors.As(err, &ae) || !slices.Contains([]string{"AccessDenied", "ObjectLocked"}, ae.ErrorCode()) ||
			!strings.Contains(strings.ToLower(ae.ErrorMessage()), "lock") {
			t.Fatalf("DeleteObject of the locked version (bypass %v): %v, want AccessDenied/ObjectLocked by the object lock", bypass, err)
		}
		t.Logf("DeleteObject (bypass %v) refused: %s: %s", bypass, ae.ErrorCode(), ae.ErrorMessage())
	}
	if _, err := evidence.Open(ctx, w.Where); err != nil {
		t.Fatalf("the locked version is gone after the refused deletes: %v", err)
	}
}

// TestEvidence_ServerBacked_BucketWithoutObjectLockIsRefused: a pack on a
// bucket that cannot hold it under retention is not WORM evidence.
func TestEvidence_ServerBacked_BucketWithoutObjectLockIsRefused(t *testing.T) {
	endpoint := s3Env(t)
	name, c := bucket(t, endpoint, false)
	p, err := evidence.Build(context.Background(), run(t), edSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = evidence.Write(context.Background(), p, "s3://"+name+"/evidence?endpoint="+endpoint, 24*time.Hour, time.Now())
	if err == nil {
		t.Fatal("a pack was written to a bucket without Object Lock")
	}
	t.Logf("refused: %v", err)
	// Leave the bucket deletable: remove whatever the store may have kept.
	out, _ := c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String(name)})
	if out != nil {
		for _, v := range out.Versions {
			_, _ = c.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(name), Key: v.Key, VersionId: v.VersionId})
		}
	}
}

// edSigner is an in-process ed25519 key for tests that are not about
// transit.
func edSigner(t *testing.T) evidence.Signer {
	t.Helper()
	return evidencetest.Ed25519{Key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))}
}
