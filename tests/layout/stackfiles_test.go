package layout_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// machineBound are stack-file lines that belong to one machine's state:
// the passphrase provider's salt and values encrypted with it. Committed,
// they break `make up` on every other machine (its passphrase cannot open
// them, so `pulumi stack init` fails).
var machineBound = regexp.MustCompile(`(?m)^encryptionsalt:|^\s*secure:|\bsecure: `)

// TestStackFiles_CommittedCarryNoMachineSalt reads every Pulumi.<stack>.yaml
// as committed (HEAD; the working tree where this is not a git checkout):
// `make up` writes this machine's salt into the working copy, which must
// never be committed.
func TestStackFiles_CommittedCarryNoMachineSalt(t *testing.T) {
	files, err := filepath.Glob("../../Pulumi.*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stack files found: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		body, err := exec.Command("git", "-C", "../..", "show", "HEAD:"+name).Output()
		if err != nil {
			if body, err = os.ReadFile(f); err != nil {
				t.Fatal(err)
			}
		}
		for i, line := range strings.Split(string(body), "\n") {
			if machineBound.MatchString(line) {
				t.Errorf("%s:%d as committed: %q belongs to one machine's passphrase: remove it from the commit (the local copy may keep it)", name, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// The guard's pattern catches what Pulumi writes.
func TestStackFiles_PatternCatchesSaltAndSecureValues(t *testing.T) {
	for line, want := range map[string]bool{
		"encryptionsalt: v1:OINzjSKN8P0=:v1:abc":       true,
		"  rampart:vaultToken:\n    secure: AAABAJ...": true,
		"  rampart:x: {secure: AAAB}":                  true,
		"  rampart:profile: local":                     false,
		"# the salt is per machine":                    false,
	} {
		got := false
		for _, l := range strings.Split(line, "\n") {
			got = got || machineBound.MatchString(l)
		}
		if got != want {
			t.Errorf("%q: matched %v, want %v", line, got, want)
		}
	}
}
