package podsecurity

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/rampart-dev/rampart/internal/recmock"
)

// TestPlainProps_KnownOutputsResolveUnknownOnesAreMarked: the transform's
// inputs arrive as pulumi values, some of them outputs; known ones become
// plain values, unknown ones (a preview's computed values) become Unknown
// so the gate skips the resource instead of failing it.
func TestPlainProps_KnownOutputsResolveUnknownOnesAreMarked(t *testing.T) {
	var got map[string]any
	err := recmock.New().Run(func(ctx *pulumi.Context) error {
		got = plainProps(ctx.Context(), pulumi.Map{
			"metadata": pulumi.Map{"name": pulumi.String("web"), "namespace": pulumi.String("team-a").ToStringOutput()},
			"spec": pulumi.Map{"template": pulumi.Map{"spec": pulumi.Map{
				"hostPID":    pulumi.Bool(false),
				"containers": pulumi.Array{pulumi.Map{"name": pulumi.String("app"), "image": pulumi.UnsafeUnknownOutput(nil)}},
				"secret":     pulumi.ToSecret(pulumi.String("s")),
			}}},
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ns := dig(got, "metadata", "namespace"); ns != "team-a" {
		t.Errorf("known output namespace = %#v", ns)
	}
	if s := dig(got, "spec", "template", "spec", "secret"); s != "s" {
		t.Errorf("secret value = %#v", s)
	}
	if p := unknownPath(dig(got, "spec", "template"), "spec.template"); p != "spec.template.spec.containers[0].image" {
		t.Errorf("unknown path %q", p)
	}
	d, err := Decide("kubernetes:apps/v1:Deployment", "web", got, nil)
	if err != nil || d.Outcome != Skipped {
		t.Errorf("decision %+v, %v; want skipped", d, err)
	}
}

// gatePod is a Deployment's inputs as a transform receives them, with the
// given pod spec.
func gatePod(name, ns string, spec pulumi.Map) *pulumi.ResourceTransformArgs {
	return &pulumi.ResourceTransformArgs{Custom: true, Type: "kubernetes:apps/v1:Deployment", Name: "chart:" + ns + "/" + name,
		Props: pulumi.Map{
			"metadata": pulumi.Map{"name": pulumi.String(name), "namespace": pulumi.String(ns)},
			"spec":     pulumi.Map{"template": pulumi.Map{"spec": spec}},
		}}
}

func gatePrivileged(name, ns string) *pulumi.ResourceTransformArgs {
	return gatePod(name, ns, pulumi.Map{"hostPID": pulumi.Bool(true), "containers": pulumi.Array{pulumi.Map{
		"name": pulumi.String("agent"), "image": pulumi.String("registry.example/agent@sha256:00"),
		"securityContext": pulumi.Map{"privileged": pulumi.Bool(true)},
	}}})
}

func gateCompliant(name, ns string) *pulumi.ResourceTransformArgs {
	return gatePod(name, ns, pulumi.Map{
		"securityContext": pulumi.Map{"runAsNonRoot": pulumi.Bool(true), "seccompProfile": pulumi.Map{"type": pulumi.String("RuntimeDefault")}},
		"containers": pulumi.Array{pulumi.Map{
			"name": pulumi.String("app"), "image": pulumi.String("registry.example/app@sha256:00"),
			"securityContext": pulumi.Map{"allowPrivilegeEscalation": pulumi.Bool(false), "capabilities": pulumi.Map{"drop": pulumi.Array{pulumi.String("ALL")}}},
		}},
	})
}

// preview runs the program as a preview (the mock default is an update).
func preview(ri *pulumi.RunInfo) { ri.DryRun = true }

// TestPodSecurityGate_PreviewCollectsEveryViolationAndFailsOnceAtTheEnd:
// at preview the transform lets every registration pass, and Verdict waits
// for the registrations still running (a chart whose children pass the
// transform while it registers, here a slow mock) and returns all their
// violations as one error, sorted.
func TestPodSecurityGate_PreviewCollectsEveryViolationAndFailsOnceAtTheEnd(t *testing.T) {
	var g *Gate
	rec := recmock.New()
	rec.OnNewResource = func(args pulumi.MockResourceArgs) (string, resource.PropertyMap, bool, error) {
		if args.TypeToken == "test:index:Chart" {
			time.Sleep(100 * time.Millisecond)
			for _, child := range []*pulumi.ResourceTransformArgs{gatePrivileged("b-agent", "team-a"), gateCompliant("web", "team-a"), gatePrivileged("a-agent", "team-a")} {
				if res := g.transform(context.Background(), child); res != nil {
					t.Errorf("preview: %s transformed or refused", child.Name)
				}
			}
		}
		return "", nil, false, nil
	}
	err := rec.Run(func(ctx *pulumi.Context) error {
		var err error
		if g, err = Register(ctx, nil); err != nil {
			return err
		}
		var chart pulumi.CustomResourceState
		if err := ctx.RegisterResource("test:index:Chart", "pss", pulumi.Map{}, &chart); err != nil {
			return err
		}
		return g.Verdict()
	}, preview)
	if err == nil {
		t.Fatal("the preview passed with two privileged Deployments")
	}
	msg := err.Error()
	a := strings.Index(msg, `pod security: kubernetes:apps/v1:Deployment "a-agent" in namespace "team-a" (Pulumi resource "chart:team-a/a-agent") violates PodSecurity restricted:latest: host namespaces`)
	b := strings.Index(msg, `pod security: kubernetes:apps/v1:Deployment "b-agent" in namespace "team-a" (Pulumi resource "chart:team-a/b-agent")`)
	if a < 0 || b < a || strings.Contains(msg, `"web"`) {
		t.Errorf("want both privileged Deployments, a-agent first, and not the compliant one:\n%s", msg)
	}
}

// TestPodSecurityGate_UpdateRefusesTheViolationAndEverythingAfterIt: at an
// update the violating registration is refused through a rejected input
// (its error is the violation: no panic, no Go stack), and so is every
// registration after it, so nothing is created once the violation is known.
func TestPodSecurityGate_UpdateRefusesTheViolationAndEverythingAfterIt(t *testing.T) {
	refusal := func(ctx *pulumi.Context, res *pulumi.ResourceTransformResult) error {
		if res == nil {
			return nil
		}
		out, ok := res.Props["podSecurity"].(pulumi.Output)
		if !ok {
			t.Fatalf("refusal without a rejected input: %#v", res.Props)
		}
		_, err := internals.UnsafeAwaitOutput(ctx.Context(), out)
		if err == nil {
			t.Fatal("the refusal's input is not rejected")
		}
		return err
	}
	err := recmock.New().Run(func(ctx *pulumi.Context) error {
		g, err := Register(ctx, nil)
		if err != nil {
			return err
		}
		if err := refusal(ctx, g.transform(ctx.Context(), gateCompliant("web", "team-a"))); err != nil {
			t.Errorf("compliant Deployment before the violation refused: %v", err)
		}
		err = refusal(ctx, g.transform(ctx.Context(), gatePrivileged("agent", "team-a")))
		if err == nil || !strings.Contains(err.Error(), `Deployment "agent" in namespace "team-a" (Pulumi resource "chart:team-a/agent") violates PodSecurity restricted:latest`) {
			t.Errorf("privileged Deployment: refusal %v", err)
		}
		after := &pulumi.ResourceTransformArgs{Custom: true, Type: "kubernetes:core/v1:ConfigMap", Name: "later", Props: pulumi.Map{}}
		// The refusal carries the violation: the engine may report it first.
		if err := refusal(ctx, g.transform(ctx.Context(), after)); err == nil ||
			!strings.Contains(err.Error(), `Deployment "agent" in namespace "team-a" (Pulumi resource "chart:team-a/agent") violates PodSecurity restricted:latest`) ||
			!strings.Contains(err.Error(), `kubernetes:core/v1:ConfigMap "later" not registered after it`) {
			t.Errorf("registration after the violation: refusal %v", err)
		}
		if err := g.Verdict(); err == nil || strings.Count(err.Error(), "pod security:") != 1 {
			t.Errorf("verdict %v, want the one violation", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
