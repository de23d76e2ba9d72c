// Command rampart is Rampart's CLI.
//
//	rampart check [--outputs FILE|-]   hardening checklist + control mapping
//	                                   (Markdown); with the stack's outputs
//	                                   (`pulumi stack output --json`) it also
//	                                   lists namespaces and exemptions
//	rampart drift [--stack NAME] [--dir DIR] [--json FILE] [--markdown FILE] [--fix]
//	                                   refresh + preview + live/declared
//	                                   comparison; exit 2 when drift is found,
//	                                   --fix restores it
//	rampart preview [--stack NAME] [--dir DIR] --markdown
//	                                   the preview as a PR comment, grouped by
//	                                   component with the controls each implements
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rampart-dev/rampart/compliance"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rampart:", err)
		if errors.Is(err, errDrift) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: rampart check [--outputs FILE|-] | rampart drift [--stack NAME] [--fix]")
	}
	switch args[0] {
	case "check":
		fs := flag.NewFlagSet("check", flag.ContinueOnError)
		outputs := fs.String("outputs", "", "stack outputs JSON (`pulumi stack output --json`), '-' for stdin")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		var facts *compliance.StackFacts
		if *outputs != "" {
			r := stdin
			if *outputs != "-" {
				f, err := os.Open(*outputs)
				if err != nil {
					return err
				}
				defer func() { _ = f.Close() }()
				r = f
			}
			facts = &compliance.StackFacts{}
			if err := json.NewDecoder(r).Decode(facts); err != nil {
				return fmt.Errorf("check: read stack outputs: %w", err)
			}
		}
		return compliance.Markdown(stdout, facts)
	case "drift":
		return runDrift(args[1:], stdout)
	case "preview":
		return runPreview(args[1:], stdout)
	case "audit-policy":
		return runAuditPolicy(args[1:], stdout)
	default:
		return fmt.Errorf("unknown command %q (known: check, drift, preview, audit-policy)", args[0])
	}
}
