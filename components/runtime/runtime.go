// Package runtime is Rampart's runtime security: trivy-operator (image
// vulnerability, configuration and compliance reports in the cluster) and
// Falco (syscall-level threat detection) with falcosidekick shipping events
// to Loki. The sovereign-cloud hardening guide "Container Security"; NIS2 Art. 21(2)(b),(e); ISM-1034.
package runtime

import (
	"errors"
	"fmt"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/image"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:runtime:Runtime"

// Runtime is the runtime security component.
type Runtime struct {
	pulumi.ResourceState

	// Compliance lists the trivy-operator compliance specs reported on
	// (empty when the operator is off).
	Compliance pulumi.StringArrayOutput `pulumi:"compliance"`
	// Alerting says where Falco events go: "loki" and, only when an
	// Alertmanager URL is configured, "alertmanager".
	Alerting pulumi.StringArrayOutput `pulumi:"alerting"`
	// Images are the image references the charts render (resolved through
	// RuntimeArgs.Images), each by digest.
	Images pulumi.StringArrayOutput `pulumi:"images"`
}

// NewRuntime registers trivy-operator and/or Falco, as enabled in args.
func NewRuntime(ctx *pulumi.Context, name string, args *RuntimeArgs, opts ...pulumi.ResourceOption) (*Runtime, error) {
	if args == nil {
		return nil, errors.New("runtime: args are required")
	}
	a := args.withDefaults()
	if err := errors.Join(a.Validate(""), a.Images.Err(Pins())); err != nil {
		return nil, fmt.Errorf("runtime %q: %w", name, err)
	}
	comp := &Runtime{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("runtime %q: register: %w", name, err)
	}
	var compliance, alerting, images []string
	if t := &a.TrivyOperator; Enabled(t.Enabled) {
		if err := deployTrivyOperator(ctx, name, t, a.Images, a.SkipAwait, comp); err != nil {
			return nil, err
		}
		for _, s := range t.Compliance {
			compliance = append(compliance, string(s))
		}
		images = append(images, a.Images.Resolve(DefaultOperatorImage).String(), a.Images.Resolve(DefaultTrivyImage).String())
	}
	if f := &a.Falco; Enabled(f.Enabled) {
		if err := deployFalco(ctx, name, f, a.Images, a.SkipAwait, comp); err != nil {
			return nil, err
		}
		alerting = append(alerting, "loki")
		if f.AlertmanagerURL != "" {
			alerting = append(alerting, "alertmanager")
		}
		for _, r := range []image.Ref{DefaultFalcoImage, DefaultSidekickImage, DefaultFalcoctlImage} {
			images = append(images, a.Images.Resolve(r).String())
		}
	}
	comp.Compliance = pulumi.ToStringArray(compliance).ToStringArrayOutput()
	comp.Alerting = pulumi.ToStringArray(alerting).ToStringArrayOutput()
	comp.Images = pulumi.ToStringArray(images).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"compliance": comp.Compliance, "alerting": comp.Alerting, "images": comp.Images,
	}); err != nil {
		return nil, fmt.Errorf("runtime %q: register outputs: %w", name, err)
	}
	return comp, nil
}

// chartArgs is the helm.v4.Chart of an upstream chart from its source.
func chartArgs(pin chart.Pin, c chart.Source, release, namespace string, values map[string]any, skipAwait bool) *helmv4.ChartArgs {
	args := c.Args(pin, release, namespace, pulumi.ToMap(values))
	args.SkipAwait = pulumi.Bool(skipAwait)
	return args
}
