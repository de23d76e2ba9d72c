package compliance_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
)

// TestAssess_SovereigntyJudgesTheBillOfMaterials: an endpoint outside the
// rule fails the sovereignty item; under a typed exception it is exempt
// with its control and justification in the report; without a rule the
// endpoints are listed and the item is not deployed.
func TestAssess_SovereigntyJudgesTheBillOfMaterials(t *testing.T) {
	with := func(entries ...any) apitype.DeploymentV3 {
		dep := renderedDeployment(t, "Pulumi.local.yaml")
		find(t, &dep, "rampart-test").Outputs["sovereignty"] = entries
		return dep
	}
	entry := func(ruled, allowed, excepted bool) map[string]any {
		m := map[string]any{"key": `rampart:images.overrides["envoyproxy/gateway"]`, "endpoint": "registry.example.cn/envoyproxy/gateway@sha256:ab",
			"role": "image", "host": "registry.example.cn", "operator": "unknown", "jurisdiction": "unknown", "source": "unknown",
			"ruled": ruled, "allowed": allowed, "excepted": excepted}
		if ruled {
			m["rule"] = "[GB]"
		}
		if excepted {
			m["justification"], m["control"] = "vendor-rebuilt gateway until mirrored", "NIS2 Art. 21(2)(d)"
		}
		return m
	}
	if r := verdictOf(t, compliance.Assess("test", with(entry(true, false, false)), now), "sovereignty"); r.Verdict != compliance.Fail {
		t.Errorf("outside the rule: %s, want fail", r.Verdict)
	}
	a := compliance.Assess("test", with(entry(true, false, true)), now)
	if r := verdictOf(t, a, "sovereignty"); r.Verdict != compliance.Exempt {
		t.Errorf("excepted: %s, want exempt", r.Verdict)
	}
	if md := rendered(t, a); !strings.Contains(md, "registry.example.cn") || !strings.Contains(md, "exempt under NIS2 Art. 21(2)(d)") {
		t.Errorf("report does not show the exception:\n%s", md)
	}
	if r := verdictOf(t, compliance.Assess("test", with(entry(false, false, false)), now), "sovereignty"); r.Verdict != compliance.NotDeployed || len(r.Evidence) != 1 {
		t.Errorf("no rule: %s with %d evidence, want not deployed listing the endpoint", r.Verdict, len(r.Evidence))
	}
}
