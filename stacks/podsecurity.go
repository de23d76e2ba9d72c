package stacks

// The Pod Security gate: a stack-wide resource transform that runs the Pod
// Security Standards evaluator (k8s.io/pod-security-admission, through
// helpers/hardening) over every pod template the engine sees — the
// program's own and the children a helm.v4.Chart renders inside the
// kubernetes provider — and fails the run on a violation, unless the
// namespace carries a typed exemption from the stack config. Seed 000/004
// (PSS restricted everywhere); CIS 5.2.x; NIS2 Art. 21(2)(e).
//
// How it fails. A Go transform has no error return, and the SDK turns a
// panic in it into an error carrying the callback's Go stack, which the
// engine prints under the chart that rendered the pod. So the gate never
// panics:
//   - at preview it only collects: every registration passes, and
//     Verdict, called once the program has registered everything, waits
//     until each registration (a chart's rendering included) is done and
//     returns every violation as the program's one error;
//   - at update (a violation the preview could not see: values unknown
//     then, or an update without preview) it refuses the violating
//     resource and every registration after it, through an input that
//     carries the violation as its error, so nothing registered after the
//     violation is known is created.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/infra/config"
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

// unknownValue marks a value the engine does not know yet (preview).
type unknownValue struct{}

// Unknown is the placeholder DecidePodSecurity finds for a value that is
// not known during a preview.
var Unknown any = unknownValue{}

// PodSecurityOutcome is what the gate decided for one resource.
type PodSecurityOutcome string

// Outcomes. A violation is no outcome: it is an error.
const (
	PodSecurityNotAPod  PodSecurityOutcome = "not-a-pod"
	PodSecurityAdmitted PodSecurityOutcome = "admitted"
	PodSecurityExempted PodSecurityOutcome = "exempted"
	PodSecuritySkipped  PodSecurityOutcome = "skipped-unknown"
)

// PodSecurityDecision is the gate's verdict on one resource.
type PodSecurityDecision struct {
	// Resource is "<type> <name> in namespace <ns>".
	Resource  string
	Namespace string
	Outcome   PodSecurityOutcome
	// Level is the level checked: restricted, or the exemption's.
	Level string
	// Detail says why (the exemption's justification, the unknown field).
	Detail string
}

// DecidePodSecurity checks one resource's inputs (plain values; Unknown
// for values not known yet) at restricted, or at the level of its
// namespace's exemption. It returns an error naming the object, the Pulumi
// resource and every violated check when the pod template is refused.
func DecidePodSecurity(typ, name string, props map[string]any, exemptions []config.Exemption) (PodSecurityDecision, error) {
	path, ok := podTemplatePaths[typ]
	if !ok {
		return PodSecurityDecision{Outcome: PodSecurityNotAPod}, nil
	}
	objName, ns := name, "default"
	if v, ok := dig(props, "metadata", "name").(string); ok && v != "" {
		objName = v
	}
	nsVal := dig(props, "metadata", "namespace")
	if v, ok := nsVal.(string); ok && v != "" {
		ns = v
	}
	d := PodSecurityDecision{Resource: fmt.Sprintf("%s %q in namespace %q", typ, objName, ns), Namespace: ns, Level: "restricted"}
	if nsVal == Unknown {
		d.Resource = fmt.Sprintf("%s %q in an unknown namespace", typ, objName)
		d.Outcome, d.Detail = PodSecuritySkipped, "metadata.namespace is not known yet"
		return d, nil
	}
	tmpl := dig(props, path...)
	if tmpl == Unknown {
		d.Outcome, d.Detail = PodSecuritySkipped, "the pod template is not known yet"
		return d, nil
	}
	tm, _ := tmpl.(map[string]any)
	if p := unknownPath(tm, strings.Join(path, ".")); p != "" {
		d.Outcome, d.Detail = PodSecuritySkipped, p+" is not known yet"
		return d, nil
	}
	meta, spec, err := decodePod(tm)
	if err != nil {
		return d, fmt.Errorf("pod security: %s: cannot read the pod template: %w", d.Resource, err)
	}
	restrictedErr := hardening.CheckPod(d.Level, "latest", meta, spec)
	if restrictedErr == nil {
		d.Outcome = PodSecurityAdmitted
		return d, nil
	}
	// Only a pod that needs its namespace's exemption is checked at the
	// exemption's level, and reported.
	for _, e := range exemptions {
		if e.Namespace == ns {
			d.Level, d.Outcome = e.Level, PodSecurityExempted
			d.Detail = fmt.Sprintf("namespace exempted at %s (%s): %s", e.Level, e.Control, e.Justification)
		}
	}
	if d.Outcome != PodSecurityExempted {
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

// PodSecurityGate is the registered transform's state: what it exempted
// or skipped, for the run's report, the violations it found, and the
// resources the program registered, for Verdict to wait on.
type PodSecurityGate struct {
	ctx        *pulumi.Context
	exemptions []config.Exemption
	mu         sync.Mutex
	reported   []string
	violations []error
	// stopped is the first violation an update met: every registration
	// after it is refused.
	stopped    error
	registered []pulumi.Resource
}

// Reported lists the exempted and skipped resources seen so far, sorted.
func (g *PodSecurityGate) Reported() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := append([]string(nil), g.reported...)
	sort.Strings(out)
	return out
}

// ReportAfter is Reported once every resource in deps has registered
// (a chart's children register before the chart's outputs resolve).
func (g *PodSecurityGate) ReportAfter(deps ...any) pulumi.StringArrayOutput {
	return pulumi.All(deps...).ApplyT(func([]any) []string { return g.Reported() }).(pulumi.StringArrayOutput)
}

// Verdict waits until every resource the program has registered has
// finished registering — a chart's children pass the transform while the
// chart registers, so they are all decided then — and returns every
// violation found, sorted and joined, or nil. A program calls it last: its
// error is the run's one error, and at preview nothing was created.
func (g *PodSecurityGate) Verdict() error {
	for waited := 0; ; {
		g.mu.Lock()
		pending := append([]pulumi.Resource(nil), g.registered[waited:]...)
		g.mu.Unlock()
		if len(pending) == 0 {
			break
		}
		for _, r := range pending {
			// A failed registration is reported by the SDK itself; here
			// it only has to be over.
			_, _ = internals.UnsafeAwaitOutput(g.ctx.Context(), r.URN())
		}
		waited += len(pending)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	errs := append([]error(nil), g.violations...)
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

// observe records each resource the program registers (a legacy stack
// transformation is the SDK's only hook that sees the resource itself),
// so Verdict can wait for its registration. It changes nothing.
func (g *PodSecurityGate) observe(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
	g.mu.Lock()
	g.registered = append(g.registered, args.Resource)
	g.mu.Unlock()
	return nil
}

// transform is the stack-wide transform the engine calls on every
// registration, chart children included.
func (g *PodSecurityGate) transform(tctx context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
	update := !g.ctx.DryRun()
	g.mu.Lock()
	stopped := g.stopped
	g.mu.Unlock()
	if update && stopped != nil {
		// The engine may report this refusal instead of the violation's own
		// (a chart's children register concurrently): it carries the
		// violation, so whichever surfaces names the object and its checks.
		return g.refuse(fmt.Errorf("%w (%s %q not registered after it)", stopped, args.Type, args.Name))
	}
	if _, ok := podTemplatePaths[args.Type]; !ok || !args.Custom {
		return nil
	}
	d, err := DecidePodSecurity(args.Type, args.Name, plainProps(tctx, args.Props), g.exemptions)
	if err != nil {
		g.mu.Lock()
		g.violations = append(g.violations, err)
		if update && g.stopped == nil {
			g.stopped = err
		}
		g.mu.Unlock()
		if update {
			return g.refuse(err)
		}
		// Preview: collected; Verdict fails the run once every pod
		// template has been seen.
		return nil
	}
	switch d.Outcome {
	case PodSecurityExempted:
		_ = g.ctx.Log.Info(fmt.Sprintf("pod security: %s admitted at %s: %s", d.Resource, d.Level, d.Detail), nil)
	case PodSecuritySkipped:
		_ = g.ctx.Log.Warn(fmt.Sprintf("pod security: %s not checked: %s (preview); the update checks it once known", d.Resource, d.Detail), nil)
	default:
		return nil
	}
	g.mu.Lock()
	g.reported = append(g.reported, fmt.Sprintf("%s: %s (%s)", d.Outcome, d.Resource, d.Detail))
	g.mu.Unlock()
	return nil
}

// refuse fails the registration with err and no Go stack: the SDK awaits a
// transform's result inputs before sending them, and an input that is an
// output rejected with err fails the registration with err, as any failed
// input does. (A panic would fail it too, with the stack appended.)
func (g *PodSecurityGate) refuse(err error) *pulumi.ResourceTransformResult {
	out, _, reject := g.ctx.NewOutput()
	reject(err)
	return &pulumi.ResourceTransformResult{Props: pulumi.Map{"podSecurity": out}}
}

// RegisterPodSecurity registers the gate as a stack-wide transform: every
// resource registered after it, chart children included, passes through
// it. Register it before anything else, and return its Verdict last.
func RegisterPodSecurity(ctx *pulumi.Context, exemptions []config.Exemption) (*PodSecurityGate, error) {
	g := &PodSecurityGate{ctx: ctx, exemptions: exemptions}
	if err := ctx.RegisterStackTransformation(g.observe); err != nil {
		return nil, fmt.Errorf("rampart: register the pod security observer: %w", err)
	}
	if err := ctx.RegisterResourceTransform(g.transform); err != nil {
		return nil, fmt.Errorf("rampart: register the pod security transform: %w", err)
	}
	return g, nil
}

// RunWithPodSecurity registers the pod security gate, then the program,
// and fails with the gate's verdict.
func RunWithPodSecurity(ctx *pulumi.Context, cfg *config.Config) error {
	g, err := RegisterPodSecurity(ctx, cfg.Exemptions())
	if err != nil {
		return err
	}
	if err := Run(ctx, cfg); err != nil {
		return err
	}
	return g.Verdict()
}

// plainProps turns a transform's inputs into plain values, with Unknown
// for values not known yet (a preview's computed values).
func plainProps(ctx context.Context, m pulumi.Map) map[string]any {
	out, _ := plainInput(ctx, m).(map[string]any)
	return out
}

func plainInput(ctx context.Context, in any) any {
	switch v := in.(type) {
	case nil:
		return nil
	case pulumi.String:
		return string(v)
	case pulumi.Float64:
		return float64(v)
	case pulumi.Int:
		return int(v)
	case pulumi.Bool:
		return bool(v)
	case pulumi.Map:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = plainInput(ctx, e)
		}
		return out
	case pulumi.Array:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plainInput(ctx, e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = plainInput(ctx, e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plainInput(ctx, e)
		}
		return out
	case pulumi.Output:
		// The SDK resolved these before calling the transform: the await
		// returns at once, known or not.
		res, err := internals.UnsafeAwaitOutput(ctx, v)
		if err != nil || !res.Known {
			return Unknown
		}
		return plainInput(ctx, res.Value)
	case string, float64, int, bool:
		return v
	}
	return nil
}
