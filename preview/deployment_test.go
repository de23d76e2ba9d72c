package preview_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
)

// localDeployment runs the real program with Pulumi.local.yaml under the
// recording mock and turns what it registered into the deployment `pulumi
// stack export` would hold after an up (testkit.Deployment), secrets
// unwrapped.
func localDeployment(t *testing.T) apitype.DeploymentV3 {
	t.Helper()
	rec, cfg := testkit.RunStackFile(t, "..", "Pulumi.local.yaml")
	return testkit.Deployment(rec, cfg, recmock.Plain)
}

const stackURN = testkit.StackURN

// find is the resource named name (the URN's last part).
func find(t *testing.T, dep apitype.DeploymentV3, name string) apitype.ResourceV3 {
	t.Helper()
	for _, r := range dep.Resources {
		if strings.HasSuffix(string(r.URN), "::"+name) {
			return r
		}
	}
	t.Fatalf("no resource %s in the deployment", name)
	return apitype.ResourceV3{}
}

// stepEvent is the engine's pre-event of one step on r: old is r's state,
// new (nil for a delete) its planned inputs.
func stepEvent(op apitype.OpType, r apitype.ResourceV3, newInputs map[string]any, diffs ...string) events.EngineEvent {
	st := func(in, out map[string]any) *apitype.StepEventStateMetadata {
		return &apitype.StepEventStateMetadata{Type: string(r.Type), URN: string(r.URN), Custom: r.Custom,
			Parent: string(r.Parent), Inputs: in, Outputs: out}
	}
	md := apitype.StepEventMetadata{Op: op, URN: string(r.URN), Type: string(r.Type), Diffs: diffs}
	if op != apitype.OpCreate {
		md.Old = st(r.Inputs, r.Outputs)
	}
	if op != apitype.OpDelete {
		md.New = st(newInputs, nil)
	}
	dd := map[string]apitype.PropertyDiff{}
	for _, d := range diffs {
		dd[d] = apitype.PropertyDiff{Kind: apitype.DiffUpdate}
	}
	md.DetailedDiff = dd
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: md}}}
}

// outputsEvent is the engine's output event after a step on urn.
func outputsEvent(urn, typ string, outputs map[string]any) events.EngineEvent {
	md := apitype.StepEventMetadata{Op: apitype.OpSame, URN: urn, Type: typ,
		New: &apitype.StepEventStateMetadata{URN: urn, Type: typ, Outputs: outputs}}
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: md}}}
}

// clone deep-copies a state value, so a test changes its copy only.
func clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = clone(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = clone(e)
		}
		return l
	}
	return v
}
