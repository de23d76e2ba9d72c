package netpol

import "net/netip"

// SSRFBlocklist is seed 000's SSRF blocklist — loopback, RFC 1918 private
// networks, link-local (169.254.0.0/16 holds the cloud metadata address
// 169.254.169.254), IPv6 loopback and unique-local (fd00::/8 holds AWS's
// IPv6 metadata address fd00:ec2::254) — plus what the seed misses:
// 0.0.0.0/8 ("this host": 0.0.0.0 reaches local listeners), 100.64.0.0/10
// (carrier-grade NAT; Alibaba Cloud's metadata is 100.100.100.200), the
// other half of IPv6 unique-local (fc00::/8) and IPv6 link-local
// (fe80::/10). Egress ipBlocks always `except` these unless a target is
// explicitly allowed with a justification. NIS2 Art. 21(2)(e); ISM-1416.
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

// BlockedAddr returns the blocklist entry holding a, if any.
func BlockedAddr(a netip.Addr) (netip.Prefix, bool) {
	a = a.Unmap()
	for _, b := range SSRFBlocklist {
		if b.Contains(a) {
			return b, true
		}
	}
	return netip.Prefix{}, false
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
