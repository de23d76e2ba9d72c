package main

import (
	"encoding/json"
	"io"

	"github.com/rampart-dev/rampart/helpers/version"
	"github.com/spf13/cobra"
)

// newVersionCmd is `rampart version [--json]`: the build's version, commit,
// Go version and Pulumi SDK version (helpers/version).
func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, Go and Pulumi SDK versions",
		Long: `Prints the release version and commit (stamped by -ldflags in a release
build; otherwise the module version and git revision Go recorded at build
time, "(modified)" when the checkout had uncommitted changes), the Go
toolchain and the Pulumi Go SDK the binary is linked with. Include it in a
bug report.`,
		Example: `  rampart version
  rampart version --json | jq -r .commit`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeVersion(cmd.OutOrStdout(), version.Get(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (version, commit, modified, goVersion, pulumiSdk)")
	return cmd
}

func writeVersion(w io.Writer, info version.Info, asJSON bool) error {
	if !asJSON {
		_, err := io.WriteString(w, info.String())
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(info)
}
