package main

import (
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/rampart-dev/rampart/preview"
	"github.com/spf13/cobra"
)

// newPreviewCmd is `rampart preview`: the stack's preview as a pull-request
// comment (preview.Run + Plan.Markdown).
func (a *app) newPreviewCmd() *cobra.Command {
	var stack, dir string
	var maxBytes int
	cmd := &cobra.Command{
		Use:   "preview",
		Short: "The preview as a PR comment, grouped by component and control",
		Long: `Previews the program against the stack (no refresh) and renders every change
grouped by the Rampart component that owns it, with the checklist items (and
so the framework controls) that component implements, so a reviewer sees
which control a diff touches. Markdown is the only format; --markdown (which
earlier versions required) is accepted. Use ` + "`pulumi preview`" + ` for the CLI's own
output.

The comment is capped at --max-bytes (default 60000: GitHub refuses a comment
over 65,536 characters); over it the longest value lists are cut first, then
table rows, and the comment says what was cut.`,
		Example: `  rampart preview > comment.md                     # stack "local"
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
		p := a.begin(cmd, "previewing stack %s...", stack)
		plan, err := preview.Run(ctx, stk)
		if err != nil {
			return err
		}
		p.done("preview", "%d changes", len(plan.Steps))
		if err := out.write(cmd.OutOrStdout(), map[string]func(io.Writer) error{
			fmtMarkdown: func(w io.Writer) error { return plan.Markdown(w, preview.WithMaxBytes(maxBytes)) },
		}); err != nil {
			return fmt.Errorf("preview: %w", err)
		}
		return nil
	}
	return cmd
}
