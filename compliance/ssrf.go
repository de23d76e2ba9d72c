package compliance

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/rampart-dev/rampart/components/netpol"
)

// checkSSRFBlocklist: no NetworkPolicy ipBlock admits a range of the SSRF
// blocklist. An ipBlock whose cidr covers a blocklisted range must list it
// (or a wider range) in `except`. An ipBlock inside a blocklisted range is
// an explicit target (rampart:gateway.allowedTargets, which the config
// accepts only with a justification) and is reported, not failed.
func checkSSRFBlocklist(s *state) (bool, []Evidence) {
	pols := s.byType(networkPolicyType)
	var ev []Evidence
	for _, p := range pols {
		for _, dir := range [...]struct{ rules, peers string }{{"spec.egress", "to"}, {"spec.ingress", "from"}} {
			for i, r := range listOf(p, dir.rules) {
				for j, pe := range asList(asMap(r)[dir.peers]) {
					ib := asMap(asMap(pe)["ipBlock"])
					if ib == nil {
						continue
					}
					path := fmt.Sprintf("%s[%d].%s[%d].ipBlock", dir.rules, i, dir.peers, j)
					ev = append(ev, ipBlockEvidence(p.URN, path, ib))
				}
			}
		}
	}
	if len(pols) > 0 && len(ev) == 0 {
		ev = append(ev, Evidence{Field: "ipBlock", Value: fmt.Sprintf("none in %d NetworkPolicies", len(pols)), OK: true,
			Note: "no policy admits traffic by address"})
	}
	return len(pols) > 0, ev
}

func ipBlockEvidence(urn, path string, ib map[string]any) Evidence {
	cidr, _ := ib["cidr"].(string)
	var except []netip.Prefix
	var exceptText []string
	for _, x := range asList(ib["except"]) {
		xs, _ := x.(string)
		exceptText = append(exceptText, xs)
		if p, err := netip.ParsePrefix(xs); err == nil {
			except = append(except, netpol.Canonical(p.Masked()))
		}
	}
	value := cidr
	if len(exceptText) > 0 {
		value += fmt.Sprintf(" except %d ranges", len(exceptText))
	}
	e := Evidence{URN: urn, Field: path, Value: value}
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		e.Note = "unparseable cidr: " + err.Error()
		return e
	}
	p = netpol.Canonical(p.Masked())
	var open []string
	for _, b := range netpol.SSRFBlocklist {
		if !b.Overlaps(p) {
			continue
		}
		if p.Bits() > b.Bits() { // inside a blocklisted range: an explicit target
			e.OK, e.Note = true, fmt.Sprintf("explicit target inside blocklisted %s (an allowedTargets exception; its justification is in the stack config)", b)
			return e
		}
		if !covered(b, except) {
			open = append(open, b.String())
		}
	}
	if len(open) > 0 {
		e.Note = "admits blocklisted " + strings.Join(open, ", ") + ": add them to except"
		return e
	}
	e.OK = true
	return e
}

// covered reports whether an except entry holds all of b.
func covered(b netip.Prefix, except []netip.Prefix) bool {
	for _, x := range except {
		if x.Bits() <= b.Bits() && x.Contains(b.Addr()) {
			return true
		}
	}
	return false
}
