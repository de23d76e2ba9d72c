package compliance

import "fmt"

// sovereigntyOutput is the stack output the item reads (stacks.SovereigntyOutput).
const sovereigntyOutput = "sovereignty"

// checkSovereignty: every external endpoint the stack depends on (the
// stack output "sovereignty", the bill of materials the config layer
// judged against rampart:sovereignty.allowedJurisdictions) is run under an
// allowed jurisdiction, or is admitted by a typed exception whose control
// and justification the report shows. A stack without the rule lists its
// endpoints but is not deployed for the item: no rule was chosen. This
// replaces the ACME-only US-CA deny-list that tls-ingress carried.
// NIS2 Art. 21(2)(d); DORA Art. 28.
func checkSovereignty(s *state) (bool, []Evidence) {
	v, ok := s.output(sovereigntyOutput)
	if !ok {
		return false, nil
	}
	ruled := false
	var ev []Evidence
	for _, x := range asList(v) {
		m := asMap(x)
		str := func(k string) string { y, _ := m[k].(string); return y }
		flag := func(k string) bool { y, _ := m[k].(bool); return y }
		ruled = ruled || flag("ruled")
		who := fmt.Sprintf("%s %s: %s, %s (%s)", str("role"), str("host"), str("operator"), str("jurisdiction"), str("source"))
		e := Evidence{URN: s.stackURN, Field: "outputs." + sovereigntyOutput + " " + str("key"), Value: str("endpoint"), OK: true, Source: FromState}
		switch {
		case !flag("ruled"):
			e.Note = who + "; no rule: rampart:sovereignty.allowedJurisdictions is not set"
		case flag("allowed"):
			e.Note = who + "; allowed by " + str("rule")
		case flag("excepted"):
			e.Exempt = true
			e.Note = who + " outside " + str("rule") + ", exempt under " + str("control") + ": " + str("justification")
		default:
			e.OK = false
			e.Note = who + " outside " + str("rule") + " without an exception: use an endpoint in an allowed jurisdiction or add rampart:sovereignty.exceptions"
		}
		ev = append(ev, e)
	}
	return ruled, ev
}
