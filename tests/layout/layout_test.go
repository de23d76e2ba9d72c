// Package layout keeps the import floors of ../shared/STYLE.md: cmd →
// stacks → components → apiserver → helpers, with the config layer and the
// providers (infra/) beside stacks, never above it. apiserver/ (the files
// kube-apiserver loads and their node snippets) sits between components and
// helpers: a component may quote its defaults, it never builds a resource.
// Beside the floors it keeps the rooms' boundaries (internal/ holds test
// helpers only; the compliance model never depends on its renderers). It
// reads every package's
// transitive dependencies from `go list`, so an indirect import through a
// third package is caught too.
package layout

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/rampart-dev/rampart/"

// floor is a package's layer; a package may depend only on packages of a
// lower floor (or of its own floor where same is true).
type floor struct {
	name string
	rank int
	same bool // packages of this floor may import each other
}

// cmdRank is the entry points' floor, above everything.
const cmdRank = 6

// floorOf classifies an in-module package path (without the module prefix).
// helpers/ holds what is not a component and reads no config: naming, the
// error list, the restricted security context, the PSS evaluator and the
// pod security gate built on it (helpers/podsecurity, which stacks
// registers with the config's exemptions), the build's version stamp.
func floorOf(p string) (floor, bool) {
	switch {
	case strings.HasPrefix(p, "helpers/"):
		return floor{"helpers", 0, true}, true
	case p == "apiserver" || strings.HasPrefix(p, "apiserver/"):
		// The room and its configs' packages: the room registers them.
		return floor{"apiserver", 1, true}, true
	case strings.HasPrefix(p, "components/"):
		return floor{"components", 2, false}, true
	case strings.HasPrefix(p, "infra/"):
		return floor{"infra (config, providers)", 3, true}, true
	case p == "stacks":
		return floor{"stacks", 4, false}, true
	case strings.HasPrefix(p, "cmd/"):
		return floor{"cmd", cmdRank, false}, true
	}
	return floor{}, false
}

// TestImports_RunOneWay: no package depends on a package of a higher floor;
// components never depend on one another (each could be lifted into another
// program alone); nothing but cmd depends on cmd; apiserver/ uses no Pulumi
// package.
func TestImports_RunOneWay(t *testing.T) {
	checked := 0
	for pkg, deps := range moduleDeps(t) {
		from, classified := floorOf(pkg)
		for _, dep := range deps {
			to, depClassified := floorOf(dep)
			if !depClassified {
				if classified && from.rank < cmdRank {
					// helpers, apiserver, components, infra and stacks use no test or tool package
					t.Errorf("%s (%s) depends on %s, which belongs to no floor", pkg, from.name, dep)
				}
				continue
			}
			checked++
			if to.name == "cmd" && !strings.HasPrefix(pkg, "cmd/") {
				t.Errorf("%s depends on the entry point %s", pkg, dep)
			}
			if !classified {
				continue // tests, bench, compliance, drift, preview, verify, inventory: any floor below cmd
			}
			switch {
			case to.rank > from.rank:
				t.Errorf("%s (%s) depends on %s (%s): imports run cmd → stacks → components → apiserver → helpers", pkg, from.name, dep, to.name)
			case to.rank == from.rank && !from.same && pkg != dep && !strings.HasPrefix(dep, pkg+"/"):
				t.Errorf("%s depends on %s: two %s must not depend on each other", pkg, dep, from.name)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no in-module dependency was checked: the go list output was not understood")
	}
}

// moduleDeps maps every in-module package (without the module prefix) to
// the in-module packages it depends on, directly or not. Test files are
// not read: a _test.go file may use any package.
func moduleDeps(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "../../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutPrefix(fields[0], module)
		if !ok {
			continue
		}
		deps[pkg] = []string{}
		for _, d := range fields[1:] {
			if dep, ok := strings.CutPrefix(d, module); ok {
				deps[pkg] = append(deps[pkg], dep)
			}
		}
	}
	return deps
}

// under is true when package p is room or inside it.
func under(p, room string) bool { return p == room || strings.HasPrefix(p, room+"/") }

// TestRooms_KeepTheirBoundaries: internal/ holds test helpers only, so
// nothing but the tests (tests/, bench/ and _test.go files) and the
// helpers themselves depend on it; the compliance model (items, catalog,
// evaluation from the state and the live cluster) never depends on its
// renderers (compliance/report), which read an Assessment and judge nothing.
func TestRooms_KeepTheirBoundaries(t *testing.T) {
	rules := []struct {
		name     string
		to       string
		mayUseIt func(pkg string) bool
	}{
		{"internal/ holds test helpers only", "internal", func(p string) bool {
			return under(p, "internal") || under(p, "tests") || under(p, "bench")
		}},
		{"the compliance model never depends on its renderers", "compliance/report", func(p string) bool {
			return !under(p, "compliance") || under(p, "compliance/report")
		}},
	}
	deps := moduleDeps(t)
	for _, r := range rules {
		used := false
		for pkg, ds := range deps {
			for _, d := range ds {
				if !under(d, r.to) {
					continue
				}
				used = true
				if !r.mayUseIt(pkg) {
					t.Errorf("%s depends on %s: %s", pkg, d, r.name)
				}
			}
		}
		if !used {
			t.Errorf("%s: nothing depends on %s: the rule checks nothing (moved or renamed?)", r.name, r.to)
		}
	}
}

// TestAPIServer_UsesNoPulumi: the files the API server loads are node
// configuration, never Pulumi resources, so apiserver/ depends on no Pulumi
// package.
func TestAPIServer_UsesNoPulumi(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "../../apiserver/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		t.Fatalf("go list found %d apiserver packages: the check would check nothing", len(lines))
	}
	for _, line := range lines {
		fields := strings.Fields(line)
		for _, d := range fields[1:] {
			if strings.HasPrefix(d, "github.com/pulumi/") {
				t.Errorf("%s depends on %s: what the API server loads is never a Pulumi resource", fields[0], d)
			}
		}
	}
}
