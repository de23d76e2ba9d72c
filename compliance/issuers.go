package compliance

import (
	"github.com/rampart-dev/rampart/components/certmanager"
)

// clusterIssuerType is cert-manager's ClusterIssuer as a CustomResource.
const clusterIssuerType = "kubernetes:cert-manager.io/v1:ClusterIssuer"

// sovereigntyException is one entry of the stack output
// "sovereigntyExceptions" (components/certmanager).
type sovereigntyException struct {
	CA, Justification, Control, ApprovedBy string
}

// sovereigntyExceptions reads the stack output by issuer name.
func (s *state) sovereigntyExceptions() map[string]sovereigntyException {
	out := map[string]sovereigntyException{}
	v, _ := s.output("sovereigntyExceptions")
	for _, e := range asList(v) {
		m := asMap(e)
		str := func(k string) string { x, _ := m[k].(string); return x }
		if n := str("issuer"); n != "" {
			out[n] = sovereigntyException{str("ca"), str("justification"), str("control"), str("approvedBy")}
		}
	}
	return out
}

// issuerSovereignty: the sovereign-cloud hardening guide allows no US-controlled CA. Every ACME
// ClusterIssuer's directory is checked with certmanager.USControlledCA; one
// run by a US-controlled CA is exempt when the stack carries its typed
// sovereignty exception (justification and approver shown), else it fails.
// Issuers on OpenBao's PKI hold: the CA is the platform's own.
func issuerSovereignty(s *state) []Evidence {
	exc := s.sovereigntyExceptions()
	var ev []Evidence
	for _, is := range s.byType(clusterIssuerType) {
		server := is.str("spec.acme.server")
		if server == "" {
			continue
		}
		e := Evidence{URN: is.URN, Field: "spec.acme.server", Value: server, OK: true}
		if who, us := certmanager.USControlledCA(server); us {
			if x, ok := exc[is.str("metadata.name")]; ok {
				e.Exempt = true
				e.Note = "US-controlled CA " + who + ", exempt under " + x.Control + " (approved by " + x.ApprovedBy + "): " + x.Justification
			} else {
				e.OK = false
				e.Note = "US-controlled CA " + who + " without a sovereignty exception: use a non-US ACME CA or the OpenBao issuer"
			}
		}
		ev = append(ev, e)
	}
	return ev
}
