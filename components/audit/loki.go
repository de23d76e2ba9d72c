package audit

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
)

// Environment variables the S3 keys reach Loki through (Secret → env →
// ${…} in the config, expanded by -config.expand-env).
const (
	envAccessKey = "AWS_ACCESS_KEY_ID"
	envSecretKey = "AWS_SECRET_ACCESS_KEY" //nolint:gosec // an environment variable name, not a credential
)

// newLoki deploys Loki (single binary) on the bucket: the keys' Secret, the
// chart with the rendered config, and the network policies that let only
// the agent and the query path in and Loki out only to the store. The
// kubernetes provider comes from the component's provider map.
func newLoki(ctx *pulumi.Context, name string, comp *Audit, a *AuditArgs, deps []pulumi.Resource) error {
	l := a.Loki
	parent := pulumi.Parent(comp)
	release := kname.Join(name, "loki")
	cfg, err := NewLokiConfig(a.Bucket, a.Endpoint, a.Region, *l.RetentionDays)
	if err != nil {
		return err
	}
	rendered, err := cfg.Render()
	if err != nil {
		return err
	}

	secretName := kname.Join(name, "loki-s3")
	secret, err := corev1.NewSecret(ctx, name+"-loki-s3", &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(secretName), Namespace: pulumi.String(l.Namespace)},
		Type:     pulumi.String("Opaque"),
		StringData: pulumi.StringMap{
			envAccessKey: pulumi.ToSecret(a.AccessKeyID).(pulumi.StringOutput),
			envSecretKey: pulumi.ToSecret(a.SecretAccessKey).(pulumi.StringOutput),
		},
	}, parent)
	if err != nil {
		return fmt.Errorf("loki secret: %w", err)
	}

	values := LokiValues(release, l, rendered, secretName, a.Bucket, a.Region)
	chartArgs := l.Chart.Args(LokiChartPin, release, l.Namespace, pulumi.ToMap(values))
	// Loki starts only once the bucket, its lock and its policy exist.
	if _, err := helmv4.NewChart(ctx, name+"-loki", chartArgs, parent,
		pulumi.DependsOn(append(append([]pulumi.Resource{}, deps...), secret))); err != nil {
		return fmt.Errorf("loki chart: %w", err)
	}
	return newLokiNetworkPolicies(ctx, name, release, l, storePort(a.Endpoint), parent)
}

// lokiPodLabels select the chart's Loki pods.
func lokiPodLabels(release string) pulumi.StringMap {
	return pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("loki"), "app.kubernetes.io/instance": pulumi.String(release)}
}

// LokiValues are the chart values: single binary, the rendered config as
// the whole configuration (it holds ${…} references, never a key),
// restricted security contexts, the image by digest, and every optional
// extra (gateway, canary, caches, test pod, rules sidecar, bundled MinIO,
// chart network policy) off: each would add an image or a path Rampart
// does not review.
func LokiValues(release string, l *LokiArgs, rendered, secretName, bucket, region string) map[string]any {
	env := []any{}
	for _, k := range []string{envAccessKey, envSecretKey} {
		env = append(env, map[string]any{"name": k, "valueFrom": map[string]any{
			"secretKeyRef": map[string]any{"name": secretName, "key": k}}})
	}
	return map[string]any{
		"fullnameOverride": release,
		"deploymentMode":   "Monolithic",
		"loki": map[string]any{
			"image": func() map[string]any {
				r := l.Images.Resolve(LokiImage)
				return map[string]any{"registry": r.Registry, "repository": r.Repository, "tag": r.Tag, "digest": r.Digest}
			}(),
			"auth_enabled": true,
			// The chart's own config template is replaced by Rampart's.
			"config":                   rendered,
			"podSecurityContext":       hardening.PodSecurityContextValues(LokiUID),
			"containerSecurityContext": hardening.ContainerSecurityContextValues(),
			"commonConfig":             map[string]any{"replication_factor": 1},
			// Only for the chart's own checks; the rendered config wins.
			"storage": map[string]any{"type": "s3",
				"bucketNames": map[string]any{"chunks": bucket, "ruler": bucket, "admin": bucket},
				"s3":          map[string]any{"region": region, "s3ForcePathStyle": true}},
		},
		"singleBinary": map[string]any{
			"replicas":  1,
			"extraArgs": []any{"-config.expand-env=true"},
			"extraEnv":  env,
		},
		"gateway":       map[string]any{"enabled": false},
		"lokiCanary":    map[string]any{"enabled": false},
		"test":          map[string]any{"enabled": false},
		"chunksCache":   map[string]any{"enabled": false},
		"resultsCache":  map[string]any{"enabled": false},
		"sidecar":       map[string]any{"rules": map[string]any{"enabled": false}},
		"minio":         map[string]any{"enabled": false},
		"networkPolicy": map[string]any{"enabled": false},
	}
}

// newLokiNetworkPolicies adds, on top of the namespace's default-deny and
// DNS baseline, ingress to Loki's HTTP port from the agent and the query
// pods only, and egress from Loki to the S3 store only.
func newLokiNetworkPolicies(ctx *pulumi.Context, name, release string, l *LokiArgs, port int, parent pulumi.ResourceOption) error {
	sel := &metav1.LabelSelectorArgs{MatchLabels: lokiPodLabels(release)}
	peer := func(p PeerArgs) networkingv1.NetworkPolicyPeerArgs { return netpolicy.PodsIn(p.Namespace, p.PodLabels) }
	tcp := netpolicy.TCP
	if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-loki-ingress", &networkingv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(kname.Join(release, "ingress")), Namespace: pulumi.String(l.Namespace)},
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: sel,
			PolicyTypes: pulumi.StringArray{pulumi.String("Ingress")},
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{
				&networkingv1.NetworkPolicyIngressRuleArgs{
					From:  networkingv1.NetworkPolicyPeerArray{peer(l.Agent), peer(l.Query)},
					Ports: tcp(lokiHTTPPort),
				},
			},
		},
	}, parent); err != nil {
		return fmt.Errorf("loki ingress policy: %w", err)
	}
	to := netpolicy.IPPeers(l.StoreCIDRs...)
	if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-loki-egress", &networkingv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(kname.Join(release, "egress")), Namespace: pulumi.String(l.Namespace)},
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: sel,
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress: networkingv1.NetworkPolicyEgressRuleArray{
				&networkingv1.NetworkPolicyEgressRuleArgs{To: to, Ports: tcp(port)},
			},
		},
	}, parent); err != nil {
		return fmt.Errorf("loki egress policy: %w", err)
	}
	return nil
}
