package config

import (
	"cmp"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/netpol"
)

// DefaultPlatformNamespaces are the platform's own namespaces. Falco is the
// one exemption: its eBPF probe needs host access that no lower level allows.
func DefaultPlatformNamespaces() []namespace.NamespaceArgs {
	return []namespace.NamespaceArgs{
		{Name: "rampart-ingress"},
		{Name: "rampart-system"},
		{Name: "openbao"},
		{Name: "keycloak"},
		{Name: "cert-manager"},
		{Name: "rampart-audit"},
		{Name: "trivy-system"},
		{Name: "falco", Exemption: &namespace.Exemption{
			Level:         namespace.PSSPrivileged,
			Justification: "Falco's kernel driver (modern eBPF) reads syscalls on every node and needs host PID, host paths and privileged mode; no workload but the falco DaemonSet runs here.",
			Control:       "NIS2 Art. 21(2)(b); ISM-1034 (runtime intrusion detection)",
		}},
	}
}

// profileQuotas are the tenant quotas per profile: small in the lab, the
// component default elsewhere, larger in prod.
var profileQuotas = map[Profile]namespace.Quota{
	ProfileLocal:   {RequestsCPU: "1", RequestsMemory: "1Gi", LimitsCPU: "2", LimitsMemory: "2Gi", Pods: namespace.PodCount(10)},
	ProfileDev:     namespace.DefaultQuota,
	ProfileStaging: namespace.DefaultQuota,
	ProfileProd:    {RequestsCPU: "8", RequestsMemory: "16Gi", LimitsCPU: "16", LimitsMemory: "32Gi", Pods: namespace.PodCount(100)},
}

// TLSFloor is the profile's ingress TLS floor: the default of
// rampart:ingress.tlsMinVersion, and the lowest floor the profile takes
// without rampart:ingress.tls12Justification. prod: 1.3, as the sovereign-cloud hardening guide asks
// for data in transit. local, dev and staging keep the STOA security hardening checklist's 1.2 (ECDHE +
// AEAD suites only): the external clients they serve (partner systems,
// older JDK and .NET runtimes, TLS-inspecting corporate proxies) cannot all
// negotiate 1.3; such a stack sets "1.3" when its clients can.
func (p Profile) TLSFloor() ingress.TLSVersion {
	if p == ProfileProd {
		return ingress.TLS13
	}
	return ingress.TLS12
}

// withDefaults fills every unset field from the profile's presets. It never
// overrides what the stack set.
func (c *Config) withDefaults() {
	// The ingress namespace is a stack decision too: tenants admit its
	// proxies on their route ports when the ingress component is built. Mode is the
	// component's own default (ingress.IngressArgs.WithDefaults), the TLS
	// floor the profile's (ingressDefaults).
	c.Ingress.Namespace = cmp.Or(c.Ingress.Namespace, ingress.DefaultNamespace)
	c.Network.DNS.Namespace = cmp.Or(c.Network.DNS.Namespace, "kube-system")
	if c.Network.DNS.PodLabels == nil {
		c.Network.DNS.PodLabels = netpol.DefaultDNSPodLabels()
	}
	if len(c.Namespaces) == 0 {
		c.Namespaces = DefaultPlatformNamespaces()
		c.builtInNamespaces = true
	}
	if c.Kubernetes.SkipAwait == nil {
		skip := c.Profile == ProfileLocal
		c.Kubernetes.SkipAwait = &skip
	}
	// A tenant's quota is merged over its profile's preset field by field:
	// naming one field changes only that field.
	if q, ok := profileQuotas[c.Profile]; ok {
		for i := range c.Tenants {
			tq := q
			if c.Tenants[i].Quota != nil {
				tq = c.Tenants[i].Quota.Over(q)
			}
			c.Tenants[i].Quota = &tq
		}
	}
	c.openBaoDefaults()
	c.pkiDefaults() // after openbao: it defaults to OpenBao's address
	c.kmsDefaults() // after openbao and pki: the vault provider may be theirs
	c.keycloakDefaults()
	c.ingressDefaults()
	c.certmanagerDefaults()
	c.auditDefaults()
	c.runtimeDefaults()
	c.checkersDefaults()
	c.imagesDefaults() // after every section: it hands rampart:images to them
}
