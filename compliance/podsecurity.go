package compliance

import (
	"fmt"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"

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
// restricted everywhere, exempted or not, so deviations stay visible. When
// the live cluster was read, the labels are the live ones, and every live
// pod and pod template is judged too (podslive.go), as is each managed
// namespace's default ServiceAccount (serviceaccounts.go).
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
		ev = append(ev, enforceVersion(ns))
	}
	// With the live cluster read: a managed namespace deleted out of band,
	// every live pod and pod template, and the default ServiceAccounts.
	ev = append(ev, s.goneEvidence("Namespace")...)
	ev = append(ev, livePodSecurity(s)...)
	ev = append(ev, liveDefaultServiceAccounts(s)...)
	return len(nss) > 0 || len(ev) > 0, ev
}

// enforceVersion: the enforce-version label is absent, "latest" (the
// admission default), or a pinned version (components/namespace's
// pssVersion, e.g. "v1.34") no older than the newest revision of any
// baseline or restricted check in the Pod Security evaluator
// (fullProfileVersion): an older pin enforces that release's profile,
// without the checks added since — a weaker restricted.
func enforceVersion(ns *object) Evidence {
	path := field("metadata.labels", namespace.LabelEnforceVersion)
	v, ok := ns.get(path)
	got, _ := v.(string)
	e := Evidence{URN: ns.URN, Field: path, Value: show(v), OK: !ok}
	if ok {
		pinned, err := psaapi.ParseVersion(got)
		floor := fullProfileVersion()
		e.OK = err == nil && !pinned.Older(floor)
		if !e.OK {
			e.Note = "pinned to " + show(v) + ": checks of the restricted profile added up to " + floor.String() +
				" are not enforced; want latest, no label, or " + floor.String() + " or later"
		}
	}
	return e
}

// fullProfileVersion is the newest MinimumVersion of any baseline or
// restricted check revision in k8s.io/pod-security-admission: a pinned
// version at or after it enforces every check this evaluator knows.
func fullProfileVersion() psaapi.Version {
	floor := psaapi.MajorMinorVersion(1, 0)
	for _, c := range psapolicy.DefaultChecks() {
		for _, vc := range c.Versions {
			if floor.Older(vc.MinimumVersion) {
				floor = vc.MinimumVersion
			}
		}
	}
	return floor
}
