package stacks

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/infra/config"
)

// EgressException is one address range the stack's NetworkPolicies open on
// purpose, with why: the stack output "egressExceptions" the compliance
// report reads to tell a justified ipBlock inside the SSRF blocklist from
// an unjustified one.
type EgressException struct {
	// CIDR is the range as the policies render it (masked, IPv4 in IPv4
	// notation).
	CIDR string `json:"cidr"`
	// Justification says why the range is reachable: the operator's text for
	// an allowedTargets entry, the config key for an infrastructure address.
	Justification string `json:"justification"`
	// Source is the config key the range comes from.
	Source string `json:"source"`
}

// EgressExceptions lists, for an already validated config, every range the
// rendered policies admit by address on purpose: the justified
// rampart:gateway.allowedTargets and apps' allow.to ranges (with their
// written justification), then the infrastructure addresses
// components reach on a fixed port (NodeLocal DNS, the API server, the
// registries, the audit store, an external OpenBao). Ranges of disabled
// components are left out.
func EgressExceptions(cfg *config.Config) []EgressException {
	var out []EgressException
	add := func(source, justification string, cidrs ...string) {
		for _, c := range cidrs {
			p, err := netip.ParsePrefix(c)
			if err != nil {
				continue // refused by validation already
			}
			out = append(out, EgressException{CIDR: netpol.Canonical(p.Masked()).String(), Justification: justification, Source: source})
		}
	}
	if g := cfg.Gateway; g != nil {
		for _, t := range g.AllowedTargets {
			if strings.TrimSpace(t.Justification) != "" { // a public range is no exception
				add("rampart:gateway.allowedTargets["+t.Name+"]", t.Justification, t.CIDR)
			}
		}
	}
	for i, t := range cfg.Tenants {
		for j, a := range t.Apps {
			for k, to := range a.Allow.To {
				if to.CIDR != "" && strings.TrimSpace(to.Justification) != "" {
					add(fmt.Sprintf("rampart:tenants[%d].apps[%d].allow.to[%d]", i, j, k), to.Justification, to.CIDR)
				}
			}
		}
	}
	if c := cfg.Network.DNS.NodeLocalCIDR; c != "" {
		add("rampart:network.dns.nodeLocalCidr", "NodeLocal DNSCache, reached on port 53 only", c)
	}
	const api = "the Kubernetes API server, reached on its API ports only"
	if cfg.Ingress.Enabled {
		add("rampart:ingress.apiServer.cidrs", api+" (Envoy Gateway's controller and certgen)", cfg.Ingress.APIServer.CIDRs...)
	}
	if cm := cfg.CertManager; cm.Enabled {
		add("rampart:certManager.apiServer.cidrs", api+" (cert-manager)", cm.APIServer.CIDRs...)
		add("rampart:certManager.openbao.cidrs", "the external OpenBao signing the platform's certificates, on its API port only", cm.OpenBao.CIDRs...)
	}
	if rt := cfg.Runtime; rt.Enabled {
		add("rampart:runtime.trivyOperator.apiServer.cidrs", api+" (trivy-operator)", rt.TrivyOperator.APIServer.CIDRs...)
		add("rampart:runtime.trivyOperator.registryCidrs", "the image registries or mirrors trivy-operator pulls from, on 443 only", rt.TrivyOperator.RegistryCIDRs...)
	}
	if au := cfg.Audit; au.Enabled && au.Loki != nil {
		add("rampart:audit.loki.storeCIDRs", "the audit S3 store Loki writes to, on its API port only", au.Loki.StoreCIDRs...)
	}
	return out
}

// exportEgressExceptions exports EgressExceptions as "egressExceptions".
func exportEgressExceptions(ctx *pulumi.Context, cfg *config.Config) {
	list := pulumi.Array{}
	for _, e := range EgressExceptions(cfg) {
		list = append(list, pulumi.ToMap(map[string]any{"cidr": e.CIDR, "justification": e.Justification, "source": e.Source}))
	}
	ctx.Export("egressExceptions", list)
}

// PublicEgressOutput is the stack output holding the publicEgress
// decisions: the compliance report shows each as the exemption of the
// ipBlock that opens every public address, and fails such an ipBlock
// without one.
const PublicEgressOutput = "publicEgress"

// exportPublicEgress exports rampart:gateway.publicEgress, when written, as
// a list of {source, ports, justification}; an empty list otherwise.
func exportPublicEgress(ctx *pulumi.Context, cfg *config.Config) {
	list := pulumi.Array{}
	if g := cfg.Gateway; g != nil && g.PublicEgress != nil {
		ports := pulumi.Array{}
		for _, p := range g.PublicEgress.Ports {
			ports = append(ports, pulumi.Int(p))
		}
		list = append(list, pulumi.Map{"source": pulumi.String("rampart:gateway.publicEgress"), "ports": ports,
			"justification": pulumi.String(g.PublicEgress.Justification)})
	}
	ctx.Export(PublicEgressOutput, list)
}
