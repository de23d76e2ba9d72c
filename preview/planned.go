package preview

import (
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// stackType is the type of the stack resource, whose outputs are the
// stack's outputs (the compliance evaluators read several).
const stackType = "pulumi:pulumi:Stack"

// Planned is the state the plan leaves: dep, the stack's current deployment
// (`pulumi stack export`), with every step of the preview applied.
//
//   - create, update, replace (and import): the resource's new state. Its
//     outputs are the preview's where the engine reports them (the output
//     event after the step, or the step's own new state) and the new inputs
//     otherwise, so an evaluator reads the declared value, as it reads the
//     inputs of a resource without outputs.
//   - delete: the resource is removed. The halves of a replacement
//     (delete-replaced, discard-replaced) are not removed: the replacement takes
//     the old one's place under the same URN.
//   - same, read, refresh: the current state stays.
//
// The stack resource's outputs take the preview's known values; one the
// preview only knows after apply keeps its current value.
//
// A value only known after apply stays the engine's unknown marker: an
// evaluator reading it sees a string that is no valid setting, so a control
// that depends on it may read fail until the value is known.
func (p *Plan) Planned(dep apitype.DeploymentV3) apitype.DeploymentV3 {
	return Planned(dep, p.events)
}

// Planned is Plan.Planned on a preview's engine events. It is pure, so
// tests feed it synthetic events.
func Planned(dep apitype.DeploymentV3, evs []events.EngineEvent) apitype.DeploymentV3 {
	outs := map[string]map[string]any{}
	for _, ev := range evs {
		if o := ev.ResOutputsEvent; o != nil && o.Metadata.New != nil && len(o.Metadata.New.Outputs) > 0 {
			outs[o.Metadata.URN] = o.Metadata.New.Outputs
		}
	}
	out := dep
	out.Resources = append([]apitype.ResourceV3(nil), dep.Resources...)
	// at finds the live (not pending-delete) entry of a URN.
	at := func(urn string) int {
		for i, r := range out.Resources {
			if string(r.URN) == urn && !r.Delete {
				return i
			}
		}
		return -1
	}
	for _, ev := range evs {
		if ev.ResourcePreEvent == nil {
			continue
		}
		md := ev.ResourcePreEvent.Metadata
		switch md.Op {
		case apitype.OpCreate, apitype.OpUpdate, apitype.OpReplace, apitype.OpCreateReplacement,
			apitype.OpImport, apitype.OpImportReplacement:
			if md.New == nil {
				continue
			}
			r := apitype.ResourceV3{
				URN: resource.URN(md.URN), Type: tokens.Type(md.Type), Custom: md.New.Custom,
				Parent: resource.URN(md.New.Parent), Provider: md.New.Provider,
				Inputs: md.New.Inputs, Outputs: plannedOutputs(md.New, outs[md.URN]),
			}
			if i := at(md.URN); i >= 0 {
				r.ID = out.Resources[i].ID
				out.Resources[i] = r
			} else {
				out.Resources = append(out.Resources, r)
			}
		case apitype.OpDelete, apitype.OpReadDiscard:
			if i := at(md.URN); i >= 0 {
				out.Resources = append(out.Resources[:i:i], out.Resources[i+1:]...)
			}
		}
	}
	for i, r := range out.Resources {
		if string(r.Type) != stackType || r.Delete {
			continue
		}
		if o, ok := outs[string(r.URN)]; ok {
			merged := map[string]any{}
			for k, v := range r.Outputs {
				merged[k] = v
			}
			for k, v := range o {
				if !unknown(v) {
					merged[k] = v
				}
			}
			out.Resources[i].Outputs = merged
		}
	}
	return out
}

// plannedOutputs are a step's planned outputs: the output event's, else
// the step's new state's, else nil (the evaluators then read the inputs).
func plannedOutputs(st *apitype.StepEventStateMetadata, fromEvent map[string]any) map[string]any {
	switch {
	case len(fromEvent) > 0:
		return fromEvent
	case len(st.Outputs) > 0:
		return st.Outputs
	}
	return nil
}

// unknown reports a value the engine only knows after apply, at any depth.
func unknown(v any) bool {
	switch t := v.(type) {
	case string:
		return sig.IsUnknown(t)
	case map[string]any:
		for _, e := range t {
			if unknown(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if unknown(e) {
				return true
			}
		}
	}
	return false
}
