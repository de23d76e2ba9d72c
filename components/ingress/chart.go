package ingress

import (
	"fmt"
	"strings"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
)

// Envoy Gateway's chart and images, pinned in one place.
const (
	// ChartVersion is gateway-helm's version (Envoy Gateway v1.9.1).
	ChartVersion = "v1.9.1"
	// ChartRepository is gateway-helm's upstream OCI repository.
	ChartRepository = "oci://docker.io/envoyproxy"
	// ControllerImage is Envoy Gateway's control plane. The digest is not in
	// the upstream sources; it is the one several public deployments pin
	// for v1.9.1 (code search, 2026-12) — verify with
	// `crane digest docker.io/envoyproxy/gateway:v1.9.1` before a release.
	ControllerImage = "envoyproxy/gateway:v1.9.1@sha256:0049bcb384c591c6a6dd043fe5c9929ef6e74f230e12dd678d2d3701df9b301e"
	// ProxyImage is the Envoy data plane: upstream's own pin,
	// api/v1alpha1/shared_types.go DefaultEnvoyProxyImage at v1.9.1.
	ProxyImage = "envoyproxy/envoy:distroless-v1.39.1@sha256:eb2c01c13125d1629637cb4e4cce7207009fb7cc2c8027f9742758549d15b6f4"
	// RateLimitImage is upstream's own pin, DefaultRateLimitImage at v1.9.1
	// (rate limiting stays off; the image is pinned so nothing floats).
	RateLimitImage = "envoyproxy/ratelimit:8fe6ea42@sha256:a61547259607d40aff153050c2a87873ca1676d1d9f5f06937d412000dcc2df1"
)

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
	reg := strings.TrimSuffix(a.Chart.Registry, "/") + "/"
	values := pulumi.Map{
		"global": pulumi.Map{"images": pulumi.Map{
			"envoyGateway": pulumi.Map{"image": pulumi.String(reg + ControllerImage)},
			"ratelimit":    pulumi.Map{"image": pulumi.String(reg + RateLimitImage)},
			"envoyProxy":   pulumi.Map{"image": pulumi.String(reg + ProxyImage)},
		}},
		"crds": pulumi.Map{"enabled": pulumi.Bool(true)},
		"config": pulumi.Map{"envoyGateway": pulumi.Map{
			"gateway":  pulumi.Map{"controllerName": pulumi.String(EnvoyGatewayController)},
			"provider": pulumi.Map{"type": pulumi.String("Kubernetes"), "kubernetes": pulumi.Map{"deploy": pulumi.Map{"type": pulumi.String("GatewayNamespace")}}},
		}},
		"deployment": pulumi.Map{"envoyGateway": pulumi.Map{
			"securityContext": pulumi.ToMap(hardening.ContainerSecurityContextValues()),
		}, "pod": pulumi.Map{"securityContext": pulumi.ToMap(hardening.PodSecurityContextValues(65532))}},
	}
	args := &helmv4.ChartArgs{
		Name: pulumi.String(ReleaseName), Namespace: pulumi.String(a.Namespace),
		Version: pulumi.String(a.Chart.Version), Values: values,
		Chart: pulumi.String(strings.TrimSuffix(a.Chart.Repository, "/") + "/gateway-helm"),
	}
	ch, err := helmv4.NewChart(ctx, name, args, append(opts, pulumi.DependsOn(pols))...)
	if err != nil {
		return nil, fmt.Errorf("create chart: %w", err)
	}
	return ch, nil
}
