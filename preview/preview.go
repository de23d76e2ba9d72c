// Package preview renders a stack's preview as a pull-request comment:
// every change grouped by the Rampart component that owns it, with the
// checklist items (and so the framework controls) that component implements,
// so a reviewer sees which control a diff touches. Each changed resource's
// properties fold into a <details> block as old → new (secrets as
// "[secret]"), and the replacements, deletions and in-place weakenings of
// objects that enforce a control are listed first, with why. `rampart
// preview --markdown` uses it; drift uses Run.
package preview

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
)

// componentItems maps a component type to the checklist items it implements
// (compliance.Checklist ids). The type tokens are the components'
// TypeToken constants, spelled out: the preview package reads plans and
// must not pull in the components. A resource groups under the innermost
// of these in its URN's parent chain, at any depth (owner).
var componentItems = map[string][]string{
	"rampart:namespace:Namespace": {"pss-restricted"},
	"rampart:netpol:Policies":     {"netpol", "ssrf-blocklist"},
	"rampart:openbao:OpenBao":     {"secrets-vault"},
	"rampart:pki:PKI":             {"secrets-vault", "tls-ingress"},
	// The transit key and policy of the API server's KMS plugin.
	"rampart:kms:SecretsEncryption": {"secrets-kms"},
	"rampart:keycloak:Realm":        {"keycloak-bruteforce", "token-lifespans", "rbac-no-default-admin"},
	// The gateway's listeners, TLS floor (ClientTrafficPolicy) and
	// response headers.
	"rampart:ingress:Ingress": {"tls-ingress", "security-headers"},
	// The ClusterIssuers whose CA the tls-ingress item judges.
	"rampart:certmanager:CertManager": {"tls-ingress"},
	// The WORM bucket, Loki and the agent shipping the API-server log.
	auditTypeToken:        {"audit-trail"},
	"rampart:audit:Agent": {"audit-trail"},
	// Falco (alerting) and the scanners.
	"rampart:runtime:Runtime": {"alerting", "image-scanning"},
	// The per-tenant roles and bindings.
	"rampart:rbac:RBAC": {"rbac-bindings"},
	// The checkers' own least-privilege roles and the verifier's
	// admission policy (rbac-no-default-admin judges them).
	"rampart:auditor:Checkers": {"rbac-no-default-admin"},
}

// Step is one planned change.
type Step struct {
	URN       string
	Op        string
	Type      string
	Name      string
	Component string // owning Rampart component type, "" for none
	// Diffs are the changed property paths (drift reports them).
	Diffs []string
	// Changes are the same properties with their old and new values,
	// secrets shown as SecretText. Empty for a create or a delete.
	Changes []Change
	// Security says why a reviewer must look at this step first (a
	// control's object is replaced or deleted, or weakened in place); ""
	// for an ordinary change.
	Security string
}

// Plan is a preview's steps.
type Plan struct {
	Stack string
	Steps []Step
	// Impact is what the plan does to the checklist's controls (Assess);
	// nil until assessed, and then Markdown puts it at the top.
	Impact *Impact `json:",omitempty"`
	// Warnings are the warnings the program logged at stack level (an
	// exemption ending within two weeks), without colour codes. Run starts
	// the CLI without progress output, so the comment is the only place
	// they can reach the reviewer. A provider's or a resource's warnings
	// are left out: their text is not Rampart's (an admission webhook's
	// warning is anyone's text, and the engine masks only secret config,
	// not secrets made at run time).
	Warnings []string `json:",omitempty"`
	// events are the preview's step and output events, from which
	// Planned builds the state the plan leaves.
	events []events.EngineEvent
}

// Run previews stk and collects every step that changes something (the
// stack itself and unchanged or read resources are left out) and the
// warnings the preview logged. drift uses it on a refreshed stack.
func Run(ctx context.Context, stk auto.Stack, opts ...optpreview.Option) (*Plan, error) {
	ch := make(chan events.EngineEvent)
	done := make(chan *Plan)
	go func() {
		p := &Plan{}
		for ev := range ch {
			if ev.ResourcePreEvent != nil || ev.ResOutputsEvent != nil {
				p.events = append(p.events, ev)
			}
			if d := ev.DiagnosticEvent; d != nil && d.Severity == "warning" && programLevel(d.URN) {
				p.Warnings = append(p.Warnings, strings.TrimSpace(colors.Never.Colorize(d.Message)))
			}
		}
		done <- p
	}()
	_, err := stk.Preview(ctx, append([]optpreview.Option{optpreview.Diff(), optpreview.EventStreams(ch)}, opts...)...)
	if err != nil {
		// The SDK closes ch only once the CLI has opened its event log; a
		// CLI that fails before that (a wrong passphrase, a missing plugin)
		// never closes it, so do not wait for the collector.
		return nil, fmt.Errorf("preview %s: %w", stk.Name(), err)
	}
	p := <-done
	p.Stack, p.Steps = stk.Name(), Steps(p.events)
	return p, nil
}

// PlanOf is the plan of a preview's engine events (as Run collects them:
// resource pre-events and output events), for tests that feed synthetic
// events.
func PlanOf(stack string, evs []events.EngineEvent) *Plan {
	return &Plan{Stack: stack, Steps: Steps(evs), events: evs}
}

// Steps turns a preview's engine events into its steps, sorted by name:
// one per resource pre-event that changes something. A replacement's
// create-replacement and delete-replaced halves fold into its replace step.
// It is pure, so tests feed it synthetic events.
func Steps(evs []events.EngineEvent) []Step {
	var steps []Step
	replaced := map[string]bool{}
	for _, ev := range evs {
		if ev.ResourcePreEvent == nil {
			continue
		}
		if s, ok := StepFromEvent(ev.ResourcePreEvent.Metadata); ok {
			steps = append(steps, s)
			if s.Op == string(apitype.OpReplace) {
				replaced[s.URN] = true
			}
		}
	}
	kept := steps[:0]
	for _, s := range steps {
		if replaced[s.URN] && (s.Op == string(apitype.OpCreateReplacement) || s.Op == string(apitype.OpDeleteReplaced)) {
			continue
		}
		kept = append(kept, s)
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Name < kept[j].Name })
	return kept
}

// StepFromEvent converts one step event; ok is false for a step that
// changes nothing (same, read, refresh) and for the stack resource.
func StepFromEvent(md apitype.StepEventMetadata) (s Step, ok bool) {
	if md.Op == apitype.OpSame || md.Op == apitype.OpRead || md.Op == apitype.OpRefresh || md.Type == "pulumi:pulumi:Stack" {
		return Step{}, false
	}
	s = Step{URN: md.URN, Op: string(md.Op), Type: md.Type, Name: md.URN[strings.LastIndex(md.URN, "::")+2:], Component: owner(md.URN, md.Type)}
	for p := range md.DetailedDiff {
		s.Diffs = append(s.Diffs, p)
	}
	if len(s.Diffs) == 0 {
		s.Diffs = append(s.Diffs, md.Diffs...)
	}
	sort.Strings(s.Diffs)
	if md.Op != apitype.OpCreate && md.Op != apitype.OpDelete {
		s.Changes = changes(md)
	}
	s.Security = security(&s)
	return s, true
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

// programLevel reports a diagnostic of the program itself: no resource, or
// the stack's root resource.
func programLevel(urn string) bool {
	return urn == "" || strings.Contains(urn, "::pulumi:pulumi:Stack::")
}
