package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// progress prints one plain line per step of a long operation on stderr:
// "rampart: refreshing stack local..." then "rampart: refresh done in 12s
// (...)". Plain lines, never a spinner, so CI logs stay readable; --quiet
// sends them to io.Discard. Lines carry the stack name, durations and
// counts only, never a value from the stack (which could be a secret).
type progress struct {
	w     io.Writer
	start time.Time
}

// progressOut is where cmd's progress lines go: stderr, or nowhere with
// --quiet.
func (a *app) progressOut(cmd *cobra.Command) io.Writer {
	if a.quiet {
		return io.Discard
	}
	return cmd.ErrOrStderr()
}

// begin prints the start line and starts the clock.
func (a *app) begin(cmd *cobra.Command, format string, args ...any) *progress {
	p := &progress{w: a.progressOut(cmd), start: time.Now()}
	_, _ = fmt.Fprintf(p.w, "rampart: "+format+"\n", args...)
	return p
}

// done prints the end line with the elapsed time after what.
func (p *progress) done(what string, format string, args ...any) {
	el := time.Since(p.start)
	if el >= time.Second {
		el = el.Round(time.Second)
	} else {
		el = el.Round(10 * time.Millisecond)
	}
	_, _ = fmt.Fprintf(p.w, "rampart: %s done in %s ("+format+")\n", append([]any{what, el}, args...)...)
}
