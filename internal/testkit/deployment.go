package testkit

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/stacks"
)

// StackURN is the stack's URN in a Deployment.
const StackURN = "urn:pulumi:test::rampart::pulumi:pulumi:Stack::rampart-test"

// Deployment turns what the program registered under the recording mock
// (rec, for cfg) into the deployment `pulumi stack export` would hold after
// an up: URNs qualified by their parents (URNOf), each resource's inputs
// and outputs as values converts them (recmock.Plain unwraps secrets;
// compliance's tests keep them as an export's signature maps), and the
// stack outputs the evaluators read, which the mock does not record.
func Deployment(rec *recmock.Recorder, cfg *config.Config, values func(resource.PropertyMap) map[string]any) apitype.DeploymentV3 {
	var exemptions []any
	for _, e := range cfg.Exemptions() {
		exemptions = append(exemptions, map[string]any{"namespace": e.Namespace, "level": e.Level,
			"justification": e.Justification, "control": e.Control})
	}
	var egress []any
	for _, e := range stacks.EgressExceptions(cfg) {
		egress = append(egress, map[string]any{"cidr": e.CIDR, "justification": e.Justification, "source": e.Source})
	}
	public := []any{}
	if g := cfg.Gateway; g != nil && g.PublicEgress != nil {
		var ports []any
		for _, p := range g.PublicEgress.Ports {
			ports = append(ports, float64(p))
		}
		public = append(public, map[string]any{"source": "rampart:gateway.publicEgress", "ports": ports, "justification": g.PublicEgress.Justification})
	}
	outputs := map[string]any{"profile": string(cfg.Profile), "exemptions": exemptions, "egressExceptions": egress, stacks.PublicEgressOutput: public}
	if cfg.Ingress.Enabled {
		outputs["ingressTLSFloor"] = stacks.IngressTLSFloor(cfg)
	}
	dep := apitype.DeploymentV3{Resources: []apitype.ResourceV3{{
		URN: resource.URN(StackURN), Type: "pulumi:pulumi:Stack", Outputs: outputs,
	}}}
	for _, r := range rec.All() {
		dep.Resources = append(dep.Resources, apitype.ResourceV3{
			URN: resource.URN(URNOf(r)), Type: tokens.Type(r.Type), Custom: r.Custom,
			Parent: resource.URN(r.Parent), Inputs: values(r.Inputs), Outputs: values(r.Outputs),
		})
	}
	return dep
}

// URNOf is the URN the engine gives r: its type qualified by its parent's.
func URNOf(r recmock.Resource) string {
	typ := r.Type
	if parts := strings.Split(r.Parent, "::"); len(parts) >= 4 && parts[2] != "pulumi:pulumi:Stack" {
		typ = parts[2] + "$" + typ
	}
	return "urn:pulumi:test::rampart::" + typ + "::" + r.Name
}
