package workflows

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// ciCopy copies lab/ci.sh into a fresh folder laid out like the repository
// (DIR/lab/ci.sh) holding the given stack files, so `stacks` can be run on
// stack sets the repository does not have.
func ciCopy(t *testing.T, stackFiles ...string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(labenv.RepoRoot(t), "lab", "ci.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "lab"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lab", "ci.sh"), src, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range stackFiles {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("config: {}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCIStacks_EmptyListAndNamesThatNeedNoEscaping(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  []string // nil: want a failure
		err   string
	}{
		{"only the lab's stack", []string{"Pulumi.local.yaml"}, []string{}, ""},
		{"two environments", []string{"Pulumi.local.yaml", "Pulumi.prod-eu-1.yaml", "Pulumi.dev.yaml"}, []string{"dev", "prod-eu-1"}, ""},
		{"a name that would break the JSON", []string{`Pulumi.a",  "b.yaml`}, nil, `must match ^[a-z0-9-]+$`},
		{"an upper-case name", []string{"Pulumi.Prod.yaml"}, nil, "Pulumi.Prod.yaml: environment name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := ciCopy(t, tc.files...)
			out, status := script0(t, nil, filepath.Join(dir, "lab", "ci.sh"), "stacks")
			if tc.want == nil {
				if status == 0 || !strings.Contains(out, tc.err) {
					t.Errorf("exit %d, output %q; want a failure saying %q", status, out, tc.err)
				}
				return
			}
			var got []string
			if status != 0 || json.Unmarshal([]byte(out), &got) != nil {
				t.Fatalf("exit %d, output %q: not a JSON array", status, out)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("stacks = %q, want %q", got, tc.want)
			}
			if len(tc.want) == 0 && strings.TrimSpace(out) != "[]" {
				// The workflows skip their matrix jobs on exactly this text.
				t.Errorf("empty list printed as %q, want [] (the workflows' `if: … != '[]'`)", out)
			}
		})
	}
}

// script0 runs the script at path with bash.
func script0(t *testing.T, env []string, path string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{path}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	return run(t, cmd)
}

// TestCIDrift_BuildFailureIsReportedAsABuildFailure: the CLI is built in
// its own checked step, so a failed build is not reported as drift's exit
// status (127, the missing binary) by drift-issue.
func TestCIDrift_BuildFailureIsReportedAsABuildFailure(t *testing.T) {
	env := []string{"PULUMI_BACKEND_URL=file:///nonexistent", "PULUMI_CONFIG_PASSPHRASE=x",
		"GOFLAGS=-mod=bogus", "RUNNER_TEMP=", "TMPDIR=" + t.TempDir()} // -mod=bogus: go build fails at once
	out, status := script(t, env, "ci.sh", "drift", "prod", filepath.Join(t.TempDir(), "r.md"))
	if status == 0 || !strings.Contains(out, "go build ./cmd/rampart failed") {
		t.Errorf("exit %d, output %q; want a failure naming the build", status, out)
	}
	if strings.Contains(out, "drift --stack prod failed") {
		t.Errorf("the build failure is reported as a drift failure: %q", out)
	}
}

// TestCIComment_RemovesItsTempFolderWhenGhreportFails: the failed-preview
// sections live in a temp folder that must go on every exit.
func TestCIComment_RemovesItsTempFolderWhenGhreportFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"message":"boom"}`, http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	tmp := t.TempDir()
	env := []string{"GITHUB_API_URL=" + srv.URL, "GITHUB_REPOSITORY=o/r", "GITHUB_TOKEN=test-token",
		"RUNNER_TEMP=", "TMPDIR=" + tmp}
	out, status := script(t, env, "ci.sh", "comment", t.TempDir(), "7")
	if status == 0 || !strings.Contains(out, "HTTP 500") {
		t.Fatalf("exit %d, output %q; want ghreport's failure", status, out)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "go-build") { // go run's own, removed by go
			left = append(left, e.Name())
		}
	}
	if len(left) != 0 {
		t.Errorf("lab/ci.sh comment left temp files behind in TMPDIR: %q", left)
	}
}

// TestCIPreviewStatus_RegressionKeepsTheCommentAndFails: rampart preview's
// exit 2 (a control regression) fails the step with status 2 and keeps the
// comment for the PR; any other failure removes a partial comment, so the
// PR comment shows the preview as failed; 0 passes.
func TestCIPreviewStatus_RegressionKeepsTheCommentAndFails(t *testing.T) {
	for _, tc := range []struct {
		status, want string
		exit         int
		kept         bool
	}{
		{"0", "", 0, true},
		{"2", "makes a framework control fail in prod", 2, true},
		{"1", "rampart preview --stack prod failed (exit 1)", 1, false},
	} {
		t.Run("exit "+tc.status, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "preview-prod.md")
			if err := os.WriteFile(file, []byte("## Rampart preview of `prod`\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out, status := script(t, []string{"GITHUB_ACTIONS="}, "ci.sh", "preview-status", "prod", tc.status, file)
			if status != tc.exit || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, output %q; want exit %d saying %q", status, out, tc.exit, tc.want)
			}
			if _, err := os.Stat(file); (err == nil) != tc.kept {
				t.Errorf("comment file kept = %v, want %v", err == nil, tc.kept)
			}
		})
	}
	// Exit 2 with no comment written is a failure of the tool, not a finding.
	out, status := script(t, nil, "ci.sh", "preview-status", "prod", "2", filepath.Join(t.TempDir(), "none.md"))
	if status != 1 || !strings.Contains(out, "wrote no comment") {
		t.Errorf("exit %d, output %q; want exit 1 saying no comment was written", status, out)
	}
}
