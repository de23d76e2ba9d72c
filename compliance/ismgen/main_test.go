package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
)

// TestCited_EveryISMCitationOfTheRepositoryIsAControlOfTheRelease scans the
// whole repository as ismgen does: every ISM-NNNN cited anywhere is a
// control of the catalog release in compliance/ismcatalog.go, and no range
// of identifiers is cited.
func TestCited_EveryISMCitationOfTheRepositoryIsAControlOfTheRelease(t *testing.T) {
	cites, err := Cited("../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(cites) < 10 {
		t.Fatalf("found %d ISM citations in the repository: the scan is not reading it", len(cites))
	}
	version, _ := compliance.ISMRelease()
	for id, where := range cites {
		if _, ok := compliance.ISM(strings.ToUpper(id)); !ok {
			t.Errorf("%s cites %s, not a control of ISM release %s (or not in ismcatalog.go: run ISM_CATALOG=… go generate ./compliance)",
				where, strings.ToUpper(id), version)
		}
	}
}

// TestGenerate_TableFromACatalog builds the table from a small catalog in
// ASD's format and fails on a citation the release does not have.
func TestGenerate_TableFromACatalog(t *testing.T) {
	_, err := Generate("testdata/ISM_catalog.json", "testdata/repo")
	if err == nil || !strings.Contains(err.Error(), "ISM-"+"0859 (docs/notes.md:1)") || !strings.Contains(err.Error(), "release 2099.1.1") {
		t.Fatalf("a withdrawn control: err = %v, want it named with its file and line and the release", err)
	}
	repo := t.TempDir()
	if err := os.WriteFile(filepath.Join(repo, "policy.go"), []byte("// ISM-1182\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := Generate("testdata/ISM_catalog.json", repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`ismRelease    = "2099.1.1"`, `"https://www.cyber.gov.au/ism/oscal/v2099.1.1/artifacts/ISM_catalog.json"`,
		`"ism-1182": {ID: "ism-1182", Section: "Guidelines for networking / Network access controls", Statement: "Traffic is limited to what is required.", Revision: "5", Updated: "Sep-23", Applicability: []string{"NC", "P", "ML2"}}`} {
		if !strings.Contains(string(src), want) {
			t.Errorf("generated table lacks %s:\n%s", want, src)
		}
	}
}

// TestCited_RefusesARangeOfIdentifiers: a range such as 0457 to 0494
// names no control.
func TestCited_RefusesARangeOfIdentifiers(t *testing.T) {
	repo := t.TempDir()
	if err := os.WriteFile(filepath.Join(repo, "a.md"), []byte("crypto: ISM-"+"0457..0494\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Cited(repo); err == nil || !strings.Contains(err.Error(), "(a.md:1)") {
		t.Fatalf("err = %v, want the range refused at a.md:1", err)
	}
}

// TestGenerate_RefusesAnotherCatalog: a catalog that is not the ISM.
func TestGenerate_RefusesAnotherCatalog(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(p, []byte(`{"catalog": {"metadata": {"title": "NIST SP 800-53", "version": "5.2.0"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(p, "testdata/repo"); err == nil || !strings.Contains(err.Error(), "not an ISM catalog") {
		t.Fatalf("err = %v", err)
	}
}
