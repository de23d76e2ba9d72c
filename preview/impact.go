package preview

import (
	"context"
	"sort"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/rampart-dev/rampart/compliance"
)

// Impact is what a plan does to the checklist: the stack's current state
// and the state the plan leaves (Plan.Planned) assessed alike
// (compliance.Assess, state only), and the framework controls and
// checklist items whose verdict differs between the two, each with the
// steps that cause it.
type Impact struct {
	// Before and After are the two assessments.
	Before *compliance.Assessment `json:"-"`
	After  *compliance.Assessment `json:"-"`
	// Controls are the framework controls that flip, in the report's
	// framework order (compliance.Frameworks), then by control.
	Controls []ControlFlip `json:"controls"`
	// Items are the checklist items that flip, in checklist order.
	Items []ItemFlip `json:"items"`
}

// Cause is a step of the plan that a flip stands on.
type Cause struct {
	Op   string `json:"op"`
	Name string `json:"name"`
	Type string `json:"type"`
	URN  string `json:"urn"`
}

// ItemFlip is a checklist item whose verdict the plan changes.
type ItemFlip struct {
	ID     string             `json:"id"`
	Title  string             `json:"title"`
	From   compliance.Verdict `json:"from"`
	To     compliance.Verdict `json:"to"`
	Causes []Cause            `json:"causes"`
	// Failing are the item's failing facts in the planned state (To is
	// fail), for the reviewer and for the exemption hook.
	Failing []compliance.Evidence `json:"failing,omitempty"`
}

// ControlFlip is a framework control whose rolled-up verdict the plan
// changes.
type ControlFlip struct {
	Framework string             `json:"framework"`
	Control   string             `json:"control"`
	From      compliance.Verdict `json:"from"`
	To        compliance.Verdict `json:"to"`
	// Items are the flipped items behind the control.
	Items  []string `json:"items"`
	Causes []Cause  `json:"causes"`
	// Exempted is a regression every failing fact of which an approved
	// exemption covers (Approval): it does not fail the preview.
	Exempted bool `json:"exempted,omitempty"`
}

// Regression reports a control the plan makes fail: it fails in the
// planned state and did not before (pass, partial, exempt or not deployed
// → fail). A control newly deployed failing is a regression too: the
// change brings a failing control in.
func (c ControlFlip) Regression() bool {
	return c.To == compliance.Fail && c.From != compliance.Fail
}

// Approval reports whether an approved exemption covers one failing fact of
// the planned state, for the control it fails.
//
// An exemption is typed stack config (a namespace's Pod Security
// exemption, publicEgress, a sovereignty exception, the break-glass
// binding) with its lifecycle (helpers/exemption.Approval: owner,
// approvedBy, ticket, expires). The config layer approves it before the
// plan exists: outside the local profile it needs all four, and one past
// its last day fails the preview at its key, so no plan stands on it. The
// evaluators mark the facts it covers Exempt and never count them as
// failing: a change that adds an approved exemption shows as a control
// moving to exempt (or staying pass), not as a regression.
// DefaultApproval therefore approves exactly the facts marked Exempt,
// which a failing verdict never stands on alone: a regression is never
// waved through by anything but an exemption in the config.
type Approval func(framework, control string, e compliance.Evidence) bool

// DefaultApproval approves a fact marked Exempt in the planned state.
func DefaultApproval(_, _ string, e compliance.Evidence) bool { return e.Exempt }

// Regressions are the controls the plan makes fail that no approved
// exemption covers: `rampart preview` exits 2 when there is any.
func (i *Impact) Regressions() []ControlFlip {
	if i == nil {
		return nil
	}
	var out []ControlFlip
	for _, c := range i.Controls {
		if c.Regression() && !c.Exempted {
			out = append(out, c)
		}
	}
	return out
}

// Assess exports stk's current deployment, applies the plan to it
// (Plan.Planned), assesses both and sets p.Impact (see Compare, with
// DefaultApproval). The assessment reads the state only, as `rampart
// check` does without --live: the plan says nothing about objects outside
// the stack.
func (p *Plan) Assess(ctx context.Context, stk auto.Stack) (*Impact, error) {
	dep, err := compliance.ExportDeployment(ctx, stk)
	if err != nil {
		return nil, err
	}
	p.Impact = p.Compare(dep, time.Now(), DefaultApproval)
	return p.Impact, nil
}

// Compare assesses dep (the current deployment) and the state the plan
// leaves of it, and returns the flips. approve (nil: DefaultApproval)
// decides which failing facts an exemption covers.
//
// A flip's causes are the plan's steps on the resources of the facts that
// changed between the two assessments (a deleted default-deny was the
// fact's resource before; its namespace is after); failing that, the steps
// on any resource the item's facts name; failing that, the steps under a
// Rampart component that implements the item (componentItems). A control's
// causes are those of its flipped items.
func (p *Plan) Compare(dep apitype.DeploymentV3, now time.Time, approve Approval) *Impact {
	if approve == nil {
		approve = DefaultApproval
	}
	before := compliance.Assess(p.Stack, dep, now)
	after := compliance.Assess(p.Stack, p.Planned(dep), now)
	return flips(before, after, p.Steps, approve)
}

// flips compares two assessments of the same stack.
func flips(before, after *compliance.Assessment, steps []Step, approve Approval) *Impact {
	imp := &Impact{Before: before, After: after, Controls: []ControlFlip{}, Items: []ItemFlip{}}
	items := map[string]*ItemFlip{}
	for _, ra := range after.Results {
		rb, ok := before.Result(ra.Item.ID)
		from := compliance.NotDeployed
		if ok {
			from = rb.Verdict
		}
		if from == ra.Verdict {
			continue
		}
		f := ItemFlip{ID: ra.Item.ID, Title: ra.Item.Title, From: from, To: ra.Verdict,
			Causes: causes(ra.Item.ID, rb.Evidence, ra.Evidence, steps)}
		if ra.Verdict == compliance.Fail {
			for _, e := range ra.Evidence {
				if !e.OK && !e.Exempt {
					f.Failing = append(f.Failing, e)
				}
			}
		}
		imp.Items = append(imp.Items, f)
		items[f.ID] = &imp.Items[len(imp.Items)-1]
	}
	type key struct{ framework, control string }
	was := map[key]compliance.Verdict{}
	for _, c := range before.Controls {
		was[key{c.Framework, c.Control}] = c.Verdict
	}
	for _, c := range after.Controls {
		from, ok := was[key{c.Framework, c.Control}]
		if !ok {
			from = compliance.NotDeployed
		}
		if from == c.Verdict {
			continue
		}
		cf := ControlFlip{Framework: c.Framework, Control: c.Control, From: from, To: c.Verdict, Items: []string{}, Causes: []Cause{}}
		seen := map[string]bool{}
		covered := true
		for _, id := range c.Items {
			it, ok := items[id]
			if !ok {
				continue
			}
			cf.Items = append(cf.Items, id)
			for _, cause := range it.Causes {
				if !seen[cause.URN+" "+cause.Op] {
					seen[cause.URN+" "+cause.Op] = true
					cf.Causes = append(cf.Causes, cause)
				}
			}
			for _, e := range it.Failing {
				covered = covered && approve(c.Framework, c.Control, e)
			}
		}
		cf.Exempted = cf.Regression() && covered && hasFailing(cf.Items, items)
		imp.Controls = append(imp.Controls, cf)
	}
	// A control that was deployed and is no longer (its items went) shows
	// as going to not deployed.
	now := map[key]bool{}
	for _, c := range after.Controls {
		now[key{c.Framework, c.Control}] = true
	}
	for _, c := range before.Controls {
		if !now[key{c.Framework, c.Control}] && c.Verdict != compliance.NotDeployed {
			imp.Controls = append(imp.Controls, ControlFlip{Framework: c.Framework, Control: c.Control,
				From: c.Verdict, To: compliance.NotDeployed, Items: []string{}, Causes: []Cause{}})
		}
	}
	order := map[string]int{}
	for i, f := range compliance.Frameworks {
		order[f] = i
	}
	sort.SliceStable(imp.Controls, func(i, j int) bool {
		a, b := imp.Controls[i], imp.Controls[j]
		if order[a.Framework] != order[b.Framework] {
			return order[a.Framework] < order[b.Framework]
		}
		return a.Control < b.Control
	})
	return imp
}

// hasFailing reports whether any of the flipped items ids has a failing
// fact: a control with none cannot be covered by an exemption.
func hasFailing(ids []string, items map[string]*ItemFlip) bool {
	for _, id := range ids {
		if len(items[id].Failing) > 0 {
			return true
		}
	}
	return false
}

// causes finds the steps behind an item's flip (see Compare).
func causes(id string, before, after []compliance.Evidence, steps []Step) []Cause {
	type fact struct{ urn, field string }
	state := func(ev []compliance.Evidence) map[fact]compliance.Evidence {
		m := map[fact]compliance.Evidence{}
		for _, e := range ev {
			m[fact{e.URN, e.Field + "\x00" + e.Object}] = e
		}
		return m
	}
	b, a := state(before), state(after)
	changed := map[string]bool{}
	all := map[string]bool{}
	for f, e := range b {
		all[f.urn] = true
		if x, ok := a[f]; !ok || x.OK != e.OK || x.Exempt != e.Exempt || x.Value != e.Value {
			changed[f.urn] = true
		}
	}
	for f, e := range a {
		all[f.urn] = true
		if x, ok := b[f]; !ok || x.OK != e.OK || x.Exempt != e.Exempt || x.Value != e.Value {
			changed[f.urn] = true
		}
	}
	pick := func(urns map[string]bool) []Cause {
		var out []Cause
		for _, s := range steps {
			if urns[s.URN] {
				out = append(out, causeOf(s))
			}
		}
		return out
	}
	if c := pick(changed); len(c) > 0 {
		return c
	}
	if c := pick(all); len(c) > 0 {
		return c
	}
	out := []Cause{}
	for _, s := range steps {
		for _, it := range componentItems[s.Component] {
			if it == id {
				out = append(out, causeOf(s))
				break
			}
		}
	}
	return out
}

func causeOf(s Step) Cause { return Cause{Op: s.Op, Name: s.Name, Type: s.Type, URN: s.URN} }
