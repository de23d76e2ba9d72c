package workflows

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// versions reads lab/versions.env (KEY=VALUE lines).
func versions(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "lab", "versions.env"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			out[k] = v
		}
	}
	return out
}

// requireTool finds a tool on PATH, else in the toolchain's bin folder
// (lab/toolchain.sh bin). Under RAMPART_REQUIRE_LAB=1 (make test) a missing
// tool fails with the fix; elsewhere the test skips with it.
func requireTool(t *testing.T, name, fix string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	out, err := exec.Command("bash", filepath.Join(repoRoot(t), "lab", "toolchain.sh"), "bin").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p
		}
	}
	if os.Getenv("RAMPART_REQUIRE_LAB") == "1" {
		t.Fatalf("%s not found on PATH or in the toolchain's bin folder: %s", name, fix)
	}
	t.Skipf("%s not found on PATH or in the toolchain's bin folder: %s", name, fix)
	return ""
}

// actionlint runs the pinned actionlint with shellcheck on the given files
// (in dir); it returns the combined output and the exit status.
func actionlint(t *testing.T, dir string, files ...string) (string, int) {
	t.Helper()
	bin := requireTool(t, "actionlint", "build it with `bash lab/toolchain.sh actionlint` (make test does)")
	sc := requireTool(t, "shellcheck", "install it with `bash lab/deps.sh` (Debian package shellcheck)")
	// -shellcheck names the binary: actionlint silently skips the run
	// scripts when it cannot find one. -pyflakes= : no Python steps here.
	args := append([]string{"-no-color", "-oneline", "-shellcheck=" + sc, "-pyflakes="}, files...)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", bin, err)
	}
	return out.String(), 0
}

func TestActionlint_IsThePinnedVersion(t *testing.T) {
	want := versions(t)["ACTIONLINT_VERSION"]
	if want == "" {
		t.Fatal("lab/versions.env has no ACTIONLINT_VERSION")
	}
	gomod, err := os.ReadFile(filepath.Join(repoRoot(t), "lab", "tools", "actionlint", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^require github\.com/rhysd/actionlint v` + regexp.QuoteMeta(want) + `$`).Match(gomod) {
		t.Errorf("lab/tools/actionlint/go.mod does not require github.com/rhysd/actionlint v%s (lab/versions.env)", want)
	}
	bin := requireTool(t, "actionlint", "build it with `bash lab/toolchain.sh actionlint` (make test does)")
	out, err := exec.Command(bin, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s -version: %v\n%s", bin, err, out)
	}
	if first := strings.SplitN(string(out), "\n", 2)[0]; first != "v"+want {
		t.Errorf("%s reports %q, want v%s: rebuild with `bash lab/toolchain.sh actionlint`", bin, first, want)
	}
}

func TestActionlint_WorkflowsHaveNoFindings(t *testing.T) {
	root := repoRoot(t)
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
