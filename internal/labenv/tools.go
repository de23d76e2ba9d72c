package labenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireCommand finds name on PATH, with the same fail-or-skip rule as
// Require (the lab's tools are on PATH only through lab/pulumi-env.sh). Use
// it for commands that must be on PATH, e.g. pulumi for the Automation API.
func RequireCommand(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	unavailable(t, fmt.Sprintf("%s not on PATH (%v): `make test` puts the lab toolchain there", name, err),
		fmt.Sprintf("%s not on PATH: run `make test`, which puts the lab toolchain there", name))
	return ""
}

// RequireTool finds name on PATH, else in the toolchain's bin folder
// (Cache()/bin, what `bash lab/toolchain.sh bin` prints), so a test run
// without lab/pulumi-env.sh still finds a built tool. A missing tool fails
// under RAMPART_REQUIRE_LAB=1 and skips elsewhere, both with fix (how to
// get the tool, e.g. "build it with `bash lab/toolchain.sh actionlint`").
func RequireTool(t testing.TB, name, fix string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	p := filepath.Join(Cache(), "bin", name)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		return p
	}
	msg := fmt.Sprintf("%s not found on PATH or in the toolchain's bin folder: %s", name, fix)
	unavailable(t, msg, msg)
	return ""
}
