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
// inside the SSRF blocklist that no egress exception holds fails. The one
// rule Rampart renders open on purpose — ingress from anywhere to the
// gateway proxies on 80/443 (rampart:ingress) — is reported, not failed.
// With no offending rule, one passing fact sums the namespace up.
func ruleEvidence(ns *object, name string, pols []*object, tenant bool, exc []egressException) []Evidence {
	var ev []Evidence
	rules := 0
	for _, p := range pols {
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
					if e, bad := peerEvidence(p, fmt.Sprintf("%s[%d]", path, j), asMap(pe), dir.peers == "to", tenant, exc); bad {
						ev = append(ev, e)
					}
				}
			}
		}
	}
	for _, e := range ev {
		if !e.OK {
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
