package config

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// backendAddr is a backend URL's host as a literal address (ok false for a
// name) and its port (443 when the URL names none). Validated URLs only.
func backendAddr(raw string) (addr netip.Addr, port int, literal bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	port = 443
	if u.Port() != "" {
		port = -1 // refused by checkBackendEgress unless it parses in range
		if p, err := strconv.Atoi(u.Port()); err == nil {
			port = p
		}
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(u.Hostname(), "."))
	if err != nil {
		return netip.Addr{}, port, false
	}
	return a.WithZone("").Unmap(), port, true
}

// targetFor is the allowed target opening addr on port, if any.
func targetFor(targets []netpol.AllowedTarget, addr netip.Addr, port int) (netpol.AllowedTarget, bool) {
	for _, t := range targets {
		p, err := netip.ParsePrefix(t.CIDR)
		if err == nil && netpol.Canonical(p.Masked()).Contains(addr) && slices.Contains(t.Ports, port) {
			return t, true
		}
	}
	return netpol.AllowedTarget{}, false
}

// checkBackendEgress reports a backend the gateway's policy would not let
// it reach. A literal address is opened exactly (GatewayPolicy), unless an
// allowed target already does. A host name needs publicEgress on its port,
// or every address it resolves to here inside an allowed target on its
// port; a name that does not resolve here needs an allowed target of the
// backend's own name on that port, which declares where it is.
func (c *Config) checkBackendEgress(ctx context.Context, l *verr.List, path string, b Backend, resolve Resolver) {
	g := c.Gateway
	addr, port, literal := backendAddr(b.URL)
	if port < 1 || port > 65535 {
		l.Add(path+".url", b.URL, fmt.Sprintf("port %d is not a TCP port", port), "use a port 1-65535, or none for 443")
		return
	}
	if literal {
		// The policy opens exactly this address as written; inside the
		// blocklist it needs an allowed target that opens it on this port
		// (CheckBackendURL checks the address it reaches, not its ports).
		if entry, blocked := netpol.Blocked(netip.PrefixFrom(addr, addr.BitLen())); blocked {
			if _, ok := targetFor(g.AllowedTargets, addr, port); !ok {
				l.Add(path+".url", b.URL, fmt.Sprintf("%s is inside the SSRF blocklist entry %s as written, and no allowed target opens it on port %d", addr, entry, port),
					"write the address it reaches (an IPv4 address for a NAT64 one), or cover it by an allowedTargets entry with a justification on this port")
			}
		}
		return
	}
	if pe := g.PublicEgress; pe != nil && slices.Contains(pe.Ports, port) {
		return // any address outside the blocklist, by written decision
	}
	host := strings.TrimSuffix(strings.ToLower(urlHost(b.URL)), ".")
	var answers []netip.Addr
	if resolve != nil {
		answers, _ = resolve(ctx, host)
	}
	fix := fmt.Sprintf("add a rampart:gateway.allowedTargets entry {name: %s, cidr: <the range %s resolves in>, ports: [%d]}, or write rampart:gateway.publicEgress {ports: [%d], justification}",
		cmpName(b.Name), host, port, port)
	if len(answers) == 0 {
		for _, t := range g.AllowedTargets {
			if t.Name == b.Name && slices.Contains(t.Ports, port) {
				return
			}
		}
		l.Add(path+".url", b.URL, fmt.Sprintf("%s does not resolve here, and no allowed target named %s declares its addresses on port %d, so the gateway's policy would not reach it", host, cmpName(b.Name), port), fix)
		return
	}
	var open []string
	for _, a := range answers {
		if _, ok := targetFor(g.AllowedTargets, a.Unmap(), port); !ok {
			open = append(open, a.Unmap().String())
		}
	}
	if len(open) > 0 {
		l.Add(path+".url", b.URL, fmt.Sprintf("%s resolves to %s, which no allowed target opens on port %d", host, strings.Join(open, ", "), port), fix)
	}
}

func cmpName(n string) string {
	if n == "" {
		return "<backend name>"
	}
	return n
}

// urlHost is raw's host, "" when it does not parse.
func urlHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// GatewayPolicy is the gateway's egress restriction for this stack:
// rampart:gateway with every backend written as an address opened exactly
// on its URL's port, unless an allowed target already opens it. nil when
// the stack has no gateway.
func (c *Config) GatewayPolicy() *netpol.Gateway {
	g := c.Gateway
	if g == nil {
		return nil
	}
	out := g.Gateway
	out.Endpoints = nil
	for _, b := range g.Backends {
		addr, port, literal := backendAddr(b.URL)
		if !literal {
			continue
		}
		if _, ok := targetFor(g.AllowedTargets, addr, port); ok {
			continue
		}
		out.Endpoints = append(out.Endpoints, netpol.Endpoint{Name: b.Name, Addr: addr, Port: port})
	}
	return &out
}
