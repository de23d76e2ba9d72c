package netpolicy

import (
	"slices"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// DefaultAPIServerPorts are the API server's ports a controller reaches: 443
// (the kubernetes Service) and 6443 (the control-plane endpoints behind
// it). A NetworkPolicy is evaluated after the Service's DNAT on most CNIs,
// so both are needed.
var DefaultAPIServerPorts = []int{443, 6443}

// APIServer locates the API server for a component's NetworkPolicies
// (config keys apiServer.cidrs and apiServer.ports of every component that
// runs a controller).
type APIServer struct {
	// CIDRs are the API server's addresses: the kubernetes Service's
	// ClusterIP and the control-plane endpoints. No default: 0.0.0.0/0
	// would let the controller reach any host on these ports, and is
	// refused.
	CIDRs []string `json:"cidrs,omitempty"`
	// Ports are the API server's ports; default DefaultAPIServerPorts (nil,
	// the key absent). An empty list is refused, not replaced: a
	// NetworkPolicy rule without ports opens every port.
	Ports []int `json:"ports,omitempty"`
}

// WithDefaults copies the endpoints, with DefaultAPIServerPorts when the
// ports key is absent.
func (a APIServer) WithDefaults() APIServer {
	a.CIDRs = slices.Clone(a.CIDRs)
	if a.Ports == nil {
		a.Ports = slices.Clone(DefaultAPIServerPorts)
	} else {
		a.Ports = slices.Clone(a.Ports)
	}
	return a
}

// Validate reports, under path (…apiServer), missing CIDRs (required says
// why the component cannot do without them; "" when they are optional),
// bad CIDRs, an explicit empty port list and bad ports. Call it after
// WithDefaults.
func (a APIServer) Validate(l *verr.List, path, required string) {
	if len(a.CIDRs) == 0 && required != "" {
		l.Add(verr.Path(path, "cidrs"), verr.Raw("[]"), "required: "+required,
			"list the kubernetes Service ClusterIP and the control-plane endpoint addresses, e.g. [10.96.0.1/32, 192.0.2.10/32]")
	}
	CheckCIDRs(l, verr.Path(path, "cidrs"), a.CIDRs)
	if len(a.Ports) == 0 {
		l.NotUnset(verr.Path(path, "ports"), verr.Raw("[]"), "an egress rule without ports opens every port of the API server's addresses",
			DefaultAPIServerPorts, "list the API server's ports")
	}
	CheckPorts(l, verr.Path(path, "ports"), a.Ports)
}
