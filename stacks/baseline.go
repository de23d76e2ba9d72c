// Package stacks composes Rampart's components per environment profile, in
// dependency order. It creates no resource a component could own.
package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/infra/providers"
)

// Baseline is what the baseline composition created.
type Baseline struct {
	// Namespaces by namespace name (platform and tenants).
	Namespaces map[string]*namespace.Namespace
	// Policies by namespace name.
	Policies map[string]*netpol.Policies
	// Order lists the namespace names in creation order.
	Order []string
}

// NewBaseline composes the platform namespaces, then the tenants, each with
// its network policies (a tenant's admit the proxies on its route ports
// only, and its apps' replace the tenant-wide isolation); the gateway's
// namespace also gets the gateway egress restriction.
func NewBaseline(ctx *pulumi.Context, cfg *config.Config, p *providers.Providers) (*Baseline, error) {
	b := &Baseline{Namespaces: map[string]*namespace.Namespace{}, Policies: map[string]*netpol.Policies{}}
	opts := []pulumi.ResourceOption{pulumi.Providers(p.Kubernetes)}

	add := func(name string, ns *namespace.NamespaceArgs, pol *netpol.PoliciesArgs) error {
		n, err := namespace.NewNamespace(ctx, name, ns, opts...)
		if err != nil {
			return err
		}
		if g := cfg.Gateway; g != nil && g.Namespace == name {
			pol.Gateway = cfg.GatewayPolicy()
		}
		pols, err := netpol.NewPolicies(ctx, name+"-policies", n.Name, pol, opts...)
		if err != nil {
			return err
		}
		b.Namespaces[name], b.Policies[name] = n, pols
		b.Order = append(b.Order, name)
		return nil
	}
	for _, n := range cfg.Namespaces {
		// Platform namespaces talk only within themselves until a component
		// opens what it needs; the ingress namespace is the way in.
		if err := add(n.Name,
			withTier(n, "platform"),
			&netpol.PoliciesArgs{Namespace: n.Name, DNS: cfg.Network.DNS, Isolation: true}); err != nil {
			return nil, fmt.Errorf("baseline: platform namespace %s: %w", n.Name, err)
		}
	}
	for _, t := range cfg.Tenants {
		if err := add(t.Name, withTier(t.NamespaceArgs, "tenant"), cfg.TenantPolicies(t)); err != nil {
			return nil, fmt.Errorf("baseline: tenant %s: %w", t.Name, err)
		}
	}
	return b, nil
}

// withTier is a namespace's args with Rampart's tier label added to the
// stack's labels.
func withTier(a namespace.NamespaceArgs, tier string) *namespace.NamespaceArgs {
	labels := map[string]string{"rampart.dev/tier": tier}
	for k, v := range a.Labels {
		labels[k] = v
	}
	a.Labels = labels
	return &a
}
