package config

import "github.com/rampart-dev/rampart/helpers/verr"

// IngressMode selects how external traffic enters the cluster.
type IngressMode string

// Ingress modes. Gateway API is the default: ingress-nginx was retired in
// March 2026; Ingress remains for clusters that still run a controller.
const (
	IngressGateway IngressMode = "gateway"
	IngressIngress IngressMode = "ingress"
)

// Ingress configures the entry point.
type Ingress struct {
	// Mode is gateway (default) or ingress.
	Mode IngressMode `json:"mode,omitempty"`
	// Namespace is the ingress controller / Gateway namespace, admitted by
	// every tenant's isolation policy. Default "rampart-ingress".
	Namespace string `json:"namespace,omitempty"`
	// TLSMinVersion is "1.2" or "1.3". Default "1.2" at the edge (seed 000:
	// TLS 1.2+ for external clients), 1.3 preferred and offered.
	TLSMinVersion string `json:"tlsMinVersion,omitempty"`
}

// ingressDefaults fills rampart:ingress's stack decisions.
func (c *Config) ingressDefaults() {}

// validateIngress reports rampart:ingress's cross-section problems.
func (c *Config) validateIngress(_ *verr.List, _ map[string]string) {}
