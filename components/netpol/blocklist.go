package netpol

import "net/netip"

// SSRFBlocklist is the STOA security hardening checklist's SSRF blocklist — loopback, RFC 1918 private
// networks, link-local (169.254.0.0/16 holds the cloud metadata address
// 169.254.169.254), IPv6 loopback and unique-local (fd00::/8 holds AWS's
// IPv6 metadata address fd00:ec2::254) — plus what the seed misses:
// 0.0.0.0/8 ("this host": 0.0.0.0 reaches local listeners), 100.64.0.0/10
// (carrier-grade NAT; Alibaba Cloud's metadata is 100.100.100.200), the
// other half of IPv6 unique-local (fc00::/8) and IPv6 link-local
// (fe80::/10), and the NAT64 prefixes: the well-known 64:ff9b::/96
// (RFC 6052) and the local-use 64:ff9b:1::/48 (RFC 8215), through which a
// NAT64 gateway reaches any IPv4 address — 64:ff9b::a9fe:a9fe is
// 169.254.169.254 — so an "::/0" ipBlock without them in `except` opens
// every blocked IPv4 range again. Egress ipBlocks always `except` these
// unless a target is explicitly allowed with a justification. NIS2 Art.
// 21(2)(e); ISM-1416.
var SSRFBlocklist = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fd00::/8"),
	netip.MustParsePrefix("fc00::/8"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64 well-known prefix, RFC 6052
	netip.MustParsePrefix("64:ff9b:1::/48"), // NAT64 local-use prefix, RFC 8215
}

// MetadataAddresses are the cloud metadata endpoints, named in errors.
var MetadataAddresses = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254"), netip.MustParseAddr("100.100.100.200"),
}

// Canonical returns p with an IPv4-mapped IPv6 prefix (::ffff:a.b.c.d/n)
// turned into its IPv4 form, so that blocklist checks cannot be sidestepped
// by writing an IPv4 range in IPv6 notation.
func Canonical(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return p
}

// Blocked returns the blocklist entry that overlaps p, if any.
func Blocked(p netip.Prefix) (netip.Prefix, bool) {
	p = Canonical(p)
	for _, b := range SSRFBlocklist {
		if b.Overlaps(p) {
			return b, true
		}
	}
	return netip.Prefix{}, false
}

// addrOnlyBlocklist holds what an address check refuses beyond
// SSRFBlocklist, left out of the egress policy's excepts: "::" reaches the
// connecting host's own listeners, like 0.0.0.0, but a pod's packets to it
// never leave the pod. (The local-use NAT64 prefix, RFC 8215, is in
// SSRFBlocklist: it embeds an IPv4 address at a position set by the
// operator's prefix length, /48 to /96, so what it reaches cannot be read
// from the address and the whole prefix is refused.)
var addrOnlyBlocklist = []netip.Prefix{
	netip.MustParsePrefix("::/128"),
}

// decodedOnly are SSRFBlocklist entries an address check does not refuse
// as such: the well-known NAT64 prefix embeds its IPv4 address at a fixed
// place (RFC 6052), which Reached decodes and Check judges, so a NAT64
// address of a public host passes and one of a blocked host is refused.
var decodedOnly = map[netip.Prefix]bool{netip.MustParsePrefix("64:ff9b::/96"): true}

// Reach is an address a connection may end up at.
type Reach struct {
	// Addr is the address reached.
	Addr netip.Addr
	// Via names how it is embedded in the address written ("" for the
	// address itself).
	Via string
}

// Hit is an address's way into the SSRF blocklist.
type Hit struct {
	Reach
	// Entry is the blocklist entry holding Reach.Addr.
	Entry netip.Prefix
}

var (
	nat64WellKnown = netip.MustParsePrefix("64:ff9b::/96")    // RFC 6052
	siit           = netip.MustParsePrefix("::ffff:0:0:0/96") // RFC 2765 IPv4-translated
	v4Compatible   = netip.MustParsePrefix("::/96")           // RFC 4291 §2.5.5.1, deprecated
	sixToFour      = netip.MustParsePrefix("2002::/16")       // RFC 3056
	teredo         = netip.MustParsePrefix("2001::/32")       // RFC 4380
)

// Reached lists the addresses a connection to a can end up at: a itself
// (zone dropped, IPv4-mapped unmapped), then every IPv4 address a
// translator or tunnel would derive from it — NAT64 (well-known prefix),
// SIIT, IPv4-compatible, 6to4, Teredo (server, and client with its bits
// inverted) and ISATAP interface identifiers. A check on a alone would let 64:ff9b::a9fe:a9fe, which a
// NAT64 gateway sends to 169.254.169.254, through as a public IPv6 address.
func Reached(a netip.Addr) []Reach {
	a = a.WithZone("")
	if a.Is4In6() {
		return []Reach{{Addr: a}, {Addr: a.Unmap(), Via: "IPv4-mapped"}}
	}
	out := []Reach{{Addr: a}}
	if !a.Is6() {
		return out
	}
	b := a.As16()
	v4 := func(o ...byte) netip.Addr { return netip.AddrFrom4([4]byte{o[0], o[1], o[2], o[3]}) }
	add := func(via string, o ...byte) { out = append(out, Reach{Addr: v4(o...), Via: via}) }
	switch {
	case nat64WellKnown.Contains(a):
		add("NAT64 64:ff9b::/96", b[12:16]...)
	case siit.Contains(a):
		add("IPv4-translated ::ffff:0:0:0/96", b[12:16]...)
	case v4Compatible.Contains(a):
		add("IPv4-compatible ::/96", b[12:16]...)
	case sixToFour.Contains(a):
		add("6to4 2002::/16", b[2:6]...)
	case teredo.Contains(a):
		add("Teredo server", b[4:8]...)
		add("Teredo client", ^b[12], ^b[13], ^b[14], ^b[15])
	}
	if (b[8]|0x02) == 0x02 && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe {
		add("ISATAP interface identifier", b[12:16]...)
	}
	return out
}

// Check returns the first address a reaches (see Reached) that lies inside
// the SSRF blocklist (the well-known NAT64 prefix judged by the IPv4 address
// it embeds, see decodedOnly), or is the unspecified address ::, which an
// address check refuses too.
func Check(a netip.Addr) (Hit, bool) {
	for _, r := range Reached(a) {
		for _, list := range [][]netip.Prefix{SSRFBlocklist, addrOnlyBlocklist} {
			for _, b := range list {
				if b.Contains(r.Addr) && !decodedOnly[b] {
					return Hit{Reach: r, Entry: b}, true
				}
			}
		}
	}
	return Hit{}, false
}

// BlockedAddr returns the blocklist entry holding a, or an address embedded
// in it (see Check), if any.
func BlockedAddr(a netip.Addr) (netip.Prefix, bool) {
	h, ok := Check(a)
	return h.Entry, ok
}

// exceptFor lists the blocklist entries of one address family, the `except`
// of an "anywhere" ipBlock of that family.
func exceptFor(v6 bool) []string {
	var out []string
	for _, b := range SSRFBlocklist {
		if b.Addr().Is6() == v6 {
			out = append(out, b.String())
		}
	}
	return out
}
