package netpol

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/helpers/verr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// App is one workload of a tenant and the only traffic it may have
// (rampart:tenants[].apps[]). A tenant that declares apps gets one policy
// per app (app-<name>) instead of the tenant-wide isolation policy: its pods
// accept connections only from the gateway's proxies on the ports the app
// exposes and from the peers declared here, and reach only the peers
// declared here and cluster DNS. A pod of no app gets DNS and nothing else.
// Every port is TCP.
type App struct {
	// Name is a DNS label, unique in the tenant; the policy is app-<name> and
	// the default Service name of the app's routes.
	Name string `json:"name"`
	// PodLabels select the app's pods (required: an app is never "every
	// pod"). Any two apps' labels must be disjoint: share a key with
	// different values, so that no pod can be both.
	PodLabels map[string]string `json:"podLabels"`
	// Ports are the TCP ports the app's pods serve (container ports). Empty:
	// a pure client, which accepts nothing.
	Ports []int `json:"ports,omitempty"`
	// Expose are the app's routes through rampart:ingress: the gateway's
	// proxies reach the app on exactly these ports.
	Expose []Expose `json:"expose,omitempty"`
	// Allow are the app's declared peers.
	Allow Allow `json:"allow,omitzero"`
}

// Expose is one route to an app: https://<host><path> to the app's Service.
type Expose struct {
	// Host is a name under the stack's domain (required).
	Host string `json:"host"`
	// Path prefix. Default "/".
	Path string `json:"path,omitempty"`
	// Port is the app's port (one of its ports) the proxies reach: the one
	// port the policy opens to them (required).
	Port int `json:"port"`
	// Service is the Service the route names. Default: the app's name.
	Service string `json:"service,omitempty"`
	// ServicePort is the Service's port the route names. Default: Port (a
	// Service whose port differs from its targetPort sets it).
	ServicePort int `json:"servicePort,omitempty"`
}

// Allow lists an app's peers besides the gateway.
type Allow struct {
	// From are the clients the app accepts.
	From []FromPeer `json:"from,omitempty"`
	// To are the servers the app reaches.
	To []ToPeer `json:"to,omitempty"`
}

// FromPeer is a client of an app: another app of the tenant, or pods of
// another namespace.
type FromPeer struct {
	// App is an app of the same tenant, or the app itself (its pods talk
	// to each other, e.g. a cluster's replication port).
	App string `json:"app,omitempty"`
	// Namespace and PodLabels select pods of another namespace (both
	// required together). A Rampart tenant or platform namespace must let
	// them out: a tenant with apps by a matching allow.to.
	Namespace string            `json:"namespace,omitempty"`
	PodLabels map[string]string `json:"podLabels,omitempty"`
	// Ports the client may reach. Default: every port of the app.
	Ports []int `json:"ports,omitempty"`
}

// ToPeer is a server an app reaches: another app of the tenant, pods of
// another namespace, or an address range outside the cluster.
type ToPeer struct {
	// App is an app of the same tenant, or the app itself; Ports must be
	// among its ports.
	App string `json:"app,omitempty"`
	// Namespace and PodLabels select pods of another namespace (both
	// required together). A Rampart tenant with apps must admit the app by a
	// matching allow.from.
	Namespace string            `json:"namespace,omitempty"`
	PodLabels map[string]string `json:"podLabels,omitempty"`
	// CIDR is a range outside the cluster, e.g. "203.0.113.10/32".
	CIDR string `json:"cidr,omitempty"`
	// Ports are the TCP ports reached (required).
	Ports []int `json:"ports"`
	// Justification is required when CIDR overlaps the SSRF blocklist
	// (20+ characters); it shows in the compliance report.
	Justification string `json:"justification,omitempty"`
}

// peerKind names which of a peer's alternatives is set, "" when none is and
// "several" when more than one is.
func peerKind(app, ns string, labels map[string]string, cidr string) string {
	var set []string
	if app != "" {
		set = append(set, "app")
	}
	if ns != "" || labels != nil {
		set = append(set, "namespace")
	}
	if cidr != "" {
		set = append(set, "cidr")
	}
	switch len(set) {
	case 0:
		return ""
	case 1:
		return set[0]
	}
	return "several"
}

// AppPolicyName is the NetworkPolicy object of app name.
func AppPolicyName(name string) string { return "app-" + name }

// ValidateApps adds the problems of one tenant's apps under path (the
// apps list's key): names, selectors, ports, and every reference inside the
// tenant. References to other namespaces are the stack's to check
// (infra/config), which sees every tenant.
func ValidateApps(l *verr.List, path string, apps []App) {
	byName := map[string]int{}
	for i, a := range apps {
		p := fmt.Sprintf("%s[%d]", path, i)
		if msgs := validation.IsDNS1123Label(a.Name); len(msgs) > 0 {
			l.Add(p+".name", a.Name, "not a DNS label: "+msgs[0], "use lower-case letters, digits and '-', e.g. web")
		} else if j, dup := byName[a.Name]; dup {
			l.Add(p+".name", a.Name, fmt.Sprintf("duplicate of %s[%d]", path, j), "give every app of the tenant a distinct name")
		} else {
			byName[a.Name] = i
		}
		if len(a.PodLabels) == 0 {
			l.Add(p+".podLabels", verr.Raw("{}"), "an empty selector would make every pod of the tenant this app", `select the app's pods, e.g. {"app": "web"}`)
		}
		checkLabels(l, p+".podLabels", a.PodLabels)
		for j, b := range apps[:i] {
			if len(a.PodLabels) > 0 && len(b.PodLabels) > 0 && !netpolicy.Disjoint(a.PodLabels, b.PodLabels) {
				l.Add(p+".podLabels", verr.Raw(labelString(a.PodLabels)), fmt.Sprintf("not disjoint from %s[%d] (%s): a pod carrying both apps' labels would take both apps' traffic", path, j, b.Name),
					"give the apps one key with different values, e.g. app: web and app: api")
			}
		}
		checkPortList(l, p+".ports", a.Ports, "list the TCP ports the app's pods serve")
	}
	for i, a := range apps {
		p := fmt.Sprintf("%s[%d]", path, i)
		for j, e := range a.Expose {
			ep := fmt.Sprintf("%s.expose[%d]", p, j)
			if !slices.Contains(a.Ports, e.Port) {
				l.Add(ep+".port", e.Port, fmt.Sprintf("not a port of app %s (ports %v)", a.Name, a.Ports), "expose one of the app's ports, or add it to its ports")
			}
			switch {
			case e.Service != "":
				if msgs := validation.IsDNS1035Label(e.Service); len(msgs) > 0 {
					l.Add(ep+".service", e.Service, "not a Service name: "+msgs[0], "use the app's Service name")
				}
			case validation.IsDNS1123Label(a.Name) == nil && validation.IsDNS1035Label(a.Name) != nil:
				// The route names the Service after the app by default.
				l.Add(ep+".service", verr.Raw("(unset)"), fmt.Sprintf("defaults to the app's name %q, which is no Service name (a Service name starts with a letter)", a.Name),
					"set service to the app's Service name")
			}
			if e.ServicePort != 0 {
				checkPort(l, ep+".servicePort", e.ServicePort)
			}
		}
		for j, f := range a.Allow.From {
			fp := fmt.Sprintf("%s.allow.from[%d]", p, j)
			switch peerKind(f.App, f.Namespace, f.PodLabels, "") {
			case "":
				l.Add(fp, verr.Raw("{}"), "names no peer", "set app (an app of this tenant) or namespace with podLabels")
				continue
			case "several":
				l.Add(fp+".app", f.App, "app and namespace are alternatives", "keep one: app for this tenant, namespace with podLabels for another")
				continue
			case "app":
				checkAppRef(l, fp+".app", f.App, byName)
			case "namespace":
				checkNamespacePeer(l, fp, f.Namespace, f.PodLabels)
			}
			if len(a.Ports) == 0 {
				l.Add(fp, verr.Raw("(a peer)"), fmt.Sprintf("app %s serves no port, so it accepts nothing", a.Name), "list the app's ports, or remove allow.from")
			}
			for k, port := range f.Ports {
				if !slices.Contains(a.Ports, port) {
					l.Add(fmt.Sprintf("%s.ports[%d]", fp, k), port, fmt.Sprintf("not a port of app %s (ports %v)", a.Name, a.Ports), "name ports the app serves, or remove ports for all of them")
				}
			}
		}
		for j, t := range a.Allow.To {
			tp := fmt.Sprintf("%s.allow.to[%d]", p, j)
			if len(t.Ports) == 0 {
				l.Add(tp+".ports", verr.Raw("[]"), "no ports: a rule without ports opens every port", "list the TCP ports the peer serves")
			}
			for k, port := range t.Ports {
				checkPort(l, fmt.Sprintf("%s.ports[%d]", tp, k), port)
			}
			switch peerKind(t.App, t.Namespace, t.PodLabels, t.CIDR) {
			case "":
				l.Add(tp, verr.Raw("{}"), "names no peer", "set app (an app of this tenant), namespace with podLabels, or cidr")
			case "several":
				l.Add(tp, verr.Raw("(several)"), "app, namespace and cidr are alternatives", "split it into one entry per peer")
			case "app":
				if checkAppRef(l, tp+".app", t.App, byName) {
					target := apps[byName[t.App]]
					for k, port := range t.Ports {
						if !slices.Contains(target.Ports, port) {
							l.Add(fmt.Sprintf("%s.ports[%d]", tp, k), port, fmt.Sprintf("not a port app %s serves (ports %v)", t.App, target.Ports),
								"reach one of its ports, or add the port to its ports")
						}
					}
				}
			case "namespace":
				checkNamespacePeer(l, tp, t.Namespace, t.PodLabels)
			case "cidr":
				CheckAllowedTarget(l, tp, AllowedTarget{Name: a.Name, CIDR: t.CIDR, Ports: t.Ports, Justification: t.Justification})
			}
			if t.CIDR == "" && t.Justification != "" {
				l.Add(tp+".justification", verr.Raw("(set)"), "justifies an address range, but the peer is not one", "remove it")
			}
		}
	}
}

// checkAppRef reports whether name is an app of the tenant: another, or
// the app itself (traffic between its own pods, e.g. a cluster's
// replication port).
func checkAppRef(l *verr.List, path, name string, byName map[string]int) bool {
	if _, ok := byName[name]; !ok {
		known := slices.Sorted(maps.Keys(byName))
		l.Add(path, name, "no app of this tenant has this name", "use one of "+strings.Join(known, ", "))
		return false
	}
	return true
}

func checkNamespacePeer(l *verr.List, path, ns string, labels map[string]string) {
	kname.CheckNamespace(l, path+".namespace", ns)
	if len(labels) == 0 {
		l.Add(path+".podLabels", verr.Raw("{}"), "a peer is never every pod of a namespace", "select the peer's pods by label")
	}
	checkLabels(l, path+".podLabels", labels)
}

// checkPortList checks every port and refuses duplicates.
func checkPortList(l *verr.List, path string, ports []int, fix string) {
	seen := map[int]bool{}
	for i, p := range ports {
		checkPort(l, fmt.Sprintf("%s[%d]", path, i), p)
		if seen[p] {
			l.Add(fmt.Sprintf("%s[%d]", path, i), p, "listed twice", fix)
		}
		seen[p] = true
	}
}

// labelString renders labels as {k: v, ...}, sorted.
func labelString(labels map[string]string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		kv = append(kv, k+": "+labels[k])
	}
	return "{" + strings.Join(kv, ", ") + "}"
}

// Edge is traffic from one app of a tenant to another.
type Edge struct{ From, To string }

// Edges are the traffic between a tenant's apps, from either side's
// declaration: web's allow.to {app: api} and api's allow.from {app: web}
// both open web → api, on the union of their ports. Validated apps only.
func Edges(apps []App) map[Edge][]int {
	byName := map[string]App{}
	for _, a := range apps {
		byName[a.Name] = a
	}
	out := map[Edge][]int{}
	add := func(e Edge, ports []int) {
		for _, p := range ports {
			if !slices.Contains(out[e], p) {
				out[e] = append(out[e], p)
			}
		}
		slices.Sort(out[e])
	}
	for _, a := range apps {
		for _, f := range a.Allow.From {
			if f.App != "" {
				add(Edge{f.App, a.Name}, cmpOr(f.Ports, a.Ports))
			}
		}
		for _, t := range a.Allow.To {
			if t.App != "" {
				add(Edge{a.Name, t.App}, t.Ports)
			}
		}
	}
	return out
}

func cmpOr(ports, def []int) []int {
	if len(ports) > 0 {
		return ports
	}
	return def
}

// appSpec is app's policy: ingress from the proxies on its
// exposed ports (when proxies is set) and from its declared clients, egress
// to its declared servers; nothing else in either direction.
func appSpec(app App, apps []App, edges map[Edge][]int, proxies *IngressPeer) *networkingv1.NetworkPolicySpecArgs {
	byName := map[string]App{}
	for _, a := range apps {
		byName[a.Name] = a
	}
	var in networkingv1.NetworkPolicyIngressRuleArray
	var exposed []int
	for _, e := range app.Expose {
		if !slices.Contains(exposed, e.Port) {
			exposed = append(exposed, e.Port)
		}
	}
	slices.Sort(exposed)
	if proxies != nil && len(exposed) > 0 {
		in = append(in, networkingv1.NetworkPolicyIngressRuleArgs{
			From: networkingv1.NetworkPolicyPeerArray{netpolicy.PodsIn(proxies.Namespace, proxies.PodLabels)}, Ports: netpolicy.TCP(exposed...),
		})
	}
	var out networkingv1.NetworkPolicyEgressRuleArray
	for _, other := range apps { // the tenant's order: a stable rendering
		if ports, ok := edges[Edge{other.Name, app.Name}]; ok {
			in = append(in, networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{netpolicy.PodPeer(other.PodLabels)}, Ports: netpolicy.TCP(ports...),
			})
		}
		if ports, ok := edges[Edge{app.Name, other.Name}]; ok {
			out = append(out, networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{netpolicy.PodPeer(other.PodLabels)}, Ports: netpolicy.TCP(ports...),
			})
		}
	}
	for _, f := range app.Allow.From {
		if f.Namespace != "" {
			in = append(in, networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{netpolicy.PodsIn(f.Namespace, f.PodLabels)}, Ports: netpolicy.TCP(cmpOr(f.Ports, app.Ports)...),
			})
		}
	}
	for _, t := range app.Allow.To {
		switch {
		case t.Namespace != "":
			out = append(out, networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{netpolicy.PodsIn(t.Namespace, t.PodLabels)}, Ports: netpolicy.TCP(t.Ports...),
			})
		case t.CIDR != "":
			cidr := Canonical(netip.MustParsePrefix(t.CIDR).Masked()).String() // validated
			out = append(out, networkingv1.NetworkPolicyEgressRuleArgs{
				To: netpolicy.IPPeers(cidr), Ports: netpolicy.TCP(t.Ports...),
			})
		}
	}
	return &networkingv1.NetworkPolicySpecArgs{
		PodSelector: netpolicy.Selector(app.PodLabels),
		PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
		// nil, never empty, when there is no rule: the API server drops an
		// empty list (a perpetual diff); the policy type alone denies.
		Ingress: in,
		Egress:  out,
	}
}
