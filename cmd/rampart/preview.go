package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/rampart-dev/rampart/preview"
	"github.com/spf13/cobra"
)

// newPreviewCmd is `rampart preview`: the stack's preview as a pull-request
// comment (preview.Run + Plan.Assess + Plan.Markdown), exit 2 when the plan
// makes a control fail (regressionError).
func (a *app) newPreviewCmd() *cobra.Command {
	var stack, dir string
	var maxBytes int
	cmd := &cobra.Command{
		Use:   "preview",
		Short: "The preview as a PR comment, with the controls it flips; exit 2 on a control regression",
		Long: `Previews the program against the stack (no refresh) and renders every change
grouped by the Rampart component that owns it, with the checklist items (and
so the framework controls) that component implements, so a reviewer sees
which control a diff touches. Markdown is the only format; --markdown (which
earlier versions required) is accepted. Use ` + "`pulumi preview`" + ` for the CLI's own
output.

Control impact: the checklist is evaluated on the stack's current state and
on the state the preview leaves (the export with each step applied: a
create, update or replace by its planned values, a delete removed), both as
` + "`rampart check`" + ` reads the state (no --live). The top of the comment lists, per
framework (NIS2, DORA, CE+, ITSG-33, ISM), the controls whose verdict flips
(pass → fail, fail → pass, to or from not deployed) and the checklist items
behind them, each with the resource changes that cause it. Exit 2 when a
control regresses to fail and no approved exemption covers it (the comment
is written first); exit 0 otherwise, exit 1 on an error.

Before the preview, the stack's state backend (pulumi login) is judged by
the stack's rampart:sovereignty rule, as the program judges every endpoint
of the config: a backend outside it fails (exit 1) and nothing is previewed.

A change that only strengthens a setting (a TLS floor 1.2 → 1.3, a longer
retention, a lower lockout threshold) is not listed as a weakening.

The comment is capped at --max-bytes (default 60000: GitHub refuses a comment
over 65,536 characters); over it the longest value lists are cut first, then
table rows, and the comment says what was cut.`,
		Example: `  rampart preview > comment.md                     # stack "local"; exit 2 on a control regression
  rampart preview --stack prod --markdown comment.md
  rampart preview --max-bytes 250000 --markdown=preview.md   # a file, not a comment: a larger cap`,
		Args: noArgs,
	}
	stackFlags(cmd, &stack, &dir)
	cmd.Flags().IntVar(&maxBytes, "max-bytes", preview.DefaultMaxBytes, "cap the Markdown at `N` bytes (GitHub refuses a comment over 65,536 characters)")
	out := addOutputFlags(cmd, fmtMarkdown)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if maxBytes <= 0 {
			return usagef("--max-bytes %d: the cap must be a positive number of bytes (default %d)", maxBytes, preview.DefaultMaxBytes)
		}
		if _, _, err := out.plan(); err != nil {
			return err
		}
		ctx := cmd.Context()
		stk, err := auto.SelectStackLocalSource(ctx, stack, dir)
		if err != nil {
			return selectStackError("preview", stack, dir, err)
		}
		if err := backendGate(ctx, stk); err != nil {
			return fmt.Errorf("preview: %w", err)
		}
		p := a.begin(cmd, "previewing stack %s...", stack)
		plan, err := preview.Run(ctx, stk)
		if err != nil {
			return err
		}
		p.done("preview", "%d changes", len(plan.Steps))
		imp, err := plan.Assess(ctx, stk)
		if err != nil {
			return fmt.Errorf("preview: control impact: %w", err)
		}
		if err := out.write(cmd.OutOrStdout(), map[string]func(io.Writer) error{
			fmtMarkdown: func(w io.Writer) error { return plan.Markdown(w, preview.WithMaxBytes(maxBytes)) },
		}); err != nil {
			return fmt.Errorf("preview: %w", err)
		}
		return regressionError(imp)
	}
	return cmd
}

// regressionError is errRegression naming the controls the plan makes fail
// (exit 2), nil when there is none.
func regressionError(imp *preview.Impact) error {
	reg := imp.Regressions()
	if len(reg) == 0 {
		return nil
	}
	var names []string
	for _, c := range reg {
		names = append(names, c.Framework+" "+c.Control)
	}
	return fmt.Errorf("%w: %s", errRegression, strings.Join(names, ", "))
}
