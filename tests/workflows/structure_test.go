// Package workflows keeps the GitHub workflows (.github/workflows) safe and
// working: actionlint (with shellcheck on every run step) must report
// nothing, and a structural checker enforces what actionlint does not:
// third-party actions pinned by commit, least-privilege permissions,
// timeouts, secrets only through a step's env:, no pull_request_target, and
// run steps that only call commands `make test` exercises.
package workflows

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// workflowFiles lists .github/workflows/*.yml and *.yaml; none is a failure.
func workflowFiles(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(labenv.RepoRoot(t), ".github", "workflows")
	var files []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatalf("no workflow in %s", dir)
	}
	return files
}

var (
	// pinned: owner/repo[/path]@<40 hex> — a tag or branch can be moved to
	// other code (trivy-action's tags were, in March 2026).
	pinned = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	// usesLine: a uses: line with its trailing "# vX.Y.Z" version comment.
	usesLine       = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$`)
	versionComment = regexp.MustCompile(`^#\s*v\d+\.\d+\.\d+\b`)
	// secretInExpr: a secret read inside a ${{ }} expression.
	secretInExpr = regexp.MustCompile(`\$\{\{[^}]*\bsecrets\s*(\.|\[)`)
	// allowedRun: what a run step may call, each a command `make test`
	// exercises (see TestWorkflows_RunStepsAreExercisedCommands).
	allowedRun = []*regexp.Regexp{
		regexp.MustCompile(`^go (build|vet) \./\.\.\.$`),
		regexp.MustCompile(`^bash lab/(ci|scan|toolchain)\.sh( [A-Za-z0-9"$_./<>-]+)*$`),
		regexp.MustCompile(`^echo "envs=\$\(bash lab/ci\.sh stacks\)" >>"\$GITHUB_OUTPUT"$`),
		regexp.MustCompile(`^echo "::notice title=[^"]*"$`),
	}
)

// check returns every problem in one workflow file's text.
func check(name string, data []byte) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, name+": "+fmt.Sprintf(format, args...)) }

	var wf map[string]any
	if err := yaml.Unmarshal(data, &wf); err != nil {
		return []string{name + ": " + err.Error()}
	}
	if triggers(wf["on"])["pull_request_target"] {
		add("uses pull_request_target, which runs with a write token and secrets on a fork's code; use pull_request")
	}
	if p, ok := wf["permissions"]; !ok {
		add("no top-level permissions: declare `permissions: {}` (or contents: read) and widen per job")
	} else if msg := topPermissions(p); msg != "" {
		add("top-level permissions %s", msg)
	}
	if _, ok := wf["concurrency"]; !ok {
		add("no top-level concurrency group: two runs of it could overlap (a push during a deploy, a double-clicked dispatch)")
	}
	if envHasSecret(wf["env"]) {
		add("the workflow-level env reads a secret, which every step of every job (actions included) then sees; set it on the step that needs it")
	}
	jobs, _ := wf["jobs"].(map[string]any)
	if len(jobs) == 0 {
		add("no jobs")
	}
	ids := make([]string, 0, len(jobs))
	for id := range jobs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		job, _ := jobs[id].(map[string]any)
		if _, ok := job["timeout-minutes"]; !ok {
			add("job %s has no timeout-minutes (the default is 6 hours)", id)
		}
		if envHasSecret(job["env"]) {
			add("job %s: its env reads a secret, which every step (actions included) then sees; set it on the step that needs it", id)
		}
		if p, ok := job["permissions"].(string); ok && p == "write-all" {
			add("job %s has permissions: write-all; name the scopes it writes", id)
		}
		if u, ok := job["uses"].(string); ok && !strings.HasPrefix(u, "./") && !pinned.MatchString(u) {
			add("job %s: uses %s is not pinned to a 40-hex commit SHA", id, u)
		}
		steps, _ := job["steps"].([]any)
		for i, s := range steps {
			step, _ := s.(map[string]any)
			where := fmt.Sprintf("job %s step %d", id, i+1)
			if u, ok := step["uses"].(string); ok && !strings.HasPrefix(u, "./") {
				if strings.HasPrefix(u, "docker://") {
					if !strings.Contains(u, "@sha256:") {
						add("%s: uses %s is not pinned to an image digest", where, u)
					}
				} else if !pinned.MatchString(u) {
					add("%s: uses %s is not pinned to a 40-hex commit SHA", where, u)
				}
			}
			run, ok := step["run"].(string)
			if !ok {
				continue
			}
			if secretInExpr.MatchString(run) {
				add("%s: a secret is interpolated into the run script (the runner writes it into the script file); pass it through env:", where)
			}
			for _, line := range strings.Split(strings.TrimSpace(run), "\n") {
				if !allowedRunLine(strings.TrimSpace(line)) {
					add("%s: run line %q is not a command `make test` exercises (go build/vet, bash lab/ci.sh|scan.sh|toolchain.sh)", where, line)
				}
			}
		}
	}
	// Version comments live in the text, not in the parsed YAML.
	for n, line := range strings.Split(string(data), "\n") {
		m := usesLine.FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(m[1], "./") || strings.HasPrefix(m[1], "docker://") {
			continue
		}
		if !versionComment.MatchString(m[2]) {
			add("line %d: uses %s has no `# vX.Y.Z` comment naming the pinned release", n+1, m[1])
		}
	}
	return problems
}

// envHasSecret reports whether an env: map reads a secret.
func envHasSecret(env any) bool {
	m, _ := env.(map[string]any)
	for _, v := range m {
		if s, ok := v.(string); ok && secretInExpr.MatchString(s) {
			return true
		}
	}
	return false
}

func allowedRunLine(line string) bool {
	for _, re := range allowedRun {
		if re.MatchString(line) {
			return true
		}
	}
	return false
}

// triggers returns the event names of an `on:` value (a string, a list or
// a map).
func triggers(on any) map[string]bool {
	out := map[string]bool{}
	switch v := on.(type) {
	case string:
		out[v] = true
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out[s] = true
			}
		}
	case map[string]any:
		for k := range v {
			out[k] = true
		}
	}
	return out
}

// topPermissions explains what is wrong with a workflow's top-level
// permissions, "" when they are least privilege: {} or read/none scopes.
func topPermissions(p any) string {
	switch v := p.(type) {
	case string:
		if v == "read-all" {
			return ""
		}
		return fmt.Sprintf("are %q; use {} or contents: read and widen per job", v)
	case map[string]any:
		var writes []string
		for scope, level := range v {
			if level != "read" && level != "none" {
				writes = append(writes, fmt.Sprintf("%s: %v", scope, level))
			}
		}
		sort.Strings(writes)
		if len(writes) > 0 {
			return "grant " + strings.Join(writes, ", ") + " to every job; grant it only on the job that needs it"
		}
		return ""
	case nil:
		return "are empty (null); write `permissions: {}`"
	default:
		return fmt.Sprintf("have an unexpected form %T", p)
	}
}

func TestWorkflows_PassTheStructuralChecks(t *testing.T) {
	for _, f := range workflowFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range check(filepath.Base(f), data) {
			t.Error(p)
		}
	}
}

// good is a workflow that passes every check; each bad case breaks one.
const good = `name: ok
on:
  pull_request:
permissions: {}
concurrency:
  group: ok-${{ github.ref }}
  cancel-in-progress: true
jobs:
  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
      - run: go build ./...
      - run: bash lab/ci.sh preview "$ENV_NAME"
        env:
          ENV_NAME: prod
          PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}
`

func TestCheck_CatchesEachBadPattern(t *testing.T) {
	if p := check("good.yml", []byte(good)); len(p) != 0 {
		t.Fatalf("the good workflow fails the checks: %q", p)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"tag instead of SHA", "checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "checkout@v7", "not pinned to a 40-hex commit SHA"},
		{"short SHA", "checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "checkout@3d3c42e", "not pinned to a 40-hex commit SHA"},
		{"docker image by tag", "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "docker://alpine:3", "not pinned to an image digest"},
		{"no version comment", " # v7.0.1", "", "no `# vX.Y.Z` comment"},
		{"no top-level permissions", "permissions: {}\n", "", "no top-level permissions"},
		{"write-all at the top", "permissions: {}\n", "permissions: write-all\n", `top-level permissions are "write-all"`},
		{"a write scope at the top", "permissions: {}\n", "permissions:\n  pull-requests: write\n", "grant pull-requests: write to every job"},
		{"null permissions", "permissions: {}\n", "permissions:\n", "are empty (null)"},
		{"write-all on a job", "    permissions:\n      contents: read\n", "    permissions: write-all\n", "job build has permissions: write-all"},
		{"no concurrency", "concurrency:\n  group: ok-${{ github.ref }}\n  cancel-in-progress: true\n", "", "no top-level concurrency group"},
		{"no timeout", "    timeout-minutes: 5\n", "", "job build has no timeout-minutes"},
		{"secret in run", `bash lab/ci.sh preview "$ENV_NAME"`, `bash lab/ci.sh preview "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"`, "a secret is interpolated into the run script"},
		{"secret by index in run", `bash lab/ci.sh preview "$ENV_NAME"`, `bash lab/ci.sh preview ${{ secrets['KUBECONFIG'] }}`, "a secret is interpolated into the run script"},
		{"secret in the job's env", "    timeout-minutes: 5\n", "    timeout-minutes: 5\n    env:\n      TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n", "job build: its env reads a secret"},
		{"secret in the workflow's env", "permissions: {}\n", "permissions: {}\nenv:\n  TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n", "the workflow-level env reads a secret"},
		{"pull_request_target", "  pull_request:\n", "  pull_request_target:\n", "uses pull_request_target"},
		{"pull_request_target as a string", "on:\n  pull_request:\n", "on: pull_request_target\n", "uses pull_request_target"},
		{"unlisted command", "go build ./...", "curl -fsSL https://example.test/install.sh | sh", "is not a command `make test` exercises"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("the good workflow has no %q to replace", tc.old)
			}
			bad := strings.Replace(good, tc.old, tc.new, 1)
			problems := check("bad.yml", []byte(bad))
			if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Errorf("check missed it: want a problem containing %q, got %q", tc.want, problems)
			}
		})
	}
}
