package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Report formats, named as their flags.
const (
	fmtMarkdown = "markdown"
	fmtJSON     = "json"
	fmtHTML     = "html"
	fmtOSCAL    = "oscal"
	fmtPOAM     = "poam"
)

// stdoutDest is the destination meaning stdout; it is also what a format
// flag given without a value means.
const stdoutDest = "-"

// outputFlagAnnotation marks the format flags, whose value is optional
// (joinOutputValues reads it).
const outputFlagAnnotation = "rampart_output"

var formatUsage = map[string]string{
	fmtMarkdown: "Markdown report (for a terminal or a PR comment)",
	fmtJSON:     "JSON report (for machines)",
	fmtHTML:     "HTML report (self-contained page, for auditors)",
	fmtOSCAL:    "OSCAL assessment-results JSON (for GRC tools)",
	fmtPOAM:     "OSCAL plan-of-action-and-milestones JSON of the stack's exemptions (linked from the assessment results)",
}

// outputs is a command's format flags: format → destination ("" when the
// flag is absent, "-" for stdout, else a file path).
type outputs struct {
	cmd     *cobra.Command
	formats []string
	dest    map[string]*string
}

// addOutputFlags adds one optional-value flag per format to cmd, in the
// order given (the order files are written in).
func addOutputFlags(cmd *cobra.Command, formats ...string) *outputs {
	o := &outputs{cmd: cmd, formats: formats, dest: map[string]*string{}}
	for _, f := range formats {
		o.dest[f] = new(string)
		cmd.Flags().StringVar(o.dest[f], f, "", "write the "+formatUsage[f]+" to `FILE`; alone or \"-\": to stdout")
		fl := cmd.Flags().Lookup(f)
		fl.NoOptDefVal = stdoutDest
		fl.Annotations = map[string][]string{outputFlagAnnotation: {"true"}}
	}
	return o
}

// isOutputFlag reports whether cmd's flag name is a format flag.
func isOutputFlag(cmd *cobra.Command, name string) bool {
	f := cmd.Flags().Lookup(name)
	if f == nil {
		return false
	}
	_, ok := f.Annotations[outputFlagAnnotation]
	return ok
}

// plan resolves the flags into the format stdout carries and the files to
// write (format → path). Two formats on stdout is a usage error naming
// both flags.
func (o *outputs) plan() (stdoutFormat string, files map[string]string, err error) {
	files = map[string]string{}
	var toStdout []string
	for _, f := range o.formats {
		d := *o.dest[f]
		switch {
		case !o.cmd.Flags().Changed(f):
		case d == stdoutDest || d == "":
			toStdout = append(toStdout, "--"+f)
			stdoutFormat = f
		default:
			files[f] = d
		}
	}
	if len(toStdout) > 1 {
		all := "both"
		if len(toStdout) > 2 {
			all = "all"
		}
		return "", nil, usagef("%s %s write to stdout: keep one there and give the others a FILE (e.g. %s=report.%s)",
			strings.Join(toStdout, " and "), all, toStdout[1], strings.TrimPrefix(toStdout[1], "--"))
	}
	if stdoutFormat == "" {
		stdoutFormat = fmtMarkdown
	}
	return stdoutFormat, files, nil
}

// write renders the report: the stdout format to stdout, then every file,
// in flag order. Each rendering goes to memory first, so a failed renderer
// leaves no half-written file and no half report on stdout.
func (o *outputs) write(stdout io.Writer, render map[string]func(io.Writer) error) error {
	stdoutFormat, files, err := o.plan()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := render[stdoutFormat](&b); err != nil {
		return fmt.Errorf("render %s: %w", stdoutFormat, err)
	}
	if _, err := stdout.Write(b.Bytes()); err != nil {
		return err
	}
	for _, f := range o.formats {
		path, ok := files[f]
		if !ok {
			continue
		}
		b.Reset()
		if err := render[f](&b); err != nil {
			return fmt.Errorf("render %s for --%s %s: %w", f, f, path, err)
		}
		// 0644: a report holds no secret (values marked secret are
		// rendered as "[secret]") and is meant to be published.
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil { //nolint:gosec // G306: see above
			return fmt.Errorf("--%s %s: %w", f, path, err)
		}
	}
	return nil
}
