package certmanager

import (
	"context"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/image"
)

const (
	// ChartVersion is the one place the cert-manager chart (and with it the
	// CRDs and the images) is pinned.
	ChartVersion = "v1.21.2"
	// DefaultChartRepository is the upstream chart repository; air-gapped
	// sites point chart.repository at an OCI mirror (oci://…).
	DefaultChartRepository = "https://charts.jetstack.io"
	// ReleaseName is the Helm release name: the chart's fullname, its
	// controller ServiceAccount and its pods' app.kubernetes.io/instance.
	ReleaseName = "cert-manager"
	// ControllerConfigAPIVersion is the apiVersion of the controller's
	// config file (chart value config).
	ControllerConfigAPIVersion = "controller.config.cert-manager.io/v1alpha1"
	// ControllerConfigKind is that config file's kind.
	ControllerConfigKind = "ControllerConfiguration"
	// runAsUser is the identity every cert-manager pod runs as: the images
	// are static Go binaries on a distroless base that need no particular
	// uid, so Rampart's shared non-root identity is used.
	runAsUser = 1000
)

// ChartPin is the upstream cert-manager chart.
var ChartPin = chart.Pin{Name: "cert-manager", Repository: DefaultChartRepository, Version: ChartVersion}

// The v1.21.2 images, by digest. Sources (no registry is reachable from
// this machine; quay.io itself was not queried): the OpenLakeForge
// 0.4.0-alpha.1 compatibility matrix (all five), agreeing for controller,
// webhook and cainjector with a kubepkg image-pinning guide and a K3s
// image-import script in two unrelated public repositories (found through
// the stored GitHub index, find_string
// "cert-manager-controller:v1.21.2@sha256"). Verify with
// `crane digest quay.io/jetstack/cert-manager-<image>:v1.21.2` before a
// production roll-out; each is replaceable with rampart:images.overrides.
var (
	ControllerImage      = jetstack("cert-manager-controller", "sha256:70f532fd9cfde0b09d55687200942399d89838bc2d5d5b45152eb799a15912b8")
	WebhookImage         = jetstack("cert-manager-webhook", "sha256:a60e2dac46dbb8a7f3df95c54ce941012f54c2fe022f0ee55aaa1ab40ed957ae")
	CAInjectorImage      = jetstack("cert-manager-cainjector", "sha256:c85268c64f2e0e76684bf5fe8906caff34b82523561c6affe0fae3546bd87562")
	StartupAPICheckImage = jetstack("cert-manager-startupapicheck",
		"sha256:46e75b6866359ffb5d82624f41e3ed1c70b2994982702ced547ce5edb418a8f5")
	ACMESolverImage = jetstack("cert-manager-acmesolver", "sha256:699b40d622211ab7accad8a21b04c5fbaa1841ef7a12621e8de492dbe27b2503")
)

// jetstack is a ChartVersion image on the chart's own default registry
// (values imageRegistry quay.io, imageNamespace jetstack).
func jetstack(name, digest string) image.Ref {
	return image.Ref{Registry: "quay.io", Repository: "jetstack/" + name, Tag: ChartVersion, Digest: digest}
}

// Pins are the images the component renders, the keys
// rampart:images.overrides takes for it.
func Pins() []image.Pin {
	return []image.Pin{{Ref: ControllerImage}, {Ref: WebhookImage}, {Ref: CAInjectorImage}, {Ref: StartupAPICheckImage}, {Ref: ACMESolverImage}}
}

// imageValues is r resolved through the args' Images, as the chart's
// per-image values take it (a full repository overrides imageRegistry and
// imageNamespace).
func imageValues(d *CertManagerArgs, pin image.Ref) map[string]any {
	r := d.Images.Resolve(pin)
	v := map[string]any{"repository": r.Name(), "digest": r.Digest}
	if r.Tag != "" {
		v["tag"] = r.Tag
	}
	return v
}

// podResources are requests and limits per pod (the sovereign-cloud hardening guide sizes; the
// controller gets the full default, the small helpers less).
var podResources = map[string]hardening.Resources{
	"controller":      hardening.DefaultResources,
	"webhook":         {CPURequest: "50m", MemoryRequest: "64Mi", CPULimit: "250m", MemoryLimit: "256Mi"},
	"cainjector":      {CPURequest: "50m", MemoryRequest: "128Mi", CPULimit: "250m", MemoryLimit: "512Mi"},
	"startupapicheck": {CPURequest: "10m", MemoryRequest: "32Mi", CPULimit: "100m", MemoryLimit: "64Mi"},
}

func resourceValues(r hardening.Resources) map[string]any {
	return map[string]any{
		"requests": map[string]any{"cpu": r.CPURequest, "memory": r.MemoryRequest},
		"limits":   map[string]any{"cpu": r.CPULimit, "memory": r.MemoryLimit},
	}
}

// ChartValues maps the args (after defaults) onto the cert-manager v1.21
// chart's values. Every pod gets the restricted contexts from hardening,
// resources and a digest-pinned image; CRDs are installed and kept on
// uninstall; leader election and cluster resources stay in the namespace.
func ChartValues(a *CertManagerArgs) map[string]any {
	d := a.withDefaults()
	pod := func(component string, img image.Ref) map[string]any {
		return map[string]any{
			"securityContext":          hardening.PodSecurityContextValues(runAsUser),
			"containerSecurityContext": hardening.ContainerSecurityContextValues(),
			"resources":                resourceValues(podResources[component]),
			"image":                    imageValues(d, img),
		}
	}
	v := pod("controller", ControllerImage)
	// CRDs come with the chart and survive its uninstall: deleting the CRDs
	// would delete every Certificate and Issuer in the cluster.
	v["crds"] = map[string]any{"enabled": true, "keep": true}
	v["global"] = map[string]any{"leaderElection": map[string]any{"namespace": d.Namespace}}
	v["clusterResourceNamespace"] = d.Namespace
	v["config"] = map[string]any{
		"apiVersion": ControllerConfigAPIVersion,
		"kind":       ControllerConfigKind,
		// v1.21's key; enableGatewayAPI is deprecated.
		"gatewayAPI": map[string]any{"enabled": true},
	}
	// The controller's tokens reach only the API server; the chart's own
	// NetworkPolicies stay off (this component renders exact ones).
	v["webhook"] = pod("webhook", WebhookImage)
	v["webhook"].(map[string]any)["securePort"] = *d.APIServer.WebhookPort
	v["cainjector"] = pod("cainjector", CAInjectorImage)
	v["startupapicheck"] = pod("startupapicheck", StartupAPICheckImage)
	v["acmesolver"] = map[string]any{"image": imageValues(d, ACMESolverImage)}
	return v
}

func deployChart(ctx *pulumi.Context, name string, a *CertManagerArgs, parent pulumi.Resource, deps []pulumi.Resource) (*helmv4.Chart, error) {
	args := a.Chart.Args(ChartPin, ReleaseName, a.Namespace, pulumi.ToMap(ChartValues(a)))
	return helmv4.NewChart(ctx, name+"-chart", args, pulumi.Parent(parent), pulumi.DependsOn(deps),
		pulumi.Transforms([]pulumi.ResourceTransform{retainCRDs}))
}

// crdType is the type token of the chart's CRD children.
const crdType = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"

// retainCRDs keeps the chart's CRDs when Pulumi deletes or replaces them
// (the Pulumi side of crds.keep, whose helm.sh/resource-policy annotation
// only Helm's uninstall reads): deleting a CRD deletes every Certificate,
// Issuer and ClusterIssuer in the cluster with it.
func retainCRDs(_ context.Context, args *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
	if args.Type != crdType {
		return nil
	}
	opts := args.Opts
	opts.RetainOnDelete = true
	return &pulumi.ResourceTransformResult{Props: args.Props, Opts: opts}
}
