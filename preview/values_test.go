package preview

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
)

const (
	quotaURN = "urn:pulumi:prod::rampart::rampart:namespace:Namespace$kubernetes:core/v1:ResourceQuota::team-a-quota"
	nsURN    = "urn:pulumi:prod::rampart::rampart:namespace:Namespace$kubernetes:core/v1:Namespace::team-a-ns"
	denyURN  = "urn:pulumi:prod::rampart::rampart:netpol:Policies$kubernetes:networking.k8s.io/v1:NetworkPolicy::team-a-policies-default-deny"
	secURN   = "urn:pulumi:prod::rampart::rampart:openbao:OpenBao$kubernetes:core/v1:Secret::openbao-seal"
)

// pre wraps step metadata as the engine event the CLI streams.
func pre(md apitype.StepEventMetadata) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: md}}}
}

func state(inputs, outputs map[string]any) *apitype.StepEventStateMetadata {
	return &apitype.StepEventStateMetadata{Inputs: inputs, Outputs: outputs}
}

func hard(pods, cpu string) map[string]any {
	return map[string]any{"spec": map[string]any{"hard": map[string]any{"pods": pods, "limits.cpu": cpu, "limits.memory": "16Gi"}}}
}

func quotaRaise() apitype.StepEventMetadata {
	out := hard("2", "2")
	out["status"] = map[string]any{"used": map[string]any{"pods": "1"}}
	return apitype.StepEventMetadata{
		Op: apitype.OpUpdate, URN: quotaURN, Type: "kubernetes:core/v1:ResourceQuota",
		Old: state(hard("2", "2"), out), New: state(hard("8", "8"), nil),
		DetailedDiff: map[string]apitype.PropertyDiff{
			"spec.hard.pods":          {Kind: apitype.DiffUpdate},
			`spec.hard["limits.cpu"]`: {Kind: apitype.DiffUpdate, InputDiff: true},
		},
	}
}

func markdown(t *testing.T, p *Plan, opts ...Option) string {
	t.Helper()
	var b bytes.Buffer
	if err := p.Markdown(&b, opts...); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestStepFromEvent_QuotaRaiseShowsOldAndNew(t *testing.T) {
	s, ok := StepFromEvent(quotaRaise())
	if !ok {
		t.Fatal("update step dropped")
	}
	want := []Change{
		{Path: "spec.hard.pods", Kind: "update", Old: "2", New: "8"},
		{Path: `spec.hard["limits.cpu"]`, Kind: "update", Old: "2", New: "8"},
	}
	if !reflect.DeepEqual(s.Changes, want) {
		t.Fatalf("changes = %+v, want %+v", s.Changes, want)
	}
	if s.Security != "" {
		t.Errorf("a quota raise is not security-relevant, got %q", s.Security)
	}
	md := markdown(t, &Plan{Stack: "prod", Steps: Steps([]events.EngineEvent{pre(quotaRaise())})})
	for _, w := range []string{
		"| update | team-a-quota | kubernetes:core/v1:ResourceQuota | spec.hard.pods, spec.hard[\"limits.cpu\"] |",
		"<details><summary>update <code>team-a-quota</code>: 2 changes</summary>",
		"| `spec.hard.pods` | `2` → `8` |",
		"| `spec.hard[\"limits.cpu\"]` | `2` → `8` |",
	} {
		if !strings.Contains(md, w) {
			t.Errorf("markdown lacks %q:\n%s", w, md)
		}
	}
	if strings.Contains(md, "security-relevant") {
		t.Errorf("security section without a security step:\n%s", md)
	}
}

func TestStepFromEvent_LabelRemovalShowsRemoved(t *testing.T) {
	labels := func(enforce bool) map[string]any {
		l := map[string]any{"app.kubernetes.io/managed-by": "rampart"}
		if enforce {
			l["pod-security.kubernetes.io/enforce"] = "restricted"
		}
		return map[string]any{"metadata": map[string]any{"name": "team-a", "labels": l}}
	}
	md := apitype.StepEventMetadata{
		Op: apitype.OpUpdate, URN: nsURN, Type: "kubernetes:core/v1:Namespace",
		Old: state(labels(true), labels(true)), New: state(labels(false), nil),
		DetailedDiff: map[string]apitype.PropertyDiff{
			`metadata.labels["pod-security.kubernetes.io/enforce"]`: {Kind: apitype.DiffDelete},
		},
	}
	s, _ := StepFromEvent(md)
	want := []Change{{Path: `metadata.labels["pod-security.kubernetes.io/enforce"]`, Kind: "delete", Old: "restricted", New: Removed}}
	if !reflect.DeepEqual(s.Changes, want) {
		t.Fatalf("changes = %+v, want %+v", s.Changes, want)
	}
	if !strings.Contains(s.Security, "Pod Security Standard labels") {
		t.Errorf("PSS label removal not security-relevant: %q", s.Security)
	}
	out := markdown(t, &Plan{Stack: "prod", Steps: []Step{s}})
	if !strings.Contains(out, "`restricted` → (removed)") {
		t.Errorf("markdown lacks the removal:\n%s", out)
	}
}

func TestSteps_SecurityRelevantDeleteAndReplaceComeFirst(t *testing.T) {
	nsOld := map[string]any{"metadata": map[string]any{"name": "team-a"}}
	nsNew := map[string]any{"metadata": map[string]any{"name": "team-a2"}}
	replace := func(op apitype.OpType) events.EngineEvent {
		return pre(apitype.StepEventMetadata{Op: op, URN: nsURN, Type: "kubernetes:core/v1:Namespace",
			Old: state(nsOld, nsOld), New: state(nsNew, nil),
			DetailedDiff: map[string]apitype.PropertyDiff{"metadata.name": {Kind: apitype.DiffUpdateReplace}}})
	}
	evs := []events.EngineEvent{
		pre(quotaRaise()),
		pre(apitype.StepEventMetadata{Op: apitype.OpDelete, URN: denyURN, Type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
			Old: state(map[string]any{"spec": map[string]any{"podSelector": map[string]any{}}}, nil)}),
		replace(apitype.OpCreateReplacement), replace(apitype.OpReplace), replace(apitype.OpDeleteReplaced),
		pre(apitype.StepEventMetadata{Op: apitype.OpSame, URN: "urn:pulumi:prod::rampart::pulumi:pulumi:Stack::rampart-prod", Type: "pulumi:pulumi:Stack"}),
	}
	steps := Steps(evs)
	var ops []string
	for _, s := range steps {
		ops = append(ops, s.Op+" "+s.Name)
	}
	if want := []string{"replace team-a-ns", "delete team-a-policies-default-deny", "update team-a-quota"}; !reflect.DeepEqual(ops, want) {
		t.Fatalf("steps = %v, want %v (a replacement's halves folded into it)", ops, want)
	}
	out := markdown(t, &Plan{Stack: "prod", Steps: steps})
	sec := strings.Index(out, "### ⚠ security-relevant")
	first := strings.Index(out, "### rampart:")
	if sec < 0 || first < 0 || sec > first {
		t.Fatalf("security section missing or not first (at %d, first component at %d):\n%s", sec, first, out)
	}
	top := out[sec:first]
	for _, w := range []string{
		"| delete | team-a-policies-default-deny | kubernetes:networking.k8s.io/v1:NetworkPolicy | NetworkPolicy: ",
		"| replace | team-a-ns | kubernetes:core/v1:Namespace | Namespace: deletes every object in it",
	} {
		if !strings.Contains(top, w) {
			t.Errorf("security section lacks %q:\n%s", w, top)
		}
	}
	if strings.Contains(top, "team-a-quota") {
		t.Errorf("quota raise listed as security-relevant:\n%s", top)
	}
	if !strings.Contains(out, "| `metadata.name` (forces replacement) | `team-a` → `team-a2` |") {
		t.Errorf("replace lacks its forcing change:\n%s", out)
	}
	if !strings.HasPrefix(out, "## Rampart preview of `prod`\n\n1 to delete, 1 to replace, 1 to update\n") {
		t.Errorf("counts line wrong:\n%s", out)
	}
}

// TestMarkdown_SecretNeverLeaks feeds the three shapes a secret takes in
// engine events: the signature object (with a plaintext, as an event log
// written with --show-secrets would carry), the blinded "[secret]" string,
// and a property nested inside a secret object.
func TestMarkdown_SecretNeverLeaks(t *testing.T) {
	const plaintext = "hunter2-do-not-print"
	secret := func(v string) map[string]any {
		return map[string]any{sig.Key: sig.Secret, "plaintext": `"` + v + `"`}
	}
	blinded := map[string]any{sig.Key: sig.Secret, "ciphertext": "[secret]"}
	old := map[string]any{
		"stringData": blinded,
		"metadata":   map[string]any{"annotations": map[string]any{"token": "[secret]"}},
		"data":       map[string]any{"pin": secret("old-" + plaintext), "plain": "x"},
	}
	newIn := map[string]any{
		"stringData": secret(plaintext),
		"metadata":   map[string]any{"annotations": map[string]any{"token": secret(plaintext)}},
		"data":       map[string]any{"pin": secret(plaintext), "plain": "y"},
	}
	md := apitype.StepEventMetadata{
		Op: apitype.OpUpdate, URN: secURN, Type: "kubernetes:core/v1:Secret",
		Old: state(old, old), New: state(newIn, nil),
		DetailedDiff: map[string]apitype.PropertyDiff{
			"stringData":                 {Kind: apitype.DiffUpdate},
			"stringData.pin":             {Kind: apitype.DiffUpdate},
			"metadata.annotations.token": {Kind: apitype.DiffUpdate},
			"data":                       {Kind: apitype.DiffUpdate},
			"data.pin":                   {Kind: apitype.DiffUpdate},
		},
	}
	steps := Steps([]events.EngineEvent{pre(md)})
	out := markdown(t, &Plan{Stack: "prod", Steps: steps})
	js, _ := json.Marshal(steps)
	for name, s := range map[string]string{"markdown": out, "steps": string(js)} {
		if strings.Contains(s, plaintext) || strings.Contains(s, "hunter2") {
			t.Fatalf("%s leaks the secret (not printed)", name)
		}
	}
	for _, w := range []string{
		"| `stringData` | [secret] → [secret] |",
		"| `stringData.pin` | [secret] → [secret] |",
		"| `metadata.annotations.token` | [secret] → [secret] |",
		"| `data.pin` | [secret] → [secret] |",
		"| `data` | `{\"pin\":\"[secret]\",\"plain\":\"x\"}` → `{\"pin\":\"[secret]\",\"plain\":\"y\"}` |",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("markdown lacks %q:\n%s", w, out)
		}
	}
	if steps[0].Security == "" {
		t.Error("the OpenBao seal secret's update is not security-relevant")
	}
}

func TestRender_UnknownLongAndMarkerLikeValues(t *testing.T) {
	long := strings.Repeat("a", 500)
	md := apitype.StepEventMetadata{
		Op: apitype.OpUpdate, URN: quotaURN, Type: "kubernetes:core/v1:ConfigMap",
		Old: state(map[string]any{"data": map[string]any{"a": "1", "b": long, "c": "", "d": []any{1.0, true}}}, nil),
		New: state(map[string]any{"data": map[string]any{"a": sig.UnknownStringValue, "b": "(removed)", "c": "line1\nline2", "d": []any{1.5}, "e": "new"}}, nil),
		DetailedDiff: map[string]apitype.PropertyDiff{
			"data.a": {Kind: apitype.DiffUpdate}, "data.b": {Kind: apitype.DiffUpdate},
			"data.c": {Kind: apitype.DiffUpdate}, "data.d": {Kind: apitype.DiffUpdate},
			"data.e": {Kind: apitype.DiffAdd},
		},
	}
	s, _ := StepFromEvent(md)
	got := map[string][2]string{}
	for _, c := range s.Changes {
		got[c.Path] = [2]string{c.Old, c.New}
	}
	want := map[string][2]string{
		"data.a": {"1", Unknown},
		"data.b": {strings.Repeat("a", MaxValueLen-1) + "…", `"(removed)"`},
		"data.c": {`""`, "line1⏎line2"},
		"data.d": {"[1,true]", "[1.5]"},
		"data.e": {None, "new"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes = %q\nwant      %q", got, want)
	}
}
