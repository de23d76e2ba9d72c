package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/rampart-dev/rampart/helpers/sovereignty"
)

// sovereigntyKey is the stack config key of the jurisdiction rule.
const sovereigntyKey = "rampart:sovereignty"

// backendGate judges the stack's state backend by the stack's
// rampart:sovereignty rule before anything runs. The state holds every
// resource's inputs and outputs, so it is an endpoint of the stack like its
// images; but `pulumi login` chooses it, not the config, so the program
// cannot see it and this CLI judges it. No rule, or state on this machine:
// nothing to judge. A backend outside the rule has no exception (an
// exception names a config dependency): keep the state in an allowed
// jurisdiction, or declare the backend's operator in
// rampart:sovereignty.endpoints when the table does not know it.
func backendGate(ctx context.Context, stk auto.Stack) error {
	v, err := stk.GetConfig(ctx, sovereigntyKey)
	if err != nil || v.Value == "" {
		return nil // no rule; a bad value is the program's to report at its key
	}
	var p sovereignty.Policy
	if json.Unmarshal([]byte(v.Value), &p) != nil || !p.Enabled() {
		return nil
	}
	who, err := stk.Workspace().WhoAmIDetails(ctx)
	if err != nil {
		return fmt.Errorf("state backend: pulumi whoami: %w", err)
	}
	return judgeBackend(p, who.URL)
}

// judgeBackend is backendGate's verdict on the backend at url under p.
func judgeBackend(p sovereignty.Policy, url string) error {
	d, ok := sovereignty.Backend(url)
	if !ok {
		return nil
	}
	for _, f := range p.Assess([]sovereignty.Dependency{d}) {
		if f.Allowed {
			continue
		}
		return fmt.Errorf("%s: %q: the state backend's host %s is run by %s, jurisdiction %s (%s): %s — keep the state in a backend in an allowed jurisdiction (pulumi login), or declare its operator in %s.endpoints",
			f.Key, f.Endpoint, f.Host, f.Operator, f.Jurisdiction, f.Source, p.Rule(sovereigntyKey), sovereigntyKey)
	}
	return nil
}
