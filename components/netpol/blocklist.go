package netpol

import "net/netip"

// SSRFBlocklist is seed 000's SSRF blocklist: loopback, RFC 1918 private
// networks, link-local (169.254.0.0/16 holds the cloud metadata address
// 169.254.169.254), IPv6 loopback and unique-local (fd00::/8 holds AWS's
// IPv6 metadata address fd00:ec2::254). Egress ipBlocks always `except`
// these unless a target is explicitly allowed with a justification.
// NIS2 Art. 21(2)(e); ISM-1416.
var SSRFBlocklist = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fd00::/8"),
}

// MetadataAddresses are the cloud metadata endpoints, named in errors.
var MetadataAddresses = []netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}

// Blocked returns the blocklist entry that overlaps p, if any.
func Blocked(p netip.Prefix) (netip.Prefix, bool) {
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
