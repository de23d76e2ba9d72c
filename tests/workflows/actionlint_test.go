package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// actionlint runs the pinned actionlint with shellcheck on the given files
// (in dir); it returns the combined output and the exit status.
func actionlint(t *testing.T, dir string, files ...string) (string, int) {
	t.Helper()
	bin := labenv.RequireTool(t, "actionlint", "build it with `bash lab/toolchain.sh actionlint` (make test does)")
	sc := labenv.RequireTool(t, "shellcheck", "install it with `bash lab/deps.sh` (Debian package shellcheck)")
	// -shellcheck names the binary: actionlint silently skips the run
	// scripts when it cannot find one. -pyflakes= : no Python steps here.
	args := append([]string{"-no-color", "-oneline", "-shellcheck=" + sc, "-pyflakes="}, files...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	return run(t, cmd)
}

func TestActionlint_IsThePinnedVersion(t *testing.T) {
	want := labenv.Versions(t)["ACTIONLINT_VERSION"]
	if want == "" {
		t.Fatal("lab/versions.env has no ACTIONLINT_VERSION")
	}
	gomod, err := os.ReadFile(filepath.Join(labenv.RepoRoot(t), "lab", "tools", "actionlint", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^require github\.com/rhysd/actionlint v` + regexp.QuoteMeta(want) + `$`).Match(gomod) {
		t.Errorf("lab/tools/actionlint/go.mod does not require github.com/rhysd/actionlint v%s (lab/versions.env)", want)
	}
	bin := labenv.RequireTool(t, "actionlint", "build it with `bash lab/toolchain.sh actionlint` (make test does)")
	out, err := exec.Command(bin, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s -version: %v\n%s", bin, err, out)
	}
	if first := strings.SplitN(string(out), "\n", 2)[0]; first != "v"+want {
		t.Errorf("%s reports %q, want v%s: rebuild with `bash lab/toolchain.sh actionlint`", bin, first, want)
	}
}

func TestActionlint_WorkflowsHaveNoFindings(t *testing.T) {
	root := labenv.RepoRoot(t)
	var rel []string
	for _, f := range workflowFiles(t) {
		r, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		rel = append(rel, r)
	}
	out, status := actionlint(t, root, rel...)
	if status != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("actionlint (exit %d) reports on %s:\n%s", status, strings.Join(rel, ", "), out)
	}
}

// TestActionlint_ReportsABrokenWorkflow proves the lint can fail: a run
// step shellcheck objects to, an undefined matrix key and a misspelt job
// key must each be reported.
func TestActionlint_ReportsABrokenWorkflow(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	broken := `on: push
permissions: {}
jobs:
  a:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    continue-on-eror: true
    steps:
      - run: echo $UNQUOTED_VAR
      - run: echo "${{ matrix.missing }}"
`
	if err := os.WriteFile(filepath.Join(wf, "broken.yml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	out, status := actionlint(t, dir, filepath.Join(".github", "workflows", "broken.yml"))
	if status == 0 {
		t.Fatalf("actionlint passed a broken workflow:\n%s", out)
	}
	for _, want := range []string{"SC2086", "[shellcheck]", `property "missing" is not defined`, "[expression]", `"continue-on-eror"`, "[syntax-check]"} {
		if !strings.Contains(out, want) {
			t.Errorf("actionlint's report lacks %q:\n%s", want, out)
		}
	}
}
