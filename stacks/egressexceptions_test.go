package stacks_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
)

// TestEgressExceptions_ProdListsTargetsAndInfrastructure: the prod stack's
// egressExceptions output (what the compliance report exempts an ipBlock
// inside the SSRF blocklist by) carries the allowedTargets entry with its
// written justification, NodeLocal DNS and the API server, each with its
// config key; no metadata address is among them.
func TestEgressExceptions_ProdListsTargetsAndInfrastructure(t *testing.T) {
	_, cfg := testkit.RunStackFile(t, "..", "Pulumi.prod.yaml")
	got := map[string]stacks.EgressException{}
	for _, e := range stacks.EgressExceptions(cfg) {
		if strings.TrimSpace(e.Justification) == "" || e.Source == "" {
			t.Errorf("%+v: no justification or source", e)
		}
		got[e.CIDR] = e
	}
	if e := got["10.40.12.0/24"]; !strings.Contains(e.Justification, "Core banking") || !strings.Contains(e.Source, "allowedTargets") {
		t.Errorf("allowed target 10.40.12.0/24 = %+v, want its justification", e)
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
