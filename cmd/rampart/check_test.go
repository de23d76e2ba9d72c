package main

import (
	"strings"
	"testing"
)

// Two formats on stdout is refused before any stack is touched, so this
// runs without one.
func TestCheck_TwoFormatsOnStdoutIsAUsageError(t *testing.T) {
	code, _, stderr := cli(t, "", "check", "--json", "--oscal", "-", "--stack", "no-such-stack")
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(stderr, "--json and --oscal both write to stdout: keep one there and give the others a FILE (e.g. --oscal=report.oscal)") {
		t.Errorf("stderr does not name both flags and the fix:\n%s", stderr)
	}
	if !strings.Contains(stderr, "Usage:") {
		t.Errorf("a usage error should print the usage:\n%s", stderr)
	}
}
