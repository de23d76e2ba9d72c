package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIReference_MatchesTheCommandTree fails when docs/reference/cli.md
// differs from a fresh rendering of the command tree: run
// `go generate ./cmd/rampart` and commit the result.
func TestCLIReference_MatchesTheCommandTree(t *testing.T) {
	want := renderCLIReference(newRootCmd())
	got, err := os.ReadFile(filepath.Join("..", "..", "docs", "reference", "cli.md"))
	if err != nil {
		t.Fatalf("%v: run `go generate ./cmd/rampart`", err)
	}
	if string(got) != want {
		t.Errorf("docs/reference/cli.md is stale: run `go generate ./cmd/rampart` and commit the result")
	}
}

// TestCLIReference_CoversEveryCommandAndFlag: every command of the help
// and each of its flags has its place in the reference.
func TestCLIReference_CoversEveryCommandAndFlag(t *testing.T) {
	ref := renderCLIReference(newRootCmd())
	root := newRootCmd()
	for _, name := range append(commands, "verify", "completion") {
		cmd, _, err := root.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ref, "\n## rampart "+name+"\n") {
			t.Errorf("the reference has no section for rampart %s", name)
		}
		for _, f := range []string{"stack", "dir", "refresh", "live", "fix", "prune", "max-bytes", "out", "json"} {
			if fl := cmd.Flags().Lookup(f); fl != nil && !strings.Contains(ref, "--"+f) {
				t.Errorf("the reference does not name rampart %s --%s", name, f)
			}
		}
	}
	if strings.Contains(ref, "## rampart reference") {
		t.Error("the hidden reference command is listed in its own output")
	}
}

// TestReferenceCmd_IsHiddenAndWritesTheFile: the generator is not in the
// help a user reads, and --out writes what renderCLIReference renders.
func TestReferenceCmd_IsHiddenAndWritesTheFile(t *testing.T) {
	_, help, _ := cli(t, "", "--help")
	if strings.Contains(help, "reference") {
		t.Errorf("--help lists the hidden reference command:\n%s", help)
	}
	out := filepath.Join(t.TempDir(), "cli.md")
	if code, _, stderr := cli(t, "", "reference", "--out", out); code != exitOK {
		t.Fatalf("reference --out: exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != renderCLIReference(newRootCmd()) {
		t.Error("reference --out wrote something else than renderCLIReference")
	}
}
