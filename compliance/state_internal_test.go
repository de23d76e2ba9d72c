package compliance

import (
	"strings"
	"testing"
)

func TestEvaluators_CoverEveryChecklistItem(t *testing.T) {
	for _, it := range Checklist() {
		if evaluators[it.ID] == nil {
			t.Errorf("checklist item %s has no evaluator", it.ID)
		}
	}
	if len(evaluators) != len(Checklist()) {
		t.Errorf("%d evaluators for %d items: one evaluates no item", len(evaluators), len(Checklist()))
	}
}

func TestLookup_QuotedKeysIndexesAndSecrets(t *testing.T) {
	m := map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"pod-security.kubernetes.io/enforce": "restricted"}},
		"spec":     map[string]any{"egress": []any{map[string]any{"ports": []any{map[string]any{"port": 53.0}}}}},
		"pin":      map[string]any{sigKey: secretSig, "plaintext": "1234"},
	}
	for path, want := range map[string]string{
		`metadata.labels["pod-security.kubernetes.io/enforce"]`: "restricted",
		"spec.egress[0].ports[0].port":                          "53",
		"pin":                                                   "[secret]",
		"pin.plaintext":                                         "[secret]",
		"spec.egress[1]":                                        "(absent)",
	} {
		v, _ := lookup(m, path)
		if got := show(v); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if got := show(m); got == "" || strings.Contains(got, "1234") {
		t.Errorf("a secret inside a shown map leaks: %s", got)
	}
}
