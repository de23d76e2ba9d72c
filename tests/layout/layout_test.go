// Package layout keeps the import floors of ../shared/STYLE.md: cmd →
// stacks → components → apiserver → helpers, with the config layer and the
// providers (infra/) beside stacks, never above it. apiserver/ (the files
// kube-apiserver loads and their node snippets) sits between components and
// helpers: a component may quote its defaults, it never builds a resource. It reads every package's
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
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "../../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutPrefix(fields[0], module)
		if !ok {
			continue
		}
		from, classified := floorOf(pkg)
		for _, d := range fields[1:] {
			dep, ok := strings.CutPrefix(d, module)
			if !ok {
				// The files the API server loads are node configuration,
				// never Pulumi resources.
				if from.name == "apiserver" && strings.HasPrefix(d, "github.com/pulumi/") {
					t.Errorf("%s (apiserver) depends on %s: what the API server loads is never a Pulumi resource", pkg, d)
				}
				continue
			}
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
				continue // tests, bench, compliance, drift, preview: any floor below cmd
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
