package ingress

import (
	"fmt"

	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/kmeta"
	"github.com/rampart-dev/rampart/helpers/kname"
)

// newCertgen runs Envoy Gateway's certgen (`envoy-gateway certgen`), which
// writes the Secrets the controller and the proxies need for xDS mTLS
// (envoy-gateway, envoy, envoy-rate-limit) before the controller can start.
// gateway-helm ships it as a Helm pre-install hook (templates/certgen.yaml,
// certgen-rbac.yaml), and helm.sh/v4.Chart renders no hook, so the chart
// alone leaves the controller waiting for a Secret for ever: Rampart
// renders the same Job and its namespaced identity (ServiceAccount, a Role
// that may get/create/update Secrets in the ingress namespace only, its
// binding) from typed Go. The topology injector stays off (its webhook is
// a hook too), so certgen patches no webhook and needs no cluster-wide
// role. The pod runs under Rampart's restricted contexts with the
// controller's image; certgenLabels select it for its API-server egress.
func newCertgen(ctx *pulumi.Context, name string, a *IngressArgs, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	objName := kname.Join(fullname(a), "certgen")
	meta := func() *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{
			Name: pulumi.String(objName), Namespace: pulumi.String(a.Namespace),
			Labels: pulumi.ToStringMap(kmeta.Labels(nil)),
		}
	}
	sa, err := corev1.NewServiceAccount(ctx, name+"-sa", &corev1.ServiceAccountArgs{
		Metadata: meta(), AutomountServiceAccountToken: pulumi.Bool(false),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("create certgen service account: %w", err)
	}
	role, err := rbacv1.NewRole(ctx, name+"-role", &rbacv1.RoleArgs{
		Metadata: meta(),
		Rules: rbacv1.PolicyRuleArray{rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.StringArray{pulumi.String("")}, Resources: pulumi.StringArray{pulumi.String("secrets")},
			Verbs: pulumi.ToStringArray([]string{"get", "create", "update"}),
		}},
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("create certgen role: %w", err)
	}
	binding, err := rbacv1.NewRoleBinding(ctx, name+"-rolebinding", &rbacv1.RoleBindingArgs{
		Metadata: meta(),
		RoleRef:  rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: pulumi.String(objName)},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{Kind: pulumi.String("ServiceAccount"), Name: pulumi.String(objName), Namespace: pulumi.String(a.Namespace)}},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{role}))...)
	if err != nil {
		return nil, fmt.Errorf("create certgen role binding: %w", err)
	}
	job, err := batchv1.NewJob(ctx, name, &batchv1.JobArgs{
		Metadata: meta(),
		Spec: batchv1.JobSpecArgs{
			BackoffLimit: pulumi.Int(1),
			Template: corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: pulumi.ToStringMap(certgenLabels)},
				Spec: corev1.PodSpecArgs{
					ServiceAccountName:           pulumi.String(objName),
					AutomountServiceAccountToken: pulumi.Bool(true),
					RestartPolicy:                pulumi.String("Never"),
					SecurityContext:              hardening.PodSecurityContext(),
					Containers: corev1.ContainerArray{corev1.ContainerArgs{
						Name:    pulumi.String("envoy-gateway-certgen"),
						Image:   pulumi.String(a.Images.Resolve(ControllerImage).String()),
						Command: pulumi.ToStringArray([]string{"envoy-gateway", "certgen", "--disable-topology-injector"}),
						Env: corev1.EnvVarArray{
							corev1.EnvVarArgs{Name: pulumi.String("ENVOY_GATEWAY_NAMESPACE"), ValueFrom: &corev1.EnvVarSourceArgs{
								FieldRef: &corev1.ObjectFieldSelectorArgs{FieldPath: pulumi.String("metadata.namespace")}}},
							corev1.EnvVarArgs{Name: pulumi.String("KUBERNETES_CLUSTER_DOMAIN"), Value: pulumi.String("cluster.local")},
						},
						SecurityContext: hardening.ContainerSecurityContext(),
						Resources:       hardening.DefaultResources.Args(),
					}},
				},
			},
		},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{sa, binding}))...)
	if err != nil {
		return nil, fmt.Errorf("create certgen job: %w", err)
	}
	return job, nil
}
