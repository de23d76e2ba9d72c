package config

import (
	"cmp"
	"fmt"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Ingress is rampart:ingress: whether the stack renders the entry point, and
// the component's own args (ingress.IngressArgs, decoded straight into; see
// it for every key's default and valid values). mode, namespace and
// tlsMinVersion are read even when the component is off: the namespace is
// the one every tenant admits.
type Ingress struct {
	// Enabled builds the component; default false.
	Enabled bool `json:"enabled"`
	ingress.IngressArgs
}

// ingressDefaults fills rampart:ingress's stack decisions: the domain hosts
// must be under is rampart:domain.
func (c *Config) ingressDefaults() {
	in := &c.Ingress
	in.Domain = cmp.Or(in.Domain, c.Domain)
}

// IngressArgs is the component's args for this stack.
func (c *Config) IngressArgs() *ingress.IngressArgs {
	a := c.Ingress.IngressArgs
	return &a
}

// validateIngress reports rampart:ingress's problems; mode, namespace and
// tlsMinVersion problems already reported by the common checks are not
// repeated.
func (c *Config) validateIngress(l *verr.List, namespaces map[string]string) {
	in := &c.Ingress
	k := func(s string) string { return Namespace + ":ingress." + s }
	reported := map[string]bool{}
	for _, p := range l.Paths() {
		reported[p] = true
	}
	d := in.WithDefaults()
	l.MergeUnless(d.Validate(Namespace+":ingress"), func(path string) bool { return reported[path] })
	if !in.Enabled {
		return
	}
	if c.Domain != "" && in.Domain != c.Domain {
		l.Add(k("domain"), in.Domain, "differs from rampart:domain "+fmt.Sprintf("%q", c.Domain), "remove rampart:ingress.domain")
	}
	if in.Chart.Enabled && c.Profile == ProfileLocal {
		l.Add(k("chart.enabled"), true, "the local lab has no nodes to run Envoy Gateway", "remove chart.enabled from the local stack")
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
