package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/rampart-dev/rampart/drift"
	"github.com/spf13/cobra"
)

// newDriftCmd is `rampart drift`: refresh, preview and the live/declared
// comparison of drift.Detect; exit 2 on drift (errDrift), as scheduled
// drift jobs expect, unless --fix restored it.
func (a *app) newDriftCmd() *cobra.Command {
	var stack, dir string
	var fix bool
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Find out-of-band changes (refresh + preview + live check); exit 2 on drift",
		Long: `Refreshes the stack from the live cluster, previews the program against it and
compares the live objects with the declared inputs, which also finds what the
provider's own diff cannot see (rules appended to a NetworkPolicy out of
band). Every resource the next ` + "`pulumi up`" + ` would change is reported with the
properties that differ. Exit 2 when drift is found.

--fix restores the drifted resources (pulumi up, replacing the ones an up
alone would not touch) and then exits 0.`,
		Example: `  rampart drift                                    # stack "local", Markdown on stdout, exit 2 on drift
  rampart drift --stack prod --json drift.json --markdown drift.md
  rampart drift --json | jq '.changes[].name'      # JSON on stdout instead of Markdown
  rampart drift --fix                              # restore what drifted`,
		Args: noArgs,
	}
	stackFlags(cmd, &stack, &dir)
	cmd.Flags().BoolVar(&fix, "fix", false, "restore drifted resources (pulumi up, replacing what up alone cannot see)")
	out := addOutputFlags(cmd, fmtMarkdown, fmtJSON)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if _, _, err := out.plan(); err != nil {
			return err
		}
		ctx := cmd.Context()
		p := a.begin(cmd, "refreshing and previewing stack %s for drift...", stack)
		report, restore, err := a.detect(ctx, stack, dir)
		if err != nil {
			return err
		}
		p.done("drift check", "%d drifted resources", len(report.Changes))
		stdout := cmd.OutOrStdout()
		if err := out.write(stdout, map[string]func(io.Writer) error{fmtMarkdown: report.Markdown, fmtJSON: report.JSON}); err != nil {
			return fmt.Errorf("drift: %w", err)
		}
		if !report.Drifted {
			return nil
		}
		if !fix {
			return fmt.Errorf("%w: %d resources on stack %s (rerun with --fix to restore them)", errDrift, len(report.Changes), stack)
		}
		p = a.begin(cmd, "restoring %d resources on stack %s...", len(report.Changes), stack)
		if err := restore(ctx); err != nil {
			return err
		}
		p.done("restore", "%d resources", len(report.Changes))
		_, err = fmt.Fprintln(stdout, "\nRestored.")
		return err
	}
	return cmd
}

// detectDrift is app.detect outside tests: the stack from its local source
// (the program in dir), checked by drift.Detect; restore runs
// drift.Remediate on the report.
func detectDrift(ctx context.Context, stack, dir string) (report *drift.Report, restore func(context.Context) error, err error) {
	stk, err := auto.SelectStackLocalSource(ctx, stack, dir)
	if err != nil {
		return nil, nil, selectStackError("drift", stack, dir, err)
	}
	report, err = drift.Detect(ctx, stk)
	if err != nil {
		return nil, nil, err
	}
	return report, func(ctx context.Context) error { return drift.Remediate(ctx, stk, report) }, nil
}
