package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/spf13/cobra"
)

// newCheckCmd is `rampart check`: the evidence-based compliance report of a
// stack (compliance.FromStack).
func (a *app) newCheckCmd() *cobra.Command {
	var stack, dir string
	var refresh bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Compliance report from the stack's state with evidence; exit 2 if an item fails",
		Long: `Reads the stack's state through the Automation API and judges every checklist
item on it (pass, fail, exempt with its justification, not deployed), with
the evidence (resource, field, value; secrets shown as [secret]) and the
NIS2, DORA, CE+, ITSG-33 and ISM controls each item serves.

Without --refresh the state is what the last ` + "`pulumi up`" + ` recorded (fast, no
cluster access); --refresh reads the live cluster back first (slower; an
out-of-band change then shows in the verdicts). Exit 2 when an item the stack
enables fails.`,
		Example: `  rampart check                                    # stack "local", Markdown on stdout
  rampart check --stack prod --refresh --json=report.json --html=report.html
  rampart check --oscal > assessment-results.json  # OSCAL on stdout instead of Markdown`,
		Args: noArgs,
	}
	stackFlags(cmd, &stack, &dir)
	cmd.Flags().BoolVar(&refresh, "refresh", false, "refresh the state from the live cluster before judging it (default off: the state of the last up)")
	out := addOutputFlags(cmd, fmtMarkdown, fmtJSON, fmtHTML, fmtOSCAL)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.checkStack(cmd, out, stack, dir, refresh)
	}
	return cmd
}

// checkStack assesses the stack and writes the report; errFailed when an
// item fails, after the report is written.
func (a *app) checkStack(cmd *cobra.Command, out *outputs, stack, dir string, refresh bool) error {
	if _, _, err := out.plan(); err != nil {
		return err
	}
	what := "reading the state of"
	if refresh {
		what = "refreshing and reading"
	}
	p := a.begin(cmd, "%s stack %s...", what, stack)
	as, err := a.assess(cmd.Context(), stack, dir, refresh, a.progressOut(cmd))
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range as.Results {
		if r.Verdict == compliance.Fail {
			failed++
		}
	}
	p.done("assessment", "%d items, %d failed", len(as.Results), failed)
	if err := out.write(cmd.OutOrStdout(), map[string]func(io.Writer) error{
		fmtMarkdown: as.Markdown, fmtJSON: as.JSON, fmtHTML: as.HTML, fmtOSCAL: as.OSCAL,
	}); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if as.Failed() {
		return fmt.Errorf("%w: %d on stack %s (see the report)", errFailed, failed, stack)
	}
	return nil
}

// assessStack is app.assess outside tests: the stack from its local source
// (the program in dir), assessed by compliance.FromStack.
func assessStack(ctx context.Context, stack, dir string, refresh bool, progress io.Writer) (*compliance.Assessment, error) {
	stk, err := auto.SelectStackLocalSource(ctx, stack, dir)
	if err != nil {
		return nil, selectStackError("check", stack, dir, err)
	}
	as, err := compliance.FromStack(ctx, stk, refresh, progress)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	return as, nil
}
