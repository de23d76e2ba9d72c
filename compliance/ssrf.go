package compliance

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/rampart-dev/rampart/components/netpol"
)

// egressException is one entry of the stack output "egressExceptions"
// (stacks.EgressExceptions): a range the policies open on purpose, with why.
type egressException struct {
	prefix                      netip.Prefix
	justification, source, cidr string
}

// egressExceptions reads the stack output "egressExceptions"; entries
// without a parseable cidr or a justification are ignored, so they exempt
// nothing.
func (s *state) egressExceptions() []egressException {
	v, _ := s.output("egressExceptions")
	var out []egressException
	for _, e := range asList(v) {
		m := asMap(e)
		c, _ := m["cidr"].(string)
		j, _ := m["justification"].(string)
		src, _ := m["source"].(string)
		p, err := netip.ParsePrefix(c)
		if err != nil || strings.TrimSpace(j) == "" {
			continue
		}
		out = append(out, egressException{prefix: netpol.Canonical(p.Masked()), justification: j, source: src, cidr: c})
	}
	return out
}

// exceptionFor is the exception whose range holds all of p, if any.
func exceptionFor(p netip.Prefix, exc []egressException) (egressException, bool) {
	for _, x := range exc {
		if x.prefix.Addr().Is4() == p.Addr().Is4() && x.prefix.Bits() <= p.Bits() && x.prefix.Contains(p.Addr()) {
			return x, true
		}
	}
	return egressException{}, false
}

// checkSSRFBlocklist: no NetworkPolicy egress admits a range of the SSRF
// blocklist. An egress rule without peers, or with an empty peer, reaches
// every address and fails. An ipBlock whose cidr covers a blocklisted range
// must list it (or wider ranges covering it) in `except`. An ipBlock inside
// a blocklisted range fails unless a stack egressExceptions entry (an
// allowedTargets entry with its justification, or an infrastructure address
// Rampart renders) holds it: it is then Exempt, the justification as note.
// Ingress `from` ipBlocks are not SSRF targets and are left to netpol.
func checkSSRFBlocklist(s *state) (bool, []Evidence) {
	pols := s.byType(networkPolicyType)
	exc := s.egressExceptions()
	var ev []Evidence
	for _, p := range pols {
		for i, r := range listOf(p, "spec.egress") {
			rule := fmt.Sprintf("spec.egress[%d]", i)
			peers := asList(asMap(r)["to"])
			if len(peers) == 0 {
				ev = append(ev, Evidence{URN: p.URN, Field: rule + ".to", Value: "(absent)",
					Note: "an egress rule without `to` reaches every address, the SSRF blocklist (cloud metadata included) too"})
				continue
			}
			for j, pe := range peers {
				path := fmt.Sprintf("%s.to[%d]", rule, j)
				if len(asMap(pe)) == 0 {
					ev = append(ev, Evidence{URN: p.URN, Field: path, Value: "{}",
						Note: "an empty peer reaches every address, the SSRF blocklist (cloud metadata included) too"})
					continue
				}
				ib := asMap(asMap(pe)["ipBlock"])
				if ib == nil {
					continue
				}
				ev = append(ev, ipBlockEvidence(p.URN, path+".ipBlock", ib, exc))
			}
		}
	}
	if len(pols) > 0 && len(ev) == 0 {
		e := Evidence{Field: "ipBlock", Value: fmt.Sprintf("none in %d NetworkPolicies", len(pols)), OK: true,
			Note: "no policy admits egress by address"}
		if s.inv != nil {
			e.Source = FromLive // the policies were the cluster's
		}
		ev = append(ev, e)
	}
	return len(pols) > 0, ev
}

// ipBlockEvidence judges one egress ipBlock against the SSRF blocklist and
// the stack's egress exceptions.
func ipBlockEvidence(urn, path string, ib map[string]any, exc []egressException) Evidence {
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
		// Inside, equal to or holding a blocklisted range: open unless the
		// excepts hold all of b.
		if b.Overlaps(p) && !covered(b, except) {
			open = append(open, b.String())
		}
	}
	if len(open) == 0 {
		e.OK = true
		return e
	}
	if x, ok := exceptionFor(p, exc); ok {
		e.Exempt = true
		e.Note = fmt.Sprintf("egress exception %s (%s): %s", x.prefix, x.source, x.justification)
		return e
	}
	var meta []string
	for _, m := range netpol.MetadataAddresses {
		if p.Contains(m) && !excepted(m, except) {
			meta = append(meta, m.String())
		}
	}
	e.Note = "admits blocklisted " + strings.Join(open, ", ")
	if len(meta) > 0 {
		e.Note += " (cloud metadata " + strings.Join(meta, ", ") + ")"
	}
	e.Note += ": add them to except, or list the range in rampart:gateway.allowedTargets with a justification"
	return e
}

// excepted reports whether an except entry holds a.
func excepted(a netip.Addr, except []netip.Prefix) bool {
	for _, x := range except {
		if x.Contains(a) {
			return true
		}
	}
	return false
}

// covered reports whether the except entries together hold all of b (the
// union counts: 10.0.0.0/9 and 10.128.0.0/9 cover 10.0.0.0/8).
func covered(b netip.Prefix, except []netip.Prefix) bool {
	overlap := false
	for _, x := range except {
		if x.Addr().Is4() != b.Addr().Is4() {
			continue
		}
		if x.Bits() <= b.Bits() && x.Contains(b.Addr()) {
			return true
		}
		if x.Overlaps(b) {
			overlap = true
		}
	}
	if !overlap || b.Bits() >= b.Addr().BitLen() {
		return false
	}
	lo := netip.PrefixFrom(b.Addr(), b.Bits()+1)
	hi := netip.PrefixFrom(upperHalf(b), b.Bits()+1)
	return covered(lo, except) && covered(hi, except)
}

// upperHalf is the first address of b's upper half.
func upperHalf(b netip.Prefix) netip.Addr {
	a := b.Addr().AsSlice()
	bit := b.Bits()
	a[bit/8] |= 0x80 >> (bit % 8)
	out, _ := netip.AddrFromSlice(a)
	return out
}
