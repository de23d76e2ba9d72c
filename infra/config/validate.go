package config

import (
	"context"
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// reservedNamespaces belong to Kubernetes itself.
var reservedNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// Validate reports every problem of the (defaulted) config at once, each as
// "<config key path>: <bad value>: <why> — <fix>". resolve looks up backend
// hosts for the SSRF check (nil: only literal addresses are checked).
func (c *Config) Validate(ctx context.Context, resolve Resolver) error {
	var l verr.List
	k := func(path string) string { return Namespace + ":" + path }

	switch c.Profile {
	case ProfileLocal, ProfileDev, ProfileStaging, ProfileProd:
	case "":
		l.Add(k("profile"), "", "missing", "pulumi config set rampart:profile <local|dev|staging|prod>")
	default:
		l.Add(k("profile"), string(c.Profile), "not a profile", "use local, dev, staging or prod")
	}
	if c.Domain == "" && c.Profile != ProfileLocal {
		l.Add(k("domain"), "", "required outside the local profile (certificates and OIDC URLs are issued for it)", "pulumi config set rampart:domain platform.example.gov.uk")
	} else if c.Domain != "" {
		if msgs := validation.IsDNS1123Subdomain(c.Domain); len(msgs) > 0 || !strings.Contains(c.Domain, ".") {
			l.Add(k("domain"), c.Domain, "not a DNS domain", "use a fully qualified lower-case domain such as platform.example.gov.uk")
		}
	}

	netpol.ValidateDNS(&l, k("network.dns"), c.Network.DNS)
	c.validateExemptions(&l, Clock())

	seen := map[string]string{}
	claim := func(path, name string) {
		if prev, dup := seen[name]; dup {
			l.Add(path, name, "duplicate of "+prev, "give every namespace and tenant a distinct name")
			return
		}
		seen[name] = path
		if reservedNamespaces[name] {
			l.Add(path, name, "reserved by Kubernetes", "choose a namespace name of your own")
		}
	}
	for i, n := range c.Namespaces {
		p := fmt.Sprintf("namespaces[%d]", i)
		l.Merge(n.Validate(k(p)))
		claim(k(p+".name"), n.Name)
	}
	for i, t := range c.Tenants {
		p := fmt.Sprintf("tenants[%d]", i)
		l.Merge(t.NamespaceArgs.Validate(k(p)))
		if t.Exemption != nil {
			l.Add(k(p+".exemption.level"), string(t.Exemption.Level), "a tenant cannot be exempted from restricted: exemptions are for platform namespaces whose components need them, with a justification",
				"remove the exemption; run the workload in a platform namespace of rampart:namespaces with its own justified exemption")
		}
		claim(k(p+".name"), t.Name)
	}
	if _, ok := seen[c.Ingress.Namespace]; !ok && kname.IsNamespace(c.Ingress.Namespace) {
		l.Add(k("ingress.namespace"), c.Ingress.Namespace, "not one of rampart:namespaces, so no policy would admit it", "add it to rampart:namespaces or use one listed there")
	}
	if g := c.Gateway; g != nil {
		if _, ok := seen[g.Namespace]; !ok {
			l.Add(k("gateway.namespace"), g.Namespace, "not a namespace of this stack", "use one of rampart:namespaces or rampart:tenants")
		}
		netpol.ValidateGateway(&l, k("gateway"), g.Gateway)
		names := map[string]int{}
		for i, b := range g.Backends {
			c.checkBackend(ctx, &l, k(fmt.Sprintf("gateway.backends[%d]", i)), b, resolve)
			if j, dup := names[b.Name]; dup && b.Name != "" {
				l.Add(k(fmt.Sprintf("gateway.backends[%d].name", i)), b.Name, fmt.Sprintf("duplicate of rampart:gateway.backends[%d].name", j), "give every backend a distinct name")
			}
			names[b.Name] = i
		}
	}
	if c.Profile != ProfileLocal && c.SkipAwait() {
		l.Add(k("kubernetes.skipAwait"), true, "only the local lab (no nodes) may skip waiting for workloads: elsewhere an up would report success for pods that never start",
			"remove rampart:kubernetes.skipAwait")
	}
	c.validateOpenBao(&l, seen)
	c.validatePKI(&l, seen)
	c.validateKMS(&l)
	c.validateVaultCredentials(&l)
	c.validateKeycloak(&l)
	c.validateIngress(&l, seen)
	c.validateCertManager(&l, seen)
	c.validateAudit(&l, seen)
	c.validateRuntime(&l, seen)
	c.validateCheckers(&l, seen)
	c.validateRBAC(&l)
	c.validateApps(&l, platformNames(c.Namespaces))
	c.validateImages(&l)
	c.validateSovereignty(&l)
	for _, s := range c.Secrets.all() {
		if s.IsSecret {
			continue
		}
		value := "<value>"
		if s == c.Secrets.Kubeconfig {
			value = "\"$(cat kubeconfig)\""
		}
		// The value is never printed: it may be a real credential.
		l.Add(s.Key, verr.Redacted, "a credential stored in plaintext in the stack file",
			fmt.Sprintf("pulumi config rm %s && pulumi config set --secret %s %s", s.Key, s.Key, value))
	}
	return l.Err()
}

// checkBackend enforces the STOA security hardening checklist's SSRF blocklist on a backend URL through
// netpol.CheckBackendURL, which normalises every textual form of the host
// (zones, IPv4-mapped and translated forms, trailing dots, loopback and
// metadata names, …) before checking it, and accepts a blocked address an
// allowed target with a justification covers.
func (c *Config) checkBackend(ctx context.Context, l *verr.List, path string, b Backend, resolve Resolver) {
	if b.Name == "" {
		l.Add(path+".name", b.Name, "missing", "name the backend")
	}
	before := l.Len()
	netpol.CheckBackendURL(ctx, l, path+".url", b.URL, c.Gateway.AllowedTargets, resolve)
	if l.Len() == before {
		c.checkBackendEgress(ctx, l, path, b, resolve)
	}
}
