package verify

import (
	"slices"

	"github.com/rampart-dev/rampart/stacks"
)

// appOf is the app of namespace n whose pods p is one of, if any.
func appOf(n stacks.IntentNamespace, p Peer) (stacks.IntentApp, bool) {
	for _, a := range n.Apps {
		if hasLabels(p.Labels, a.PodLabels) {
			return a, true
		}
	}
	return stacks.IntentApp{}, false
}

// peerHolds reports whether app peer q selects pod p on port.
func peerHolds(q stacks.IntentAppPeer, p Peer, port int) bool {
	return q.Namespace == p.Namespace && hasLabels(p.Labels, q.PodLabels) && slices.Contains(q.Ports, port)
}
