package netpolicy

import (
	"fmt"
	"net/netip"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// CheckCIDRs reports, at path[i], every entry that is not a CIDR and every
// /0, which would admit every address rather than the hosts the key names.
func CheckCIDRs(l *verr.List, path string, cidrs []string) {
	for i, c := range cidrs {
		pf, err := netip.ParsePrefix(c)
		switch {
		case err != nil:
			l.Add(fmt.Sprintf("%s[%d]", path, i), c, "not a CIDR", "use e.g. 10.96.0.1/32")
		case pf.Bits() == 0:
			l.Add(fmt.Sprintf("%s[%d]", path, i), c, "admits every address", "name the hosts (/32 or the smallest range)")
		}
	}
}

// CheckPort reports a port outside 1-65535 at path.
func CheckPort(l *verr.List, path string, port int) {
	if port < 1 || port > 65535 {
		l.Add(path, port, "not a port", "use 1-65535")
	}
}

// CheckPorts reports every port of the list outside 1-65535, at path[i].
func CheckPorts(l *verr.List, path string, ports []int) {
	for i, p := range ports {
		CheckPort(l, fmt.Sprintf("%s[%d]", path, i), p)
	}
}

// CheckPortKey checks a port key whose absence means def: a 0 there can
// only have been written, and is refused rather than replaced (a rule
// without a port opens every port).
func CheckPortKey(l *verr.List, path string, port, def int) {
	if port == 0 {
		l.NotUnset(path, 0, verr.NoPort, def, "give the port")
		return
	}
	CheckPort(l, path, port)
}
