package drift

import (
	"strings"
	"testing"
)

func TestExtraElements_FindsAppendedRulesOnlyInDeclaredArrays(t *testing.T) {
	in := map[string]any{"spec": map[string]any{
		"egress":      []any{map[string]any{"ports": []any{map[string]any{"port": 53.0}}}},
		"policyTypes": []any{"Egress"},
	}, "__fieldManager": "x"}
	live := map[string]any{"spec": map[string]any{
		"egress": []any{
			map[string]any{"ports": []any{map[string]any{"port": 53.0, "protocol": "UDP"}, map[string]any{"port": 22.0}}},
			map[string]any{"to": []any{}},
		},
		"policyTypes": []any{"Egress"},
		"ingress":     []any{map[string]any{}}, // not declared: someone else's field
	}, "metadata": map[string]any{"managedFields": []any{1, 2}}}
	var got []string
	extraElements("", in, live, &got)
	if strings.Join(got, ";") != "spec.egress (live has 2 elements, declared 1)" {
		t.Fatalf("extra = %v", got)
	}
	live["spec"].(map[string]any)["egress"] = []any{map[string]any{"ports": []any{map[string]any{"port": 53.0}, map[string]any{"port": 22.0}}}}
	got = nil
	extraElements("", in, live, &got)
	if strings.Join(got, ";") != "spec.egress[0].ports (live has 2 elements, declared 1)" {
		t.Fatalf("extra = %v", got)
	}
}

func TestUndeclared_RulesAddedToDefaultDenyAreDrift(t *testing.T) {
	in := map[string]any{"spec": map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{"Ingress", "Egress"}}}
	live := map[string]any{"spec": map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{"Ingress", "Egress"},
		"egress": []any{map[string]any{}}}}
	got := undeclared("kubernetes:networking.k8s.io/v1:NetworkPolicy", in, live)
	if strings.Join(got, ";") != "spec.egress (set live, not declared)" {
		t.Fatalf("undeclared = %v", got)
	}
	if got := undeclared("kubernetes:core/v1:Namespace", in, live); len(got) != 0 {
		t.Fatalf("namespace: %v", got)
	}
	delete(live["spec"].(map[string]any), "egress")
	if got := undeclared("kubernetes:networking.k8s.io/v1:NetworkPolicy", in, live); len(got) != 0 {
		t.Fatalf("clean policy reported: %v", got)
	}
}

func TestUndeclared_KeyAddedToADeclaredPeerIsDrift(t *testing.T) {
	in := map[string]any{"spec": map[string]any{"egress": []any{map[string]any{"to": []any{map[string]any{"podSelector": map[string]any{}}}}}}}
	live := map[string]any{"spec": map[string]any{"egress": []any{map[string]any{"to": []any{map[string]any{
		"podSelector": map[string]any{}, "namespaceSelector": map[string]any{}}}}}}}
	got := undeclared("kubernetes:networking.k8s.io/v1:NetworkPolicy", in, live)
	if strings.Join(got, ";") != "spec.egress (live rules differ from the declared ones)" {
		t.Fatalf("undeclared = %v", got)
	}
	live = map[string]any{"spec": map[string]any{"egress": []any{map[string]any{"to": []any{map[string]any{"podSelector": map[string]any{}}}}}}}
	if got := undeclared("kubernetes:networking.k8s.io/v1:NetworkPolicy", in, live); len(got) != 0 {
		t.Fatalf("matching rules reported: %v", got)
	}
}
