package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// cli runs the command tree in-process, as main does, and returns the exit
// code with what went to stdout and stderr.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return cliRoot(t, newRootCmd(), stdin, args...)
}

func cliRoot(t *testing.T, root *cobra.Command, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(context.Background(), root, args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCode_MapsTypedErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{errors.New("pulumi CLI failed"), exitError},
		{usagef("unknown flag: --bogus"), exitError},
		{fmt.Errorf("%w: 3 resources on stack local", errDrift), exitFinding},
		{fmt.Errorf("check: %w", fmt.Errorf("%w: 1 on stack local", errFailed)), exitFinding},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// A finding returned by a command reaches the process as exit 2, printed
// once with the "rampart:" prefix and without usage (it is no usage error).
func TestExecute_FindingExitsTwoWithoutUsage(t *testing.T) {
	for _, sentinel := range []error{errDrift, errFailed} {
		root := newRootCmd()
		root.AddCommand(&cobra.Command{Use: "finding", RunE: func(*cobra.Command, []string) error {
			return fmt.Errorf("%w: 2 on stack local", sentinel)
		}})
		code, _, stderr := cliRoot(t, root, "", "finding")
		if code != exitFinding {
			t.Errorf("%v: exit %d, want %d", sentinel, code, exitFinding)
		}
		if want := "rampart: " + sentinel.Error() + ": 2 on stack local\n"; stderr != want {
			t.Errorf("%v: stderr = %q, want exactly %q", sentinel, stderr, want)
		}
	}
}

func TestUnknownFlag_ExitsOneNamingTheFlagWithUsage(t *testing.T) {
	code, stdout, stderr := cli(t, "", "check", "--bogus")
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.HasPrefix(stderr, "rampart: unknown flag: --bogus (see 'rampart check --help')\n") {
		t.Errorf("stderr does not start with the flag error naming --bogus:\n%s", stderr)
	}
	if !strings.Contains(stderr, "Usage:\n  rampart check [flags]") {
		t.Errorf("stderr lacks check's usage:\n%s", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing on a usage error", stdout)
	}
}

func TestBadFlagValue_ExitsOneNamingTheFlag(t *testing.T) {
	code, _, stderr := cli(t, "", "preview", "--max-bytes", "lots")
	if code != exitError || !strings.Contains(stderr, `"--max-bytes"`) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming --max-bytes", code, stderr)
	}
	code, _, stderr = cli(t, "", "preview", "--max-bytes", "0")
	if code != exitError || !strings.Contains(stderr, "--max-bytes 0: the cap must be a positive number") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming --max-bytes and the fix", code, stderr)
	}
}

func TestUnknownCommand_ExitsOneWithSuggestion(t *testing.T) {
	code, _, stderr := cli(t, "", "chek")
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.Contains(stderr, `unknown command "chek": did you mean "check"?`) {
		t.Errorf("stderr lacks the unknown command and the suggestion:\n%s", stderr)
	}
}

func TestExtraArgument_ExitsOneNamingIt(t *testing.T) {
	code, _, stderr := cli(t, "", "version", "extra")
	if code != exitError || !strings.Contains(stderr, `version: unexpected argument "extra"`) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 naming the argument", code, stderr)
	}
}

// A runtime error (here an unwritable --out) exits 1 without the usage
// text: the command line was right.
func TestRuntimeError_ExitsOneWithoutUsage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "missing-dir", "policy.yaml")
	code, _, stderr := cli(t, "", "apiserver", "audit-policy", "--out", out)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if !strings.HasPrefix(stderr, "rampart: apiserver: ") || strings.Contains(stderr, "Usage:") {
		t.Errorf("stderr = %q, want one error line and no usage", stderr)
	}
}

func TestNoArgs_PrintsHelpAndExitsZero(t *testing.T) {
	code, stdout, _ := cli(t, "")
	if code != exitOK || !strings.Contains(stdout, "Available Commands:") {
		t.Errorf("exit %d, stdout:\n%s\nwant the help and exit 0", code, stdout)
	}
}
