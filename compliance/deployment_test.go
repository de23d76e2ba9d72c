package compliance_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
)

// Pulumi's secret signature, as a state export writes it.
const (
	sigKey    = "4dabf18193072939515e22adb298388d"
	secretSig = "1b47061264138c4ac30d75fd1eb44270"
)

// renderedDeployment runs the real program with a committed stack file under
// the recording mock and turns what it registered into the deployment a
// `pulumi stack export --show-secrets` would hold: URNs qualified by their
// parents, secrets as signature maps carrying their plaintext (so a test can
// prove the report never opens them), and the stack outputs the report
// reads (profile, exemptions, egressExceptions, publicEgress,
// ingressTLSFloor), which the
// mock does not record.
func renderedDeployment(t *testing.T, file string) apitype.DeploymentV3 {
	t.Helper()
	rec, cfg := testkit.RunStackFile(t, "..", file)
	return deploymentOf(rec, cfg)
}

// renderedWith is renderedDeployment with config sections added or replaced
// (objects as JSON, as the engine hands them over) and secret keys set.
func renderedWith(t testing.TB, file string, sections map[string]any, secrets map[string]string) apitype.DeploymentV3 {
	t.Helper()
	rec, cfg := testkit.RunStackFileWith(t, "..", file, sections, secrets)
	return deploymentOf(rec, cfg)
}

func deploymentOf(rec *recmock.Recorder, cfg *config.Config) apitype.DeploymentV3 {
	const stackURN = "urn:pulumi:test::rampart::pulumi:pulumi:Stack::rampart-test"
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
		URN: resource.URN(stackURN), Type: "pulumi:pulumi:Stack", Outputs: outputs,
	}}}
	for _, r := range rec.All() {
		dep.Resources = append(dep.Resources, apitype.ResourceV3{
			URN: resource.URN(urnOf(r)), Type: tokens.Type(r.Type), Custom: r.Custom,
			Parent: resource.URN(r.Parent), Inputs: plain(r.Inputs), Outputs: plain(r.Outputs),
		})
	}
	return dep
}

// urnOf is the URN the engine gives r: its type qualified by its parents'.
func urnOf(r recmock.Resource) string {
	typ := r.Type
	if parts := strings.Split(r.Parent, "::"); len(parts) >= 4 && parts[2] != "pulumi:pulumi:Stack" {
		typ = parts[2] + "$" + typ
	}
	return "urn:pulumi:test::rampart::" + typ + "::" + r.Name
}

func plain(pm resource.PropertyMap) map[string]any {
	out := map[string]any{}
	for k, v := range pm {
		if x, ok := value(v); ok {
			out[string(k)] = x
		}
	}
	return out
}

func value(v resource.PropertyValue) (any, bool) {
	switch {
	case v.IsSecret():
		inner, _ := value(v.SecretValue().Element)
		return map[string]any{sigKey: secretSig, "plaintext": inner}, true
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return nil, false
		}
		if o.Secret {
			inner, _ := value(o.Element)
			return map[string]any{sigKey: secretSig, "plaintext": inner}, true
		}
		return value(o.Element)
	case v.IsComputed():
		return nil, false
	case v.IsObject():
		return plain(v.ObjectValue()), true
	case v.IsArray():
		var out []any
		for _, e := range v.ArrayValue() {
			if x, ok := value(e); ok {
				out = append(out, x)
			}
		}
		return out, true
	case v.IsString():
		return v.StringValue(), true
	case v.IsNumber():
		return v.NumberValue(), true
	case v.IsBool():
		return v.BoolValue(), true
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN), true
	}
	return nil, false
}

// find returns the resource whose URN ends with "::"+name.
func find(t *testing.T, dep *apitype.DeploymentV3, name string) *apitype.ResourceV3 {
	t.Helper()
	for i := range dep.Resources {
		if strings.HasSuffix(string(dep.Resources[i].URN), "::"+name) {
			return &dep.Resources[i]
		}
	}
	t.Fatalf("no resource %s in the deployment", name)
	return nil
}

// without returns dep without the resource named name.
func without(t *testing.T, dep apitype.DeploymentV3, name string) apitype.DeploymentV3 {
	t.Helper()
	find(t, &dep, name)
	var out apitype.DeploymentV3
	for _, r := range dep.Resources {
		if !strings.HasSuffix(string(r.URN), "::"+name) {
			out.Resources = append(out.Resources, r)
		}
	}
	return out
}

// at follows a path of keys and list indexes (ints) through a state value.
func at(t *testing.T, m map[string]any, path ...any) any {
	t.Helper()
	var cur any = m
	for _, p := range path {
		switch k := p.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
		if cur == nil {
			t.Fatalf("nothing at %v", path)
		}
	}
	return cur
}
