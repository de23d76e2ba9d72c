package stacks

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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
	d, err := DecidePodSecurity("kubernetes:apps/v1:Deployment", "web", got, nil)
	if err != nil || d.Outcome != PodSecuritySkipped {
		t.Errorf("decision %+v, %v; want skipped", d, err)
	}
}
