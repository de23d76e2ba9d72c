package podsecurity

import (
	"fmt"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/helpers/hardening"
	corev1api "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// podTemplatePaths says where each pod-bearing kind keeps its pod
// (metadata + spec): nil for a Pod itself.
var podTemplatePaths = map[string][]string{
	"kubernetes:core/v1:Pod":                   nil,
	"kubernetes:core/v1:ReplicationController": {"spec", "template"},
	"kubernetes:apps/v1:Deployment":            {"spec", "template"},
	"kubernetes:apps/v1:StatefulSet":           {"spec", "template"},
	"kubernetes:apps/v1:DaemonSet":             {"spec", "template"},
	"kubernetes:apps/v1:ReplicaSet":            {"spec", "template"},
	"kubernetes:batch/v1:Job":                  {"spec", "template"},
	"kubernetes:batch/v1:CronJob":              {"spec", "jobTemplate", "spec", "template"},
}

// Exemption is one exempted namespace: the level its pods are checked at
// instead of restricted, and why. The stack config lists them
// (infra/config.Exemption is this type), for the gate, the outputs and the
// reports.
type Exemption struct {
	Namespace     string `json:"namespace"`
	Level         string `json:"level"`
	Justification string `json:"justification"`
	Control       string `json:"control"`
}

// unknownValue marks a value the engine does not know yet (preview).
type unknownValue struct{}

// Unknown is the placeholder Decide finds for a value that is not known
// during a preview.
var Unknown any = unknownValue{}

// Outcome is what the gate decided for one resource.
type Outcome string

// Outcomes. A violation is no outcome: it is an error.
const (
	NotAPod  Outcome = "not-a-pod"
	Admitted Outcome = "admitted"
	Exempted Outcome = "exempted"
	Skipped  Outcome = "skipped-unknown"
)

// Decision is the gate's verdict on one resource.
type Decision struct {
	// Resource is "<type> <name> in namespace <ns>".
	Resource  string
	Namespace string
	Outcome   Outcome
	// Level is the level checked: restricted, or the exemption's.
	Level string
	// Detail says why (the exemption's justification, the unknown field).
	Detail string
}

// Decide checks one resource's inputs (plain values; Unknown for values
// not known yet) at restricted, or at the level of its namespace's
// exemption. It returns an error naming the object, the Pulumi
// resource and every violated check when the pod template is refused.
func Decide(typ, name string, props map[string]any, exemptions []Exemption) (Decision, error) {
	path, ok := podTemplatePaths[typ]
	if !ok {
		return Decision{Outcome: NotAPod}, nil
	}
	objName, ns := name, "default"
	if v, ok := dig(props, "metadata", "name").(string); ok && v != "" {
		objName = v
	}
	nsVal := dig(props, "metadata", "namespace")
	if v, ok := nsVal.(string); ok && v != "" {
		ns = v
	}
	d := Decision{Resource: fmt.Sprintf("%s %q in namespace %q", typ, objName, ns), Namespace: ns, Level: "restricted"}
	if nsVal == Unknown {
		d.Resource = fmt.Sprintf("%s %q in an unknown namespace", typ, objName)
		d.Outcome, d.Detail = Skipped, "metadata.namespace is not known yet"
		return d, nil
	}
	tmpl := dig(props, path...)
	if tmpl == Unknown {
		d.Outcome, d.Detail = Skipped, "the pod template is not known yet"
		return d, nil
	}
	tm, _ := tmpl.(map[string]any)
	if p := unknownPath(tm, strings.Join(path, ".")); p != "" {
		d.Outcome, d.Detail = Skipped, p+" is not known yet"
		return d, nil
	}
	meta, spec, err := decodePod(tm)
	if err != nil {
		return d, fmt.Errorf("pod security: %s: cannot read the pod template: %w", d.Resource, err)
	}
	restrictedErr := hardening.CheckPod(d.Level, "latest", meta, spec)
	if restrictedErr == nil {
		d.Outcome = Admitted
		return d, nil
	}
	// Only a pod that needs its namespace's exemption is checked at the
	// exemption's level, and reported.
	for _, e := range exemptions {
		if e.Namespace == ns {
			d.Level, d.Outcome = e.Level, Exempted
			d.Detail = fmt.Sprintf("namespace exempted at %s (%s): %s", e.Level, e.Control, e.Justification)
		}
	}
	if d.Outcome != Exempted {
		return d, fmt.Errorf("pod security: %s (Pulumi resource %q) %w", d.Resource, name, restrictedErr)
	}
	if err := hardening.CheckPod(d.Level, "latest", meta, spec); err != nil {
		return d, fmt.Errorf("pod security: %s (Pulumi resource %q) %w", d.Resource, name, err)
	}
	return d, nil
}

// decodePod turns a pod template held as plain values into API types.
func decodePod(tmpl map[string]any) (*metav1.ObjectMeta, *corev1api.PodSpec, error) {
	tm := struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
		Spec     corev1api.PodSpec `json:"spec"`
	}{}
	raw, err := yaml.Marshal(tmpl)
	if err != nil {
		return nil, nil, err
	}
	if err := yaml.Unmarshal(raw, &tm); err != nil {
		return nil, nil, err
	}
	return &tm.Metadata, &tm.Spec, nil
}

// dig walks nested maps; nil when a step is missing, Unknown when a step
// is not known yet.
func dig(v any, steps ...string) any {
	for _, s := range steps {
		if v == Unknown {
			return Unknown
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[s]
	}
	return v
}

// unknownPath is the first path below v holding an Unknown, or "".
func unknownPath(v any, at string) string {
	switch x := v.(type) {
	case unknownValue:
		return at
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p := unknownPath(x[k], at+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := unknownPath(e, fmt.Sprintf("%s[%d]", at, i)); p != "" {
				return p
			}
		}
	}
	return ""
}
