// Package certmanager is the certmanager component: cert-manager from its
// upstream chart (pinned, digest-pinned images, restricted pods), exactly
// the network flows it needs, and the platform's issuers: the sovereign
// ClusterIssuer on OpenBao PKI (bound ServiceAccount tokens, sign/ only) and
// an optional ACME ClusterIssuer. Who runs the ACME directory, and whether
// the stack admits its jurisdiction, is the config layer's sovereignty rule
// (helpers/sovereignty, rampart:sovereignty), not this component's.
package certmanager

import (
	"errors"
	"fmt"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/kmeta"
	"github.com/rampart-dev/rampart/helpers/kname"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:certmanager:CertManager"

// CertManager is what NewCertManager created.
type CertManager struct {
	pulumi.ResourceState

	// Namespace is cert-manager's namespace.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// VaultIssuerName is the sovereign ClusterIssuer rendered here ("" when
	// another component renders it).
	VaultIssuerName pulumi.StringOutput `pulumi:"vaultIssuerName"`
	// ACMEIssuerName is the ACME ClusterIssuer ("" without one).
	ACMEIssuerName pulumi.StringOutput `pulumi:"acmeIssuerName"`
	// NetworkPolicies lists the NetworkPolicy names added to the namespace.
	NetworkPolicies pulumi.StringArrayOutput `pulumi:"networkPolicies"`

	labels pulumi.StringMap
}

// NewCertManager creates the NetworkPolicies in cert-manager's namespace,
// the chart (when enabled), the issuers' ServiceAccount and RBAC, and the
// ClusterIssuers. The namespace must exist (the baseline creates it); pass
// pulumi.DependsOn on it.
func NewCertManager(ctx *pulumi.Context, name string, args *CertManagerArgs, opts ...pulumi.ResourceOption) (*CertManager, error) {
	if args == nil {
		return nil, errors.New("certmanager: args are required")
	}
	a := args.withDefaults()
	if err := errors.Join(args.Validate(""), a.Images.Err(Pins())); err != nil {
		return nil, fmt.Errorf("certmanager %q: %w", name, err)
	}
	c := &CertManager{labels: pulumi.ToStringMap(kmeta.Labels(map[string]string{
		"app.kubernetes.io/part-of": kname.Join(name),
	}))}
	if err := ctx.RegisterComponentResource(TypeToken, name, c, opts...); err != nil {
		return nil, fmt.Errorf("certmanager %q: register: %w", name, err)
	}
	pols, polNames, err := c.policies(ctx, name, a)
	if err != nil {
		return nil, fmt.Errorf("certmanager %q: %w", name, err)
	}
	// Issuers wait for the chart (its CRDs and webhook) when it is ours.
	ready := pols
	if *a.Chart.Enabled {
		ch, err := deployChart(ctx, name, a, c, pols)
		if err != nil {
			return nil, fmt.Errorf("certmanager %q: chart: %w", name, err)
		}
		ready = append(ready, ch)
	}

	// The ServiceAccount a sovereign issuer names: the pki component's
	// (IssuerServiceAccount) or our own vault issuer's, in our namespace.
	sa := a.IssuerServiceAccount
	if a.Vault != nil {
		sa = &ServiceAccountRef{Name: a.Vault.ServiceAccount, Namespace: a.Namespace}
	}
	var issuerDeps []pulumi.Resource
	if sa != nil {
		rs, err := c.tokenRequester(ctx, name, *sa, a.Chart.ControllerServiceAccount, a.Namespace, pols)
		if err != nil {
			return nil, fmt.Errorf("certmanager %q: %w", name, err)
		}
		issuerDeps = append(append(issuerDeps, ready...), rs...)
	}

	c.VaultIssuerName = pulumi.String("").ToStringOutput()
	if v := a.Vault; v != nil {
		if _, err := c.clusterIssuer(ctx, name+"-vault-issuer", v.Name, VaultIssuerSpec(v), issuerDeps); err != nil {
			return nil, fmt.Errorf("certmanager %q: vault ClusterIssuer: %w", name, err)
		}
		c.VaultIssuerName = pulumi.String(v.Name).ToStringOutput()
	}

	c.ACMEIssuerName = pulumi.String("").ToStringOutput()
	if m := a.ACME; m != nil {
		deps := ready
		eabName := kname.Join(m.Name, "eab")
		if m.EAB != nil {
			s, err := c.eabSecret(ctx, name, eabName, a.Namespace, m.EAB.HmacKey, ready)
			if err != nil {
				return nil, fmt.Errorf("certmanager %q: EAB secret: %w", name, err)
			}
			deps = append(append([]pulumi.Resource{}, ready...), s)
		}
		if _, err := c.clusterIssuer(ctx, name+"-acme-issuer", m.Name, ACMEIssuerSpec(m, eabName), deps); err != nil {
			return nil, fmt.Errorf("certmanager %q: ACME ClusterIssuer: %w", name, err)
		}
		c.ACMEIssuerName = pulumi.String(m.Name).ToStringOutput()
	}
	c.Namespace = pulumi.String(a.Namespace).ToStringOutput()
	c.NetworkPolicies = pulumi.ToStringArray(polNames).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"namespace":       c.Namespace,
		"vaultIssuerName": c.VaultIssuerName,
		"acmeIssuerName":  c.ACMEIssuerName,
		"networkPolicies": c.NetworkPolicies,
	}); err != nil {
		return nil, fmt.Errorf("certmanager %q: register outputs: %w", name, err)
	}
	return c, nil
}

// objMeta is the metadata of every object this component owns.
func (c *CertManager) objMeta(name, namespace string) *metav1.ObjectMetaArgs {
	m := &metav1.ObjectMetaArgs{
		Name: pulumi.String(name), Labels: c.labels,
		Annotations: pulumi.ToStringMap(hardening.ManagedAnnotations()),
	}
	if namespace != "" {
		m.Namespace = pulumi.String(namespace)
	}
	return m
}
