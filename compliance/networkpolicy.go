package compliance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/inventory"
)

// networkPolicyType is the NetworkPolicy's type token.
const networkPolicyType = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

// tierLabel marks a namespace as platform or tenant (stacks.withTier).
const tierLabel = "rampart.dev/tier"

// nsNameLabel is the label the API server sets to the namespace's name.
const nsNameLabel = "kubernetes.io/metadata.name"

// policiesIn returns the NetworkPolicies of namespace ns.
func (s *state) policiesIn(ns string) []*object {
	if s.policies == nil {
		s.policies = map[string][]*object{}
		for _, p := range s.byType(networkPolicyType) {
			n := p.str("metadata.namespace")
			s.policies[n] = append(s.policies[n], p)
		}
	}
	return s.policies[ns]
}

// checkNetworkPolicies: every namespace has a default-deny policy (empty
// podSelector, Ingress and Egress, no rule), DNS egress on UDP and TCP 53,
// and, for tenants, isolation: ingress only from named namespaces, egress
// only within the namespace — or, for a tenant with apps, one policy per
// app naming every peer and port (appIsolation). An egress to every public
// address stands only on a written publicEgress decision.
//
// Policies are additive: a pod may do what any policy selecting it allows.
// So every rule of every policy in the namespace is judged too
// (netpolrules.go): one admitting everyone fails, whatever the named
// policies say; in a tenant, a declared policy's ingress may name only the
// tenant and the namespaces its declared isolation policy admits. When the
// live cluster was read, the policies are the live ones, those created out
// of band among them (policiesIn): one the stack does not declare that
// allows anything fails, and a declared policy or namespace the cluster
// lacks fails as gone.
func checkNetworkPolicies(s *state) (bool, []Evidence) {
	nss := s.byType(namespaceType)
	exc, pub := s.egressExceptions(), s.publicEgress()
	var ev []Evidence
	for _, ns := range nss {
		name := ns.str("metadata.name")
		pols := s.policiesIn(name)
		ev = append(ev, defaultDeny(ns, name, pols))
		ev = append(ev, dnsEgress(ns, name, pols))
		var tenant *tenantPeers
		if ns.str(field("metadata.labels", tierLabel)) == "tenant" {
			declared := slices.DeleteFunc(slices.Clone(pols), undeclared)
			apps, admitted := appIsolation(name, declared)
			if len(apps) == 0 || byName(declared, netpol.TenantIsolationName) != nil {
				var e Evidence
				e, admitted = tenantIsolation(ns, name, declared)
				apps = append(apps, e)
			}
			ev = append(ev, apps...)
			tenant = &tenantPeers{name: name, admitted: admitted}
		}
		ev = append(ev, ruleEvidence(ns, name, pols, tenant, exc, pub)...)
	}
	gone := s.goneEvidence("Namespace", "NetworkPolicy")
	return len(nss)+len(gone) > 0, append(ev, gone...)
}

// undeclared reports a live object the stack does not declare (created
// out of band, by a known controller, or owned by either): its origin,
// read by the inventory, is not declared. A fact of the state is declared.
func undeclared(o *object) bool {
	return o.live != nil && o.live.Origin != inventory.Declared
}

// tenantPeers is what a tenant's declared policies may admit ingress
// from: the tenant itself and the namespaces its declared isolation
// policy admits.
type tenantPeers struct {
	name     string
	admitted []string
}

// admits reports a namespace a tenant's declared ingress may name.
func (t *tenantPeers) admits(ns string) bool { return ns == t.name || slices.Contains(t.admitted, ns) }

// byName is the policy named n, if any.
func byName(pols []*object, n string) *object {
	for _, p := range pols {
		if p.str("metadata.name") == n {
			return p
		}
	}
	return nil
}

// emptySelector reports a selector that selects every pod.
func emptySelector(v any, present bool) bool {
	m := asMap(v)
	return present && len(asMap(m["matchLabels"])) == 0 && len(asList(m["matchExpressions"])) == 0
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func hasTypes(p *object, want ...string) bool {
	got := map[string]bool{}
	for _, t := range listOf(p, "spec.policyTypes") {
		if s, ok := t.(string); ok {
			got[s] = true
		}
	}
	for _, w := range want {
		if !got[w] {
			return false
		}
	}
	return true
}

// denies reports whether p is a default-deny: it selects every pod, covers
// both directions and allows nothing.
func denies(p *object) bool {
	sel, ok := p.get("spec.podSelector")
	return emptySelector(sel, ok) && hasTypes(p, "Ingress", "Egress") &&
		len(listOf(p, "spec.ingress")) == 0 && len(listOf(p, "spec.egress")) == 0
}

func defaultDeny(ns *object, name string, pols []*object) Evidence {
	for _, p := range pols {
		if denies(p) {
			return Evidence{URN: p.URN, Field: "spec", Value: "podSelector {}, policyTypes [Ingress Egress], no rules", OK: true}
		}
	}
	if p := byName(pols, netpol.DefaultDenyName); p != nil {
		v, _ := p.get("spec")
		return Evidence{URN: p.URN, Field: "spec", Value: show(v), Note: "no longer a default-deny: it selects a subset of pods, misses a direction or allows traffic"}
	}
	return Evidence{URN: ns.URN, Field: "NetworkPolicy " + name + "/" + netpol.DefaultDenyName, Value: "absent",
		Note: fmt.Sprintf("no default-deny NetworkPolicy in namespace %s: every pod accepts and sends any traffic", name)}
}

// port53 reports which protocols rule opens port 53 for.
func port53(rule map[string]any, protos map[string]bool) {
	for _, pp := range asList(rule["ports"]) {
		m := asMap(pp)
		if n, ok := num(m["port"]); !ok || n != 53 {
			continue
		}
		proto, _ := m["protocol"].(string)
		if proto == "" {
			proto = "TCP" // the API's default
		}
		protos[proto] = true
	}
}

func dnsEgress(ns *object, name string, pols []*object) Evidence {
	for _, p := range pols {
		protos := map[string]bool{}
		for _, r := range listOf(p, "spec.egress") {
			port53(asMap(r), protos)
		}
		if protos[string(netpol.UDP)] && protos[string(netpol.TCP)] {
			return Evidence{URN: p.URN, Field: "spec.egress[].ports", Value: "53/UDP, 53/TCP", OK: true}
		}
	}
	if p := byName(pols, netpol.AllowDNSName); p != nil {
		v, _ := p.get("spec.egress")
		return Evidence{URN: p.URN, Field: "spec.egress", Value: show(v), Note: "DNS egress must allow port 53 on both UDP and TCP"}
	}
	return Evidence{URN: ns.URN, Field: "NetworkPolicy " + name + "/" + netpol.AllowDNSName, Value: "absent",
		Note: fmt.Sprintf("no policy in %s allows DNS egress on UDP and TCP 53: under default-deny, name resolution fails", name)}
}

// isolates reports whether p admits ingress only from namespaces named by
// kubernetes.io/metadata.name and egress only to pods of its own
// namespace; from are the namespaces it admits. A peer in another
// namespace must name its pods and its rule the ports: Rampart admits the
// ingress proxies only on the routes' ports, and a rule letting a whole
// namespace in on every port isolates nothing from it.
func isolates(p *object) (bool, string, []string) {
	own := p.str("metadata.namespace")
	sel, ok := p.get("spec.podSelector")
	if !emptySelector(sel, ok) || !hasTypes(p, "Ingress", "Egress") {
		return false, "must select every pod and cover Ingress and Egress", nil
	}
	var from []string
	for _, r := range listOf(p, "spec.ingress") {
		peers := asList(asMap(r)["from"])
		if len(peers) == 0 {
			return false, "an ingress rule without `from` admits every source", nil
		}
		for _, pe := range peers {
			m := asMap(pe)
			nsSel := asMap(m["namespaceSelector"])
			n, _ := asMap(nsSel["matchLabels"])[nsNameLabel].(string)
			if n == "" || m["ipBlock"] != nil || len(asList(nsSel["matchExpressions"])) > 0 {
				return false, "an ingress peer is not a namespace named by " + nsNameLabel, nil
			}
			if n != own {
				if len(asMap(asMap(m["podSelector"])["matchLabels"])) == 0 {
					return false, "the ingress peer " + n + " admits every pod of that namespace, not pods named by labels", nil
				}
				if !namedPorts(asList(asMap(r)["ports"])) {
					return false, "the ingress rule from " + n + " opens every port or a range, not the routes' ports", nil
				}
			}
			from = append(from, n)
		}
	}
	for _, r := range listOf(p, "spec.egress") {
		peers := asList(asMap(r)["to"])
		if len(peers) == 0 {
			return false, "an egress rule without `to` allows every destination", nil
		}
		for _, pe := range peers {
			m := asMap(pe)
			if m["namespaceSelector"] != nil || m["ipBlock"] != nil {
				return false, "an egress peer leaves the namespace", nil
			}
		}
	}
	return true, "ingress from " + strings.Join(from, ", "), from
}

// tenantIsolation judges the tenant's isolation policy among its declared
// policies (pols): the one named tenant-isolation, else the first that
// isolates with an ingress rule. An undeclared policy is never taken for
// it. admitted are the namespaces it admits when it isolates.
func tenantIsolation(ns *object, name string, pols []*object) (e Evidence, admitted []string) {
	p := byName(pols, netpol.TenantIsolationName)
	if p == nil {
		for _, q := range pols {
			if ok, _, _ := isolates(q); ok && len(listOf(q, "spec.ingress")) > 0 {
				p = q
				break
			}
		}
	}
	if p == nil {
		return Evidence{URN: ns.URN, Field: "NetworkPolicy " + name + "/" + netpol.TenantIsolationName, Value: "absent",
			Note: fmt.Sprintf("tenant %s has no isolation policy", name)}, nil
	}
	ok, why, from := isolates(p)
	e = Evidence{URN: p.URN, Field: "spec", Value: why, OK: ok}
	if !ok {
		v, _ := p.get("spec")
		e.Value, e.Note = show(v), why
	}
	return e, from
}

// namedPorts reports a rule's ports as single, named ports: at least one,
// each with a port and no endPort (a port-less entry is every port of its
// protocol).
func namedPorts(ports []any) bool {
	for _, p := range ports {
		m := asMap(p)
		if m["port"] == nil || m["endPort"] != nil {
			return false
		}
	}
	return len(ports) > 0
}
