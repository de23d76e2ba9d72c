package runtime

import (
	"fmt"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kname"
)

const (
	// FalcoChartVersion is falcosecurity/charts' falco 9.1.0 (appVersion
	// 0.44.1; commit 53586de4 "sync(charts/falco): v9.1.0"), which pulls
	// falcosidekick chart 0.12.x (image 2.32.0).
	FalcoChartVersion = "9.1.0"
	// DefaultFalcoChartRepository is upstream's chart repository.
	DefaultFalcoChartRepository = "https://falcosecurity.github.io/charts"
	// SidekickUID is falcosidekick's non-root identity (the chart's own).
	SidekickUID = 1234
)

// FalcoChartPin is falcosecurity's falco chart.
var FalcoChartPin = chart.Pin{Name: "falco", Repository: DefaultFalcoChartRepository, Version: FalcoChartVersion}

// Images by digest (the chart has no digest key; the digest rides in the
// tag). Digests as published on docker.io for these releases and recorded
// in public deployment manifests (checked 2026-12; no registry is
// reachable here): falco 0.44.1 d0cfe422…, falcosidekick 2.32.0 1976da72…,
// falcoctl 0.13.0 0eeb79ad….
var (
	DefaultFalcoImage = image.Ref{Registry: "docker.io", Repository: "falcosecurity/falco", Tag: "0.44.1",
		Digest: "sha256:d0cfe422d6ac0e0f20857798f46c7d7273210e1b064b22821e4e6e7f843cde6b"}
	DefaultSidekickImage = image.Ref{Registry: "docker.io", Repository: "falcosecurity/falcosidekick", Tag: "2.32.0",
		Digest: "sha256:1976da72151850aae4436f33a5ed94bdef469f42a9b61c182b4feeb5441fb081"}
	DefaultFalcoctlImage = image.Ref{Registry: "docker.io", Repository: "falcosecurity/falcoctl", Tag: "0.13.0",
		Digest: "sha256:0eeb79adc580ae6a5abfdefd7f8f0fed9151fcb545f015c84e8f1d7b2d8a6b02"}
)

// falcoValues maps the args onto the falco chart's values (9.1.x layout),
// the images resolved through images.
func falcoValues(f *FalcoArgs, images image.Images, rules string) map[string]any {
	sidekickConfig := map[string]any{
		// falcosidekick sends the tenant as X-Scope-OrgID.
		"loki": map[string]any{"hostport": f.LokiURL, "tenant": f.LokiTenant, "format": "json"},
	}
	if f.AlertmanagerURL != "" {
		sidekickConfig["alertmanager"] = map[string]any{"hostport": f.AlertmanagerURL, "endpoint": "/api/v2/alerts", "minimumpriority": "warning"}
	}
	return map[string]any{
		"image": images.Resolve(DefaultFalcoImage).Values(),
		"driver": map[string]any{
			"kind":       "modern_ebpf",
			"modernEbpf": map[string]any{"leastPrivileged": *f.LeastPrivileged},
			// modern_ebpf is built into Falco: no driver to download or build.
			"loader": map[string]any{"enabled": false},
		},
		// Air gap: falcoctl would fetch rules and plugins from the internet
		// at start and keep following them. Off: the image's default rules
		// and plugins, plus Rampart's rules shipped as customRules.
		"falcoctl": map[string]any{
			"image": images.Resolve(DefaultFalcoctlImage).Values(),
			"artifact": map[string]any{
				"install": map[string]any{"enabled": false},
				"follow":  map[string]any{"enabled": false},
			},
		},
		"customRules": map[string]any{rulesFileName: rules},
		"falco":       map[string]any{"json_output": true},
		"falcosidekick": map[string]any{
			"enabled":            true,
			"image":              images.Resolve(DefaultSidekickImage).Values(),
			"config":             sidekickConfig,
			"podSecurityContext": hardening.PodSecurityContextValues(SidekickUID),
			"securityContext":    hardening.ContainerSecurityContextValues(),
		},
	}
}

func deployFalco(ctx *pulumi.Context, name string, f *FalcoArgs, images image.Images, skipAwait bool, comp *Runtime) error {
	rules, err := RulesYAML(f)
	if err != nil {
		return fmt.Errorf("runtime %q: %w", name, err)
	}
	release := kname.Join(name, "falco")
	if _, err := helmv4.NewChart(ctx, name+"-falco",
		chartArgs(FalcoChartPin, f.Chart, release, f.Namespace, falcoValues(f, images, rules), skipAwait),
		pulumi.Parent(comp)); err != nil {
		return fmt.Errorf("runtime %q: create falco chart: %w", name, err)
	}
	return nil
}
