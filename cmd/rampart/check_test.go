package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
)

// sampleOutputs is `pulumi stack output --json` of a small stack.
const sampleOutputs = `{
  "profile": "local",
  "namespaces": ["apps", "legacy"],
  "podSecurity": {"apps": "restricted", "legacy": "baseline"},
  "exemptions": [{"namespace": "legacy", "level": "baseline", "justification": "vendor image runs as root until 2027", "control": "NIS2 Art. 21(2)(e)"}],
  "auditBucket": "rampart-audit",
  "auditLockMode": "COMPLIANCE",
  "auditRetentionDays": 400,
  "auditRetentionPreset": "nis2"
}`

// wantOutputsReport is what compliance.Markdown renders for sampleOutputs:
// the CLI must pass the facts through unchanged.
func wantOutputsReport(t *testing.T) string {
	t.Helper()
	var facts compliance.StackFacts
	if err := json.Unmarshal([]byte(sampleOutputs), &facts); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := compliance.Markdown(&b, &facts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCheckOutputs_RendersTheFactsFromFileAndStdin(t *testing.T) {
	want := wantOutputsReport(t)
	for _, s := range []string{"legacy", "vendor image runs as root until 2027", "rampart-audit"} {
		if !strings.Contains(want, s) {
			t.Fatalf("the compliance report no longer shows %q; this test's sample needs updating", s)
		}
	}
	path := filepath.Join(t.TempDir(), "outputs.json")
	if err := os.WriteFile(path, []byte(sampleOutputs), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		stdin string
		args  []string
	}{
		"file":  {"", []string{"check", "--outputs", path}},
		"stdin": {sampleOutputs, []string{"check", "--outputs", "-"}}, // lab/up.sh's form
	} {
		code, stdout, stderr := cli(t, tc.stdin, tc.args...)
		if code != exitOK {
			t.Errorf("%s: exit %d, stderr %q", name, code, stderr)
		}
		if stdout != want {
			t.Errorf("%s: stdout differs from compliance.Markdown of the facts:\n%s", name, stdout)
		}
		if !strings.Contains(stderr, "check --outputs is deprecated") {
			t.Errorf("%s: stderr = %q, want the deprecation notice", name, stderr)
		}
	}
}

func TestCheckOutputs_QuietDropsTheNoticeAndMarkdownFileGetsTheReport(t *testing.T) {
	want := wantOutputsReport(t)
	md := filepath.Join(t.TempDir(), "report.md")
	code, stdout, stderr := cli(t, sampleOutputs, "--quiet", "check", "--outputs", "-", "--markdown", md)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing on stderr with --quiet", code, stderr)
	}
	got, err := os.ReadFile(md)
	if err != nil {
		t.Fatalf("--markdown %s (space-separated) wrote no file: %v", md, err)
	}
	if string(got) != want || stdout != want {
		t.Errorf("--markdown FILE: file and stdout must both carry the report (file %d bytes, stdout %d, want %d)", len(got), len(stdout), len(want))
	}
}

func TestCheckOutputs_RejectsStackFlagsNamingThem(t *testing.T) {
	code, stdout, stderr := cli(t, sampleOutputs, "check", "--outputs", "-", "--stack", "prod", "--json")
	if code != exitError || stdout != "" {
		t.Errorf("exit %d, stdout %q; want 1 and no report", code, stdout)
	}
	if !strings.Contains(stderr, "drop --stack --json, or drop --outputs") {
		t.Errorf("stderr does not name the conflicting flags and the fix:\n%s", stderr)
	}
}

func TestCheckOutputs_BadJSONNamesTheFlag(t *testing.T) {
	code, _, stderr := cli(t, "not json", "check", "--outputs", "-")
	if code != exitError || !strings.Contains(stderr, "check: --outputs -: read stack outputs JSON") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming --outputs", code, stderr)
	}
}

// Two formats on stdout is refused before any stack is touched, so this
// runs without one.
func TestCheck_TwoFormatsOnStdoutIsAUsageError(t *testing.T) {
	code, _, stderr := cli(t, "", "check", "--json", "--oscal", "-", "--stack", "no-such-stack")
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(stderr, "--json and --oscal both write to stdout: keep one there and give the others a FILE (e.g. --oscal=report.oscal)") {
		t.Errorf("stderr does not name both flags and the fix:\n%s", stderr)
	}
	if !strings.Contains(stderr, "Usage:") {
		t.Errorf("a usage error should print the usage:\n%s", stderr)
	}
}
