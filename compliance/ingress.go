package compliance

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/components/ingress"
)

// Type tokens of the ingress objects (components/ingress renders them as
// CustomResources, whose type is kubernetes:<apiVersion>:<kind>).
const (
	gatewayType       = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	httpRouteType     = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
	trafficPolicyType = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
	ingressType       = "kubernetes:networking.k8s.io/v1:Ingress"
	hstsHeader        = "Strict-Transport-Security"
)

// checkTLSIngress: every Gateway serves HTTPS (a TLS-terminating listener
// with a certificate), its HTTP listener only redirects to HTTPS, and the
// ClientTrafficPolicy's floor is TLS 1.2 or later (RFC 8996) and no lower
// than the profile's (1.3 in prod, the sovereign-cloud hardening guide) unless the stack records the
// floor's typed exception (tlsFloor); every networking/v1 Ingress has TLS;
// no ACME issuer uses a US-controlled CA without its sovereignty exception
// (issuers.go).
func checkTLSIngress(s *state) (bool, []Evidence) {
	gws, ings := s.byType(gatewayType), s.byType(ingressType)
	var ev []Evidence
	for _, gw := range gws {
		ev = append(ev, gatewayListeners(s, gw)...)
	}
	decl, declared := s.tlsFloor()
	pols := s.byType(trafficPolicyType)
	for _, p := range pols {
		v, _ := p.get("spec.tls.minVersion")
		got, _ := v.(string)
		ev = append(ev, floorEvidence(Evidence{URN: p.URN, Field: "spec.tls.minVersion", Value: show(v)}, got, decl, declared))
	}
	if len(pols) == 0 && len(gws)+len(ings) > 0 {
		where := "external mode: the TLS floor is the Gateway implementation's setting"
		if len(gws) == 0 {
			where = "ingress mode: the TLS floor is the Ingress controller's setting (ingress-nginx: ConfigMap ssl-protocols)"
		}
		e := Evidence{Field: "ClientTrafficPolicy", Value: "absent", OK: true, Note: where + ", outside this state; verify it there"}
		if declared {
			e = floorEvidence(Evidence{URN: s.stackURN, Field: tlsFloorOutput + ".minVersion", Value: decl.MinVersion}, decl.MinVersion, decl, true)
			e.Note = where + ", outside this state (verify it there); declared: " + e.Note
		}
		ev = append(ev, e)
	}
	for _, in := range ings {
		v, _ := in.get("spec.tls")
		e := Evidence{URN: in.URN, Field: "spec.tls", Value: show(v), OK: len(asList(v)) > 0}
		if !e.OK {
			e.Note = "the Ingress serves plain HTTP only"
		}
		ev = append(ev, e)
	}
	comp, deployed := s.component(ingress.TypeToken, "ingressGateway")
	if deployed && len(gws)+len(ings) == 0 {
		ev = append(ev, missing(comp, "a Gateway or Ingress"))
	}
	return deployed || len(gws)+len(ings) > 0, ev
}

// tlsFloorOK accepts exactly the floors the ingress component renders
// (ingress.TLS12, ingress.TLS13). Versions are not numbers: read as floats,
// "1.10" would be 1.1 and "1.20" would pass; anything else (an unknown or
// future spelling, "Auto") is refused rather than guessed.
func tlsFloorOK(got string) bool {
	v := ingress.TLSVersion(got)
	return v == ingress.TLS12 || v == ingress.TLS13
}

// tlsFloorOutput is the stack output the program writes from
// rampart:ingress (stacks.IngressTLSFloor).
const tlsFloorOutput = "ingressTLSFloor"

// declaredFloor is the stack output tlsFloorOutput: the floor the stack
// renders, its profile's floor, and the written justification of a floor
// below the profile's (rampart:ingress.tls12Justification).
type declaredFloor struct {
	MinVersion, ProfileMinVersion, Justification string
}

// tlsFloor reads the stack output tlsFloorOutput; a state without it (an
// older program) is judged by RFC 8996 alone.
func (s *state) tlsFloor() (declaredFloor, bool) {
	v, ok := s.output(tlsFloorOutput)
	m := asMap(v)
	str := func(k string) string { x, _ := m[k].(string); return x }
	return declaredFloor{str("minVersion"), str("profileMinVersion"), str("justification")}, ok && m != nil
}

// floorEvidence judges the floor got: exactly 1.2 or 1.3, and no lower than
// the profile's floor unless the stack declares this floor with its
// justification, which then makes the fact exempt (the justification as
// the note). The note states the floor either way.
func floorEvidence(e Evidence, got string, d declaredFloor, declared bool) Evidence {
	below := declared && ingress.TLSVersion(d.ProfileMinVersion) == ingress.TLS13 && ingress.TLSVersion(got) == ingress.TLS12
	switch {
	case !tlsFloorOK(got):
		e.Note = fmt.Sprintf("the floor must be exactly %q or %q (RFC 8996 deprecates 1.0 and 1.1)", ingress.TLS12, ingress.TLS13)
	case !below:
		e.OK, e.Note = true, "floor TLS "+got
		if declared {
			e.Note += fmt.Sprintf(" (the profile's floor is %s)", d.ProfileMinVersion)
		}
	case d.Justification != "" && d.MinVersion == got:
		e.Exempt = true
		e.Note = fmt.Sprintf("floor TLS %s, below the profile's %s (the sovereign-cloud hardening guide: TLS 1.3 in transit), a typed choice justified in rampart:ingress.tls12Justification: %s",
			got, d.ProfileMinVersion, d.Justification)
	default:
		e.Note = fmt.Sprintf("floor TLS %s, below the profile's %s (the sovereign-cloud hardening guide) without a written justification: remove rampart:ingress.tlsMinVersion, or set rampart:ingress.tls12Justification",
			got, d.ProfileMinVersion)
	}
	return e
}

func gatewayListeners(s *state, gw *object) []Evidence {
	var ev []Evidence
	https := 0
	for i, l := range listOf(gw, "spec.listeners") {
		m := asMap(l)
		proto, _ := m["protocol"].(string)
		name, _ := m["name"].(string)
		path := fmt.Sprintf("spec.listeners[%d]", i)
		switch proto {
		case "HTTPS", "TLS":
			tls := asMap(m["tls"])
			mode, _ := tls["mode"].(string)
			ok := (mode == "" || mode == "Terminate") && len(asList(tls["certificateRefs"])) > 0
			e := Evidence{URN: gw.URN, Field: path + ".tls", Value: fmt.Sprintf("%s %s, %d certificate(s)", name, proto, len(asList(tls["certificateRefs"]))), OK: ok}
			if !ok {
				e.Note = "an HTTPS listener must terminate TLS with a certificate"
			}
			https++
			ev = append(ev, e)
		case "HTTP":
			e := Evidence{URN: gw.URN, Field: path, Value: name + " HTTP"}
			if r := redirectFor(s, gw, name); r != nil {
				e.OK, e.Note = true, "redirected to HTTPS by "+shortURN(r.URN)
			} else {
				e.Note = "plain-HTTP listener without an HTTP → HTTPS redirect route"
			}
			ev = append(ev, e)
		}
	}
	if https == 0 {
		ev = append(ev, Evidence{URN: gw.URN, Field: "spec.listeners", Value: "no HTTPS listener", Note: "the Gateway serves no TLS"})
	}
	return ev
}

// redirectFor is the HTTPRoute attached to gw's listener that redirects
// every request to https.
func redirectFor(s *state, gw *object, listener string) *object {
	for _, r := range s.byType(httpRouteType) {
		attached := false
		for _, pr := range listOf(r, "spec.parentRefs") {
			m := asMap(pr)
			ns, _ := m["namespace"].(string)
			if m["name"] == gw.str("metadata.name") && (ns == "" && r.str("metadata.namespace") == gw.str("metadata.namespace") || ns == gw.str("metadata.namespace")) &&
				(m["sectionName"] == nil || m["sectionName"] == listener) {
				attached = true
			}
		}
		if !attached {
			continue
		}
		rules := listOf(r, "spec.rules")
		all := len(rules) > 0
		for _, rule := range rules {
			red := false
			for _, f := range asList(asMap(rule)["filters"]) {
				if asMap(asMap(f)["requestRedirect"])["scheme"] == "https" {
					red = true
				}
			}
			all = all && red
		}
		if all {
			return r
		}
	}
	return nil
}

var maxAgeRe = regexp.MustCompile(`(?i)max-age=(\d+)`)

// checkSecurityHeaders: every rule of every HTTPRoute that serves a backend
// sets HSTS (max-age of at least a year, includeSubDomains) and the STOA security hardening checklist's
// headers (ingress.SecurityHeaders) with their exact values.
func checkSecurityHeaders(s *state) (bool, []Evidence) {
	var ev []Evidence
	served := 0
	for _, r := range s.byType(httpRouteType) {
		for i, rule := range listOf(r, "spec.rules") {
			rm := asMap(rule)
			if len(asList(rm["backendRefs"])) == 0 {
				continue // the redirect serves nothing
			}
			served++
			set := map[string]string{}
			for _, f := range asList(rm["filters"]) {
				mod := asMap(asMap(f)["responseHeaderModifier"])
				for _, k := range []string{"set", "add"} {
					for _, h := range asList(mod[k]) {
						hm := asMap(h)
						n, _ := hm["name"].(string)
						v, _ := hm["value"].(string)
						set[strings.ToLower(n)] = v
					}
				}
			}
			path := fmt.Sprintf("spec.rules[%d].filters[].responseHeaderModifier", i)
			ev = append(ev, hstsEvidence(r.URN, path, set))
			var bad []string
			for _, h := range ingress.SecurityHeaders {
				if got := set[strings.ToLower(h[0])]; got != h[1] {
					bad = append(bad, fmt.Sprintf("%s=%q (want %q)", h[0], got, h[1]))
				}
			}
			e := Evidence{URN: r.URN, Field: path, Value: fmt.Sprintf("%d of %d headers", len(ingress.SecurityHeaders)-len(bad), len(ingress.SecurityHeaders)), OK: len(bad) == 0}
			if !e.OK {
				e.Note = strings.Join(bad, "; ")
			}
			ev = append(ev, e)
		}
	}
	return served > 0, ev
}

func hstsEvidence(urn, path string, set map[string]string) Evidence {
	v, ok := set[strings.ToLower(hstsHeader)]
	e := Evidence{URN: urn, Field: path + "." + hstsHeader, Value: v}
	if !ok {
		e.Value, e.Note = "(absent)", "no HSTS header"
		return e
	}
	m := maxAgeRe.FindStringSubmatch(v)
	age := -1
	if m != nil {
		age, _ = strconv.Atoi(m[1])
	}
	switch {
	case age < ingress.DefaultHSTSMaxAge:
		e.Note = fmt.Sprintf("max-age must be at least %d (one year)", ingress.DefaultHSTSMaxAge)
	case !strings.Contains(strings.ToLower(v), "includesubdomains"):
		e.Note = "includeSubDomains missing"
	default:
		e.OK = true
	}
	return e
}
