package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/rampart-dev/rampart/preview"
)

func runPreview(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	stack := fs.String("stack", "local", "stack to preview")
	dir := fs.String("dir", ".", "project directory (holds Pulumi.yaml)")
	markdown := fs.Bool("markdown", false, "write the preview as Markdown (the only format so far)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*markdown {
		return fmt.Errorf("preview: pass --markdown (use `pulumi preview` for the CLI's own output)")
	}
	ctx := context.Background()
	stk, err := auto.SelectStackLocalSource(ctx, *stack, *dir)
	if err != nil {
		return fmt.Errorf("preview: select stack %s in %s: %w", *stack, *dir, err)
	}
	plan, err := preview.Run(ctx, stk)
	if err != nil {
		return err
	}
	return plan.Markdown(stdout)
}
