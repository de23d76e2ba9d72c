package config

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/rampart-dev/rampart/components/kname"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/components/verr"
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

	switch c.Ingress.Mode {
	case IngressGateway, IngressIngress:
	default:
		l.Add(k("ingress.mode"), string(c.Ingress.Mode), "not an ingress mode", "use gateway (Gateway API, the default) or ingress")
	}
	kname.CheckNamespace(&l, k("ingress.namespace"), c.Ingress.Namespace)
	switch c.Ingress.TLSMinVersion {
	case "1.2", "1.3":
	case "1.0", "1.1", "1", "TLSv1", "TLSv1.0", "TLSv1.1":
		l.Add(k("ingress.tlsMinVersion"), c.Ingress.TLSMinVersion, "TLS below 1.2 is deprecated (RFC 8996) and fails NIS2 Art. 21(2)(h) / ISM-1139", `use "1.2" or "1.3"`)
	default:
		l.Add(k("ingress.tlsMinVersion"), c.Ingress.TLSMinVersion, "not a TLS version", `use "1.2" or "1.3"`)
	}
	netpol.ValidateDNS(&l, k("network.dns"), c.Network.DNS)

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
		l.Merge((&namespace.NamespaceArgs{Name: n.Name, Exemption: n.Exemption, Quota: n.Quota}).Validate(k(p)))
		claim(k(p+".name"), n.Name)
	}
	for i, t := range c.Tenants {
		p := fmt.Sprintf("tenants[%d]", i)
		l.Merge((&namespace.NamespaceArgs{Name: t.Name, Quota: t.Quota}).Validate(k(p)))
		claim(k(p+".name"), t.Name)
	}
	if _, ok := seen[c.Ingress.Namespace]; !ok && c.Ingress.Namespace != "" {
		l.Add(k("ingress.namespace"), c.Ingress.Namespace, "not one of rampart:namespaces, so no policy would admit it", "add it to rampart:namespaces or use one listed there")
	}
	if g := c.Gateway; g != nil {
		if _, ok := seen[g.Namespace]; !ok {
			l.Add(k("gateway.namespace"), g.Namespace, "not a namespace of this stack", "use one of rampart:namespaces or rampart:tenants")
		}
		netpol.ValidateGateway(&l, k("gateway"), g.Gateway)
		for i, b := range g.Backends {
			c.checkBackend(ctx, &l, k(fmt.Sprintf("gateway.backends[%d]", i)), b, resolve)
		}
	}
	if c.Profile != ProfileLocal && c.SkipAwait() {
		l.Add(k("kubernetes.skipAwait"), true, "only the local lab (no nodes) may skip waiting for workloads: elsewhere an up would report success for pods that never start",
			"remove rampart:kubernetes.skipAwait")
	}
	c.validateOpenBao(&l, seen)
	c.validatePKI(&l, seen)
	c.validateKeycloak(&l)
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

// numericHost is true for hosts made only of digits, dots and hex markers:
// the shapes inet_aton-style parsers turn into addresses.
func numericHost(h string) bool {
	h = strings.ToLower(h)
	if h == "" || strings.Contains(h, ":") {
		return false
	}
	for _, part := range strings.Split(h, ".") {
		if strings.HasPrefix(part, "0x") {
			if strings.Trim(part[2:], "0123456789abcdef") != "" {
				return false
			}
			continue
		}
		if strings.Trim(part, "0123456789") != "" {
			return false
		}
	}
	return true
}

// checkBackend enforces seed 000's SSRF blocklist on a backend URL: a
// literal address, "localhost" or a DNS answer inside the blocklist is
// refused unless an allowed target with a justification covers it.
func (c *Config) checkBackend(ctx context.Context, l *verr.List, path string, b Backend, resolve Resolver) {
	if b.Name == "" {
		l.Add(path+".name", b.Name, "missing", "name the backend")
	}
	u, err := url.Parse(b.URL)
	if err != nil || u.Host == "" {
		l.Add(path+".url", b.URL, "not an absolute URL", "use https://host[:port]/path")
		return
	}
	if u.Scheme != "https" {
		l.Add(path+".url", b.URL, "backends must be reached over TLS (NIS2 Art. 21(2)(h))", "use an https:// URL")
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if numericHost(host) {
		if _, err := netip.ParseAddr(host); err != nil {
			// 2130706433, 127.1 and 0x7f.1 are 127.0.0.1 to many HTTP clients.
			l.Add(path+".url", b.URL, "a numeric host that is not a canonical IP address (resolvers read forms like 127.1 or 2130706433 as loopback)",
				"write the address in dotted-quad or standard IPv6 form, or use a DNS name")
			return
		}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		addrs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	} else if resolve != nil {
		// A name that does not resolve here cannot be checked; the egress
		// policy still excepts the blocklist at the network layer.
		addrs, _ = resolve(ctx, host)
	}
	for _, a := range addrs {
		block, bad := netpol.BlockedAddr(a)
		if !bad || c.allowed(a) {
			continue
		}
		l.Add(path+".url", b.URL, fmt.Sprintf("%s resolves to %s, inside the SSRF blocklist entry %s", host, a, block),
			"use a public backend, or add a rampart:gateway.allowedTargets entry covering it with a justification")
		return
	}
}

func (c *Config) allowed(a netip.Addr) bool {
	for _, t := range c.Gateway.AllowedTargets {
		if p, err := netip.ParsePrefix(t.CIDR); err == nil && netpol.Canonical(p).Contains(a.Unmap()) && len(strings.TrimSpace(t.Justification)) >= 20 {
			return true
		}
	}
	return false
}
