package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/evidence"
	"github.com/rampart-dev/rampart/internal/evidencetest"
)

// TestCheckEvidence_WritesAPackOfTheRenderersBytesThatEvidenceVerifyAccepts:
// check --evidence DIR writes one pack (the same OSCAL/HTML/JSON bytes the
// renderers give, the verify results, the state digest), even when an item
// fails; evidence verify exits 0 on it, 2 on a changed byte, 2 with another
// expected key.
func TestCheckEvidence_WritesAPackOfTheRenderersBytesThatEvidenceVerifyAccepts(t *testing.T) {
	f := &fakeApp{assessment: assessment(compliance.Fail)}
	f.assessment.Export, f.assessment.ExportVersion = json.RawMessage(`{"resources":[{"urn":"u","type":"rampart:audit:Audit","outputs":{"retentionDays":366}}]}`), 3
	a := f.app()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	a.sign = evidencetest.Ed25519{Key: key}
	dir := t.TempDir()
	vr := filepath.Join(dir, "verify.json")
	if err := os.WriteFile(vr, []byte(`{"stack":"prod","behaviour":{"checks":[]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "packs")
	t.Setenv("VAULT_TOKEN", "unused")
	code, _, stderr := cliRoot(t, newRoot(a), "", "check", "--stack", "prod", "--evidence", out, "--verify-results", vr,
		"--sign-key", "evidence", "--sign-transit-addr", "https://bao.invalid:8200")
	if code != exitFinding || !strings.Contains(stderr, "evidence pack written to "+out) {
		t.Fatalf("exit %d, want %d after writing the pack; stderr:\n%s", code, exitFinding, stderr)
	}
	packs, _ := filepath.Glob(filepath.Join(out, "rampart-evidence-prod-*"))
	if len(packs) != 1 {
		t.Fatalf("packs %q, want one", packs)
	}
	p, err := evidence.Load(packs[0])
	if err != nil {
		t.Fatal(err)
	}
	for name, format := range map[string]string{evidence.OSCALName: fmtOSCAL, evidence.HTMLName: fmtHTML, evidence.JSONName: fmtJSON} {
		if string(p.Files[name]) != render(t, reports(f.assessment)[format]) {
			t.Errorf("%s is not the %s renderer's bytes", name, format)
		}
	}
	if !strings.Contains(string(p.Files[evidence.VerifyName]), `"behaviour"`) || !strings.Contains(string(p.Files[evidence.StateName]), evidence.Digest(f.assessment.Export)) {
		t.Errorf("verify results or state digest missing:\n%s\n%s", p.Files[evidence.VerifyName], p.Files[evidence.StateName])
	}

	keyFile := filepath.Join(dir, "key.pem")
	pub, _ := evidence.EncodePublicKey(key.Public())
	if err := os.WriteFile(keyFile, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := cliRoot(t, newRootCmd(), "", "evidence", "verify", "--public-key", keyFile, packs[0])
	if code != exitOK || !strings.Contains(stdout, "VALID: every file is the one signed, by the expected key") {
		t.Fatalf("evidence verify: exit %d\n%s%s", code, stdout, stderr)
	}
	other := filepath.Join(dir, "other.pem")
	pub2, _ := evidence.EncodePublicKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32)).Public())
	_ = os.WriteFile(other, pub2, 0o600)
	if code, _, stderr := cliRoot(t, newRootCmd(), "", "evidence", "verify", "--public-key", other, packs[0]); code != exitFinding || !strings.Contains(stderr, "not the expected key") {
		t.Errorf("another expected key: exit %d, stderr %s", code, stderr)
	}
	html := filepath.Join(packs[0], evidence.HTMLName)
	b, _ := os.ReadFile(html)
	b[10] ^= 1
	_ = os.WriteFile(html, b, 0o600)
	if code, stdout, stderr := cliRoot(t, newRootCmd(), "", "evidence", "verify", packs[0]); code != exitFinding ||
		!strings.Contains(stderr, evidence.HTMLName+": sha256") || !strings.Contains(stdout, "FAIL "+evidence.HTMLName) {
		t.Errorf("one byte changed: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := cliRoot(t, newRootCmd(), "", "evidence", "verify", filepath.Join(dir, "nope")); code != exitError {
		t.Errorf("a missing pack: exit %d, want 1; %s", code, stderr)
	}
}

func TestCheckEvidence_FlagsAreCheckedBeforeTheAssessment(t *testing.T) {
	t.Setenv("VAULT_ADDR", "")
	t.Setenv("VAULT_TOKEN", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--sign-key", "k"}, "--sign-key is for the evidence pack: add --evidence"},
		{[]string{"check", "--evidence", "out", "--sign-key", "k"}, "--sign-transit-addr"},
		{[]string{"check", "--evidence", "out", "--sign-transit-addr", "https://b:8200", "--sign-key", "k"}, "no token"},
		{[]string{"check", "--evidence", "s3://b/p?bogus=1", "--sign-transit-addr", "https://b:8200", "--sign-key", "k", "--sign-token-file", "t"}, "unknown query parameter"},
	} {
		f := &fakeApp{assessment: assessment(compliance.Pass)}
		code, _, stderr := cliRoot(t, newRoot(f.app()), "", tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) || len(f.got) != 0 {
			t.Errorf("%q: exit %d, assessed %q, stderr:\n%s\nwant exit 1 before assessing, saying %q", tc.args, code, f.got, stderr, tc.want)
		}
	}
}
