package stacks

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/infra/config"
)

// NetworkIntentOutput is the stack output holding NetworkIntentOf(cfg).
const NetworkIntentOutput = "networkIntent"

// Namespace tiers, as the baseline labels them (rampart.dev/tier).
const (
	TierPlatform = "platform"
	TierTenant   = "tenant"
)

// NetworkIntent is what the stack's config declares about traffic, stated
// once in the stack's outputs ("networkIntent") so that `rampart verify`
// computes every expected verdict from it, on any cluster, without decoding
// the config again and independently of how components/netpol renders it
// into NetworkPolicies: a rendering bug then shows as a mismatch between
// this intent and real connections. Every field names the config key it
// comes from, for the report's "why".
//
// The semantics it states: traffic within a namespace without apps is
// allowed; such a namespace admits ingress only from itself and the ingress
// proxies on ProxyPorts; in a tenant with apps, a pod of an app accepts only
// the proxies on the app's exposed ports and its From peers, and reaches
// only its To peers, and a pod of no app nothing; every namespace reaches
// DNS on 53/UDP and 53/TCP; the ingress proxies reach the route backends'
// namespaces on the backends' pod ports; the gateway's pods reach its
// Endpoints and AllowedTargets on their ports, and any address outside
// Blocklist only on PublicEgress's ports; everything else from a managed
// namespace is denied. NIS2 Art. 21(2)(e).
type NetworkIntent struct {
	// Namespaces are the managed namespaces in creation order: the
	// platform's (rampart:namespaces), then the tenants (rampart:tenants).
	Namespaces []IntentNamespace `json:"namespaces"`
	// DNS is cluster DNS every namespace reaches (rampart:network.dns).
	DNS IntentDNS `json:"dns"`
	// Ingress is the entry point (rampart:ingress).
	Ingress IntentIngress `json:"ingress"`
	// Gateway is the API gateway's egress allow-list (rampart:gateway); nil
	// when the stack has none.
	Gateway *IntentGateway `json:"gateway,omitempty"`
	// Blocklist is the SSRF blocklist (netpol.SSRFBlocklist): ranges no
	// managed namespace may reach unless an allowed target with a written
	// justification covers them.
	Blocklist []string `json:"blocklist"`
}

// IntentNamespace is one managed namespace.
type IntentNamespace struct {
	// Name of the namespace.
	Name string `json:"name"`
	// Tier is TierPlatform or TierTenant.
	Tier string `json:"tier"`
	// Key is the config key declaring it, e.g. "rampart:tenants[1]".
	Key string `json:"key"`
	// PodSecurity is the enforced Pod Security level: restricted, or the
	// level of its typed exemption (Key + ".exemption").
	PodSecurity string `json:"podSecurity"`
	// ProxyPorts are the pod ports on which a tenant without apps admits
	// the ingress proxies: its routes' (rampart:ingress.routes).
	ProxyPorts []int `json:"proxyPorts,omitempty"`
	// Apps are a tenant's apps (Key + ".apps"); when any is declared, they
	// alone say what the tenant's pods may do.
	Apps []IntentApp `json:"apps,omitempty"`
}

// IntentApp is one app of a tenant, its peers resolved: an app of the same
// tenant appears as the tenant's namespace and that app's labels.
type IntentApp struct {
	// Name is the app's name; its policy is "app-<name>".
	Name string `json:"name"`
	// Key is the config key declaring it, "rampart:tenants[i].apps[j]".
	Key string `json:"key"`
	// PodLabels select the app's pods (its podSelector).
	PodLabels map[string]string `json:"podLabels"`
	// Exposed are the ports the ingress proxies reach (expose[].port).
	Exposed []int `json:"exposed,omitempty"`
	// From are the clients the app accepts, To the servers it reaches.
	From []IntentAppPeer `json:"from,omitempty"`
	To   []IntentAppPeer `json:"to,omitempty"`
}

// IntentAppPeer is pods of a namespace, or (To only) an address range, on
// ports.
type IntentAppPeer struct {
	// Namespace and PodLabels select the peer pods (both empty for CIDR).
	Namespace string            `json:"namespace,omitempty"`
	PodLabels map[string]string `json:"podLabels,omitempty"`
	// CIDR is an address range the app reaches (To only).
	CIDR string `json:"cidr,omitempty"`
	// Ports are the TCP ports of the rule.
	Ports []int `json:"ports"`
	// Key is the allow entry's config key. For an app of the same tenant
	// seen from the other side it names that app's entry.
	Key string `json:"key"`
}

// IntentDNS is cluster DNS (rampart:network.dns), reached by every managed
// namespace on 53/UDP and 53/TCP only.
type IntentDNS struct {
	// Namespace and PodLabels select the DNS pods.
	Namespace string            `json:"namespace"`
	PodLabels map[string]string `json:"podLabels"`
	// NodeLocalCIDR is NodeLocal DNSCache's address, when used.
	NodeLocalCIDR string `json:"nodeLocalCidr,omitempty"`
	// Port is 53, on UDP and TCP.
	Port int `json:"port"`
}

// IntentIngress is the entry point (rampart:ingress).
type IntentIngress struct {
	// Enabled: the stack renders the entry point (rampart:ingress.enabled).
	Enabled bool `json:"enabled"`
	// Namespace is rampart:ingress.namespace, whose proxies reach tenants
	// on their route ports only.
	Namespace string `json:"namespace"`
	// ProxyPodLabels select the proxies that reach the backends (set only
	// when Enabled).
	ProxyPodLabels map[string]string `json:"proxyPodLabels,omitempty"`
	// Backends are the routes' backends: the only namespaces and ports the
	// proxies reach.
	Backends []IntentBackend `json:"backends,omitempty"`
}

// IntentBackend is one route's backend (rampart:ingress.routes[i].backend).
type IntentBackend struct {
	// Namespace is the backend Service's namespace.
	Namespace string `json:"namespace"`
	// Port is the pod port the proxies reach (backend.targetPort).
	Port int `json:"port"`
	// Host is the route's host, for the report.
	Host string `json:"host,omitempty"`
	// Key is "rampart:ingress.routes[i].backend".
	Key string `json:"key"`
}

// IntentGateway is the gateway's egress allow-list (rampart:gateway).
type IntentGateway struct {
	// Namespace and PodLabels select the gateway's pods.
	Namespace string            `json:"namespace"`
	PodLabels map[string]string `json:"podLabels"`
	// PublicEgress, when set, is the written decision to reach any address
	// outside the SSRF blocklist on its ports (rampart:gateway.publicEgress).
	PublicEgress *IntentPublicEgress `json:"publicEgress,omitempty"`
	// Endpoints are the backends written as addresses, each opened as
	// exactly that address on its URL's port (rampart:gateway.backends).
	Endpoints []IntentTarget `json:"endpoints,omitempty"`
	// ControlPlane and InClusterBackends are the in-cluster peers the
	// gateway reaches (pods by label, on one TCP port each).
	ControlPlane      *IntentPeer  `json:"controlPlane,omitempty"`
	InClusterBackends []IntentPeer `json:"inClusterBackends,omitempty"`
	// AllowedTargets are the justified exceptions to the blocklist.
	AllowedTargets []IntentTarget `json:"allowedTargets,omitempty"`
}

// IntentPublicEgress is rampart:gateway.publicEgress.
type IntentPublicEgress struct {
	// Ports are the TCP ports open to any public address.
	Ports []int `json:"ports"`
	// Justification is the written reason, shown in the report.
	Justification string `json:"justification"`
	// Key is "rampart:gateway.publicEgress".
	Key string `json:"key"`
}

// IntentPeer is in-cluster pods the gateway reaches on one port.
type IntentPeer struct {
	// NamespaceLabels select the namespaces; nil: the gateway's own.
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// PodLabels select the pods, reached on Port (TCP).
	PodLabels map[string]string `json:"podLabels"`
	Port      int               `json:"port"`
	// Key is the peer's config key, e.g. "rampart:gateway.controlPlane".
	Key string `json:"key"`
}

// IntentTarget is one rampart:gateway.allowedTargets entry.
type IntentTarget struct {
	// Name is the entry's name (a backend's, for an endpoint).
	Name string `json:"name"`
	// CIDR is the address range opened, on Ports (TCP).
	CIDR  string `json:"cidr"`
	Ports []int  `json:"ports"`
	// Key is the entry's config key.
	Key string `json:"key"`
}

// NetworkIntentOf states an already validated config's network intent.
func NetworkIntentOf(cfg *config.Config) NetworkIntent {
	in := NetworkIntent{
		DNS: IntentDNS{
			Namespace: cfg.Network.DNS.Namespace, PodLabels: maps.Clone(cfg.Network.DNS.PodLabels),
			NodeLocalCIDR: cfg.Network.DNS.NodeLocalCIDR, Port: 53,
		},
		Ingress: IntentIngress{Enabled: cfg.Ingress.Enabled, Namespace: cfg.Ingress.Namespace},
	}
	for i, n := range cfg.Namespaces {
		in.Namespaces = append(in.Namespaces, IntentNamespace{
			Name: n.Name, Tier: TierPlatform, Key: fmt.Sprintf("rampart:namespaces[%d]", i),
			PodSecurity: string(n.EnforceLevel()),
		})
	}
	for i, t := range cfg.Tenants {
		n := IntentNamespace{
			Name: t.Name, Tier: TierTenant, Key: fmt.Sprintf("rampart:tenants[%d]", i),
			PodSecurity: string(t.EnforceLevel()), Apps: intentApps(t, fmt.Sprintf("rampart:tenants[%d].apps", i)),
		}
		if p := cfg.TenantPolicies(t).Ingress; p != nil && len(t.Apps) == 0 {
			n.ProxyPorts = slices.Clone(p.Ports)
		}
		in.Namespaces = append(in.Namespaces, n)
	}
	if cfg.Ingress.Enabled {
		a := cfg.IngressArgs().WithDefaults()
		_, appRouteKeys := cfg.AppRoutes()
		in.Ingress.ProxyPodLabels = maps.Clone(a.ProxyPodLabels)
		for i, r := range a.Routes {
			if r.Backend == nil {
				continue // refused by validation already
			}
			key := fmt.Sprintf("rampart:ingress.routes[%d].backend", i)
			if i >= len(cfg.Ingress.Routes) {
				key = appRouteKeys[i-len(cfg.Ingress.Routes)]
			}
			in.Ingress.Backends = append(in.Ingress.Backends, IntentBackend{
				Namespace: r.Backend.Namespace, Port: r.Backend.TargetPort, Host: r.Host, Key: key,
			})
		}
	}
	if g := cfg.Gateway; g != nil {
		gw := &IntentGateway{Namespace: g.Namespace, PodLabels: maps.Clone(g.PodLabels)}
		if pe := g.PublicEgress; pe != nil {
			gw.PublicEgress = &IntentPublicEgress{Ports: slices.Clone(pe.Ports), Justification: pe.Justification, Key: "rampart:gateway.publicEgress"}
		}
		for _, e := range cfg.GatewayPolicy().Endpoints {
			i := slices.IndexFunc(g.Backends, func(b config.Backend) bool { return b.Name == e.Name })
			gw.Endpoints = append(gw.Endpoints, IntentTarget{Name: e.Name, CIDR: netip.PrefixFrom(e.Addr, e.Addr.BitLen()).String(),
				Ports: []int{e.Port}, Key: fmt.Sprintf("rampart:gateway.backends[%d]", i)})
		}
		peer := func(p netpol.Peer, key string) IntentPeer {
			return IntentPeer{NamespaceLabels: maps.Clone(p.NamespaceLabels), PodLabels: maps.Clone(p.PodLabels), Port: p.Port, Key: key}
		}
		if cp := g.ControlPlane; cp != nil {
			p := peer(*cp, "rampart:gateway.controlPlane")
			gw.ControlPlane = &p
		}
		for i, b := range g.InClusterBackends {
			gw.InClusterBackends = append(gw.InClusterBackends, peer(b, fmt.Sprintf("rampart:gateway.inClusterBackends[%d]", i)))
		}
		for i, t := range g.AllowedTargets {
			gw.AllowedTargets = append(gw.AllowedTargets, IntentTarget{
				Name: t.Name, CIDR: t.CIDR, Ports: slices.Clone(t.Ports), Key: fmt.Sprintf("rampart:gateway.allowedTargets[%d]", i),
			})
		}
		in.Gateway = gw
	}
	for _, p := range netpol.SSRFBlocklist {
		in.Blocklist = append(in.Blocklist, p.String())
	}
	return in
}

// intentApps resolves tenant t's apps (declared under key).
func intentApps(t config.Tenant, key string) []IntentApp {
	labels := map[string]map[string]string{}
	for _, a := range t.Apps {
		labels[a.Name] = a.PodLabels
	}
	edges := netpol.Edges(t.Apps)
	var out []IntentApp
	for i, a := range t.Apps {
		ak := fmt.Sprintf("%s[%d]", key, i)
		ia := IntentApp{Name: a.Name, Key: ak, PodLabels: maps.Clone(a.PodLabels)}
		for _, e := range a.Expose {
			if !slices.Contains(ia.Exposed, e.Port) {
				ia.Exposed = append(ia.Exposed, e.Port)
			}
		}
		slices.Sort(ia.Exposed)
		for _, b := range t.Apps {
			if ports, ok := edges[netpol.Edge{From: b.Name, To: a.Name}]; ok {
				ia.From = append(ia.From, IntentAppPeer{Namespace: t.Name, PodLabels: maps.Clone(b.PodLabels), Ports: ports, Key: ak + ".allow (app " + b.Name + ")"})
			}
			if ports, ok := edges[netpol.Edge{From: a.Name, To: b.Name}]; ok {
				ia.To = append(ia.To, IntentAppPeer{Namespace: t.Name, PodLabels: maps.Clone(b.PodLabels), Ports: ports, Key: ak + ".allow (app " + b.Name + ")"})
			}
		}
		for j, f := range a.Allow.From {
			if f.Namespace != "" {
				ports := f.Ports
				if len(ports) == 0 {
					ports = a.Ports
				}
				ia.From = append(ia.From, IntentAppPeer{Namespace: f.Namespace, PodLabels: maps.Clone(f.PodLabels), Ports: slices.Clone(ports), Key: fmt.Sprintf("%s.allow.from[%d]", ak, j)})
			}
		}
		for j, to := range a.Allow.To {
			if to.App == "" {
				cidr := to.CIDR
				if cidr != "" {
					cidr = netpol.Canonical(netip.MustParsePrefix(cidr).Masked()).String() // validated
				}
				ia.To = append(ia.To, IntentAppPeer{Namespace: to.Namespace, PodLabels: maps.Clone(to.PodLabels), CIDR: cidr, Ports: slices.Clone(to.Ports), Key: fmt.Sprintf("%s.allow.to[%d]", ak, j)})
			}
		}
		out = append(out, ia)
	}
	return out
}

// exportNetworkIntent exports NetworkIntentOf(cfg) as "networkIntent", in
// the JSON shape of NetworkIntent (rampart verify decodes it back). The JSON
// round trip cannot fail: the intent holds only strings, ints, bools and
// maps and slices of them.
func exportNetworkIntent(ctx *pulumi.Context, cfg *config.Config) {
	raw, _ := json.Marshal(NetworkIntentOf(cfg))
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	ctx.Export(NetworkIntentOutput, pulumi.ToMap(m))
}
