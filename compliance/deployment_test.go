package compliance_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/rampart-dev/rampart/internal/testkit"
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
	return testkit.Deployment(rec, cfg, plain)
}

// renderedWith is renderedDeployment with config sections added or replaced
// (objects as JSON, as the engine hands them over) and secret keys set.
func renderedWith(t testing.TB, file string, sections map[string]any, secrets map[string]string) apitype.DeploymentV3 {
	t.Helper()
	rec, cfg := testkit.RunStackFileWith(t, "..", file, sections, secrets)
	return testkit.Deployment(rec, cfg, plain)
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
