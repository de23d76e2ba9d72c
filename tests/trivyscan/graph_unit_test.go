package trivyscan

import (
	"testing"
)

func TestGraphManifests_TypeTokensBecomeAPIVersionAndKind(t *testing.T) {
	cases := []struct{ token, apiVersion, kind string }{
		{"kubernetes:core/v1:Namespace", "v1", "Namespace"},
		{"kubernetes:networking.k8s.io/v1:NetworkPolicy", "networking.k8s.io/v1", "NetworkPolicy"},
		{"kubernetes:apps/v1:Deployment", "apps/v1", "Deployment"},
		{"kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway.networking.k8s.io/v1", "Gateway"},
		{"kubernetes:helm.sh/v4:Chart", "helm.sh/v4", "Chart"}, // graphManifests skips it before mapping
		{"pulumi:providers:kubernetes", "", ""},
		{"kubernetes:apiextensions.k8s.io:CustomResource", "", ""},
	}
	for _, c := range cases {
		av, kind, ok := apiVersionKind(c.token)
		if av != c.apiVersion || kind != c.kind || ok != (c.kind != "") {
			t.Errorf("%s → %q %q %v, want %q %q", c.token, av, kind, ok, c.apiVersion, c.kind)
		}
	}
}

func TestGraphManifests_ConfigGroupYAMLIsSplitAndSecretsAreRedacted(t *testing.T) {
	docs, why := configGroupObjects(map[string]any{"yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: n}\nstringData: {pin: \"1234\"}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"})
	if why != "" || len(docs) != 2 {
		t.Fatalf("docs = %v, why = %q", docs, why)
	}
	o := newObject(docs[0], "logical")
	if o.Ref != "Secret n/s" || o.Manifest["stringData"].(map[string]any)["pin"] == "1234" {
		t.Fatalf("secret object = %s %v: want its value redacted", o.Ref, o.Manifest)
	}
	if _, why := configGroupObjects(map[string]any{"files": []any{"x.yaml"}}); why == "" {
		t.Fatal("a ConfigGroup of files was not reported as skipped")
	}
	if o := newObject(map[string]any{"kind": "Namespace"}, "auto-named"); o.Ref != "Namespace auto-named" {
		t.Fatalf("an auto-named object takes its logical name, got %q", o.Ref)
	}
}
