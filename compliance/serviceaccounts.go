package compliance

import (
	"slices"

	"github.com/rampart-dev/rampart/inventory"
)

// liveDefaultServiceAccounts: the default ServiceAccount of every managed
// namespace has automountServiceAccountToken false live.
//
// It is judged under pss-restricted, not rbac-no-default-admin: the
// namespace component (that item's implementation) sets it next to the
// Pod Security labels, and like them it is a setting every pod of the
// namespace gets by default — here, whether it carries an API token. What
// such a token may do is the RBAC item's question (its bindings).
func liveDefaultServiceAccounts(s *state) []Evidence {
	if s.inv == nil {
		return nil
	}
	nss := slices.Clone(s.inv.Namespaces)
	slices.Sort(nss)
	var ev []Evidence
	for _, ns := range nss {
		ref := inventory.Ref{Kind: "ServiceAccount", Namespace: ns, Name: "default"}
		const path = "automountServiceAccountToken"
		sa := s.liveRef(ref)
		if sa == nil {
			ev = append(ev, Evidence{Field: path, Value: "(no ServiceAccount)", Source: FromLive, Object: ref.String(),
				Note: "the namespace's default ServiceAccount is not in the live list: the controller manager recreates it with tokens mounted"})
			continue
		}
		v, ok := sa.get(path)
		e := Evidence{URN: sa.URN, Field: path, Value: show(v), OK: v == false}
		switch {
		case !ok:
			e.Note = "unset: the API mounts a token into every pod running as default"
		case !e.OK:
			e.Note = "every pod running as default gets an API token"
		}
		ev = append(ev, e)
	}
	return ev
}
