// Package podsecurity is the Pod Security gate: a stack-wide resource
// transform that runs the Pod Security Standards evaluator
// (k8s.io/pod-security-admission, through helpers/hardening) over every pod
// template the engine sees — the program's own and the children a
// helm.v4.Chart renders inside the kubernetes provider — and fails the run
// on a violation, unless the namespace carries a typed Exemption (the stack
// config's, handed in by stacks: the gate reads no config). The STOA security hardening checklist and the sovereign-cloud hardening guide
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
package podsecurity

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Gate is the registered transform's state: what it exempted or skipped,
// for the run's report, the violations it found, and the resources the
// program registered, for Verdict to wait on.
type Gate struct {
	ctx        *pulumi.Context
	exemptions []Exemption
	mu         sync.Mutex
	reported   []string
	violations []error
	// stopped is the first violation an update met: every registration
	// after it is refused.
	stopped    error
	registered []pulumi.Resource
}

// Reported lists the exempted and skipped resources seen so far, sorted.
func (g *Gate) Reported() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := append([]string(nil), g.reported...)
	sort.Strings(out)
	return out
}

// ReportAfter is Reported once every resource in deps has registered
// (a chart's children register before the chart's outputs resolve).
func (g *Gate) ReportAfter(deps ...any) pulumi.StringArrayOutput {
	return pulumi.All(deps...).ApplyT(func([]any) []string { return g.Reported() }).(pulumi.StringArrayOutput)
}

// Verdict waits until every resource the program has registered has
// finished registering — a chart's children pass the transform while the
// chart registers, so they are all decided then — and returns every
// violation found, sorted and joined, or nil. A program calls it last: its
// error is the run's one error, and at preview nothing was created.
func (g *Gate) Verdict() error {
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
func (g *Gate) observe(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
	g.mu.Lock()
	g.registered = append(g.registered, args.Resource)
	g.mu.Unlock()
	return nil
}

// transform is the stack-wide transform the engine calls on every
// registration, chart children included.
func (g *Gate) transform(tctx context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
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
	d, err := Decide(args.Type, args.Name, plainProps(tctx, args.Props), g.exemptions)
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
	case Exempted:
		_ = g.ctx.Log.Info(fmt.Sprintf("pod security: %s admitted at %s: %s", d.Resource, d.Level, d.Detail), nil)
	case Skipped:
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
func (g *Gate) refuse(err error) *pulumi.ResourceTransformResult {
	out, _, reject := g.ctx.NewOutput()
	reject(err)
	return &pulumi.ResourceTransformResult{Props: pulumi.Map{"podSecurity": out}}
}

// Register registers the gate as a stack-wide transform: every resource
// registered after it, chart children included, passes through it.
// Register it before anything else, and return its Verdict last.
func Register(ctx *pulumi.Context, exemptions []Exemption) (*Gate, error) {
	g := &Gate{ctx: ctx, exemptions: exemptions}
	if err := ctx.RegisterStackTransformation(g.observe); err != nil {
		return nil, fmt.Errorf("rampart: register the pod security observer: %w", err)
	}
	if err := ctx.RegisterResourceTransform(g.transform); err != nil {
		return nil, fmt.Errorf("rampart: register the pod security transform: %w", err)
	}
	return g, nil
}
