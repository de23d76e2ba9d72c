package ingress

import (
	"fmt"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/kmeta"
)

// newIngresses renders one networking/v1 Ingress per route, in the
// backend's namespace (an Ingress cannot reach another namespace's
// Service), with TLS for its host and the cert-manager annotation. The TLS
// floor, the redirect and the headers are the controller's settings there
// (see ModeIngress); Rampart sets only what the Ingress API can carry.
func newIngresses(ctx *pulumi.Context, name string, a *IngressArgs, opts ...pulumi.ResourceOption) error {
	for _, r := range a.Routes {
		obj := routeName(name, r)
		ann := hardening.ManagedAnnotations()
		if a.Issuer.Name != "" {
			key := "cert-manager.io/cluster-issuer"
			if a.Issuer.Kind == "Issuer" {
				key = "cert-manager.io/issuer"
			}
			ann[key] = a.Issuer.Name
		}
		_, err := networkingv1.NewIngress(ctx, name+"-ingress-"+obj, &networkingv1.IngressArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name: pulumi.String(obj), Namespace: pulumi.String(r.Backend.Namespace),
				Labels:      pulumi.ToStringMap(kmeta.Labels(nil)),
				Annotations: pulumi.ToStringMap(ann),
			},
			Spec: &networkingv1.IngressSpecArgs{
				IngressClassName: pulumi.String(a.IngressClassName),
				Tls: networkingv1.IngressTLSArray{networkingv1.IngressTLSArgs{
					Hosts: pulumi.ToStringArray([]string{r.Host}), SecretName: pulumi.String(SecretName(r.Host)),
				}},
				Rules: networkingv1.IngressRuleArray{networkingv1.IngressRuleArgs{
					Host: pulumi.String(r.Host),
					Http: &networkingv1.HTTPIngressRuleValueArgs{Paths: networkingv1.HTTPIngressPathArray{networkingv1.HTTPIngressPathArgs{
						Path: pulumi.String(r.Path), PathType: pulumi.String("Prefix"),
						Backend: &networkingv1.IngressBackendArgs{Service: &networkingv1.IngressServiceBackendArgs{
							Name: pulumi.String(r.Backend.Service),
							Port: &networkingv1.ServiceBackendPortArgs{Number: pulumi.Int(r.Backend.Port)},
						}},
					}}},
				}},
			},
		}, opts...)
		if err != nil {
			return fmt.Errorf("create Ingress %s: %w", obj, err)
		}
	}
	return nil
}
