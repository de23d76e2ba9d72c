package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/rampart-dev/rampart/helpers/sovereignty"
)

// sovereigntyKey is the stack config key of the jurisdiction rule.
const sovereigntyKey = "rampart:sovereignty"

// pulumiCloud is the backend of a `pulumi login` without a URL.
const pulumiCloud = "https://api.pulumi.com"

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
	switch {
	case err != nil && strings.Contains(err.Error(), "not found"):
		return nil // no rule
	case err != nil:
		return fmt.Errorf("state backend: read %s: %w", sovereigntyKey, err)
	}
	var p sovereignty.Policy
	if json.Unmarshal([]byte(v.Value), &p) != nil || !p.Enabled() {
		return nil // a bad value is the program's to report at its key, before anything is written
	}
	u, err := backendURL(ctx, stk)
	if err != nil {
		return fmt.Errorf("state backend: %w", err)
	}
	return judgeBackend(p, u)
}

// backendURL is the backend the pulumi CLI uses for stk, found as the CLI
// finds it: PULUMI_BACKEND_URL (the workspace's, then the process's), the
// project's backend.url, the stored login's current backend, Pulumi Cloud.
// (`pulumi whoami` does not answer this: for Pulumi Cloud it gives the
// console's address, not the API the state goes to.)
func backendURL(ctx context.Context, stk auto.Stack) (string, error) {
	if u := stk.Workspace().GetEnvVars()["PULUMI_BACKEND_URL"]; u != "" {
		return u, nil
	}
	if u := os.Getenv("PULUMI_BACKEND_URL"); u != "" {
		return u, nil
	}
	if proj, err := stk.Workspace().ProjectSettings(ctx); err == nil && proj.Backend != nil && proj.Backend.URL != "" {
		return proj.Backend.URL, nil
	}
	creds, err := workspace.GetStoredCredentials()
	if err != nil {
		return "", fmt.Errorf("read pulumi's stored login: %w", err)
	}
	if creds.Current != "" {
		return creds.Current, nil
	}
	return pulumiCloud, nil
}

// judgeBackend is backendGate's verdict on the backend at url under p. A
// backend whose host cannot be read is refused, never skipped.
func judgeBackend(p sovereignty.Policy, url string) error {
	d, ok := sovereignty.Backend(url)
	if !ok {
		return nil
	}
	if sovereignty.Host(d.Endpoint) == "" {
		return fmt.Errorf("%s: %q: no host can be read from the state backend's URL, so it cannot be judged by %s — write the backend's endpoint as host[:port]",
			sovereignty.BackendKey, d.Endpoint, p.Rule(sovereigntyKey))
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
