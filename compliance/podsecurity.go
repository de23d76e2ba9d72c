package compliance

import (
	"fmt"

	"github.com/rampart-dev/rampart/components/namespace"
)

// namespaceType is the Kubernetes Namespace's type token.
const namespaceType = "kubernetes:core/v1:Namespace"

// exemption is one entry of the stack output "exemptions", which the program
// writes from each namespace's typed namespace.Exemption.
type exemption struct {
	Level, Justification, Control string
}

// exemptions reads the stack output "exemptions" by namespace name.
func (s *state) exemptions() map[string]exemption {
	out := map[string]exemption{}
	v, _ := s.output("exemptions")
	l, _ := v.([]any)
	for _, e := range l {
		m := asMap(e)
		n, _ := m["namespace"].(string)
		lvl, _ := m["level"].(string)
		j, _ := m["justification"].(string)
		c, _ := m["control"].(string)
		if n != "" {
			out[n] = exemption{lvl, j, c}
		}
	}
	return out
}

// checkPodSecurity: every namespace in the state enforces restricted
// through its pod-security label, or the level of its typed exemption (with
// the exemption's justification as the evidence note); audit and warn are
// restricted everywhere, exempted or not, so deviations stay visible.
func checkPodSecurity(s *state) (bool, []Evidence) {
	nss := s.byType(namespaceType)
	ex := s.exemptions()
	var ev []Evidence
	for _, ns := range nss {
		name := ns.str("metadata.name")
		for _, key := range []string{namespace.LabelEnforce, namespace.LabelAudit, namespace.LabelWarn} {
			path := field("metadata.labels", key)
			v, _ := ns.get(path)
			got, _ := v.(string)
			e := Evidence{URN: ns.URN, Field: path, Value: show(v), OK: got == string(namespace.PSSRestricted)}
			x, exempted := ex[name]
			switch {
			case key == namespace.LabelEnforce && exempted && got != "" && got == x.Level:
				e.OK, e.Exempt = false, true
				e.Note = fmt.Sprintf("exempt under %s: %s", x.Control, x.Justification)
			case key == namespace.LabelEnforce && exempted && !e.OK:
				e.Note = fmt.Sprintf("typed exemption allows %q, the label says %s", x.Level, show(v))
			case v == nil:
				e.Note = "label missing: the namespace enforces nothing at this mode"
			case !e.OK:
				e.Note = "want restricted"
			}
			ev = append(ev, e)
		}
	}
	return len(nss) > 0, ev
}
