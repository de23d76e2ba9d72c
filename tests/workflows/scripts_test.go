package workflows

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// script runs `bash lab/NAME ARGS...` from the repository with extra
// environment; it returns the combined output and the exit status.
func script(t *testing.T, env []string, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(labenv.RepoRoot(t), "lab", name)}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	return run(t, cmd)
}

// run runs cmd and returns its combined output and exit status; a command
// that cannot start fails the test.
func run(t *testing.T, cmd *exec.Cmd) (string, int) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", cmd.Path, err)
	}
	return out.String(), 0
}

// fakeAPI records the GitHub API writes lab/ghreport makes; reads answer
// empty lists (no comment, no open issue yet).
type fakeAPI struct {
	mu     sync.Mutex
	writes []string // "METHOD path" + "\n" + body
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer test-token" {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	if r.Method == "GET" {
		_, _ = w.Write([]byte("[]"))
		return
	}
	b, _ := io.ReadAll(r.Body)
	f.writes = append(f.writes, r.Method+" "+r.URL.Path+"\n"+string(b))
	_, _ = w.Write([]byte(`{"html_url":"https://example.test/x"}`))
}

func fakeEnv(t *testing.T, f *fakeAPI) []string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return []string{"GITHUB_API_URL=" + srv.URL, "GITHUB_REPOSITORY=o/r", "GITHUB_TOKEN=test-token",
		"GITHUB_SERVER_URL=https://github.example", "GITHUB_RUN_ID=42"}
}

func TestCIStacks_ListsEveryStackFileButLocal(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(labenv.RepoRoot(t), "Pulumi.*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		env := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		if env != "local" {
			want = append(want, env)
		}
	}
	sort.Strings(want)
	out, status := script(t, nil, "ci.sh", "stacks")
	var got []string
	if status != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("lab/ci.sh stacks (exit %d) did not print a JSON array: %q", status, out)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || len(got) == 0 {
		t.Errorf("lab/ci.sh stacks = %q, want %q (every Pulumi.<env>.yaml but local, at least one)", got, want)
	}
}

func TestCIStackSteps_RefuseAMissingBackendPassphraseOrStack(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"PULUMI_BACKEND_URL=", "PULUMI_CONFIG_PASSPHRASE=x"}, []string{"preview", "prod"}, "PULUMI_BACKEND_URL is empty: set the repository secret"},
		{[]string{"PULUMI_BACKEND_URL=file:///nonexistent", "PULUMI_CONFIG_PASSPHRASE="}, []string{"up", "prod"}, "PULUMI_CONFIG_PASSPHRASE and VAULT_SERVER_TOKEN are empty"},
		{nil, []string{"drift", "staging-that-does-not-exist", "r.md"}, "no Pulumi.staging-that-does-not-exist.yaml"},
	} {
		out, status := script(t, tc.env, "ci.sh", tc.args...)
		if status == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("lab/ci.sh %q: exit %d, output %q; want a failure saying %q", tc.args, status, out, tc.want)
		}
	}
}

func TestCIComment_FakeAPI_PostsOneCommentWithEveryEnvironment(t *testing.T) {
	f := &fakeAPI{}
	dir := t.TempDir()
	// No preview-prod.md: prod's preview job failed, and the comment says so.
	for env, text := range map[string]string{"staging": "| staging | 1 to update |"} {
		if err := os.WriteFile(filepath.Join(dir, "preview-"+env+".md"), []byte(text+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, status := script(t, fakeEnv(t, f), "ci.sh", "comment", dir, "7")
	if status != 0 {
		t.Fatalf("lab/ci.sh comment: exit %d\n%s", status, out)
	}
	if len(f.writes) != 1 || !strings.HasPrefix(f.writes[0], "POST /repos/o/r/issues/7/comments\n") {
		t.Fatalf("writes = %q, want one new comment on pull request 7", f.writes)
	}
	var body struct{ Body string }
	if err := json.Unmarshal([]byte(strings.SplitN(f.writes[0], "\n", 2)[1]), &body); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!-- rampart-preview -->", "### prod", "**The preview failed**", "preview (prod)", "### staging", "1 to update"} {
		if !strings.Contains(body.Body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body.Body)
		}
	}
}

func TestCIDriftIssue_FakeAPI_ActsOnTheDriftExitStatus(t *testing.T) {
	report := filepath.Join(t.TempDir(), "drift-prod.md")
	if err := os.WriteFile(report, []byte("## Drift in prod\n1 resource changed out of band\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("exit 2 opens the issue", func(t *testing.T) {
		f := &fakeAPI{}
		out, status := script(t, fakeEnv(t, f), "ci.sh", "drift-issue", "prod", "2", report)
		if status != 0 {
			t.Fatalf("exit %d\n%s", status, out)
		}
		if len(f.writes) != 1 || !strings.HasPrefix(f.writes[0], "POST /repos/o/r/issues\n") ||
			!strings.Contains(f.writes[0], `"title":"Drift in prod"`) || !strings.Contains(f.writes[0], "changed out of band") {
			t.Errorf("writes = %q, want one new issue titled Drift in prod holding the report", f.writes)
		}
	})
	t.Run("exit 0 closes nothing when no issue is open", func(t *testing.T) {
		f := &fakeAPI{}
		if out, status := script(t, fakeEnv(t, f), "ci.sh", "drift-issue", "prod", "0", ""); status != 0 || len(f.writes) != 0 {
			t.Errorf("exit %d, writes %q\n%s", status, f.writes, out)
		}
	})
	t.Run("exit 1 fails the job and writes nothing", func(t *testing.T) {
		f := &fakeAPI{}
		out, status := script(t, fakeEnv(t, f), "ci.sh", "drift-issue", "prod", "1", report)
		if status == 0 || len(f.writes) != 0 || !strings.Contains(out, "failed (exit 1)") {
			t.Errorf("exit %d, writes %q, output %q: want a failure and no issue", status, f.writes, out)
		}
	})
}

// covered maps each lab command a workflow runs to the test that exercises
// it under `make test`; a workflow calling anything else fails here.
var covered = map[string]string{
	"ci.sh stacks":        "TestCIStacks_ListsEveryStackFileButLocal, TestCIStacks_EmptyListAndNamesThatNeedNoEscaping",
	"ci.sh preview":       "TestCIStackSteps_RefuseAMissingBackendPassphraseOrStack (guards); its exit status: TestCIPreviewStatus_RegressionKeepsTheCommentAndFails; its --max-bytes: lab/ghreport TestBudget_*; rampart preview: tests/e2e",
	"ci.sh up":            "TestCIStackSteps_RefuseAMissingBackendPassphraseOrStack (guards); pulumi up: lab/up.sh (make up)",
	"ci.sh drift":         "TestCIDriftIssue_FakeAPI_ActsOnTheDriftExitStatus, TestCIDrift_BuildFailureIsReportedAsABuildFailure; rampart drift: tests/e2e",
	"ci.sh comment":       "TestCIComment_FakeAPI_PostsOneCommentWithEveryEnvironment",
	"ci.sh evidence":      "TestCIEvidence_RefusesWithoutItsSettingsBeforeBuilding (guards); rampart check --evidence: cmd/rampart, tests/evidenceserver",
	"ci.sh release":       "TestCIReleaseProbe_PushesTheProbeImageByDigestToALoopbackRegistry, TestCIReleaseProbe_RefusesWithoutARepository",
	"scan.sh trivy":       "tests/trivyscan (e2e tier)",
	"scan.sh secrets":     "TestScanSecrets_FindsAPlantedTokenAndRedactsIt",
	"scan.sh vulns":       "TestScanVulns_LocalDB_FailsOnlyWhenTheVulnerableSymbolIsCalled",
	"toolchain.sh pulumi": "lab_ready (make test) and tests/toolchain",
}

func TestWorkflows_RunStepsAreExercisedCommands(t *testing.T) {
	call := regexp.MustCompile(`bash lab/([a-z]+\.sh) ([a-z]+)`)
	for _, f := range workflowFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(data), -1) {
			if _, ok := covered[m[1]+" "+m[2]]; !ok {
				t.Errorf("%s runs `lab/%s %s`, which no test in `make test` is listed as exercising (add it to covered with its test)", filepath.Base(f), m[1], m[2])
			}
		}
	}
}

// canaryToken is a GitHub token-shaped string made at run time, so this
// file itself holds no secret-shaped literal for the repository's own scan.
func canaryToken() string {
	sum := sha256.Sum256([]byte("rampart gitleaks canary"))
	return "gh" + "p_" + hex.EncodeToString(sum[:])[:36]
}

// requireScanner skips, outside `make test`, when lab/scan.sh has not built
// NAME yet: it is built from the module proxy on first use (about 30 s),
// which `make test` (RAMPART_REQUIRE_LAB=1) pays once.
func requireScanner(t *testing.T, name, sub string) {
	t.Helper()
	if m, _ := filepath.Glob(filepath.Join(labenv.Cache(), "gobin", name+"-v*", name)); len(m) == 0 && os.Getenv("RAMPART_REQUIRE_LAB") != "1" {
		t.Skipf("%s not built yet: run `bash lab/scan.sh %s` once, or `make test`", name, sub)
	}
}

func TestScanSecrets_FindsAPlantedTokenAndRedactsIt(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not on PATH")
	}
	requireScanner(t, "gitleaks", "secrets")
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.test", "-c", "commit.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %q: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	if err := os.WriteFile(filepath.Join(repo, "README.md"), []byte("nothing to see\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "-q", "-m", "clean")
	if out, status := script(t, nil, "scan.sh", "secrets", repo); status != 0 {
		t.Fatalf("a clean repository fails the secret scan (exit %d):\n%s", status, out)
	}
	token := canaryToken()
	if err := os.WriteFile(filepath.Join(repo, "deploy.env"), []byte("GITHUB_TOKEN="+token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	git("add", ".")
	git("commit", "-q", "-m", "leak")
	out, status := script(t, nil, "scan.sh", "secrets", repo)
	if status == 0 {
		t.Fatalf("the secret scan passed a commit holding a GitHub token:\n%s", out)
	}
	if !strings.Contains(out, "deploy.env") {
		t.Errorf("the report does not name the file:\n%s", out)
	}
	if strings.Contains(out, token) {
		t.Error("the report prints the token in clear (want --redact)")
	}
}

// TestScanVulns_LocalDB_FailsOnlyWhenTheVulnerableSymbolIsCalled runs
// lab/scan.sh vulns offline against a one-entry database (file://) that
// declares fmt.Println vulnerable: a module calling it fails the scan, one
// calling only fmt.Sprint passes (govulncheck reports called code only).
func TestScanVulns_LocalDB_FailsOnlyWhenTheVulnerableSymbolIsCalled(t *testing.T) {
	requireScanner(t, "govulncheck", "vulns")
	tmp := t.TempDir()
	files := map[string]string{
		"db/index/db.json":      `{"modified":"2026-01-01T00:00:00Z"}`,
		"db/index/modules.json": `[{"path":"stdlib","vulns":[{"id":"GO-2099-0001","modified":"2026-01-01T00:00:00Z"}]}]`,
		"db/index/vulns.json":   `[{"id":"GO-2099-0001","modified":"2026-01-01T00:00:00Z","aliases":[]}]`,
		"db/ID/GO-2099-0001.json": `{"schema_version":"1.3.1","id":"GO-2099-0001","modified":"2026-01-01T00:00:00Z",` +
			`"published":"2026-01-01T00:00:00Z","details":"rampart canary","affected":[{"package":{"name":"stdlib","ecosystem":"Go"},` +
			`"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}],"ecosystem_specific":{"imports":[{"path":"fmt","symbols":["Println"]}]}}],` +
			`"database_specific":{"url":"https://pkg.go.dev/vuln/GO-2099-0001"}}`,
		"mod/go.mod": "module example.test/victim\n\ngo 1.26\n",
	}
	for name, text := range files {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"RAMPART_VULNDB=file://" + filepath.Join(tmp, "db")}
	for _, tc := range []struct {
		call string
		fail bool
	}{
		{`fmt.Println("hi")`, true},
		{`_ = fmt.Sprint("hi")`, false},
	} {
		src := "package main\n\nimport \"fmt\"\n\nfunc main() { " + tc.call + " }\n"
		if err := os.WriteFile(filepath.Join(tmp, "mod", "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		out, status := script(t, env, "scan.sh", "vulns", filepath.Join(tmp, "mod"))
		switch {
		case tc.fail && (status == 0 || !strings.Contains(out, "GO-2099-0001") || !strings.Contains(out, "calls fmt.Println")):
			t.Errorf("%s: want a failed scan naming GO-2099-0001 and the call; exit %d:\n%s", tc.call, status, out)
		case !tc.fail && status != 0:
			t.Errorf("%s: the vulnerable symbol is not called, want a passing scan; exit %d:\n%s", tc.call, status, out)
		}
	}
}
