package netpol

import (
	"cmp"
	"fmt"
	"net/netip"
	"strings"

	"github.com/rampart-dev/rampart/helpers/exemption"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Protocol is a NetworkPolicy port protocol.
type Protocol string

// Protocols NetworkPolicy ports accept.
const (
	TCP Protocol = "TCP"
	UDP Protocol = "UDP"
)

// DNS says where cluster DNS runs. Every namespace gets egress to it on UDP
// and TCP 53: TCP carries truncated and large (DNSSEC) answers, and the STOA
// security hardening checklist's UDP-only rule breaks those.
type DNS struct {
	// Namespace of the DNS pods. Default "kube-system".
	Namespace string `json:"namespace,omitempty"`
	// PodLabels select the DNS pods. Default {"k8s-app": "kube-dns"} (nil,
	// the key absent); an empty map is refused, not replaced: it would
	// select every pod of Namespace. The
	// namespace and pod selectors form one peer (AND), unlike the sovereign-cloud hardening guide's
	// two list items, which would admit every kube-system pod.
	PodLabels map[string]string `json:"podLabels,omitempty"`
	// NodeLocalCIDR, when set, also allows NodeLocal DNSCache (usually
	// "169.254.20.10/32"). Default "": not used.
	NodeLocalCIDR string `json:"nodeLocalCidr,omitempty"`
}

// Wide ranges: an address range wider than these prefix lengths (a /15 of
// IPv4 is 131 072 addresses, a /31 of IPv6 a slice of the whole global
// unicast space) is no backend's range but a slice of the internet, so
// allowedTargets and apps' allow.to refuse it, and the compliance report
// treats an ipBlock that wide like 0.0.0.0/0: it stands only on a written
// publicEgress decision.
const (
	WideIPv4Bits = 16
	WideIPv6Bits = 32
)

// Wide reports a range wider than WideIPv4Bits / WideIPv6Bits.
func Wide(p netip.Prefix) bool {
	p = Canonical(p)
	if p.Addr().Is4() {
		return p.Bits() < WideIPv4Bits
	}
	return p.Bits() < WideIPv6Bits
}

// minJustification is the shortest written justification the compliance
// report takes for an exception (an allowed target inside the blocklist,
// publicEgress).
const minJustification = 20

// DefaultDNSPodLabels is DNS.PodLabels when the key is absent: kube-dns's
// (CoreDNS keeps the label).
func DefaultDNSPodLabels() map[string]string { return map[string]string{"k8s-app": "kube-dns"} }

// Peer is a set of in-cluster pods and the TCP port they serve.
type Peer struct {
	// NamespaceLabels select the namespaces; nil means the policy's own.
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// PodLabels select the pods (required: a peer is never "every pod").
	PodLabels map[string]string `json:"podLabels"`
	// Port is the TCP port (required).
	Port int `json:"port"`
}

// AllowedTarget opens egress to a range inside the SSRF blocklist (or any
// explicit range) — an exception that needs a written justification.
type AllowedTarget struct {
	// Name identifies the target in reports.
	Name string `json:"name"`
	// CIDR is the range opened, e.g. "10.20.0.0/24".
	CIDR string `json:"cidr"`
	// Ports are the TCP ports opened (at least one).
	Ports []int `json:"ports"`
	// Justification is required when CIDR overlaps the SSRF blocklist.
	Justification string `json:"justification,omitempty"`
}

// Gateway restricts a gateway's egress (the STOA security hardening checklist "Gateway Egress
// Restriction", to known backends): the control-plane API and in-cluster
// backends on their ports, each backend address exactly, the allowed
// targets on their ports, DNS, and nothing else; any public address (minus
// the SSRF blocklist) only under PublicEgress.
type Gateway struct {
	// PodLabels select the gateway pods (required).
	PodLabels map[string]string `json:"podLabels"`
	// ControlPlane is the control-plane API the gateway calls (optional).
	ControlPlane *Peer `json:"controlPlane,omitempty"`
	// InClusterBackends replace the STOA security hardening checklist's `namespaceSelector: {}` on 443,
	// which admits every pod in the cluster, with an explicit list.
	InClusterBackends []Peer `json:"inClusterBackends,omitempty"`
	// AllowedTargets are the address ranges the gateway reaches, each on its
	// ports: a backend host name's addresses, or a range inside the SSRF
	// blocklist (then with a justification).
	AllowedTargets []AllowedTarget `json:"allowedTargets,omitempty"`
	// PublicEgress, when set, lets the gateway reach every address outside
	// the SSRF blocklist on its ports: a written decision, shown in the
	// compliance report, never a default. Absent: the gateway reaches its
	// backends' addresses only.
	PublicEgress *PublicEgress `json:"publicEgress,omitempty"`
	// Endpoints are the exact addresses of backends written as literal
	// addresses (the stack fills them from rampart:gateway.backends; not a
	// config key).
	Endpoints []Endpoint `json:"-"`
}

// PublicEgress is the typed decision to let the gateway reach any public
// address: its ports and why.
type PublicEgress struct {
	// Ports are the TCP ports opened to every address outside the blocklist
	// (required).
	Ports []int `json:"ports"`
	// Justification says why the backends cannot be listed (20+ characters).
	Justification string `json:"justification"`
	// Approval is the decision's lifecycle (owner, approvedBy, ticket,
	// expires): the stack requires it outside the local profile and refuses
	// an expired one.
	exemption.Approval
}

// Endpoint is one backend address the gateway reaches on one port.
type Endpoint struct {
	// Name is the backend's.
	Name string
	// Addr is the address, rendered as a /32 or /128.
	Addr netip.Addr
	// Port is the URL's port.
	Port int
}

// IngressPeer is the gateway's proxies as a tenant admits them: pods of the
// ingress namespace, on the ports the routes into the tenant name.
type IngressPeer struct {
	// Namespace is rampart:ingress.namespace.
	Namespace string
	// PodLabels select the proxy pods.
	PodLabels map[string]string
	// Ports are the route backends' ports in the tenant; none admits
	// nothing.
	Ports []int
}

// PoliciesArgs configures the network policies of one namespace.
type PoliciesArgs struct {
	// Namespace is the namespace name (required).
	Namespace string
	// DNS defaults to kube-dns in kube-system.
	DNS DNS
	// Ingress, when set, admits the gateway's proxies on its ports only
	// (the STOA security hardening checklist's tenant isolation names the ingress controller's
	// namespace; the sovereign-cloud hardening guide's example opens only the app's port to it).
	// Default none.
	Ingress *IngressPeer
	// Isolation adds the STOA security hardening checklist's tenant-isolation policy (same-namespace
	// traffic plus Ingress). Default true for tenants. Ignored when Apps
	// are declared: their policies replace it.
	Isolation bool
	// Apps, when declared, replace tenant-isolation by one policy per app
	// (apps.go). Default none.
	Apps []App
	// Gateway, when set, adds the gateway egress restriction.
	Gateway *Gateway
}

func (a *PoliciesArgs) withDefaults() *PoliciesArgs {
	out := *a
	out.DNS.Namespace = cmp.Or(out.DNS.Namespace, "kube-system")
	if out.DNS.PodLabels == nil {
		out.DNS.PodLabels = DefaultDNSPodLabels()
	}
	return &out
}

// Validate reports every problem with the args under path.
func (a *PoliciesArgs) Validate(path string) error {
	var l verr.List
	kname.CheckNamespace(&l, path+".namespace", a.Namespace)
	ValidateDNS(&l, path+".dns", a.DNS)
	if in := a.Ingress; in != nil {
		kname.CheckNamespace(&l, path+".ingress.namespace", in.Namespace)
		if len(in.PodLabels) == 0 {
			l.Add(path+".ingress.podLabels", verr.Raw("{}"), "an empty selector admits every pod of the ingress namespace", "give the proxies' labels")
		}
		checkLabels(&l, path+".ingress.podLabels", in.PodLabels)
		checkPortList(&l, path+".ingress.ports", in.Ports, "list each route port once")
	}
	ValidateApps(&l, path+".apps", a.Apps)
	if a.Gateway != nil {
		ValidateGateway(&l, path+".gateway", *a.Gateway)
	}
	return l.Err()
}

// ValidateDNS adds the problems of a DNS block under path.
func ValidateDNS(l *verr.List, path string, d DNS) {
	if d.Namespace != "" {
		kname.CheckNamespace(l, path+".namespace", d.Namespace)
	}
	if d.PodLabels != nil && len(d.PodLabels) == 0 {
		l.NotUnset(path+".podLabels", verr.Raw("{}"), "an empty selector would open port 53 to every pod of the DNS namespace", "{k8s-app: kube-dns}", "give the DNS pods' labels")
	}
	checkLabels(l, path+".podLabels", d.PodLabels)
	if c := d.NodeLocalCIDR; c != "" {
		if pre, err := netip.ParsePrefix(c); err != nil {
			l.Add(path+".nodeLocalCidr", c, "not a CIDR", `use e.g. "169.254.20.10/32"`)
		} else if !pre.IsSingleIP() {
			l.Add(path+".nodeLocalCidr", c, "NodeLocal DNSCache is one address; a range would open port 53 to it all", `use a single address, e.g. "169.254.20.10/32"`)
		}
	}
}

// ValidateGateway adds the problems of a gateway egress block under path.
func ValidateGateway(l *verr.List, path string, g Gateway) {
	if len(g.PodLabels) == 0 {
		l.Add(path+".podLabels", "{}", "an empty selector would restrict every pod as the gateway", `set the gateway's labels, e.g. {"app": "gateway"}`)
	}
	checkLabels(l, path+".podLabels", g.PodLabels)
	if pe := g.PublicEgress; pe != nil {
		if len(pe.Ports) == 0 {
			l.Add(path+".publicEgress.ports", verr.Raw("[]"), "no ports: a rule without ports opens every port to every public address", "list the ports, e.g. [443]")
		}
		checkPortList(l, path+".publicEgress.ports", pe.Ports, "list each port once")
		pe.Approval.Check(l, path+".publicEgress")
		if len(strings.TrimSpace(pe.Justification)) < minJustification {
			l.Add(path+".publicEgress.justification", pe.Justification, "egress to any public address is a written decision the compliance report shows",
				fmt.Sprintf("say why the backends' addresses cannot be listed (at least %d characters), or remove publicEgress", minJustification))
		}
	}
	if g.ControlPlane != nil {
		checkPeer(l, path+".controlPlane", *g.ControlPlane)
	}
	for i, p := range g.InClusterBackends {
		checkPeer(l, fmt.Sprintf("%s.inClusterBackends[%d]", path, i), p)
	}
	for i, t := range g.AllowedTargets {
		CheckAllowedTarget(l, fmt.Sprintf("%s.allowedTargets[%d]", path, i), t)
	}
}

// CheckAllowedTarget validates one SSRF exception.
func CheckAllowedTarget(l *verr.List, p string, t AllowedTarget) {
	if t.Name == "" {
		l.Add(p+".name", t.Name, "missing", "name the target for the compliance report")
	}
	pre, err := netip.ParsePrefix(t.CIDR)
	if err != nil {
		l.Add(p+".cidr", t.CIDR, "not a CIDR", `use e.g. "10.20.0.0/24" or "2001:db8::/64"`)
	} else {
		if pre.Masked() != pre {
			l.Add(p+".cidr", t.CIDR, "host bits set", fmt.Sprintf("use %q", pre.Masked().String()))
		}
		if Canonical(pre) != pre {
			l.Add(p+".cidr", t.CIDR, "an IPv4 range written in IPv6 notation", fmt.Sprintf("use %q", Canonical(pre).String()))
		}
		pre = Canonical(pre)
		if Wide(pre) {
			l.Add(p+".cidr", t.CIDR, fmt.Sprintf("wider than /%d (IPv4) or /%d (IPv6): public egress in all but name, which only rampart:gateway.publicEgress may open, with its written justification", WideIPv4Bits, WideIPv6Bits),
				"list the backend's published ranges, each narrower")
		}
		if b, blocked := Blocked(pre); blocked && len(strings.TrimSpace(t.Justification)) < minJustification {
			l.Add(p+".justification", t.Justification, fmt.Sprintf("%s overlaps the SSRF blocklist entry %s", t.CIDR, b),
				"write why this internal target must be reachable (20+ characters), or remove it")
		}
		for _, m := range MetadataAddresses {
			if pre.Contains(m) {
				l.Add(p+".cidr", t.CIDR, "contains the cloud metadata address "+m.String(), "narrow the range so it excludes the metadata endpoint")
			}
		}
	}
	if len(t.Ports) == 0 {
		l.Add(p+".ports", "[]", "no ports", "list the TCP ports the target serves")
	}
	for j, port := range t.Ports {
		checkPort(l, fmt.Sprintf("%s.ports[%d]", p, j), port)
	}
}

func checkPeer(l *verr.List, p string, peer Peer) {
	if len(peer.PodLabels) == 0 {
		l.Add(p+".podLabels", "{}", "an empty selector admits every pod", "select the peer's pods by label")
	}
	checkLabels(l, p+".podLabels", peer.PodLabels)
	checkLabels(l, p+".namespaceLabels", peer.NamespaceLabels)
	checkPort(l, p+".port", peer.Port)
}

func checkPort(l *verr.List, p string, port int) {
	if port < 1 || port > 65535 {
		l.Add(p, port, "not a TCP/UDP port", "use 1-65535")
	}
}

func checkLabels(l *verr.List, p string, labels map[string]string) {
	for k, v := range labels {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			l.Add(p, k, "not a label key: "+msgs[0], "use a Kubernetes label key such as app.kubernetes.io/name")
		}
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			l.Add(p+"."+k, v, "not a label value: "+msgs[0], "use at most 63 alphanumerics, '-', '_' or '.'")
		}
	}
}
