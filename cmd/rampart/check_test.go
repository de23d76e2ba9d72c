package main

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
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

// --live reads the live cluster named by --kubeconfig and --context, and
// the progress line says so; without --live the two flags are refused
// before any stack is touched.
func TestCheck_LiveReadsTheNamedCluster(t *testing.T) {
	f := &fakeApp{assessment: assessment(compliance.Pass)}
	code, _, stderr := cliRoot(t, newRoot(f.app()), "", "check", "--live", "--kubeconfig", "kc.yaml", "--context", "auditor")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if want := "assess local . no-refresh live kc.yaml auditor"; strings.Join(f.got, "|") != want {
		t.Errorf("operations = %q, want %q", f.got, want)
	}
	if !strings.Contains(stderr, "rampart: reading the state of stack local and the live cluster...\n") {
		t.Errorf("progress does not say the live cluster is read:\n%s", stderr)
	}

	f = &fakeApp{assessment: assessment(compliance.Pass)}
	code, _, _ = cliRoot(t, newRoot(f.app()), "", "check", "--live")
	if want := "assess local . no-refresh live  "; code != exitOK || strings.Join(f.got, "|") != want {
		t.Errorf("--live alone: exit %d, operations %q; want the default kubeconfig and context (%q)", code, f.got, want)
	}

	f = &fakeApp{assessment: assessment(compliance.Pass)}
	code, _, stderr = cliRoot(t, newRoot(f.app()), "", "check", "--kubeconfig", "kc.yaml")
	if code != exitError || !strings.Contains(stderr, "add --live") || len(f.got) != 0 {
		t.Errorf("--kubeconfig without --live: exit %d, operations %q, stderr %q; want a usage error naming --live", code, f.got, stderr)
	}
}

// The help says the report reads the live cluster with --live and exits 2
// when an item fails.
func TestCheck_HelpNamesLiveAndTheExitCode(t *testing.T) {
	code, stdout, _ := cli(t, "", "check", "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--live", "--kubeconfig FILE", "--context NAME", "reads the live\ncluster through the Kubernetes API", "Exit 2 when an item the stack enables fails."} {
		if !strings.Contains(stdout, want) {
			t.Errorf("check --help lacks %q:\n%s", want, stdout)
		}
	}
}
