package compliance

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/components/netpol"
)

// gatewayIngressPorts are the ports rampart:ingress admits from anywhere to
// its proxy pods: 80 and 443, and the 10080/10443 Envoy Gateway's
// unprivileged proxies bind them as (components/ingress/netpol.go).
var gatewayIngressPorts = map[float64]bool{80: true, 443: true, 10080: true, 10443: true}

// ruleEvidence judges every rule of the namespace's policies as a union
// (NetworkPolicies are additive): a rule with no peers, an empty peer, a
// namespaceSelector {} without a podSelector restriction (in a tenant: it
// breaks isolation; elsewhere: every pod of the cluster), or an ipBlock
// inside the SSRF blocklist that no egress exception holds fails. In a
// tenant (tenant non-nil), a declared policy's ingress namespaceSelector
// must name, by kubernetes.io/metadata.name in matchLabels, the tenant or
// a namespace its isolation policy admits (tenantPeer). A policy the stack
// does not declare that has any rule fails as a whole: whatever it allows,
// the stack did not declare it, and it adds to the declared ones. The one
// rule Rampart renders open on purpose — ingress from anywhere to the
// gateway proxies on 80/443 (rampart:ingress) — is reported, not failed.
// With no offending rule, one passing fact sums the namespace up.
func ruleEvidence(ns *object, name string, pols []*object, tenant *tenantPeers, exc []egressException, pub []publicDecision) []Evidence {
	var ev []Evidence
	rules := 0
	for _, p := range pols {
		ingress, egress := len(listOf(p, "spec.ingress")), len(listOf(p, "spec.egress"))
		for _, dir := range [...]struct{ rules, peers, verb string }{{"spec.ingress", "from", "admits every source"}, {"spec.egress", "to", "reaches every destination"}} {
			for i, r := range listOf(p, dir.rules) {
				rules++
				rm := asMap(r)
				path := fmt.Sprintf("%s[%d].%s", dir.rules, i, dir.peers)
				peers := asList(rm[dir.peers])
				if len(peers) == 0 {
					if dir.peers == "from" && gatewayIngress(p, rm) {
						ev = append(ev, Evidence{URN: p.URN, Field: path, Value: "(absent), ports " + show(rm["ports"]), OK: true,
							Note: "rampart:ingress admits clients from anywhere to the gateway proxies on 80/443 only, on purpose"})
						continue
					}
					ev = append(ev, Evidence{URN: p.URN, Field: path, Value: "(absent)",
						Note: fmt.Sprintf("a rule without `%s` %s; policies add up, so it overrides %s's default-deny", dir.peers, dir.verb, name)})
					continue
				}
				for j, pe := range peers {
					at := fmt.Sprintf("%s[%d]", path, j)
					if ib := asMap(asMap(pe)["ipBlock"]); dir.peers == "to" && ib != nil && everyAddress(ib) && !undeclared(p) {
						ev = append(ev, publicEvidence(p, at, rm, ib, pub))
					}
					e, bad := peerEvidence(p, at, asMap(pe), dir.peers == "to", tenant != nil, exc)
					if !bad && dir.peers == "from" && tenant != nil && !undeclared(p) {
						e, bad = tenantPeer(p, at, asMap(pe), tenant)
					}
					if bad {
						ev = append(ev, e)
					}
				}
			}
		}
		if undeclared(p) && ingress+egress > 0 {
			ev = append(ev, Evidence{URN: p.URN, Field: "spec", Value: fmt.Sprintf("%d ingress, %d egress rules", ingress, egress),
				Note: fmt.Sprintf("an undeclared policy opens traffic the stack did not declare; policies add up, so whatever it allows "+
					"is allowed beside %s's declared policies: declare it in the stack or delete it", name)})
		}
	}
	for _, e := range ev {
		if !e.OK && !e.Exempt {
			return ev
		}
	}
	return append(ev, Evidence{URN: ns.URN, Field: "NetworkPolicies of " + name, Value: fmt.Sprintf("%d policies, %d rules", len(pols), rules), OK: true,
		Note: "no rule admits every peer, every namespace or an unexcepted blocklisted address"})
}

// peerEvidence judges one peer; bad is true when it must be reported.
func peerEvidence(p *object, path string, pe map[string]any, egress, tenant bool, exc []egressException) (Evidence, bool) {
	if len(pe) == 0 {
		return Evidence{URN: p.URN, Field: path, Value: "{}", Note: "an empty peer matches everyone"}, true
	}
	if nsSel, ok := pe["namespaceSelector"]; ok && emptySelector(nsSel, true) {
		podSel, has := pe["podSelector"]
		if !has || emptySelector(podSel, true) {
			note := "namespaceSelector {} without a podSelector matches every pod of every namespace"
			if tenant {
				note += ": it breaks tenant isolation"
			}
			return Evidence{URN: p.URN, Field: path + ".namespaceSelector", Value: show(nsSel), Note: note}, true
		}
	}
	ib := asMap(pe["ipBlock"])
	if ib == nil {
		return Evidence{}, false
	}
	if egress {
		e := ipBlockEvidence(p.URN, path+".ipBlock", ib, exc)
		return e, !e.OK && !e.Exempt
	}
	// Ingress by address: only from a range the stack lists (the API
	// server calling a webhook), and never into a tenant.
	cidr, _ := ib["cidr"].(string)
	e := Evidence{URN: p.URN, Field: path + ".ipBlock", Value: cidr}
	pre, err := netip.ParsePrefix(cidr)
	if err != nil {
		e.Note = "unparseable cidr: " + err.Error()
		return e, true
	}
	if tenant {
		e.Note = "a tenant admits ingress only from named namespaces, not by address"
		return e, true
	}
	if _, ok := exceptionFor(netpol.Canonical(pre.Masked()), exc); !ok {
		e.Note = "ingress by address from a range no egressExceptions entry lists"
		return e, true
	}
	return Evidence{}, false
}

// tenantPeer judges an ingress peer of a tenant's declared policy: a
// namespaceSelector must name (kubernetes.io/metadata.name in
// matchLabels, no matchExpressions) the tenant or a namespace its
// isolation policy admits. A peer without one (a podSelector alone) stays
// in the tenant; an ipBlock is judged by peerEvidence.
func tenantPeer(p *object, path string, pe map[string]any, t *tenantPeers) (Evidence, bool) {
	v, ok := pe["namespaceSelector"]
	if !ok || v == nil {
		return Evidence{}, false
	}
	sel := asMap(v)
	e := Evidence{URN: p.URN, Field: path + ".namespaceSelector", Value: show(v)}
	admitted := "none"
	if len(t.admitted) > 0 {
		admitted = strings.Join(t.admitted, ", ")
	}
	n, _ := asMap(sel["matchLabels"])[nsNameLabel].(string)
	switch {
	case len(asList(sel["matchExpressions"])) > 0:
		e.Note = fmt.Sprintf("a tenant names the namespaces it admits by %s in matchLabels; matchExpressions can match any number of namespaces "+
			"(Exists matches every one), which the isolation of %s cannot vouch for", nsNameLabel, t.name)
	case n == "":
		e.Note = fmt.Sprintf("does not name a namespace by %s: it admits every namespace carrying these labels, past the isolation of tenant %s", nsNameLabel, t.name)
	case !t.admits(n):
		e.Note = fmt.Sprintf("admits namespace %s, which is neither tenant %s nor a namespace its isolation policy admits (%s)", n, t.name, admitted)
	default:
		return Evidence{}, false
	}
	return e, true
}

// gatewayIngress reports the rule rampart:ingress renders open on purpose:
// in a policy of the ingress component, TCP ports among 80/443 (and their
// unprivileged 10080/10443) only.
func gatewayIngress(p *object, rule map[string]any) bool {
	if !strings.Contains("$"+p.qualifiedType()+"$", "$"+ingress.TypeToken+"$") {
		return false
	}
	ports := asList(rule["ports"])
	if len(ports) == 0 {
		return false
	}
	for _, pp := range ports {
		m := asMap(pp)
		n, ok := num(m["port"])
		proto, _ := m["protocol"].(string)
		if !ok || !gatewayIngressPorts[n] || (proto != "" && proto != "TCP") || m["endPort"] != nil {
			return false
		}
	}
	return true
}
