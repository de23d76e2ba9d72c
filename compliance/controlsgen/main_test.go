package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
)

// root is the repository root seen from this package.
var root = filepath.Join("..", "..")

// TestControlsReference_MatchesTheCatalog fails when
// docs/reference/controls.md differs from a fresh rendering of the
// catalog: run `go generate ./compliance` and commit the result.
func TestControlsReference_MatchesTheCatalog(t *testing.T) {
	got, err := os.ReadFile(filepath.Join(root, "docs", "reference", "controls.md"))
	if err != nil {
		t.Fatalf("%v: run `go generate ./compliance`", err)
	}
	if string(got) != Render(compliance.Checklist()) {
		t.Error("docs/reference/controls.md is stale: run `go generate ./compliance` and commit the result")
	}
}

// TestCatalog_ImplementationFilesExist: every file an item names as its
// implementation is in the repository, so the reference links nowhere dead.
func TestCatalog_ImplementationFilesExist(t *testing.T) {
	for _, it := range compliance.Checklist() {
		for _, p := range it.Implementation {
			if _, err := os.Stat(filepath.Join(root, p)); err != nil {
				t.Errorf("item %s names %s, which does not exist", it.ID, p)
			}
		}
	}
}

// TestControlsReference_IndexesEveryControl: each control of each item is
// a row of its framework's index, so a search for its ID lands on it.
func TestControlsReference_IndexesEveryControl(t *testing.T) {
	md := Render(compliance.Checklist())
	for _, it := range compliance.Checklist() {
		for fw, cs := range it.Controls {
			for _, c := range cs {
				if !strings.Contains(md, "| "+cell(c)+" | ") {
					t.Errorf("%s control %q of %s is not indexed", fw, c, it.ID)
				}
			}
		}
	}
}
