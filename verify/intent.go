// Package verify proves a stack's controls by behaviour on the cluster it
// runs on (`rampart verify`): probe pods in every managed namespace and in a
// throwaway unmanaged one make real connections, a privileged pod is
// submitted with a server-side dry run to every namespace, and the API
// server's /readyz?verbose is recorded. Every expected verdict is computed
// from the stack's declared network intent (the stack output
// "networkIntent", stacks.NetworkIntent), never from a hand-written table
// and never from the rendered NetworkPolicies, so a policy bug shows as a
// mismatch. The result is a compliance.Behaviour: TEST observations beside
// the report's EXAMINE ones.
package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/stacks"
	rbacv1 "k8s.io/api/rbac/v1"
)

// Intent is the stack's declared network intent.
type Intent = stacks.NetworkIntent

// stackType is the type of the resource holding the stack's outputs.
const stackType = "pulumi:pulumi:Stack"

// Observations and expectations, the words of compliance.Check.
const (
	Open     = "open"
	Closed   = "closed"
	Refused  = "refused"
	Admitted = "admitted"
	// NotRun: the probe could not run (its pod failed to start, the run
	// timed out); never what was expected.
	NotRun = "not run"
	// Errored: the probe ran but its answer fits neither open nor closed.
	Errored = "error"
	// Inconclusive: a connection to an address outside the cluster failed,
	// but so did the control's (the unmanaged namespace's client, which no
	// Rampart policy restricts): the target does not answer, so the failure
	// says nothing about the policy. Never what was expected.
	Inconclusive = "inconclusive"
)

// Checklist items the checks prove.
const (
	ItemNetpol = "netpol"
	ItemSSRF   = "ssrf-blocklist"
	ItemPSS    = "pss-restricted"
)

// IntentFromDeployment reads the "networkIntent" output from a stack's
// deployment (the stack resource's outputs).
func IntentFromDeployment(dep apitype.DeploymentV3) (*Intent, error) {
	for _, r := range dep.Resources {
		if string(r.Type) != stackType || r.Delete {
			continue
		}
		v, ok := r.Outputs[stacks.NetworkIntentOutput]
		if !ok {
			break
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("verify: stack output %s: %w", stacks.NetworkIntentOutput, err)
		}
		var in Intent
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, fmt.Errorf("verify: stack output %s: %w", stacks.NetworkIntentOutput, err)
		}
		if len(in.Namespaces) == 0 {
			return nil, fmt.Errorf("verify: stack output %s names no namespace", stacks.NetworkIntentOutput)
		}
		return &in, nil
	}
	return nil, errors.New("verify: the stack's state has no " + stacks.NetworkIntentOutput +
		" output: run `pulumi up` (or `make up`) with this version of Rampart first")
}

// checkersOutput is the stack output of the checkers component: its
// verifierProbeRole and verifierSubjects say whom to bind the probe role
// to in the throwaway namespace.
const checkersOutput = "checkers"

// ProbeBindingFromDeployment reads the verifier's probe ClusterRole and its
// subjects from the stack output "checkers" (stacks/checkers.go), for
// Options.ProbeRole and Options.ProbeSubjects; "" and nil when the stack
// renders no verifier.
func ProbeBindingFromDeployment(dep apitype.DeploymentV3) (string, []rbacv1.Subject) {
	for _, r := range dep.Resources {
		if string(r.Type) != stackType || r.Delete {
			continue
		}
		m, _ := r.Outputs[checkersOutput].(map[string]any)
		role, _ := m["verifierProbeRole"].(string)
		list, _ := m["verifierSubjects"].([]any)
		var subjects []rbacv1.Subject
		for _, v := range list {
			sm, _ := v.(map[string]any)
			str := func(k string) string { s, _ := sm[k].(string); return s }
			if str("kind") == "" || str("name") == "" {
				continue
			}
			subjects = append(subjects, rbacv1.Subject{Kind: str("kind"), Name: str("name"), Namespace: str("namespace"), APIGroup: str("apiGroup")})
		}
		if role == "" || len(subjects) == 0 {
			return "", nil
		}
		return role, subjects
	}
	return "", nil
}

// Peer is a probe pod as the intent sees it: its namespace, its labels and
// whether the stack manages the namespace.
type Peer struct {
	Namespace string
	Labels    map[string]string
	Managed   bool
	// Role names the pod in the report: "" for a plain pod, "gateway pod",
	// "ingress proxy pod".
	Role string
}

// String is how checks name the peer.
func (p Peer) String() string {
	s := p.Namespace
	if !p.Managed {
		s = "unmanaged namespace" // its name changes with every run: the check's Detail has it
	}
	if p.Role != "" {
		s += " " + p.Role
	}
	return s
}

// Expectation is an expected verdict and the declared intent behind it.
type Expectation struct {
	Verdict string
	Why     string
	// Item is the checklist item the check proves.
	Item string
}

// expecter computes expectations from one intent.
type expecter struct {
	in        *Intent
	ns        map[string]stacks.IntentNamespace
	blocklist []netip.Prefix
}

func newExpecter(in *Intent) (*expecter, error) {
	x := &expecter{in: in, ns: map[string]stacks.IntentNamespace{}}
	for _, n := range in.Namespaces {
		x.ns[n.Name] = n
	}
	for _, b := range in.Blocklist {
		p, err := netip.ParsePrefix(b)
		if err != nil {
			return nil, fmt.Errorf("verify: intent blocklist entry %q: %w", b, err)
		}
		x.blocklist = append(x.blocklist, p)
	}
	if len(x.blocklist) == 0 {
		return nil, errors.New("verify: the intent has no SSRF blocklist")
	}
	return x, nil
}

// hasLabels reports whether labels carries every key and value of sel (a
// matchLabels selector; an empty one selects nothing here, as the intent
// never means "every pod" by it).
func hasLabels(labels, sel map[string]string) bool { return netpolicy.Selects(sel, labels) }

func (x *expecter) isProxy(p Peer) bool {
	ing := x.in.Ingress
	return p.Managed && ing.Enabled && p.Namespace == ing.Namespace && hasLabels(p.Labels, ing.ProxyPodLabels)
}

func (x *expecter) isGateway(p Peer) bool {
	g := x.in.Gateway
	return p.Managed && g != nil && p.Namespace == g.Namespace && hasLabels(p.Labels, g.PodLabels)
}

// egressDenied says what a managed client may reach, for a closed verdict.
func (x *expecter) egressDenied(c Peer) string {
	n := x.ns[c.Namespace]
	if len(n.Apps) > 0 {
		if a, ok := appOf(n, c); ok {
			return fmt.Sprintf("%s is app %s, which reaches only its allow.to peers and DNS (%s)", c, a.Name, a.Key)
		}
		return fmt.Sprintf("%s belongs to no app of %s, whose apps alone may send traffic besides DNS (%s.apps)", c, n.Name, n.Key)
	}
	may := []string{"its own namespace", "DNS"}
	if x.isProxy(c) {
		may = append(may, "the route backends (rampart:ingress.routes)")
	}
	if g := x.in.Gateway; x.isGateway(c) {
		if len(g.Endpoints) > 0 {
			may = append(may, "its backends' addresses (rampart:gateway.backends)")
		}
		if len(g.AllowedTargets) > 0 {
			may = append(may, "rampart:gateway.allowedTargets")
		}
		if pe := g.PublicEgress; pe != nil {
			may = append(may, fmt.Sprintf("addresses outside the SSRF blocklist on %v (%s)", pe.Ports, pe.Key))
		}
	}
	return fmt.Sprintf("%s's egress is limited to %s (%s)", c, strings.Join(may, ", "), n.Key)
}

// egressToPod: may managed client c reach server s on TCP port?
func (x *expecter) egressToPod(c, s Peer, port int) (bool, string) {
	n := x.ns[c.Namespace]
	if len(n.Apps) > 0 {
		if a, ok := appOf(n, c); ok {
			for _, q := range a.To {
				if peerHolds(q, s, port) {
					return true, fmt.Sprintf("app %s reaches %s:%d (%s)", a.Name, s, port, q.Key)
				}
			}
		}
		return false, x.egressDenied(c)
	}
	if s.Namespace == c.Namespace {
		return true, fmt.Sprintf("traffic within %s is allowed (%s)", n.Name, n.Key)
	}
	if x.isProxy(c) {
		for _, b := range x.in.Ingress.Backends {
			if b.Namespace == s.Namespace && b.Port == port {
				return true, fmt.Sprintf("the ingress proxies reach the backend %s:%d of %s (%s)", b.Namespace, b.Port, b.Host, b.Key)
			}
		}
	}
	// The gateway's in-cluster peers (controlPlane, inClusterBackends)
	// select pods by their own labels, which no probe server carries.
	return false, x.egressDenied(c)
}

// ingressFrom: does managed server s admit client c on port?
func (x *expecter) ingressFrom(s, c Peer, port int) (bool, string) {
	n := x.ns[s.Namespace]
	if len(n.Apps) > 0 {
		a, ok := appOf(n, s)
		if !ok {
			return false, fmt.Sprintf("%s belongs to no app of %s, and only apps accept traffic (%s.apps)", s, n.Name, n.Key)
		}
		if x.isProxy(c) && slices.Contains(a.Exposed, port) {
			return true, fmt.Sprintf("app %s admits the ingress proxies on its exposed port %d (%s.expose)", a.Name, port, a.Key)
		}
		for _, q := range a.From {
			if peerHolds(q, c, port) {
				return true, fmt.Sprintf("app %s admits %s on %d (%s)", a.Name, c, port, q.Key)
			}
		}
		return false, fmt.Sprintf("app %s admits only the proxies on %v and its allow.from peers (%s)", a.Name, a.Exposed, a.Key)
	}
	if c.Namespace == s.Namespace {
		return true, ""
	}
	if x.isProxy(c) && slices.Contains(n.ProxyPorts, port) {
		return true, fmt.Sprintf("%s admits the ingress proxies on its route port %d (%s; rampart:ingress.routes)", n.Name, port, n.Key)
	}
	if len(n.ProxyPorts) == 0 {
		return false, fmt.Sprintf("%s admits only itself (%s)", n.Name, n.Key)
	}
	return false, fmt.Sprintf("%s admits only itself and the ingress proxies on its route ports %v (%s)", n.Name, n.ProxyPorts, n.Key)
}

// Pod is the expected verdict of a TCP connection from client c to server
// s's port: the client's egress and the server's ingress must both allow
// it; a side in a namespace the stack does not manage restricts nothing.
func (x *expecter) Pod(c, s Peer, port int) Expectation {
	eOK, eWhy := true, ""
	if c.Managed {
		eOK, eWhy = x.egressToPod(c, s, port)
	}
	iOK, iWhy := true, ""
	if s.Managed {
		iOK, iWhy = x.ingressFrom(s, c, port)
	}
	e := Expectation{Item: ItemNetpol}
	switch {
	case !eOK:
		e.Verdict, e.Why = Closed, joinWhy(eWhy, when(!iOK, iWhy))
	case !iOK:
		e.Verdict, e.Why = Closed, iWhy
	default:
		e.Verdict, e.Why = Open, joinWhy(eWhy, iWhy)
		if e.Why == "" {
			e.Why = "neither namespace is managed by the stack: nothing restricts it"
		}
	}
	return e
}

// DNS is the expected verdict of a lookup over UDP or TCP from managed
// client c to cluster DNS.
func (x *expecter) DNS(_ Peer, network string) Expectation {
	d := x.in.DNS
	return Expectation{Verdict: Open, Item: ItemNetpol, Why: fmt.Sprintf(
		"every managed namespace reaches DNS (%s pods %s) on %d/%s (rampart:network.dns)",
		d.Namespace, labelString(d.PodLabels), d.Port, strings.ToUpper(network))}
}

// blocked returns the blocklist entry holding a, if any.
func (x *expecter) blocked(a netip.Addr) (netip.Prefix, bool) {
	a = a.Unmap()
	for _, p := range x.blocklist {
		if p.Contains(a) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// Outside is the expected verdict of a TCP connection from managed client
// c to an address outside the cluster.
func (x *expecter) Outside(c Peer, addr netip.Addr, port int) Expectation {
	addr = addr.Unmap()
	entry, isBlocked := x.blocked(addr)
	e := Expectation{Verdict: Closed, Item: ItemNetpol}
	if isBlocked {
		e.Item = ItemSSRF
	}
	if g := x.in.Gateway; x.isGateway(c) {
		for _, t := range append(slices.Clone(g.Endpoints), g.AllowedTargets...) {
			p, err := netip.ParsePrefix(t.CIDR)
			if err == nil && p.Masked().Contains(addr) && slices.Contains(t.Ports, port) {
				e.Verdict, e.Why = Open, fmt.Sprintf("%s (%s) opens %s on %v", t.Key, t.Name, t.CIDR, t.Ports)
				return e
			}
		}
		switch pe := g.PublicEgress; {
		case isBlocked:
			e.Why = fmt.Sprintf("%s is in the SSRF blocklist entry %s, which the gateway must never reach; no rampart:gateway.allowedTargets entry opens it on %d", addr, entry, port)
		case pe != nil && slices.Contains(pe.Ports, port):
			e.Verdict, e.Why = Open, fmt.Sprintf("the gateway reaches addresses outside the SSRF blocklist on %v (%s: %s)", pe.Ports, pe.Key, pe.Justification)
		default:
			e.Why = x.egressDenied(c)
		}
		return e
	}
	if n := x.ns[c.Namespace]; len(n.Apps) > 0 {
		if a, ok := appOf(n, c); ok {
			for _, q := range a.To {
				p, err := netip.ParsePrefix(q.CIDR)
				if q.CIDR != "" && err == nil && p.Contains(addr) && slices.Contains(q.Ports, port) {
					e.Verdict, e.Why = Open, fmt.Sprintf("app %s reaches %s on %v (%s)", a.Name, q.CIDR, q.Ports, q.Key)
					return e
				}
			}
		}
	}
	if d := x.in.DNS; d.NodeLocalCIDR != "" && port == d.Port {
		if p, err := netip.ParsePrefix(d.NodeLocalCIDR); err == nil && p.Contains(addr) {
			e.Verdict, e.Why = Open, "NodeLocal DNSCache on 53 (rampart:network.dns.nodeLocalCidr)"
			return e
		}
	}
	e.Why = x.egressDenied(c)
	if isBlocked {
		e.Why += fmt.Sprintf("; %s is in the SSRF blocklist entry %s", addr, entry)
	}
	return e
}

// DryRun is the expected answer to a privileged pod submitted to managed
// namespace ns: refused at restricted and baseline (a privileged container
// breaks both), admitted in a namespace exempted to privileged.
func (x *expecter) DryRun(ns string) Expectation {
	n := x.ns[ns]
	e := Expectation{Verdict: Refused, Item: ItemPSS}
	switch n.PodSecurity {
	case "privileged":
		e.Verdict, e.Why = Admitted, fmt.Sprintf("%s is exempted to privileged (%s.exemption): admitted at its level", n.Name, n.Key)
	case "baseline":
		e.Why = fmt.Sprintf("%s enforces baseline under its typed exemption (%s.exemption), which refuses a privileged container too", n.Name, n.Key)
	default:
		e.Why = fmt.Sprintf("%s enforces Pod Security %s (%s)", n.Name, n.PodSecurity, n.Key)
	}
	return e
}

// DryRunBaseline is the expected answer to a pod that Pod Security baseline
// admits and restricted refuses (baselinePod), submitted to managed
// namespace ns: refused where the namespace enforces restricted, admitted
// under a baseline or privileged exemption. The privileged dry run alone
// cannot tell restricted from baseline: both refuse a privileged container.
func (x *expecter) DryRunBaseline(ns string) Expectation {
	n := x.ns[ns]
	e := Expectation{Verdict: Refused, Item: ItemPSS}
	switch n.PodSecurity {
	case "privileged", "baseline":
		e.Verdict, e.Why = Admitted, fmt.Sprintf("%s is exempted to %s (%s.exemption), which admits a pod restricted refuses", n.Name, n.PodSecurity, n.Key)
	default:
		e.Why = fmt.Sprintf("%s enforces Pod Security %s (%s), which refuses what baseline admits: capabilities not dropped, runAsNonRoot and allowPrivilegeEscalation unset", n.Name, n.PodSecurity, n.Key)
	}
	return e
}

func joinWhy(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

func when(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

// labelString renders labels as k=v,k=v, sorted.
func labelString(labels map[string]string) string {
	var kv []string
	for k, v := range labels {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return strings.Join(kv, ",")
}
