package runtime

import (
	"fmt"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kmeta"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
)

const (
	// TrivyChartVersion is trivy-operator's chart 0.34.0 (appVersion
	// 0.32.0, Trivy 0.72.0): deploy/helm/Chart.yaml at trivy-operator's
	// release commit 1006872c1463e81a40d48298145625aefef2a02f.
	TrivyChartVersion = "0.34.0"
	// DefaultTrivyChartRepository is upstream's chart repository.
	DefaultTrivyChartRepository = "https://aquasecurity.github.io/helm-charts/"
	// TrivyUID is the non-root identity of the operator and its scan jobs.
	TrivyUID = 10000
)

// TrivyChartPin is aquasecurity's trivy-operator chart.
var TrivyChartPin = chart.Pin{Name: "trivy-operator", Repository: DefaultTrivyChartRepository, Version: TrivyChartVersion}

// Images by digest. The chart has no digest keys: the digest rides in the
// tag. Digests as published for these releases and recorded in public
// deployment manifests (checked 2026-12; no registry is reachable here):
// trivy 0.72.0 cffe3f51… (mirror.gcr.io, ghcr.io and docker.io carry the
// same index), trivy-operator 0.32.0 d4a61c46….
var (
	DefaultOperatorImage = image.Ref{Registry: "mirror.gcr.io", Repository: "aquasec/trivy-operator", Tag: "0.32.0",
		Digest: "sha256:d4a61c4607e2931bd2615bf3bcf8912669d11d194c44c77edd413e6301b50c5b"}
	DefaultTrivyImage = image.Ref{Registry: "mirror.gcr.io", Repository: "aquasec/trivy", Tag: "0.72.0",
		Digest: "sha256:cffe3f5161a47a6823fbd23d985795b3ed72a4c806da4c4df16266c02accdd6f"}
)

// TrivyEgressPolicyName is the NetworkPolicy opening the operator's flows.
const TrivyEgressPolicyName = "trivy-operator-egress"

// trivyValues maps the args onto the chart's values (chart 0.34.x layout),
// the images resolved through images.
func trivyValues(t *TrivyOperatorArgs, images image.Images) map[string]any {
	specs := make([]any, len(t.Compliance))
	for i, s := range t.Compliance {
		specs[i] = string(s)
	}
	g := t.AirGap
	return map[string]any{
		"image": images.Resolve(DefaultOperatorImage).Values(),
		"trivy": map[string]any{
			"image":            images.Resolve(DefaultTrivyImage).Values(),
			"offlineScan":      *g.OfflineScan,
			"dbRegistry":       g.DBRegistry,
			"dbRepository":     g.DBRepository,
			"javaDbRegistry":   g.JavaDBRegistry,
			"javaDbRepository": g.JavaDBRepository,
		},
		"policiesBundle": map[string]any{"registry": g.ChecksBundleRegistry, "repository": g.ChecksBundleRepository},
		"compliance":     map[string]any{"specs": specs},
		"operator": map[string]any{
			// The node collector needs host PID and host paths, which the
			// restricted namespace refuses; its CIS node checks stay off
			// rather than exempting the scanner's namespace.
			"infraAssessmentScannerEnabled":              false,
			"scanJobPodTemplatePodSecurityContext":       hardening.PodSecurityContextValues(TrivyUID),
			"scanJobPodTemplateContainerSecurityContext": hardening.ContainerSecurityContextValues(),
			"scanJobAutomountServiceAccountToken":        false,
		},
		"podSecurityContext": hardening.PodSecurityContextValues(TrivyUID),
		"securityContext":    hardening.ContainerSecurityContextValues(),
	}
}

func deployTrivyOperator(ctx *pulumi.Context, name string, t *TrivyOperatorArgs, images image.Images, skipAwait bool, comp *Runtime) error {
	parent := pulumi.Parent(comp)
	pol, err := networkingv1.NewNetworkPolicy(ctx, name+"-trivy-egress", &networkingv1.NetworkPolicyArgs{
		Metadata: kmeta.Meta(kname.Join(TrivyEgressPolicyName), pulumi.String(t.Namespace)),
		Spec:     trivyEgressSpec(t),
	}, parent, pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return fmt.Errorf("runtime %q: create trivy-operator egress policy: %w", name, err)
	}
	release := kname.Join(name, "trivy-operator")
	if _, err := helmv4.NewChart(ctx, name+"-trivy-operator",
		chartArgs(TrivyChartPin, t.Chart, release, t.Namespace, trivyValues(t, images), skipAwait),
		parent, pulumi.DependsOn([]pulumi.Resource{pol})); err != nil {
		return fmt.Errorf("runtime %q: create trivy-operator chart: %w", name, err)
	}
	return nil
}

// trivyEgressSpec opens exactly the operator's flows on top of the
// namespace's default-deny: the API server, and HTTPS to the registries
// the DBs, the checks bundle and the scanned images come from.
func trivyEgressSpec(t *TrivyOperatorArgs) *networkingv1.NetworkPolicySpecArgs {
	return &networkingv1.NetworkPolicySpecArgs{
		PodSelector: &metav1.LabelSelectorArgs{},
		PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
		Egress: networkingv1.NetworkPolicyEgressRuleArray{
			networkingv1.NetworkPolicyEgressRuleArgs{To: netpolicy.IPPeers(t.APIServer.CIDRs...), Ports: netpolicy.TCP(t.APIServer.Ports...)},
			networkingv1.NetworkPolicyEgressRuleArgs{To: netpolicy.IPPeers(t.RegistryCIDRs...), Ports: netpolicy.TCP(443)},
		},
	}
}
