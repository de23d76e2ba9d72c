package compliance

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/components/netpol"
)

// publicDecision is one entry of the stack output "publicEgress"
// (stacks.exportPublicEgress): the written decision to reach every public
// address on some ports.
type publicDecision struct {
	ports                 []float64
	source, justification string
}

// publicEgress reads the stack output "publicEgress"; an entry without a
// justification decides nothing.
func (s *state) publicEgress() []publicDecision {
	v, _ := s.output("publicEgress")
	var out []publicDecision
	for _, e := range asList(v) {
		m := asMap(e)
		d := publicDecision{}
		d.source, _ = m["source"].(string)
		d.justification, _ = m["justification"].(string)
		for _, p := range asList(m["ports"]) {
			if n, ok := num(p); ok {
				d.ports = append(d.ports, n)
			}
		}
		if strings.TrimSpace(d.justification) != "" {
			out = append(out, d)
		}
	}
	return out
}

// everyAddress reports an ipBlock that holds every address of its family
// (0.0.0.0/0, ::/0) or a slice of it wider than netpol.Wide allows: public
// egress, whatever it excepts.
func everyAddress(ib map[string]any) bool {
	cidr, _ := ib["cidr"].(string)
	p, err := netip.ParsePrefix(cidr)
	return err == nil && netpol.Wide(p)
}

// publicEvidence judges an egress rule whose ipBlock is public egress:
// exempt under a publicEgress decision whose ports cover the rule's, in
// the gateway's own policy (the decision is the gateway's); a failure
// otherwise. A rule without ports opens every port, and a port range
// (endPort) or another protocol than TCP is more than any decision names.
func publicEvidence(p *object, path string, rule, ib map[string]any, pub []publicDecision) Evidence {
	cidr, _ := ib["cidr"].(string)
	var ports []float64
	exact := len(asList(rule["ports"])) > 0
	for _, pp := range asList(rule["ports"]) {
		m := asMap(pp)
		n, ok := num(m["port"])
		proto, _ := m["protocol"].(string)
		if !ok || m["endPort"] != nil || (proto != "" && proto != "TCP") {
			exact = false
			continue
		}
		ports = append(ports, n)
	}
	e := Evidence{URN: p.URN, Field: path + ".ipBlock", Value: fmt.Sprintf("%s on ports %v", cidr, ports)}
	if exact && p.str("metadata.name") == netpol.GatewayEgressName {
		for _, d := range pub {
			if !slices.ContainsFunc(ports, func(n float64) bool { return !slices.Contains(d.ports, n) }) {
				e.Exempt, e.Note = true, fmt.Sprintf("any public address, by the written decision %s: %s", d.source, d.justification)
				return e
			}
		}
	}
	e.Note = "reaches every public address (or a slice of the internet), with no rampart:gateway.publicEgress decision covering exactly these TCP ports in the gateway's policy: list the backends' addresses instead, or write the decision with its justification"
	return e
}

// appPolicy reports a policy the stack renders for one app of a tenant
// (netpol.AppLabel).
func appPolicy(p *object) bool {
	return p.str(field("metadata.labels", netpol.AppLabel)) != ""
}

// appIsolation judges a tenant whose isolation is per app (its declared
// policies carry netpol.AppLabel): each app's policy must select the app's
// pods only, cover both directions, and name every peer — pods of the
// tenant by label, pods of a namespace named by kubernetes.io/metadata.name
// and selected by label, or (egress) an address range, judged with the
// blocklist by ruleEvidence — on explicit ports. admitted are the
// namespaces their ingress names.
func appIsolation(name string, pols []*object) (ev []Evidence, admitted []string) {
	for _, p := range pols {
		if !appPolicy(p) {
			continue
		}
		app := p.str(field("metadata.labels", netpol.AppLabel))
		sel, ok := p.get("spec.podSelector")
		e := Evidence{URN: p.URN, Field: "spec"}
		switch {
		case emptySelector(sel, ok):
			e.Value, e.Note = "podSelector {}", fmt.Sprintf("app %s's policy selects every pod of %s", app, name)
		case !hasTypes(p, "Ingress", "Egress"):
			e.Value, e.Note = show(listOf(p, "spec.policyTypes")), fmt.Sprintf("app %s's policy must cover Ingress and Egress", app)
		default:
			in, ns, why := appPeers(p, "spec.ingress", "from")
			out, _, why2 := appPeers(p, "spec.egress", "to")
			if why = cmpOr(why, why2); why != "" {
				e.Value, e.Note = show(sel), fmt.Sprintf("app %s: %s", app, why)
			} else {
				e.OK = true
				e.Value = fmt.Sprintf("app %s: ingress from %s; egress to %s", app, orNone(in), orNone(out))
				for _, n := range ns {
					if !slices.Contains(admitted, n) {
						admitted = append(admitted, n)
					}
				}
			}
		}
		ev = append(ev, e)
	}
	return ev, admitted
}

// appPeers describes the peers of an app policy's rules in one direction,
// the namespaces they name, and why they fail, if they do.
func appPeers(p *object, rules, peers string) (desc []string, namespaces []string, why string) {
	for i, r := range listOf(p, rules) {
		rm := asMap(r)
		var ports []string
		for _, pp := range asList(rm["ports"]) {
			if n, ok := num(asMap(pp)["port"]); ok {
				ports = append(ports, fmt.Sprint(n))
			}
		}
		if len(ports) == 0 {
			return nil, nil, fmt.Sprintf("%s[%d] names no port, so it opens every port", rules, i)
		}
		list := asList(rm[peers])
		if len(list) == 0 {
			return nil, nil, fmt.Sprintf("%s[%d] has no `%s`: it admits every peer", rules, i, peers)
		}
		for _, pe := range list {
			m := asMap(pe)
			podSel, hasPod := m["podSelector"]
			nsSel, hasNS := m["namespaceSelector"]
			switch {
			case m["ipBlock"] != nil && peers == "to":
				cidr, _ := asMap(m["ipBlock"])["cidr"].(string)
				desc = append(desc, cidr+":"+strings.Join(ports, ","))
			case !hasPod || emptySelector(podSel, true):
				return nil, nil, fmt.Sprintf("%s[%d] has a peer that selects no pods by label", rules, i)
			case hasNS:
				n, _ := asMap(asMap(nsSel)["matchLabels"])[nsNameLabel].(string)
				if n == "" || len(asList(asMap(nsSel)["matchExpressions"])) > 0 {
					return nil, nil, fmt.Sprintf("%s[%d] has a namespaceSelector that does not name one namespace by %s", rules, i, nsNameLabel)
				}
				namespaces = append(namespaces, n)
				desc = append(desc, fmt.Sprintf("%s pods %s:%s", n, show(asMap(podSel)["matchLabels"]), strings.Join(ports, ",")))
			default:
				desc = append(desc, fmt.Sprintf("pods %s:%s", show(asMap(podSel)["matchLabels"]), strings.Join(ports, ",")))
			}
		}
	}
	return desc, namespaces, ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}
