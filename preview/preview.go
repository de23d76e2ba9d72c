// Package preview renders a stack's preview as a pull-request comment:
// every change grouped by the Rampart component that owns it, with the
// checklist items (and so the framework controls) that component implements,
// so a reviewer sees which control a diff touches. `rampart preview
// --markdown` uses it.
package preview

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
)

// componentItems maps a component type to the checklist items it implements.
var componentItems = map[string][]string{
	"rampart:namespace:Namespace": {"pss-restricted"},
	"rampart:netpol:Policies":     {"netpol", "ssrf-blocklist"},
	"rampart:openbao:OpenBao":     {"secrets-vault"},
	"rampart:pki:PKI":             {"secrets-vault", "tls-ingress"},
	"rampart:keycloak:Realm":      {"keycloak-bruteforce", "token-lifespans", "rbac-no-default-admin"},
}

// Step is one planned change.
type Step struct {
	URN       string
	Op        string
	Type      string
	Name      string
	Component string // owning Rampart component type, "" for none
	Diffs     []string
}

// Plan is a preview's steps.
type Plan struct {
	Stack string
	Steps []Step
}

// Run previews stk and collects every step that changes something (the
// stack itself and unchanged or read resources are left out). drift uses
// it on a refreshed stack.
func Run(ctx context.Context, stk auto.Stack, opts ...optpreview.Option) (*Plan, error) {
	ch := make(chan events.EngineEvent)
	done := make(chan []Step)
	go func() {
		var steps []Step
		for ev := range ch {
			if ev.ResourcePreEvent == nil {
				continue
			}
			md := ev.ResourcePreEvent.Metadata
			if md.Op == apitype.OpSame || md.Op == apitype.OpRead || md.Op == apitype.OpRefresh || md.Type == "pulumi:pulumi:Stack" {
				continue
			}
			s := Step{URN: md.URN, Op: string(md.Op), Type: md.Type, Name: md.URN[strings.LastIndex(md.URN, "::")+2:], Component: owner(md.URN, md.Type)}
			for p := range md.DetailedDiff {
				s.Diffs = append(s.Diffs, p)
			}
			if len(s.Diffs) == 0 {
				s.Diffs = append(s.Diffs, md.Diffs...)
			}
			sort.Strings(s.Diffs)
			steps = append(steps, s)
		}
		done <- steps
	}()
	_, err := stk.Preview(ctx, append([]optpreview.Option{optpreview.Diff(), optpreview.EventStreams(ch)}, opts...)...)
	if err != nil {
		// The SDK closes ch only once the CLI has opened its event log; a
		// CLI that fails before that (a wrong passphrase, a missing plugin)
		// never closes it, so do not wait for the collector.
		return nil, fmt.Errorf("preview %s: %w", stk.Name(), err)
	}
	steps := <-done
	sort.Slice(steps, func(i, j int) bool { return steps[i].Name < steps[j].Name })
	return &Plan{Stack: stk.Name(), Steps: steps}, nil
}

// owner is the innermost Rampart component in the URN's type chain.
func owner(urn, typ string) string {
	if _, ok := componentItems[typ]; ok {
		return typ
	}
	parts := strings.Split(urn, "::")
	if len(parts) < 3 {
		return ""
	}
	chain := strings.Split(parts[2], "$")
	for i := len(chain) - 1; i >= 0; i-- {
		if _, ok := componentItems[chain[i]]; ok {
			return chain[i]
		}
	}
	return ""
}

// Markdown writes the plan grouped by component, with the controls each
// group implements.
func (p *Plan) Markdown(w io.Writer) error {
	items := map[string]compliance.Item{}
	for _, it := range compliance.Checklist() {
		items[it.ID] = it
	}
	groups := map[string][]Step{}
	counts := map[string]int{}
	for _, s := range p.Steps {
		groups[s.Component] = append(groups[s.Component], s)
		counts[s.Op]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Rampart preview of `%s`\n\n", p.Stack)
	if len(p.Steps) == 0 {
		b.WriteString("No changes.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	var ops []string
	for op, n := range counts {
		ops = append(ops, fmt.Sprintf("%d to %s", n, op))
	}
	sort.Strings(ops)
	b.WriteString(strings.Join(ops, ", ") + "\n")
	comps := make([]string, 0, len(groups))
	for c := range groups {
		comps = append(comps, c)
	}
	sort.Strings(comps)
	for _, c := range comps {
		title := c
		if c == "" {
			title = "outside any Rampart component"
		}
		fmt.Fprintf(&b, "\n### %s\n", title)
		for _, id := range componentItems[c] {
			it := items[id]
			var ctl []string
			for _, f := range compliance.Frameworks {
				ctl = append(ctl, f+" "+strings.Join(it.Controls[f], ", "))
			}
			fmt.Fprintf(&b, "Controls: %s — %s\n", it.Title, strings.Join(ctl, "; "))
		}
		b.WriteString("\n| op | resource | type | changed |\n|---|---|---|---|\n")
		for _, s := range groups[c] {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.Op, s.Name, s.Type, strings.Join(s.Diffs, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
