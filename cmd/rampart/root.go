package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/drift"
	"github.com/rampart-dev/rampart/evidence"
	"github.com/rampart-dev/rampart/helpers/version"
	"github.com/spf13/cobra"
)

// Defaults shared by every command that works on a stack.
const (
	// defaultStack is the lab's stack, the one `make up` deploys.
	defaultStack = "local"
	// defaultDir is the project directory holding Pulumi.yaml: the
	// repository root, where the CLI is run from.
	defaultDir = "."
)

// app holds the global flags every command reads, and the operations on a
// real stack, which tests replace (the lab tier runs the real ones).
type app struct {
	// quiet silences the progress lines on stderr (--quiet). Errors are
	// still printed.
	quiet bool
	// assess is check's evidence report of a stack, on the live cluster
	// too when live is set (assessStack).
	assess func(ctx context.Context, stack, dir string, refresh bool, live *cluster, progress io.Writer) (*compliance.Assessment, error)
	// detect is drift's report on a stack, with the live cluster's
	// unmanaged objects, and the ways to restore and prune (detectDrift).
	detect func(ctx context.Context, stack, dir string, live cluster) (*drift.Report, *remedy, error)
	// sign signs check's evidence packs; nil means the transit key of
	// the --sign-* flags (tests set an in-process key).
	sign evidence.Signer
}

const rootLong = `Rampart's CLI: compliance evidence, drift, PR previews and the API-server
audit policy, over the same Pulumi program ` + "`pulumi up`" + ` runs.

Commands that work on a stack take --stack (default "local") and --dir (the
project directory holding Pulumi.yaml, default "."). Long operations
(refresh, preview, drift) print plain progress lines on stderr; --quiet
silences them.

Report output: stdout always carries one report, Markdown unless a format
flag sends another format there. Each format flag (--markdown, --json,
--html, --oscal, where the command has it) takes an optional destination:
alone or with "-" it means stdout; with a FILE (--json r.json or
--json=r.json) the report is also written to FILE.

Exit codes:
  0  clean: no drift, no failed item
  1  error: bad flag or argument, stack or pulumi CLI failure
  2  finding: drift found (drift), a checklist item failed (check), a
     behaviour check or an item failed (verify), the change makes a
     framework control fail (preview), a pack that does not verify
     (evidence verify)`

// newRootCmd builds the command tree on the real stack operations. Each
// call returns a fresh tree, so tests run commands in-process without
// sharing flag state.
func newRootCmd() *cobra.Command {
	return newRoot(&app{assess: assessStack, detect: detectDrift})
}

// newRoot builds the command tree on a's operations.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "rampart",
		Short: "Rampart: compliance evidence, drift and previews for a Rampart stack",
		Long:  rootLong,
		Example: `  rampart check --stack local --refresh     # evidence report, exit 2 on a failed item
  rampart drift --json drift.json           # exit 2 on drift, JSON kept for the job
  rampart preview > comment.md              # the PR comment, exit 2 on a control regression
  rampart apiserver render --out ./nodes     # audit policy + kubeadm/RKE2/Talos snippets
  rampart version --json
  source <(rampart completion bash)         # tab completion in this shell`,
		Version: version.Get().Version,
		// A typo'd command is a usage error (exit 1), not help and exit 0.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q", args[0])
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(": did you mean %q?", s[0])
			}
			return usagef("%s (run 'rampart --help' for the list)", msg)
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		// main prints errors once, and usage only for usage errors.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	// cobra's own default for its "did you mean", which SuggestionsFor
	// does not apply by itself.
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate("rampart {{.Version}}\n")
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "no progress lines on stderr (errors are still printed)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usagef("%w (see '%s --help')", err, cmd.CommandPath())
	})
	root.AddCommand(
		a.newCheckCmd(),
		a.newDriftCmd(),
		a.newPreviewCmd(),
		a.newVerifyCmd(),
		newEvidenceCmd(),
		newAPIServerCmd(),
		newAuditPolicyAliasCmd(),
		newVersionCmd(),
		newReferenceCmd(),
	)
	return root
}

// noArgs rejects positional arguments, naming the likely cause: a FILE
// given to a flag that takes none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usagef("%s: unexpected argument %q (every input is a flag; see '%s --help')", cmd.Name(), args[0], cmd.CommandPath())
}

// stackFlags adds --stack and --dir to cmd.
func stackFlags(cmd *cobra.Command, stack, dir *string) {
	cmd.Flags().StringVar(stack, "stack", defaultStack, "stack `NAME` (as in `pulumi stack ls`)")
	cmd.Flags().StringVar(dir, "dir", defaultDir, "project directory `DIR`, the one holding Pulumi.yaml")
	_ = cmd.MarkFlagDirname("dir")
}

// selectStackError wraps a stack selection failure with the flags that
// chose the stack and how to list the right names; the Automation API's
// own message (the CLI's exit code and stderr) follows.
func selectStackError(command, stack, dir string, err error) error {
	return fmt.Errorf("%s: select stack %q in %s (check --stack and --dir; `pulumi stack ls` in %s lists the stacks): %w", command, stack, dir, dir, err)
}

// joinOutputValues rewrites `--json FILE` into `--json=FILE` for the
// format flags (whose value is optional, so pflag alone would read FILE as
// a positional argument), for the command args select. Those commands take
// no positional argument, so a word after a format flag can only be its
// destination. Everything after "--" is left alone.
func joinOutputValues(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return args
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(out, args[i:]...)
		}
		if name, ok := strings.CutPrefix(arg, "--"); ok && !strings.Contains(name, "=") && i+1 < len(args) {
			next := args[i+1]
			if isOutputFlag(cmd, name) && (next == "-" || !strings.HasPrefix(next, "-")) {
				out = append(out, arg+"="+next)
				i++
				continue
			}
		}
		out = append(out, arg)
	}
	return out
}
