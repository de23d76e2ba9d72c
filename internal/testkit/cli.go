package testkit

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// WriteProject writes work/Pulumi.yaml: the repository's project (repo is
// its root) with `main:` pointing at its cmd/baseline, relative to work
// (Pulumi joins it to the project folder). Tests run the program inline
// through the Automation API; the rampart CLI, which runs it from the local
// source in --dir, then runs the same program on the same stack.
func WriteProject(t testing.TB, repo, work string) {
	t.Helper()
	proj, err := os.ReadFile(filepath.Join(repo, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	baseline, err := filepath.Abs(filepath.Join(repo, "cmd", "baseline"))
	if err != nil {
		t.Fatal(err)
	}
	mainRel, err := filepath.Rel(work, baseline)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(proj), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "main:") {
			lines[i] = "main: " + mainRel
		}
	}
	if err := os.WriteFile(filepath.Join(work, "Pulumi.yaml"), []byte(strings.Join(lines, "\n")), 0o600); err != nil { //nolint:gosec // G703: work is the test's own temp dir
		t.Fatal(err)
	}
}

// BuildRampart builds cmd/rampart of the repository at repo into t's temp
// dir and returns a runner: the binary with args (the test's environment
// inherited), giving the exit code and stdout; stderr goes to the test log.
func BuildRampart(t *testing.T, repo string) func(t *testing.T, args ...string) (int, string) {
	t.Helper()
	run := BuildRampartOutputs(t, repo)
	return func(t *testing.T, args ...string) (int, string) {
		t.Helper()
		code, stdout, _ := run(t, args...)
		return code, stdout
	}
}

// BuildRampartOutputs is BuildRampart whose runner also returns stderr,
// for the refusals the CLI prints there (a config error at its key).
func BuildRampartOutputs(t *testing.T, repo string) func(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rampart")
	build := exec.Command("go", "build", "-o", bin, "./cmd/rampart")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/rampart: %v\n%s", err, out)
	}
	return func(t *testing.T, args ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr strings.Builder
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if stderr.Len() > 0 {
			t.Logf("rampart %v: stderr:\n%s", args, stderr.String())
		}
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, stdout.String(), stderr.String()
		case errors.As(err, &exit):
			return exit.ExitCode(), stdout.String(), stderr.String()
		}
		t.Fatalf("rampart %v: %v", args, err)
		return -1, "", ""
	}
}
