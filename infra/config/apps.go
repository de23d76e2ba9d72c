package config

import (
	"fmt"
	"slices"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// allNamespaces are the platform namespaces, then the tenants' namespace
// args.
func (c *Config) allNamespaces() []namespace.NamespaceArgs {
	out := slices.Clone(c.Namespaces)
	for _, t := range c.Tenants {
		out = append(out, t.NamespaceArgs)
	}
	return out
}

// tenant returns the tenant named name and its index, if any.
func (c *Config) tenant(name string) (*Tenant, int) {
	for i := range c.Tenants {
		if c.Tenants[i].Name == name {
			return &c.Tenants[i], i
		}
	}
	return nil, -1
}

// AppRoutes are the routes the tenants' apps expose, in tenant and app
// order, with the key each comes from.
func (c *Config) AppRoutes() (routes []ingress.Route, keys []string) {
	for i, t := range c.Tenants {
		for j, a := range t.Apps {
			for k, e := range a.Expose {
				svc, port := e.Service, e.ServicePort
				if svc == "" {
					svc = a.Name
				}
				if port == 0 {
					port = e.Port
				}
				routes = append(routes, ingress.Route{Host: e.Host, Path: e.Path, Namespace: t.Name,
					Backend: &ingress.Backend{Service: svc, Port: port, TargetPort: e.Port, Namespace: t.Name}})
				keys = append(keys, fmt.Sprintf("%s:tenants[%d].apps[%d].expose[%d]", Namespace, i, j, k))
			}
		}
	}
	return routes, keys
}

// validateApps reports the problems of every tenant's apps: each tenant's
// own (netpol.ValidateApps), the routes they expose (checked as
// rampart:ingress.routes are, at their own keys), and every reference to
// another namespace: a peer in a tenant with apps must select a declared
// app that declares the other side (allow.from for allow.to and the
// reverse); a tenant without apps and a platform namespace let nothing in
// from, or out to, another namespace, so a peer there is refused; the
// ingress namespace is reached through expose only. A namespace the stack
// does not manage is taken as declared.
func (c *Config) validateApps(l *verr.List, platform map[string]bool) {
	routes, keys := c.AppRoutes()
	if len(routes) > 0 && !c.Ingress.Enabled {
		l.Add(keys[0], verr.Raw("(a route)"), "rampart:ingress is off, so no proxy would route to the app", "set rampart:ingress.enabled: true, or remove expose")
	}
	if c.Ingress.Enabled {
		d := c.Ingress.WithDefaults()
		seen := map[string]string{}
		for i, r := range d.Routes {
			seen[r.Host+" "+r.Path] = fmt.Sprintf("%s:ingress.routes[%d]", Namespace, i)
			if r.Backend == nil {
				continue // refused by the component's check
			}
			if t, _ := c.tenant(r.Backend.Namespace); t != nil && len(t.Apps) > 0 {
				l.Add(fmt.Sprintf("%s:ingress.routes[%d].backend.namespace", Namespace, i), r.Backend.Namespace,
					"tenant "+t.Name+" declares apps, which admit the proxies only on the ports they expose",
					"move the route to the app's expose in rampart:tenants")
			}
		}
		for i, r := range routes {
			// The app's own keys hold the rest (service, ports): checked by
			// netpol.ValidateApps at those keys.
			r.Path = ingress.PathOrDefault(r.Path)
			d.CheckRouteAddress(l, keys[i], r.Host, r.Path)
			if prev, dup := seen[r.Host+" "+r.Path]; dup {
				l.Add(keys[i]+".path", r.Path, "same host and path as "+prev, "change the host or the path")
			}
			seen[r.Host+" "+r.Path] = keys[i]
		}
	}
	for i, t := range c.Tenants {
		p := fmt.Sprintf("%s:tenants[%d].apps", Namespace, i)
		netpol.ValidateApps(l, p, t.Apps)
		for j, a := range t.Apps {
			ap := fmt.Sprintf("%s[%d].allow", p, j)
			for k, f := range a.Allow.From {
				if f.Namespace != "" && f.App == "" {
					c.checkCrossPeer(l, fmt.Sprintf("%s.from[%d]", ap, k), t.Name, a, f.Namespace, f.PodLabels, f.Ports, false, platform)
				}
			}
			for k, to := range a.Allow.To {
				if to.Namespace != "" && to.App == "" && to.CIDR == "" {
					c.checkCrossPeer(l, fmt.Sprintf("%s.to[%d]", ap, k), t.Name, a, to.Namespace, to.PodLabels, to.Ports, true, platform)
				}
			}
		}
	}
}

// checkCrossPeer checks one peer of app (in tenant self) in namespace ns,
// selected by labels; out is true for an allow.to, false for allow.from.
func (c *Config) checkCrossPeer(l *verr.List, path, self string, app netpol.App, ns string, labels map[string]string, ports []int, out bool, platform map[string]bool) {
	other := "to"
	if out {
		other = "from"
	}
	switch {
	case ns == self:
		l.Add(path+".namespace", ns, "the app's own tenant", "name the app with app: instead")
		return
	case ns == c.Ingress.Namespace:
		l.Add(path+".namespace", ns, "the ingress namespace: its proxies reach apps through routes only", "declare the route under the app's expose")
		return
	case c.Gateway != nil && ns == c.Gateway.Namespace:
		// The gateway's namespace is a platform namespace whose traffic
		// rampart:gateway's own policy decides; an app's policy admits only
		// the peers it declares, and a platform namespace is not one.
		l.Add(path+".namespace", ns, "the gateway's namespace: rampart:gateway's own policy decides its traffic, and an app's policy admits no platform namespace, so the rule would never match traffic",
			"reach the app through a route (expose) instead")
		return
	case platform[ns]:
		l.Add(path+".namespace", ns, "a platform namespace: its isolation keeps its pods to itself, so the rule would never match traffic",
			"reach platform services through what their components open, or use a namespace outside the stack")
		return
	}
	t, ti := c.tenant(ns)
	if t == nil {
		return // a namespace the stack does not manage: its own policies decide
	}
	if len(t.Apps) == 0 {
		l.Add(path+".namespace", ns, "tenant "+ns+" declares no apps: its isolation admits no other tenant and lets its pods reach no other namespace",
			fmt.Sprintf("declare apps in rampart:tenants[%d] with the matching allow.%s", ti, other))
		return
	}
	var match []netpol.App
	for _, b := range t.Apps {
		if netpolicy.Selects(labels, b.PodLabels) {
			match = append(match, b)
		}
	}
	if len(match) == 0 {
		l.Add(path+".podLabels", verr.Raw(fmt.Sprint(labels)), "selects no app declared in tenant "+ns,
			fmt.Sprintf("use the podLabels of one of rampart:tenants[%d].apps", ti))
		return
	}
	for _, b := range match {
		for k, port := range ports {
			if out && !slices.Contains(b.Ports, port) {
				l.Add(fmt.Sprintf("%s.ports[%d]", path, k), port, fmt.Sprintf("not a port app %s of tenant %s serves (ports %v)", b.Name, ns, b.Ports),
					"reach one of its ports")
			}
		}
		if !reciprocates(b, self, app, ports, out) {
			l.Add(path, verr.Raw(fmt.Sprintf("%s/%s", ns, b.Name)), fmt.Sprintf("app %s of tenant %s does not declare allow.%s naming %s/%s on these ports, so the other side drops the traffic", b.Name, ns, other, self, app.Name),
				fmt.Sprintf("add allow.%s {namespace: %s, podLabels: <%s's labels>} to app %s in rampart:tenants[%d]; tenants open traffic between them from both sides", other, self, app.Name, b.Name, ti))
		}
	}
}

// reciprocates reports whether app b (in another tenant) declares the
// other side of traffic with app a of tenant self: for a's allow.to
// (out), an allow.from naming self and selecting a's pods on every port
// a reaches (its ports default to all of b's); for a's allow.from, an
// allow.to naming self and selecting a's pods.
func reciprocates(b netpol.App, self string, a netpol.App, ports []int, out bool) bool {
	if out {
		for _, f := range b.Allow.From {
			admitted := f.Ports
			if len(admitted) == 0 {
				admitted = b.Ports
			}
			if f.Namespace == self && netpolicy.Selects(f.PodLabels, a.PodLabels) &&
				!slices.ContainsFunc(ports, func(p int) bool { return !slices.Contains(admitted, p) }) {
				return true
			}
		}
		return false
	}
	for _, t := range b.Allow.To {
		if t.Namespace == self && netpolicy.Selects(t.PodLabels, a.PodLabels) {
			return true
		}
	}
	return false
}

// ingressPeer is how tenant t admits the gateway's proxies: on the ports of
// the routes into it (rampart:ingress.routes by backend namespace, and its
// apps' expose, which the app policies open themselves). nil when the entry
// point is off.
func (c *Config) ingressPeer(t string) *netpol.IngressPeer {
	if !c.Ingress.Enabled {
		return nil
	}
	a := c.IngressArgs().WithDefaults()
	p := &netpol.IngressPeer{Namespace: a.Namespace, PodLabels: a.ProxyPodLabels}
	for _, r := range c.Ingress.WithDefaults().Routes {
		if r.Backend != nil && r.Backend.Namespace == t && !slices.Contains(p.Ports, r.Backend.TargetPort) {
			p.Ports = append(p.Ports, r.Backend.TargetPort)
		}
	}
	slices.Sort(p.Ports)
	return p
}

// TenantPolicies are the network policies of tenant t.
func (c *Config) TenantPolicies(t Tenant) *netpol.PoliciesArgs {
	return &netpol.PoliciesArgs{Namespace: t.Name, DNS: c.Network.DNS, Isolation: true,
		Ingress: c.ingressPeer(t.Name), Apps: t.Apps}
}

// platformNames is the set of the platform namespaces' names.
func platformNames(nss []namespace.NamespaceArgs) map[string]bool {
	out := map[string]bool{}
	for _, n := range nss {
		out[n.Name] = true
	}
	return out
}
