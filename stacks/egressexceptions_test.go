package stacks_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
)

// TestEgressExceptions_ProdListsTargetsAndInfrastructure: the prod stack's
// egressExceptions output (what the compliance report exempts an ipBlock
// inside the SSRF blocklist by) carries the justified allowedTargets entry
// and the payments app's core banking range with their written
// justification (a public allowed target is no exception), NodeLocal DNS and the API server, each with its
// config key; no metadata address is among them.
func TestEgressExceptions_ProdListsTargetsAndInfrastructure(t *testing.T) {
	_, cfg := testkit.RunStackFile(t, "..", "Pulumi.prod.yaml")
	got := map[string]stacks.EgressException{}
	bySource := map[string]stacks.EgressException{}
	for _, e := range stacks.EgressExceptions(cfg) {
		if strings.TrimSpace(e.Justification) == "" || e.Source == "" {
			t.Errorf("%+v: no justification or source", e)
		}
		got[e.CIDR], bySource[e.Source] = e, e
	}
	for _, src := range []string{"rampart:gateway.allowedTargets[core-banking]", "rampart:tenants[0].apps[0].allow.to[1]"} {
		if e := bySource[src]; e.CIDR != "10.40.12.0/24" || !strings.Contains(e.Justification, "Core banking") {
			t.Errorf("%s = %+v, want 10.40.12.0/24 with its justification", src, e)
		}
	}
	if _, ok := got["198.51.100.0/28"]; ok {
		t.Error("the registry's public range is listed as an exception: it is no exception to the blocklist")
	}
	for _, c := range []string{"169.254.20.10/32", "10.96.0.1/32", "10.0.0.0/28"} {
		if _, ok := got[c]; !ok {
			t.Errorf("%s missing from %v", c, got)
		}
	}
	for _, c := range []string{"169.254.169.254/32", "169.254.0.0/16"} {
		if _, ok := got[c]; ok {
			t.Errorf("%s must never be an exception", c)
		}
	}
}
