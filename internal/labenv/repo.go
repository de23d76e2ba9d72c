package labenv

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// module is the main module's path, which marks the repository root.
const module = "github.com/rampart-dev/rampart"

// RepoRoot is the repository root: the nearest folder at or above the
// working directory (a test's package folder) whose go.mod declares the
// main module, so the lab/tools/* modules are passed over.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module "+module+"\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod declaring module %s at or above the working directory: run the test from inside the repository", module)
		}
		dir = parent
	}
}

// Versions reads lab/versions.env, the lab's and CI's tool versions
// (KEY=VALUE lines; comments and other lines are passed over). A missing
// file fails the test.
func Versions(t testing.TB) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(RepoRoot(t), "lab", "versions.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			out[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
