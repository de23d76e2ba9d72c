// Command rampart is Rampart's CLI: compliance evidence, drift, PR previews
// and the files the API server loads (its audit policy), over the same
// Pulumi program `pulumi up` runs (Automation API, local source in --dir).
//
//	rampart check [--stack NAME] [--dir DIR] [--refresh] [--markdown|--json|--html|--oscal [FILE]]
//	                 evidence-based compliance report read from the stack's
//	                 state; exit 2 when an item the stack enables fails
//	rampart drift [--stack NAME] [--dir DIR] [--markdown|--json [FILE]] [--fix]
//	                 refresh + preview + live/declared comparison; exit 2 when
//	                 drift is found, --fix restores it
//	rampart preview [--stack NAME] [--dir DIR] [--markdown [FILE]] [--max-bytes N]
//	                 the preview as a PR comment: the controls it flips
//	                 first, then the changes grouped by component with the
//	                 controls each implements, capped at N bytes (default
//	                 60000, under GitHub's comment limit); exit 2 when the
//	                 change makes a control fail
//	rampart apiserver render --out DIR [--policy-path P] [--log-path L]
//	                 every file kube-apiserver loads (the audit policy) and
//	                 the kubeadm, RKE2 and Talos snippets that load them
//	rampart apiserver audit-policy [--out FILE] [--snippets DIR] [--policy-path P] [--log-path L]
//	                 one of them (`rampart audit-policy` is a hidden alias)
//	rampart check ... --evidence DIR|s3://BUCKET/PREFIX --sign-key KEY [--verify-results FILE]
//	                 also one evidence pack of the run, signed by an
//	                 OpenBao/Vault transit key
//	rampart evidence verify [--public-key PEM] PACK
//	                 checks a pack's signature and digests offline; exit 2
//	                 when it does not verify
//	rampart version [--json]
//	rampart completion bash|zsh|fish|powershell
//
// --stack defaults to "local" and --dir to "." everywhere. --quiet (-q)
// silences the progress lines long operations print on stderr.
//
// Report output: stdout always carries one report, Markdown unless a format
// flag sends another format there. Each format flag takes an optional
// destination: alone or with "-" it means stdout, with a FILE (`--json
// r.json` or `--json=r.json`) the report is also written to FILE.
//
// Exit codes: 0 clean; 1 error (bad flag or argument, stack or CLI failure);
// 2 finding (drift found, a checklist item failed, a preview makes a
// control fail, an evidence pack that does not verify). Scheduled jobs and
// CI tell "the tool broke" from "the
// tool found something" by them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rampart-dev/rampart/evidence"
	"github.com/spf13/cobra"
)

// Exit codes, the contract with CI and scheduled jobs (see the package doc).
const (
	exitOK      = 0 // clean: no drift, no failed item, or a command that reports nothing
	exitError   = 1 // the command could not do its job: bad flag, stack or CLI failure
	exitFinding = 2 // the command did its job and found something: drift, a failed item, a control regression
)

// errDrift makes `rampart drift` exit 2, as scheduled drift jobs expect.
var errDrift = errors.New("drift found")

// errFailed makes `rampart check` exit 2: an item the stack enables fails.
var errFailed = errors.New("a checklist item failed")

// errRegression makes `rampart preview` exit 2: the plan makes a framework
// control fail that no approved exemption covers.
var errRegression = errors.New("the change makes a control fail")

// usageError is a mistake on the command line (unknown flag or command,
// bad flag value, extra argument): main prints the command's usage after it.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef builds a usageError; the message should name the flag and the fix.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitCode maps an error from the command tree to the process exit code.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errDrift), errors.Is(err, errFailed), errors.Is(err, errRegression), errors.Is(err, evidence.ErrInvalid):
		return exitFinding
	default:
		return exitError
	}
}

func main() {
	// Ctrl-C or a CI timeout cancels the context; the Automation API then
	// stops the pulumi CLI it started instead of leaving it holding the lock.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the CLI with args and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return execute(ctx, newRootCmd(), args, stdin, stdout, stderr)
}

// execute runs root with args. Errors are printed once, here, prefixed with
// "rampart:"; a usage error is followed by the failing command's usage, a
// runtime error is not (cobra's SilenceUsage).
func execute(ctx context.Context, root *cobra.Command, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root.SetArgs(joinOutputValues(root, args))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	_, _ = fmt.Fprintln(stderr, "rampart:", err)
	var ue *usageError
	if errors.As(err, &ue) && cmd != nil {
		_, _ = fmt.Fprintln(stderr)
		_, _ = fmt.Fprint(stderr, cmd.UsageString())
	}
	return exitCode(err)
}
