package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/rampart-dev/rampart/drift"
)

// errDrift makes `rampart drift` exit 2, as scheduled drift jobs expect.
var errDrift = errors.New("drift found")

func runDrift(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	stack := fs.String("stack", "local", "stack to check")
	dir := fs.String("dir", ".", "project directory (holds Pulumi.yaml)")
	jsonOut := fs.String("json", "", "also write the JSON report to this file")
	mdOut := fs.String("markdown", "", "also write the Markdown report to this file")
	fix := fs.Bool("fix", false, "restore drifted resources (pulumi up, replacing what up alone cannot see)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	stk, err := auto.SelectStackLocalSource(ctx, *stack, *dir)
	if err != nil {
		return fmt.Errorf("drift: select stack %s in %s: %w", *stack, *dir, err)
	}
	report, err := drift.Detect(ctx, stk)
	if err != nil {
		return err
	}
	if err := report.Markdown(stdout); err != nil {
		return err
	}
	for path, write := range map[string]func(io.Writer) error{*jsonOut: report.JSON, *mdOut: report.Markdown} {
		if path == "" {
			continue
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			_ = f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if !report.Drifted {
		return nil
	}
	if *fix {
		if err := drift.Remediate(ctx, stk, report); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, "\nRestored.")
		return err
	}
	return errDrift
}
