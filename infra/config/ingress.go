package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Ingress is rampart:ingress: whether the stack renders the entry point, and
// the component's own args (ingress.IngressArgs, decoded straight into; see
// it for every key's default and valid values). mode, namespace and
// tlsMinVersion are read even when the component is off: the namespace is
// the one whose proxies tenants admit on their route ports.
type Ingress struct {
	// Enabled builds the component; default false.
	Enabled bool `json:"enabled"`
	ingress.IngressArgs
}

// ingressDefaults fills rampart:ingress's stack decisions: the domain hosts
// must be under is rampart:domain, the TLS floor the profile's
// (Profile.TLSFloor).
func (c *Config) ingressDefaults() {
	in := &c.Ingress
	in.Domain = cmp.Or(in.Domain, c.Domain)
	in.TLSMinVersion = cmp.Or(in.TLSMinVersion, c.Profile.TLSFloor())
}

// IngressArgs is the component's args for this stack: rampart:ingress,
// with the routes the tenants' apps expose after its own.
func (c *Config) IngressArgs() *ingress.IngressArgs {
	a := c.Ingress.IngressArgs
	routes, _ := c.AppRoutes()
	a.Routes = append(slices.Clone(a.Routes), routes...)
	return &a
}

// validateIngress reports rampart:ingress's problems and a TLS floor below
// the profile's without its justification.
func (c *Config) validateIngress(l *verr.List, namespaces map[string]string) {
	in := &c.Ingress
	k := func(s string) string { return Namespace + ":ingress." + s }
	d := in.WithDefaults()
	l.Merge(d.Validate(Namespace + ":ingress"))
	// A floor below the profile's is a typed choice: its written reason
	// reaches the compliance report as the floor's exception.
	if floor := c.Profile.TLSFloor(); d.TLSMinVersion == ingress.TLS12 && floor != ingress.TLS12 && strings.TrimSpace(in.TLS12Justification) == "" {
		l.Add(k("tls12Justification"), in.TLS12Justification, fmt.Sprintf(`missing: the %s profile's TLS floor is %s (the sovereign-cloud hardening guide) and rampart:ingress.tlsMinVersion "1.2" lowers it; the compliance report shows the written reason as the floor's exception`, c.Profile, floor),
			fmt.Sprintf(`say which clients cannot negotiate TLS 1.3 (at least %d characters), or remove rampart:ingress.tlsMinVersion for the %s floor`, ingress.MinJustification, floor))
	}
	if !in.Enabled {
		return
	}
	if c.Domain != "" && in.Domain != c.Domain {
		l.Add(k("domain"), in.Domain, "differs from rampart:domain "+fmt.Sprintf("%q", c.Domain), "remove rampart:ingress.domain")
	}
	// A chart from a local folder is the lab's (the chart in Envoy
	// Gateway's module zip): a real stack pulls a published chart.
	if in.Chart.Enabled && in.Chart.Local() && c.Profile != ProfileLocal {
		l.Add(k("chart.repository"), in.Chart.Repository, "a local chart folder is for the local profile's lab only", "use oci://docker.io/envoyproxy or your OCI mirror")
	}
	for i, r := range d.Routes {
		if _, ok := namespaces[r.Namespace]; !ok && r.Namespace != "" {
			l.Add(k(fmt.Sprintf("routes[%d].namespace", i)), r.Namespace, "not a namespace of this stack", "use one of rampart:tenants")
		}
		if b := r.Backend; b != nil && b.Namespace != r.Namespace {
			if _, ok := namespaces[b.Namespace]; !ok {
				l.Add(k(fmt.Sprintf("routes[%d].backend.namespace", i)), b.Namespace, "not a namespace of this stack", "use one of rampart:tenants")
			}
		}
	}
}
