package evidence_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/evidence"
	"github.com/rampart-dev/rampart/internal/evidencetest"
)

// ecSigner signs with an in-test ECDSA P-256 key, as transit's ecdsa-p256.
type ecSigner struct{ key *ecdsa.PrivateKey }

func (s ecSigner) Sign(_ context.Context, m []byte) (*evidence.Signature, []byte, error) {
	pub, err := evidence.EncodePublicKey(&s.key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	_, der, _ := evidence.ParsePublicKey(pub)
	h := sha256.Sum256(m)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, h[:])
	if err != nil {
		return nil, nil, err
	}
	return &evidence.Signature{Algorithm: evidence.AlgECDSAP256, Signer: "test", KeyVersion: 1,
		Value: base64.StdEncoding.EncodeToString(sig), PublicKeySHA256: evidence.Digest(der)}, pub, nil
}

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

var generated = time.Date(2026, 12, 3, 5, 17, 0, 0, time.UTC)

func testRun(withVerify bool) evidence.Run {
	r := evidence.Run{Stack: "prod", Profile: "prod", Generated: generated.Add(300 * time.Millisecond),
		Tool: evidence.Tool{Name: "rampart", Version: "v1.2.3", Commit: "abc"},
		Reports: map[string][]byte{
			evidence.OSCALName: []byte(`{"assessment-results":{}}` + "\n"),
			evidence.HTMLName:  []byte("<!doctype html><title>report</title>\n"),
			evidence.JSONName:  []byte(`{"stack":"prod"}` + "\n"),
		},
		State: evidence.StateDigest{Stack: "prod", DeploymentVersion: 3, SHA256: strings.Repeat("ab", 32), Size: 1234, Resources: 7},
	}
	if withVerify {
		r.Reports[evidence.VerifyName] = []byte(`{"behaviour":{}}` + "\n")
	}
	return r
}

func build(t *testing.T, s evidence.Signer) *evidence.Pack {
	t.Helper()
	p, err := evidence.Build(context.Background(), testRun(true), s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func pubPEM(t *testing.T, k ed25519.PrivateKey) []byte {
	t.Helper()
	b, err := evidence.EncodePublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestManifest_ListsEveryReportFileSortedWithItsDigestAndSize(t *testing.T) {
	p := build(t, evidencetest.Ed25519{Key: testKey(1)})
	m, err := evidence.ParseManifest(p.Files[evidence.ManifestName])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{evidence.OSCALName, evidence.HTMLName, evidence.JSONName, evidence.StateName, evidence.VerifyName}
	var got []string
	for _, f := range m.Files {
		got = append(got, f.Name)
		if f.SHA256 != evidence.Digest(p.Files[f.Name]) || f.Size != int64(len(p.Files[f.Name])) {
			t.Errorf("%s: manifest says %s/%d, file is %s/%d", f.Name, f.SHA256, f.Size, evidence.Digest(p.Files[f.Name]), len(p.Files[f.Name]))
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("manifest lists %q, want %q (sorted, frame excluded)", got, want)
	}
	if m.Stack != "prod" || !m.Generated.Equal(generated) || m.Tool.Version != "v1.2.3" || m.Format != evidence.Format {
		t.Errorf("manifest header = %+v", m)
	}
	if m.Name() != "rampart-evidence-prod-20261203T051700Z" {
		t.Errorf("pack name = %s", m.Name())
	}
	var st evidence.StateDigest
	if err := json.Unmarshal(p.Files[evidence.StateName], &st); err != nil || st.SHA256 != strings.Repeat("ab", 32) {
		t.Errorf("state digest file = %s (%v)", p.Files[evidence.StateName], err)
	}
	for _, name := range []string{evidence.ManifestName, "../x", "a/b", ""} {
		if _, err := evidence.NewManifest("s", "", generated, evidence.Tool{}, map[string][]byte{name: nil}); err == nil {
			t.Errorf("NewManifest accepted a file named %q", name)
		}
	}
}

func TestPack_TarIsDeterministicAndRoundTripsThroughADirectory(t *testing.T) {
	p := build(t, evidencetest.Ed25519{Key: testKey(1)})
	a, err := p.Tar()
	if err != nil {
		t.Fatal(err)
	}
	// The same pack, its files given in another order, tars to the same bytes.
	q := &evidence.Pack{Files: map[string][]byte{}}
	names := p.Names()
	for i := len(names) - 1; i >= 0; i-- {
		q.Files[names[i]] = bytes.Clone(p.Files[names[i]])
	}
	b, err := q.Tar()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two tars of the same pack differ")
	}
	tr := tar.NewReader(bytes.NewReader(a))
	var order []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		order = append(order, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Mode != 0o644 || !h.ModTime.Equal(generated) {
			t.Errorf("%s: header %+v, want 0:0, no names, 0644, the manifest's time", h.Name, h)
		}
	}
	if strings.Join(order, ",") != strings.Join(names, ",") {
		t.Errorf("tar order %q, want sorted %q", order, names)
	}
	dir := filepath.Join(t.TempDir(), "pack")
	if err := p.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteDir(dir); err == nil {
		t.Error("WriteDir wrote into an existing pack directory")
	}
	fromDir, err := evidence.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := fromDir.Tar()
	if !bytes.Equal(a, c) {
		t.Error("the directory's pack tars to other bytes")
	}
	tarFile := filepath.Join(t.TempDir(), "pack.tar")
	if err := os.WriteFile(tarFile, a, 0o600); err != nil {
		t.Fatal(err)
	}
	fromTar, err := evidence.Load(tarFile)
	if err != nil {
		t.Fatal(err)
	}
	if r := evidence.Verify(fromTar, pubPEM(t, testKey(1))); !r.OK() {
		t.Errorf("the tar's pack does not verify: %v", r.Err())
	}
}

func TestVerify_PackSignedByAnInTestKeyVerifiesWithThatPublicKeyOnly(t *testing.T) {
	for name, s := range map[string]evidence.Signer{"ed25519": evidencetest.Ed25519{Key: testKey(1)}, "ecdsa-p256": ecSigner{mustEC(t)}} {
		t.Run(name, func(t *testing.T) {
			p := build(t, s)
			if r := evidence.Verify(p, p.Files[evidence.PublicKeyName]); !r.OK() {
				t.Fatalf("a fresh pack does not verify: %v", r.Err())
			}
		})
	}
	p := build(t, evidencetest.Ed25519{Key: testKey(1)})
	if r := evidence.Verify(p, pubPEM(t, testKey(1))); !r.OK() || r.Manifest == nil || r.Signature == nil {
		t.Fatalf("want valid with the signer's key: %v", r.Err())
	}
	// Another key can sign a pack that is internally valid: only the
	// expected key tells the two apart.
	forged := build(t, evidencetest.Ed25519{Key: testKey(2)})
	if r := evidence.Verify(forged, nil); !r.OK() {
		t.Fatalf("a pack signed by another key is not even self-consistent: %v", r.Err())
	}
	r := evidence.Verify(forged, pubPEM(t, testKey(1)))
	if r.OK() || !strings.Contains(r.Err().Error(), "is not the expected key") {
		t.Fatalf("a pack signed by another key verified against the expected one: %v", r.Err())
	}
}

func mustEC(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestVerify_FlippingOneByteOfAnyFileFailsNamingThatFile: every file of the
// pack, report or frame, at its first, middle and last byte.
func TestVerify_FlippingOneByteOfAnyFileFailsNamingThatFile(t *testing.T) {
	p := build(t, evidencetest.Ed25519{Key: testKey(1)})
	want := pubPEM(t, testKey(1))
	for _, name := range p.Names() {
		for _, at := range []string{"first", "middle", "last"} {
			q := p.Clone()
			b := q.Files[name]
			i := map[string]int{"first": 0, "middle": len(b) / 2, "last": len(b) - 1}[at]
			b[i] ^= 0x01
			for _, exp := range [][]byte{nil, want} {
				r := evidence.Verify(q, exp)
				if r.OK() {
					t.Errorf("%s, %s byte flipped: the pack still verifies", name, at)
					continue
				}
				if !strings.Contains(r.Err().Error(), name) {
					t.Errorf("%s, %s byte flipped: the failure does not name the file: %v", name, at, r.Err())
				}
			}
		}
	}
}

// TestVerify_ManifestRewrittenToMatchATamperedFileFailsTheSignature: an
// attacker who changes a report and fixes its digest in the manifest has
// a consistent listing and a broken signature.
func TestVerify_ManifestRewrittenToMatchATamperedFileFailsTheSignature(t *testing.T) {
	p := build(t, evidencetest.Ed25519{Key: testKey(1)})
	m, err := evidence.ParseManifest(p.Files[evidence.ManifestName])
	if err != nil {
		t.Fatal(err)
	}
	p.Files[evidence.JSONName] = []byte(`{"stack":"prod","results":"all pass"}` + "\n")
	for i, f := range m.Files {
		if f.Name == evidence.JSONName {
			m.Files[i].SHA256, m.Files[i].Size = evidence.Digest(p.Files[evidence.JSONName]), int64(len(p.Files[evidence.JSONName]))
		}
	}
	if p.Files[evidence.ManifestName], err = m.Bytes(); err != nil {
		t.Fatal(err)
	}
	r := evidence.Verify(p, nil)
	if r.OK() {
		t.Fatal("a rewritten manifest verifies")
	}
	var sig bool
	for _, pr := range r.Problems {
		if pr.File == evidence.JSONName {
			t.Errorf("the listing was made consistent, yet %v", pr)
		}
		sig = sig || pr.File == "signature" && strings.Contains(pr.Reason, "does not verify")
	}
	if !sig {
		t.Errorf("no signature problem: %v", r.Err())
	}
}

func TestVerify_AddedOrRemovedFileFails(t *testing.T) {
	p := build(t, evidencetest.Ed25519{Key: testKey(1)})
	q := p.Clone()
	q.Files["extra.txt"] = []byte("added later\n")
	if r := evidence.Verify(q, nil); r.OK() || !strings.Contains(r.Err().Error(), "extra.txt: not listed") {
		t.Errorf("an added file: %v", r.Err())
	}
	for _, n := range p.Names() {
		q := p.Clone()
		delete(q.Files, n)
		if r := evidence.Verify(q, nil); r.OK() || !strings.Contains(r.Err().Error(), n) {
			t.Errorf("%s removed: %v", n, r.Err())
		}
	}
}

func TestReadTar_RefusesLinksPathsAndDuplicates(t *testing.T) {
	for name, h := range map[string]tar.Header{
		"symlink":   {Typeflag: tar.TypeSymlink, Name: "report.json", Linkname: "/etc/passwd"},
		"path":      {Typeflag: tar.TypeReg, Name: "../report.json"},
		"subfolder": {Typeflag: tar.TypeReg, Name: "a/report.json"},
	} {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		_ = tw.WriteHeader(&h)
		_ = tw.Close()
		if _, err := evidence.ReadTar(&b); err == nil {
			t.Errorf("%s: ReadTar accepted it", name)
		}
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for range 2 {
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "a", Size: 1, Mode: 0o644})
		_, _ = tw.Write([]byte("x"))
	}
	_ = tw.Close()
	if _, err := evidence.ReadTar(&b); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a duplicate name: %v", err)
	}
}

func TestStateFromExport_IgnoresIndentationAndFindsTheAuditBucket(t *testing.T) {
	dep := `{"manifest":{"time":"2026-12-03T05:17:00Z"},"resources":[
	  {"urn":"urn:pulumi:prod::rampart::rampart:audit:Audit::audit","type":"rampart:audit:Audit","custom":false,
	   "outputs":{"bucketName":"rampart-audit","lockMode":"COMPLIANCE","retentionDays":1096}}]}`
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(dep)); err != nil {
		t.Fatal(err)
	}
	a, err := evidence.StateFromExport("prod", 3, json.RawMessage(dep))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := evidence.StateFromExport("prod", 3, compact.Bytes())
	if a != b || a.SHA256 != evidence.Digest(compact.Bytes()) || a.Resources != 1 {
		t.Errorf("digest of the indented export %+v, of the compact one %+v", a, b)
	}
	ab, ok := evidence.AuditBucketFromExport(json.RawMessage(dep))
	if !ok || ab.Bucket != "rampart-audit" || ab.RetentionDays != 1096 || ab.LockMode != "COMPLIANCE" {
		t.Errorf("audit bucket = %+v, %v", ab, ok)
	}
	if _, ok := evidence.AuditBucketFromExport(json.RawMessage(`{"resources":[]}`)); ok {
		t.Error("found an audit bucket in an empty deployment")
	}
}

func TestParseS3URL_EndpointPathStyleAndVersion(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "ak")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "sk")
	t.Setenv(evidence.EnvAccessKeyID, "")
	l, err := evidence.ParseS3URL("s3://audit/evidence/prod?endpoint=127.0.0.1:7070&disable_https=true&versionId=v1")
	if err != nil {
		t.Fatal(err)
	}
	if l.Bucket != "audit" || l.Key != "evidence/prod" || l.Endpoint != "http://127.0.0.1:7070" || !l.PathStyle ||
		l.VersionID != "v1" || l.Region != evidence.DefaultS3Region || l.AccessKey != "ak" {
		t.Errorf("parsed %+v", l)
	}
	t.Setenv(evidence.EnvAccessKeyID, "audit-ak")
	t.Setenv(evidence.EnvSecretAccessKey, "audit-sk")
	if l, _ := evidence.ParseS3URL("s3://audit/x?endpoint=s3.example:443"); l.Endpoint != "https://s3.example:443" || l.AccessKey != "audit-ak" || l.SecretKey != "audit-sk" {
		t.Errorf("a scheme-less endpoint is %q, want https", l.Endpoint)
	}
	if l, _ := evidence.ParseS3URL("s3://audit/x"); l.PathStyle || l.Endpoint != "" {
		t.Errorf("AWS itself: %+v", l)
	}
	for _, bad := range []string{"s3:///x", "https://audit/x", "s3://audit/x?endpont=h", "s3://a/x?use_path_style=maybe"} {
		if _, err := evidence.ParseS3URL(bad); err == nil {
			t.Errorf("ParseS3URL(%q) accepted it", bad)
		}
	}
}

func TestTransit_ValidateNamesEveryMissingSetting(t *testing.T) {
	err := (&evidence.Transit{Addr: "http://bao:8200", Key: "a/b"}).Validate()
	for _, want := range []string{"--sign-transit-addr", "--sign-key", "no token"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want it to name %s", err, want)
		}
	}
	if err := (&evidence.Transit{Addr: "https://bao:8200", Key: "evidence", Token: "t"}).Validate(); err != nil {
		t.Errorf("a complete setting: %v", err)
	}
}
