// Package sovereignty is the bill of materials of the external endpoints a
// stack depends on: who runs each one and under which jurisdiction, from a
// table Rampart maintains (Table) and the endpoints an operator declares,
// and the rule rampart:sovereignty.allowedJurisdictions with its typed
// exceptions (Policy). It replaces the deny-list of US-controlled ACME
// directories the certmanager component carried: every endpoint, not only
// the ACME directory, is judged, by an allow-list.
//
// Supply chain and third-party risk: NIS2 Art. 21(2)(d); DORA Art. 28.
package sovereignty

import (
	"cmp"
	"fmt"
	"github.com/rampart-dev/rampart/helpers/exemption"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// Jurisdiction is where the operator of an endpoint is established: an
// ISO 3166-1 alpha-2 country code in upper case ("GB", "DE", "US"), or
// "EU", the code ISO 3166 reserves for the European Union. In
// allowedJurisdictions "EU" admits "EU" and every member state's code;
// nothing else expands. Unknown is an endpoint neither the operator nor
// the table knows; it is never allowed.
type Jurisdiction string

// Jurisdictions with a meaning of their own.
const (
	// EU is the European Union (ISO 3166 exceptionally reserved code).
	EU Jurisdiction = "EU"
	// Unknown: no declared endpoint or table entry covers the host.
	Unknown Jurisdiction = "unknown"
)

// euMembers are the 27 member states (2026), as ISO 3166-1 alpha-2 codes.
var euMembers = []Jurisdiction{"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR",
	"HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}

var alpha2 = regexp.MustCompile(`^[A-Z]{2}$`)

// Valid reports whether j is two upper-case letters (ISO 3166-1 alpha-2
// shape, "EU" included). Unknown is not valid in config.
func (j Jurisdiction) Valid() bool { return alpha2.MatchString(string(j)) }

// Source says where an endpoint's operator and jurisdiction come from.
type Source string

// Sources, in the order Lookup consults them.
const (
	// SourceDeclared: rampart:sovereignty.endpoints (the operator's word).
	SourceDeclared Source = "declared"
	// SourceTable: Rampart's Table.
	SourceTable Source = "table"
	// SourceUnknown: neither.
	SourceUnknown Source = "unknown"
)

// Endpoint is one operator and jurisdiction for a host and its
// subdomains (rampart:sovereignty.endpoints entries, and Table's rows).
type Endpoint struct {
	// Host is a DNS name; it covers itself and every name under it
	// ("sovereign.example.gov.uk" covers registry.sovereign.example.gov.uk).
	// Required, lower case, no scheme, port or path.
	Host string `json:"host"`
	// Operator is who runs the endpoint (the legal entity). Required.
	Operator string `json:"operator"`
	// Jurisdiction is where the operator is established. Required.
	Jurisdiction Jurisdiction `json:"jurisdiction"`
}

// MinJustification is the shortest justification an exception takes.
const MinJustification = 20

// Exception admits one host outside the allowed jurisdictions. Its fields
// are the written decision the report shows; the lifecycle fields (owner,
// approver, ticket, end date) of Rampart's other exemptions can be added
// beside them.
type Exception struct {
	// Host is the exact host admitted (not its subdomains). Required; it
	// must be a host the stack depends on (an exception nothing uses is
	// refused).
	Host string `json:"host"`
	// Justification says why no endpoint in an allowed jurisdiction will
	// do; at least MinJustification characters.
	Justification string `json:"justification"`
	// Control is the control the exception is recorded against (e.g.
	// "NIS2 Art. 21(2)(d)"). Required.
	Control string `json:"control"`
	// Approval is the exception's owner, approver, ticket and last day,
	// as every exemption's (rampart:…exceptions[].owner, approvedBy,
	// ticket, expires).
	exemption.Approval
}

// Policy is rampart:sovereignty.
type Policy struct {
	// AllowedJurisdictions is the rule: every external endpoint must be run
	// under one of these (Jurisdiction; "EU" admits the member states).
	// Absent or empty: no rule — endpoints are listed, none is refused
	// (the lab pulls upstream images). Default absent.
	AllowedJurisdictions []Jurisdiction `json:"allowedJurisdictions,omitempty"`
	// Endpoints are the operator's own endpoints (mirrors, the IdP, the S3
	// store, …) with who runs them and where; they take precedence over
	// Table. Default none.
	Endpoints []Endpoint `json:"endpoints,omitempty"`
	// Exceptions admit single hosts outside the rule, each with its
	// justification and control. Default none.
	Exceptions []Exception `json:"exceptions,omitempty"`
}

// Enabled reports whether the rule applies.
func (p Policy) Enabled() bool { return len(p.AllowedJurisdictions) > 0 }

// Allows reports whether j is admitted by the rule.
func (p Policy) Allows(j Jurisdiction) bool {
	if j == Unknown || j == "" {
		return false
	}
	for _, a := range p.AllowedJurisdictions {
		if a == j || (a == EU && slices.Contains(euMembers, j)) {
			return true
		}
	}
	return false
}

// Rule is the rule as an error message states it:
// "rampart:sovereignty.allowedJurisdictions is [GB EU]".
func (p Policy) Rule(path string) string {
	return fmt.Sprintf("%s is %v", verr.Path(path, "allowedJurisdictions"), p.AllowedJurisdictions)
}

// Lookup is who runs host and where: the operator's declared endpoints
// first, then Table, the longest matching host winning in each; else
// Unknown.
func (p Policy) Lookup(host string) (Endpoint, Source) {
	host = normal(host)
	if e, ok := longest(p.Endpoints, host); ok {
		return e, SourceDeclared
	}
	if r, ok := longest(rows(), host); ok {
		return r, SourceTable
	}
	return Endpoint{Host: host, Operator: "unknown", Jurisdiction: Unknown}, SourceUnknown
}

func rows() []Endpoint {
	out := make([]Endpoint, len(Table))
	for i, r := range Table {
		out[i] = r.Endpoint
	}
	return out
}

func longest(es []Endpoint, host string) (Endpoint, bool) {
	var best Endpoint
	found := false
	for _, e := range es {
		h := normal(e.Host)
		if (host == h || strings.HasSuffix(host, "."+h)) && len(h) > len(best.Host) {
			best, found = e, true
			best.Host = h
		}
	}
	return best, found
}

func normal(h string) string { return strings.ToLower(strings.TrimSuffix(h, ".")) }

// Dependency is one external endpoint the stack's config makes it depend
// on: the config key that brings it in and the endpoint as written there
// (an image reference, a URL, a host).
type Dependency struct {
	// Key is the config key, e.g. rampart:images.overrides["envoyproxy/gateway"].
	Key string
	// Endpoint is the value: an image reference, a URL or a host.
	Endpoint string
	// Role says what it is ("image", "chart repository", "ACME directory", …).
	Role string
}

// Host is the lower-case host of an endpoint written as a URL
// ("https://h:8200/x", "oci://h/path"), an image registry or reference
// ("h:5000/path", "h/repo:tag@sha256:…") or a bare host; "" when none.
func Host(endpoint string) string {
	s := strings.TrimSpace(endpoint)
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		return normal(u.Hostname())
	}
	s, _, _ = strings.Cut(s, "/")
	if h, _, err := net.SplitHostPort(s); err == nil {
		return normal(h)
	}
	return normal(s)
}

// Internal reports whether host is inside the cluster or the machine (a
// Service name, a loopback, private or link-local address, localhost):
// not an external endpoint, so outside the bill of materials.
func Internal(host string) bool {
	h := normal(strings.Trim(host, "[]"))
	if h == "" || h == "localhost" || strings.HasSuffix(h, ".localhost") ||
		strings.HasSuffix(h, ".svc") || strings.HasSuffix(h, ".cluster.local") || !strings.Contains(h, ".") && !strings.Contains(h, ":") {
		return true
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified()
	}
	return false
}

// Finding is one dependency judged: who runs it, where, and whether the
// rule admits it.
type Finding struct {
	Dependency
	// Host is the endpoint's host.
	Host string
	// Operator and Jurisdiction as Lookup found them, from Source.
	Operator     string
	Jurisdiction Jurisdiction
	Source       Source
	// Allowed: the rule admits the jurisdiction (false without a rule).
	Allowed bool
	// Exception is the exception that admits the host, if any.
	Exception *Exception
}

// OK reports whether the finding passes: no rule, allowed, or excepted.
func (f Finding) OK(p Policy) bool { return !p.Enabled() || f.Allowed || f.Exception != nil }

// Assess judges every external dependency (internal ones are dropped;
// duplicates of a key and endpoint are listed once), sorted by key.
func (p Policy) Assess(deps []Dependency) []Finding {
	var out []Finding
	seen := map[[2]string]bool{}
	for _, d := range deps {
		h := Host(d.Endpoint)
		if Internal(h) || seen[[2]string{d.Key, d.Endpoint}] {
			continue
		}
		seen[[2]string{d.Key, d.Endpoint}] = true
		e, src := p.Lookup(h)
		f := Finding{Dependency: d, Host: h, Operator: e.Operator, Jurisdiction: e.Jurisdiction, Source: src,
			Allowed: p.Enabled() && p.Allows(e.Jurisdiction)}
		if !f.Allowed {
			for i := range p.Exceptions {
				if normal(p.Exceptions[i].Host) == h {
					x := p.Exceptions[i]
					f.Exception = &x
					break
				}
			}
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

// Validate reports, under path (rampart:sovereignty), the section's own
// problems and every finding the rule refuses: the dependency's key, its
// endpoint, host, operator, jurisdiction and the rule, all at once.
func (p Policy) Validate(l *verr.List, path string, findings []Finding) {
	for i, j := range p.AllowedJurisdictions {
		if !j.Valid() {
			l.Add(fmt.Sprintf("%s[%d]", verr.Path(path, "allowedJurisdictions"), i), string(j),
				"not an ISO 3166-1 alpha-2 code", "use upper-case codes such as GB, DE or EU (the member states)")
		}
	}
	for i, e := range p.Endpoints {
		ep := fmt.Sprintf("%s[%d]", verr.Path(path, "endpoints"), i)
		if e.Host == "" || e.Host != Host(e.Host) || strings.Contains(e.Host, "/") || strings.Contains(e.Host, ":") {
			l.Add(ep+".host", e.Host, "not a lower-case host name", "write the host only, e.g. registry.example.gov.uk (its subdomains are covered)")
		}
		if strings.TrimSpace(e.Operator) == "" {
			l.Add(ep+".operator", "", "required: who runs the endpoint", "name the legal entity")
		}
		if !e.Jurisdiction.Valid() {
			l.Add(ep+".jurisdiction", string(e.Jurisdiction), "not an ISO 3166-1 alpha-2 code", "use e.g. GB, DE, or EU for an EU institution")
		}
	}
	used := map[string]bool{}
	for _, f := range findings {
		used[f.Host] = true
	}
	for i, x := range p.Exceptions {
		xp := fmt.Sprintf("%s[%d]", verr.Path(path, "exceptions"), i)
		if !used[normal(x.Host)] {
			l.Add(xp+".host", x.Host, "no endpoint of this stack has this host", "remove the exception, or name the exact host of an endpoint the stack uses")
		}
		if len(strings.TrimSpace(x.Justification)) < MinJustification {
			l.Add(xp+".justification", x.Justification,
				fmt.Sprintf("a written justification of at least %d characters is required", MinJustification),
				"say why no endpoint in an allowed jurisdiction will do")
		}
		if strings.TrimSpace(x.Control) == "" {
			l.Add(xp+".control", "", "required: the control the exception is recorded against", "e.g. NIS2 Art. 21(2)(d)")
		}
	}
	if !p.Enabled() {
		return
	}
	refused := map[[2]string]bool{}
	for _, f := range findings {
		if f.OK(p) || refused[[2]string{f.Key, f.Host}] {
			continue
		}
		refused[[2]string{f.Key, f.Host}] = true
		l.Add(f.Key, f.Endpoint,
			fmt.Sprintf("the %s's host %s is run by %s, jurisdiction %s (%s): %s", f.Role, f.Host, f.Operator, f.Jurisdiction, f.Source, p.Rule(path)),
			fmt.Sprintf("use an endpoint in an allowed jurisdiction (a mirror: rampart:images.registry), declare your own in %s, or add %s {host: %s, justification, control}",
				verr.Path(path, "endpoints"), verr.Path(path, "exceptions"), f.Host))
	}
}

// Output is the findings as the stack output "sovereignty" carries them.
func Output(p Policy, findings []Finding) []map[string]any {
	out := make([]map[string]any, 0, len(findings))
	for _, f := range findings {
		m := map[string]any{"key": f.Key, "endpoint": f.Endpoint, "role": f.Role, "host": f.Host,
			"operator": f.Operator, "jurisdiction": string(f.Jurisdiction), "source": string(f.Source),
			"ruled": p.Enabled(), "allowed": f.Allowed, "excepted": f.Exception != nil}
		if p.Enabled() {
			m["rule"] = fmt.Sprint(p.AllowedJurisdictions)
		}
		if x := f.Exception; x != nil {
			m["justification"], m["control"] = x.Justification, x.Control
		}
		out = append(out, m)
	}
	return out
}
