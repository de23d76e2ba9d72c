package policy_test

import (
	"strings"
	"testing"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/tests/policy"
)

func runStack(t *testing.T, file string) (*recmock.Recorder, *config.Config) {
	t.Helper()
	return testkit.RunStackFile(t, "../..", file)
}

func allowedCIDRs(cfg *config.Config) []string {
	var out []string
	if cfg.Gateway != nil {
		for _, a := range cfg.Gateway.AllowedTargets {
			out = append(out, a.CIDR)
		}
	}
	// The API server Envoy Gateway's controller and certgen reach: the
	// operator names it in rampart:ingress.apiServer.cidrs (0.0.0.0/0 is
	// refused there), and it is opened only with the chart.
	if cfg.Ingress.Enabled && cfg.Ingress.Chart.Enabled {
		out = append(out, cfg.Ingress.APIServer.CIDRs...)
	}
	return out
}

func TestStacks_SatisfyWholeStackInvariants(t *testing.T) {
	for _, file := range []string{"Pulumi.local.yaml", "Pulumi.prod.yaml"} {
		t.Run(file, func(t *testing.T) {
			rec, cfg := runStack(t, file)
			if len(rec.ByType(policy.NamespaceType)) < len(cfg.Namespaces)+len(cfg.Tenants) {
				t.Fatalf("namespaces registered: %d", len(rec.ByType(policy.NamespaceType)))
			}
			var errs []error
			errs = append(errs, policy.NamespacesLabelledAndDenied(rec)...)
			errs = append(errs, policy.NoBlocklistedIPBlocks(rec, allowedCIDRs(cfg))...)
			errs = append(errs, policy.PodTemplatesPassPSS(rec)...)
			errs = append(errs, policy.NoDuplicateObjects(rec)...)
			if len(errs) > 0 {
				t.Fatalf("invariants broken:\n%s", policy.Errors(errs))
			}
		})
	}
}

func TestStacks_ExemptionsAreJustifiedAndReported(t *testing.T) {
	_, cfg := runStack(t, "Pulumi.local.yaml")
	ex := cfg.Exemptions()
	if len(ex) != 1 || ex[0].Namespace != "falco" || ex[0].Level != "privileged" || len(ex[0].Justification) < 20 || ex[0].Control == "" {
		t.Fatalf("exemptions = %+v", ex)
	}
}

// The invariants must catch what they guard against; each case below breaks
// one on purpose.
func TestInvariants_CatchViolations(t *testing.T) {
	ns := func(ctx *pulumi.Context, name string, labels map[string]string) error {
		_, err := corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(name), Labels: pulumi.ToStringMap(labels)}})
		return err
	}
	restricted := namespace.Labels(&namespace.NamespaceArgs{Name: "x"})
	cases := []struct {
		name    string
		program pulumi.RunFunc
		check   func(*recmock.Recorder) []error
		want    string
	}{
		{"unlabelled namespace", func(ctx *pulumi.Context) error { return ns(ctx, "bare", nil) },
			policy.NamespacesLabelledAndDenied, "namespace bare: missing label pod-security.kubernetes.io/enforce"},
		{"namespace without default deny", func(ctx *pulumi.Context) error { return ns(ctx, "open", restricted) },
			policy.NamespacesLabelledAndDenied, "namespace open: no default-deny-all policy"},
		{"privileged deployment in restricted namespace", func(ctx *pulumi.Context) error {
			if err := ns(ctx, "apps", restricted); err != nil {
				return err
			}
			spec := hardening.RestrictedPodSpec("app", "img", nil, nil)
			spec.Containers = corev1.ContainerArray{corev1.ContainerArgs{Name: pulumi.String("app"), Image: pulumi.String("img"),
				SecurityContext: &corev1.SecurityContextArgs{Privileged: pulumi.Bool(true)}}}
			_, err := appsv1.NewDeployment(ctx, "bad", &appsv1.DeploymentArgs{
				Metadata: &metav1.ObjectMetaArgs{Namespace: pulumi.String("apps")},
				Spec:     &appsv1.DeploymentSpecArgs{Selector: &metav1.LabelSelectorArgs{}, Template: &corev1.PodTemplateSpecArgs{Spec: spec}},
			})
			return err
		}, policy.PodTemplatesPassPSS, "violates PodSecurity restricted:latest: privileged"},
		{"ipBlock admitting RFC 1918", func(ctx *pulumi.Context) error {
			_, err := networkingv1.NewNetworkPolicy(ctx, "leaky", &networkingv1.NetworkPolicyArgs{
				Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("leaky"), Namespace: pulumi.String("apps")},
				Spec: &networkingv1.NetworkPolicySpecArgs{PodSelector: &metav1.LabelSelectorArgs{}, Egress: networkingv1.NetworkPolicyEgressRuleArray{
					networkingv1.NetworkPolicyEgressRuleArgs{To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{
						IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String("0.0.0.0/0"), Except: pulumi.StringArray{pulumi.String("127.0.0.0/8")}}}}}}},
			})
			return err
		}, func(r *recmock.Recorder) []error { return policy.NoBlocklistedIPBlocks(r, nil) }, "apps/leaky: ipBlock 0.0.0.0/0 admits blocklisted 10.0.0.0/8"},
		{"duplicate object", func(ctx *pulumi.Context) error {
			if err := ns(ctx, "twice", restricted); err != nil {
				return err
			}
			_, err := corev1.NewNamespace(ctx, "twice-again", &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("twice")}})
			return err
		}, policy.NoDuplicateObjects, "kubernetes:core/v1:Namespace /twice produced by both twice and twice-again"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := recmock.New()
			if err := rec.Run(tc.program); err != nil {
				t.Fatal(err)
			}
			got := policy.Errors(tc.check(rec))
			if !strings.Contains(got, tc.want) {
				t.Fatalf("invariant found:\n%s\nwant %q", got, tc.want)
			}
		})
	}
}

// The production stack enables the platform services; the invariants above
// must have been checked over them, not over an empty platform.
func TestStacks_ProdBuildsThePlatformServices(t *testing.T) {
	rec, _ := runStack(t, "Pulumi.prod.yaml")
	for _, typ := range []string{"rampart:openbao:OpenBao", "rampart:pki:PKI", "rampart:keycloak:Realm",
		"pulumi:providers:vault", "pulumi:providers:keycloak"} {
		if n := len(rec.ByType(typ)); n != 1 {
			t.Errorf("%s: %d registered, want 1", typ, n)
		}
	}
	local, _ := runStack(t, "Pulumi.local.yaml")
	for _, typ := range []string{"pulumi:providers:vault", "pulumi:providers:keycloak"} {
		if n := len(local.ByType(typ)); n != 0 {
			t.Errorf("local stack builds %s, whose plugin the lab cannot install", typ)
		}
	}
}
