package ingress

import (
	"fmt"
	"slices"
	"strings"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kname"
)

// Envoy Gateway's chart, pinned in one place.
const (
	// ChartVersion is gateway-helm's version (Envoy Gateway v1.9.1).
	ChartVersion = "v1.9.1"
	// ChartRepository is gateway-helm's upstream OCI repository.
	ChartRepository = "oci://docker.io/envoyproxy"
)

// ChartPin is gateway-helm, published as an OCI chart only; the local
// profile may give a local folder (Chart.Source).
var ChartPin = chart.Pin{Name: "gateway-helm", Repository: ChartRepository, Version: ChartVersion, OCIOnly: true, LocalOK: true}

// Envoy Gateway's images, pinned in one place; rendered through
// IngressArgs.Images (rampart:images).
var (
	// ControllerImage is Envoy Gateway's control plane. The digest is not in
	// the upstream sources; it is the one several public deployments pin
	// for v1.9.1 (code search, 2026-12) — verify with
	// `crane digest docker.io/envoyproxy/gateway:v1.9.1` before a release.
	ControllerImage = image.Ref{Registry: "docker.io", Repository: "envoyproxy/gateway", Tag: "v1.9.1",
		Digest: "sha256:0049bcb384c591c6a6dd043fe5c9929ef6e74f230e12dd678d2d3701df9b301e"}
	// ProxyImage is the Envoy data plane: upstream's own pin,
	// api/v1alpha1/shared_types.go DefaultEnvoyProxyImage at v1.9.1.
	ProxyImage = image.Ref{Registry: "docker.io", Repository: "envoyproxy/envoy", Tag: "distroless-v1.39.1",
		Digest: "sha256:eb2c01c13125d1629637cb4e4cce7207009fb7cc2c8027f9742758549d15b6f4"}
	// RateLimitImage is upstream's own pin, DefaultRateLimitImage at v1.9.1
	// (rate limiting stays off; the image is pinned so nothing floats).
	RateLimitImage = image.Ref{Registry: "docker.io", Repository: "envoyproxy/ratelimit", Tag: "8fe6ea42",
		Digest: "sha256:a61547259607d40aff153050c2a87873ca1676d1d9f5f06937d412000dcc2df1"}
)

// Pins are the images the component renders (gateway mode with the chart):
// the keys rampart:images.overrides takes for it.
func Pins() []image.Pin {
	return []image.Pin{{Ref: ControllerImage}, {Ref: ProxyImage}, {Ref: RateLimitImage}}
}

// newChart installs Envoy Gateway into the ingress namespace. Its proxies
// run in the Gateway's namespace (deploy type GatewayNamespace), so the
// ingress namespace's policies govern them. CRDs come from the chart's crds
// subchart (the Gateway API standard channel and Envoy Gateway's). The
// namespace's policies for the controller, certgen and xDS
// (newChartNetworkPolicies) are created first: certgen runs before the
// controller and needs the API server.
func newChart(ctx *pulumi.Context, name string, a *IngressArgs, opts ...pulumi.ResourceOption) (*helmv4.Chart, error) {
	pols, err := newChartNetworkPolicies(ctx, strings.TrimSuffix(name, "-envoy-gateway"), a, opts...)
	if err != nil {
		return nil, err
	}
	img := func(r image.Ref) pulumi.Map { return pulumi.Map{"image": pulumi.String(a.Images.Resolve(r).String())} }
	values := pulumi.Map{
		"global": pulumi.Map{"images": pulumi.Map{
			"envoyGateway": img(ControllerImage),
			"ratelimit":    img(RateLimitImage),
			"envoyProxy":   img(ProxyImage),
		}},
		"crds": pulumi.Map{"enabled": pulumi.Bool(*a.Chart.CRDs)},
		// Its MutatingWebhookConfiguration is a Helm hook, which the chart
		// does not render: the injector would only serve a webhook nobody
		// calls.
		"topologyInjector": pulumi.Map{"enabled": pulumi.Bool(false)},
		// Cluster-scoped objects (ClusterRoles, bindings) are named after
		// the namespace, like the controller's controllerName, so two
		// installs in one cluster never share or delete each other's.
		"fullnameOverride": pulumi.String(fullname(a)),
		"config":           pulumi.Map{"envoyGateway": envoyGatewayConfig(a)},
		"deployment": pulumi.Map{"envoyGateway": pulumi.Map{
			"securityContext": pulumi.ToMap(hardening.ContainerSecurityContextValues()),
		}, "pod": pulumi.Map{"securityContext": pulumi.ToMap(hardening.PodSecurityContextValues(65532))}},
	}
	args := a.Chart.Args(ChartPin, ReleaseName, a.Namespace, values)
	// The chart renders no Helm hook: certgen is Rampart's (newCertgen), and
	// the controller starts once its Secrets exist.
	certgen, err := newCertgen(ctx, name+"-certgen", a, append(opts, pulumi.DependsOn(pols))...)
	if err != nil {
		return nil, err
	}
	ch, err := helmv4.NewChart(ctx, name, args, append(opts, pulumi.DependsOn(append(pols, certgen)))...)
	if err != nil {
		return nil, fmt.Errorf("create chart: %w", err)
	}
	return ch, nil
}

// fullname is the chart's fullnameOverride, the prefix of its object names
// (and of certgen's): the ingress namespace and the release.
func fullname(a *IngressArgs) string { return kname.Join(a.Namespace, ReleaseName) }

// envoyGatewayConfig is the controller's EnvoyGateway configuration: its
// own controllerName, proxies in the Gateway's namespace, the default
// EnvoyProxy's Service type when one is set, and the namespaces it watches:
// the ingress namespace and the routes' and backends' namespaces only
// (WatchedNamespaces). With a watch list the chart grants the controller a
// Role in each of them instead of ClusterRoles that read every Secret and
// create Deployments in every namespace.
func envoyGatewayConfig(a *IngressArgs) pulumi.Map {
	kube := pulumi.Map{
		"deploy": pulumi.Map{"type": pulumi.String("GatewayNamespace")},
		"watch":  pulumi.Map{"type": pulumi.String("Namespaces"), "namespaces": pulumi.ToStringArray(a.WatchedNamespaces())},
	}
	cfg := pulumi.Map{
		"gateway":  pulumi.Map{"controllerName": pulumi.String(ControllerName(a))},
		"provider": pulumi.Map{"type": pulumi.String("Kubernetes"), "kubernetes": kube},
	}
	if a.ServiceType != "" {
		cfg["envoyProxy"] = pulumi.Map{"provider": pulumi.Map{"type": pulumi.String("Kubernetes"),
			"kubernetes": pulumi.Map{"envoyService": pulumi.Map{"type": pulumi.String(string(a.ServiceType))}}}}
	}
	return cfg
}

// WatchedNamespaces are the namespaces Envoy Gateway's controller watches
// and holds a Role in: the ingress namespace (Gateway, policies, proxies,
// listener Secrets) and every route's and backend's namespace, sorted.
func (a *IngressArgs) WatchedNamespaces() []string {
	ns := []string{a.Namespace}
	for _, r := range a.Routes {
		ns = append(ns, r.Namespace)
		if r.Backend != nil && r.Backend.Namespace != "" {
			ns = append(ns, r.Backend.Namespace)
		}
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}
