package verify

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/compliance"
)

// checksOf turns one client's observations into checks: a check per
// server port, per DNS network and per outside address. The unmanaged
// client's DNS and outside results are controls, not checks: the stack
// promises nothing about an unmanaged namespace, but a closed observation
// of an outside address counts only where the control reached it.
func (r *run) checksOf(cl *client, servers []*server, ctl control, dns, dnsNote string) []compliance.Check {
	var out []compliance.Check
	check := func(e Expectation, name, target string, dnsCheck bool, extra ...string) compliance.Check {
		c := compliance.Check{Item: e.Item, Name: name, Expected: e.Verdict, Why: e.Why}
		l, ok := cl.lines[target]
		switch {
		case cl.err != nil:
			c.Observed, c.Detail = NotRun, "client "+cl.peer.String()+": "+cl.err.Error()
		case !ok:
			c.Observed, c.Detail = NotRun, "the probe printed no line for "+target
		default:
			c.Observed, c.Detail = observed(l, dnsCheck), l.detail()
		}
		if cl.peer.Namespace != "" && !cl.peer.Managed {
			c.Detail = joinWhy(c.Detail, "unmanaged namespace "+cl.peer.Namespace)
		}
		c.Detail = joinWhy(append([]string{c.Detail}, extra...)...)
		c.OK = c.Observed == c.Expected
		return c
	}
	for _, s := range servers {
		for _, p := range s.ports {
			e := r.x.Pod(cl.peer, s.peer, p)
			name := fmt.Sprintf("%s → %s :%d/TCP", cl.peer, s.peer, p)
			if s.err != nil {
				out = append(out, compliance.Check{Item: e.Item, Name: name, Expected: e.Verdict, Observed: NotRun, Why: e.Why,
					Detail: "no server in " + s.peer.Namespace + ": " + s.err.Error()})
				continue
			}
			// In the cluster a refusal is the policy's: the server
			// listens on the port (it was serving), and an enforcer may
			// reject rather than drop (kube-router: REJECT, an ICMP port
			// unreachable, seen as REFUSED).
			out = append(out, check(e, name, tcpTarget(s.ip, p), false))
		}
	}
	if !cl.peer.Managed {
		return out
	}
	d := r.in.DNS
	for _, network := range []string{"udp", "tcp"} {
		t := dnsTarget(network, dns)
		name := fmt.Sprintf("%s → DNS %s/%s %d/%s", cl.peer, d.Namespace, r.o.DNSService, cmp.Or(d.Port, 53), strings.ToUpper(network))
		out = append(out, check(r.x.DNS(cl.peer, network), name, t, true, dnsNote, ctl.note(t, true)))
	}
	for _, o := range r.outside {
		t := o.target()
		e := r.x.Outside(cl.peer, o.addr.Addr(), int(o.addr.Port()))
		c := check(e, fmt.Sprintf("%s → %s %s/TCP", cl.peer, o.what, o.addr), t, false, ctl.note(t, false))
		// Outside the cluster a refusal or a timeout may be the target's
		// (nothing listens there, nothing routes there), not the policy's.
		if reached, saw := ctl.reached(t, false); c.Observed == Closed && !reached {
			if o.derived {
				continue // noted once by traffic
			}
			c.Observed, c.OK = Inconclusive, false
			c.Why = joinWhy(c.Why, fmt.Sprintf("inconclusive: the unmanaged namespace's client, which no Rampart policy restricts, "+
				"did not reach %s either (%s), so this closed may be the target's, not the policy's; pass a reachable target: "+
				"%s of a host that answers on that port", o.addr, saw, o.flag()))
		}
		out = append(out, c)
	}
	return out
}

// control is the unmanaged namespace's client: no Rampart policy restricts
// it, so what it cannot reach outside the cluster does not answer, and a
// closed observation of it elsewhere proves nothing about a policy.
type control struct {
	cl *client
}

// reached reports whether the control connected to target (for DNS: a
// server answered), and what it saw.
func (c control) reached(target string, dns bool) (bool, string) {
	switch {
	case c.cl == nil:
		return false, "no client ran in an unmanaged namespace"
	case c.cl.err != nil:
		return false, "the unmanaged namespace's client did not run: " + c.cl.err.Error()
	}
	l, ok := c.cl.lines[target]
	if !ok {
		return false, "the unmanaged namespace's client printed no line for it"
	}
	return observed(l, dns) == Open, l.Verdict
}

// note is what the control saw of target, for a check's Detail.
func (c control) note(target string, dns bool) string {
	if c.cl == nil || c.cl.err != nil {
		return "no control from an unmanaged namespace"
	}
	l, ok := c.cl.lines[target]
	if !ok {
		return ""
	}
	if observed(l, dns) != Open {
		return "control: unreachable from the unmanaged namespace too (" + l.Verdict + ")"
	}
	return "control from the unmanaged namespace: " + l.Verdict
}
