package labenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCache_ResolvesLikeTheLabScripts(t *testing.T) {
	home, err := os.UserHomeDir()
	if err != nil {
		t.Skip("no home folder:", err)
	}
	for _, tc := range []struct{ cache, xdg, want string }{
		{"/c", "/x", "/c"},
		{"", "/x", "/x/rampart"},
		{"", "", filepath.Join(home, ".cache", "rampart")},
	} {
		t.Setenv("RAMPART_CACHE", tc.cache)
		t.Setenv("XDG_CACHE_HOME", tc.xdg)
		if got := Cache(); got != tc.want {
			t.Errorf("RAMPART_CACHE=%q XDG_CACHE_HOME=%q: Cache() = %q, want %q", tc.cache, tc.xdg, got, tc.want)
		}
	}
	t.Setenv("RAMPART_CACHE", "/c")
	t.Setenv("RAMPART_LAB_ENV", "")
	t.Setenv("RAMPART_LAB_STATE", "")
	if got := Path(); got != "/c/lab/lab.env" {
		t.Errorf("Path() = %q, want /c/lab/lab.env", got)
	}
}

func TestRequireTool_FindsTheToolchainBinOffPATH(t *testing.T) {
	cache := t.TempDir()
	bin := filepath.Join(cache, "bin", "rampart-fake-tool")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RAMPART_CACHE", cache)
	t.Setenv("PATH", t.TempDir())
	if got := RequireTool(t, "rampart-fake-tool", "unused"); got != bin {
		t.Errorf("RequireTool = %q, want %q", got, bin)
	}
}

func TestVersions_ReadsTheRepositorysPins(t *testing.T) {
	root := RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "lab", "versions.env")); err != nil {
		t.Fatalf("RepoRoot = %s holds no lab/versions.env: %v", root, err)
	}
	v := Versions(t)
	if v["PULUMI_VERSION"] == "" {
		t.Errorf("lab/versions.env read without PULUMI_VERSION: %v", v)
	}
	for k := range v {
		if k == "" || k[0] == '#' {
			t.Errorf("comment or empty key %q read as a version", k)
		}
	}
}
