package netpol

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// blocklistFix is the way out of every blocklist refusal of a backend URL.
const blocklistFix = "use a public backend, or add a rampart:gateway.allowedTargets entry covering it with a justification"

// namedAddrs are names that reach a blocked address without DNS: the
// loopback names of RFC 6761 and the /etc/hosts files of common
// distributions, and the cloud metadata names (GCP, AWS), which resolve only
// inside the cloud, so a check run from a laptop would pass them.
var namedAddrs = map[string]netip.Addr{
	"localhost":                  netip.MustParseAddr("127.0.0.1"),
	"localhost.localdomain":      netip.MustParseAddr("127.0.0.1"),
	"localhost4":                 netip.MustParseAddr("127.0.0.1"),
	"localhost4.localdomain4":    netip.MustParseAddr("127.0.0.1"),
	"localhost6":                 netip.MustParseAddr("::1"),
	"localhost6.localdomain6":    netip.MustParseAddr("::1"),
	"ip6-localhost":              netip.MustParseAddr("::1"),
	"ip6-loopback":               netip.MustParseAddr("::1"),
	"metadata":                   netip.MustParseAddr("169.254.169.254"),
	"metadata.google.internal":   netip.MustParseAddr("169.254.169.254"),
	"metadata.goog":              netip.MustParseAddr("169.254.169.254"),
	"instance-data":              netip.MustParseAddr("169.254.169.254"),
	"instance-data.ec2.internal": netip.MustParseAddr("169.254.169.254"),
}

// CheckBackendURL adds to l, under path (the URL's config key), every reason
// raw is not a safe gateway backend: not an absolute https URL, a form that
// parsers read differently (backslash, userinfo, fragment, '@' in the query,
// percent-encoded or non-ASCII host), a non-canonical numeric host, or a
// host that reaches the SSRF blocklist — however the address is written
// (zone, upper case, IPv4-mapped/compatible/translated, NAT64, 6to4,
// Teredo, ISATAP, trailing dot, loopback and metadata names, names
// embedding an address) or whatever resolve answers for a name. A blocked
// address is accepted when an allowed target with a justification covers
// it. resolve may be nil: names are then checked by their spelling only,
// and the egress policy still excepts the blocklist at the network layer.
func CheckBackendURL(ctx context.Context, l *verr.List, path, raw string, allowed []AllowedTarget,
	resolve func(ctx context.Context, host string) ([]netip.Addr, error)) {
	if strings.ContainsRune(raw, '\\') {
		l.Add(path, raw, `a backslash: WHATWG parsers (browsers, many proxies) read it as "/", so https://good.example\@169.254.169.254 reaches another host than the one checked`,
			`remove the backslash (write "/" in paths)`)
		return
	}
	if h := rawHost(raw); strings.Contains(h, "%") && !strings.HasPrefix(h, "[") {
		l.Add(path, raw, "a percent-encoded host: clients decode %31%32%37.0.0.1 to 127.0.0.1 after this check",
			"write the host without percent-encoding")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		l.Add(path, raw, "not an absolute URL", "use https://host[:port]/path")
		return
	}
	if u.Scheme != "https" {
		l.Add(path, raw, "backends must be reached over TLS (NIS2 Art. 21(2)(h))", "use an https:// URL")
	}
	if u.User != nil {
		l.Add(path, raw, "userinfo before '@': parsers disagree on where the host starts (https://good.example@169.254.169.254 goes to 169.254.169.254), and credentials do not belong in stack config",
			"remove the part up to '@'; give the gateway its credentials as a secret")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		l.Add(path, raw, "a fragment: never sent to a backend, and parsers that split at the last '@' read https://169.254.169.254#@good.example as good.example",
			"remove the part from '#'")
	}
	if strings.Contains(u.RawQuery, "@") {
		l.Add(path, raw, "an '@' in the query: parsers that split at the last '@' take what follows it as the host",
			"percent-encode the '@' as %40 or drop the query")
	}
	host := u.Hostname()
	for _, r := range host {
		if r > 0x7e {
			l.Add(path, raw, "a non-ASCII host: IDNA maps look-alikes such as fullwidth digits (１２７.０.０.１) to ASCII after this check",
				"write the name in its ASCII (xn--) form")
			return
		}
	}
	h := strings.ToLower(host)
	if !strings.Contains(h, ":") {
		// One trailing dot is the DNS root: "localhost." is localhost.
		h = strings.TrimSuffix(h, ".")
	}
	if numericHost(h) {
		if _, err := netip.ParseAddr(h); err != nil {
			// 2130706433, 127.1 and 0x7f.1 are 127.0.0.1 to many HTTP clients.
			l.Add(path, raw, "a numeric host that is not a canonical IP address (resolvers read forms like 127.1 or 2130706433 as loopback)",
				"write the address in dotted-quad or standard IPv6 form, or use a DNS name")
			return
		}
	}
	type found struct {
		addr netip.Addr
		how  string // "resolves to" or "embeds the address"
	}
	var addrs []found
	if a, err := netip.ParseAddr(h); err == nil {
		addrs = []found{{a, "resolves to"}}
	} else if strings.Contains(h, ":") {
		l.Add(path, raw, "not an IPv6 address", "write the address in standard IPv6 form inside [ ]")
		return
	} else if !hostName(h) {
		l.Add(path, raw, "not a host name", "use a DNS name of letters, digits and '-' in dot-separated labels")
		return
	} else if a, ok := namedAddrs[h]; ok {
		addrs = []found{{a, "resolves to"}}
	} else if strings.HasSuffix(h, ".localhost") {
		addrs = []found{{netip.MustParseAddr("127.0.0.1"), "resolves to"}}
	} else {
		// Wildcard DNS (nip.io, sslip.io) and cloud host names
		// (ip-10-0-0-1.ec2.internal) resolve to the address they spell.
		for _, a := range embeddedIPv4(h) {
			addrs = append(addrs, found{a, "embeds the address"})
		}
		if resolve != nil {
			// A name that does not resolve here cannot be checked; the egress
			// policy still excepts the blocklist at the network layer.
			answers, _ := resolve(ctx, h)
			for _, a := range answers {
				// Go's resolver may return an A record as ::ffff:a.b.c.d.
				addrs = append(addrs, found{a.Unmap(), "resolves to"})
			}
		}
	}
	for _, f := range addrs {
		hit, bad := Check(f.addr)
		if !bad || covered(allowed, f.addr, hit.Addr) {
			continue
		}
		a := f.addr.WithZone("")
		why := fmt.Sprintf("%s %s %s, inside the SSRF blocklist entry %s", host, f.how, a, hit.Entry)
		if hit.Via != "" {
			why = fmt.Sprintf("%s %s %s, which reaches %s (%s), inside the SSRF blocklist entry %s", host, f.how, a, hit.Addr, hit.Via, hit.Entry)
		}
		l.Add(path, raw, why, blocklistFix)
		return
	}
}

func blocked(a netip.Addr) bool {
	_, bad := Check(a)
	return bad
}

// covered reports whether an allowed target with a justification holds one
// of addrs (as written, or as reached through an embedding).
func covered(targets []AllowedTarget, addrs ...netip.Addr) bool {
	for _, t := range targets {
		p, err := netip.ParsePrefix(t.CIDR)
		if err != nil || len(strings.TrimSpace(t.Justification)) < 20 {
			continue
		}
		for _, a := range addrs {
			if Canonical(p).Contains(a.WithZone("").Unmap()) {
				return true
			}
		}
	}
	return false
}

// rawHost is the host part of raw's authority as written, before any
// decoding: what follows "//" up to the path, query or fragment, after the
// last '@', without the port.
func rawHost(raw string) string {
	_, rest, ok := strings.Cut(raw, "//")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if !strings.HasPrefix(rest, "[") {
		rest, _, _ = strings.Cut(rest, ":")
	}
	return rest
}

// numericHost is true for hosts made only of digits, dots and hex markers:
// the shapes inet_aton-style parsers turn into addresses.
func numericHost(h string) bool {
	h = strings.ToLower(h)
	if h == "" || strings.Contains(h, ":") {
		return false
	}
	for _, part := range strings.Split(h, ".") {
		if strings.HasPrefix(part, "0x") {
			if strings.Trim(part[2:], "0123456789abcdef") != "" {
				return false
			}
			continue
		}
		if strings.Trim(part, "0123456789") != "" {
			return false
		}
	}
	return true
}

// hostName is true for a lower-case DNS name: dot-separated labels of 1-63
// letters, digits, '-' or '_', 253 characters at most. It refuses empty
// labels ("localhost..", ".example.com"), which resolvers treat unevenly.
func hostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return false
		}
	}
	return true
}

// embeddedIPv4 returns the blocked IPv4 addresses spelt as four consecutive
// decimal labels or '-'-separated parts of h, the forms wildcard DNS
// services answer for (169.254.169.254.nip.io, 10-0-0-1.sslip.io).
func embeddedIPv4(h string) []netip.Addr {
	parts := strings.FieldsFunc(h, func(r rune) bool { return r == '.' || r == '-' })
	var out []netip.Addr
	for i := 0; i+4 <= len(parts); i++ {
		var o [4]byte
		ok := true
		for j := range o {
			p := parts[i+j]
			n, err := strconv.Atoi(p)
			if err != nil || len(p) > 3 || n > 255 || strings.Trim(p, "0123456789") != "" {
				ok = false
				break
			}
			o[j] = byte(n) //nolint:gosec // n is checked to be 0..255 above
		}
		if !ok {
			continue
		}
		if a := netip.AddrFrom4(o); blocked(a) {
			out = append(out, a)
		}
	}
	return out
}
