// Package drift detects out-of-band changes to a stack's resources and
// restores them. Detect refreshes the stack (the live cluster read back into
// state), previews the program against it, and reports every resource the
// next `pulumi up` would change, with the properties that differ.
//
// It also closes a gap of the kubernetes provider: on refresh it prunes the
// live object to the shape of the declared inputs, cutting every array to the
// declared length (pruneSlice in pulumi-kubernetes' provider/util.go), so an
// egress or ingress rule appended out of band is invisible to preview and up.
// Detect compares the refreshed live outputs with the inputs itself and
// reports such resources as hidden drift; Remediate replaces them, since an
// up would not touch them. `rampart drift` and the e2e tier use it.
package drift

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/inventory"
	"github.com/rampart-dev/rampart/preview"
)

// Change is one drifted resource.
type Change struct {
	// URN of the resource.
	URN string `json:"urn"`
	// Name is the logical name (last URN segment).
	Name string `json:"name"`
	// Type token.
	Type string `json:"type"`
	// Op is what `pulumi up` would do to restore it: create (deleted out of
	// band), update, replace, delete.
	Op string `json:"op"`
	// Properties that differ, as property paths.
	Properties []string `json:"properties,omitempty"`
	// Hidden is true for drift the provider's diff cannot see (extra array
	// elements on the live object); Remediate replaces these resources.
	Hidden bool `json:"hidden,omitempty"`
}

// Report is the result of one drift check.
type Report struct {
	Stack   string   `json:"stack"`
	Drifted bool     `json:"drifted"`
	Changes []Change `json:"changes"`
	// Inventoried is true when the live cluster was listed (AddLive);
	// Additions are then the unmanaged objects it found.
	Inventoried bool       `json:"inventoried"`
	Additions   []Addition `json:"additions"`
	// live are the inventory objects behind Additions, in the same order.
	live []inventory.Object
	// dep is the refreshed state Detect read (Deployment).
	dep apitype.DeploymentV3
}

// Deployment is the refreshed state Detect compared: the live inventory
// reads the managed namespaces from it without a second export.
func (r *Report) Deployment() apitype.DeploymentV3 { return r.dep }

// Detect refreshes stk, previews it and compares live outputs with inputs,
// and collects the drifted resources.
func Detect(ctx context.Context, stk auto.Stack, opts ...optpreview.Option) (*Report, error) {
	if _, err := stk.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("drift: refresh of %s: %w", stk.Name(), err)
	}
	plan, err := preview.Run(ctx, stk, opts...)
	if err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	var changes []Change
	seen := map[string]bool{}
	for _, s := range plan.Steps {
		if strings.HasPrefix(s.Type, "pulumi:providers:") {
			continue
		}
		changes = append(changes, Change{URN: s.URN, Name: s.Name, Type: s.Type, Op: s.Op, Properties: s.Diffs})
		seen[s.URN] = true
	}
	dep, err := compliance.ExportDeployment(ctx, stk)
	if err != nil {
		return nil, fmt.Errorf("drift: %w", err)
	}
	for _, h := range hiddenDrift(dep) {
		if !seen[h.URN] {
			changes = append(changes, h)
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].URN < changes[j].URN })
	return &Report{Stack: stk.Name(), Drifted: len(changes) > 0, Changes: changes, Additions: []Addition{}, dep: dep}, nil
}

// Find returns the change whose logical name is name.
func (r *Report) Find(name string) (Change, bool) {
	for _, c := range r.Changes {
		if c.Name == name {
			return c, true
		}
	}
	return Change{}, false
}

// JSON writes the report as indented JSON.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Markdown writes the report for a PR comment or an issue.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Drift on stack `%s`\n\n", r.Stack)
	switch {
	case !r.Drifted && r.Inventoried:
		b.WriteString("No drift: the live resources match the program, and the managed namespaces hold no unmanaged object.\n")
	case !r.Drifted:
		b.WriteString("No drift: the live resources match the program (the live cluster was not listed for unmanaged objects).\n")
	case len(r.Changes) > 0:
		b.WriteString("### Declared resources that changed\n\n| resource | type | `pulumi up` would | properties |\n|---|---|---|---|\n")
		for _, c := range r.Changes {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.Name, c.Type, c.Op, strings.Join(c.Properties, ", "))
		}
	}
	if len(r.Additions) > 0 {
		if len(r.Changes) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("### Unmanaged objects (created out of band; `--fix` keeps them, `--prune` deletes them)\n\n" +
			"| object | earliest field manager, creation | can weaken |\n|---|---|---|\n")
		for _, a := range r.Additions {
			obj := a.Object
			if a.Dependents > 0 {
				obj += fmt.Sprintf(" (+%d owned)", a.Dependents)
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCell(obj), mdCell(a.Creator), mdCell(a.Why))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCell escapes a table cell. Its text can come from whoever wrote an
// object out of band (a field manager is any string a client sends), and
// the report lands in a GitHub issue: Markdown and HTML are escaped, so
// no link, image, mention or tag renders, and pipes and line breaks
// cannot break the row.
func mdCell(s string) string {
	return strings.NewReplacer("\\", "\\\\", "|", "\\|", "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "&", "&amp;",
		"[", "\\[", "]", "\\]", "@", "@\u200b", "`", "\\`").Replace(s)
}
