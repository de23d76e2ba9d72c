package config

import (
	"strings"

	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/runtime"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Runtime is rampart:runtime: whether the stack builds runtime security,
// and the component's own args (runtime.RuntimeArgs, decoded straight into;
// see it for every key's default and valid values).
type Runtime struct {
	// Enabled builds the component; default false.
	Enabled bool `json:"enabled"`
	runtime.RuntimeArgs
}

// runtimeDefaults fills the stack's decisions: the charts are off in the
// local profile (the lab has no nodes and no kernel driver), on elsewhere;
// Falco watches every namespace that enforces restricted for shells.
func (c *Config) runtimeDefaults() {
	r := &c.Runtime
	if !r.Enabled {
		return
	}
	on := c.Profile != ProfileLocal
	if r.TrivyOperator.Enabled == nil {
		r.TrivyOperator.Enabled = &on
	}
	if r.Falco.Enabled == nil {
		r.Falco.Enabled = &on
	}
	// Only an absent key is filled: a written [] is refused in validateRuntime.
	if r.Falco.RestrictedNamespaces == nil {
		for _, n := range c.allNamespaces() {
			if n.Exemption == nil {
				r.Falco.RestrictedNamespaces = append(r.Falco.RestrictedNamespaces, n.Name)
			}
		}
	}
	r.SkipAwait = c.SkipAwait()
}

// validateRuntime reports rampart:runtime's problems: the charts in the
// lab, the namespaces (platform ones only; Falco's with a justified
// privileged exemption), then the component's own checks.
func (c *Config) validateRuntime(l *verr.List, namespaces map[string]string) {
	r := &c.Runtime
	if !r.Enabled {
		return
	}
	k := func(p string) string { return Namespace + ":runtime." + p }
	if c.Profile == ProfileLocal {
		for _, s := range []struct {
			key string
			on  *bool
		}{{"trivyOperator.enabled", r.TrivyOperator.Enabled}, {"falco.enabled", r.Falco.Enabled}} {
			if runtime.Enabled(s.on) {
				l.Add(k(s.key), true, "the local lab has no nodes (and no kernel for Falco's driver): the chart's pods would never run",
					"remove it; the local profile checks runtime's values under mocks only")
			}
		}
	}
	platform := map[string]*namespace.NamespaceArgs{}
	for i := range c.Namespaces {
		platform[c.Namespaces[i].Name] = &c.Namespaces[i]
	}
	check := func(key, ns string) *namespace.NamespaceArgs {
		if ns == "" {
			return nil
		}
		if p, ok := namespaces[ns]; ok && strings.HasPrefix(p, Namespace+":tenants[") {
			l.Add(k(key), ns, "a tenant namespace: runtime security belongs to the platform, and a tenant cannot carry an exemption",
				"use a platform namespace of rampart:namespaces")
			return nil
		}
		n, ok := platform[ns]
		if !ok {
			l.Add(k(key), ns, "not a namespace of this stack, so nothing would create it or its default-deny policy", "use one of rampart:namespaces")
		}
		return n
	}
	if runtime.Enabled(r.TrivyOperator.Enabled) {
		check("trivyOperator.namespace", orDefault(r.TrivyOperator.Namespace, "trivy-system"))
	}
	if runtime.Enabled(r.Falco.Enabled) {
		ns := orDefault(r.Falco.Namespace, "falco")
		if n := check("falco.namespace", ns); n != nil {
			e := n.Exemption
			switch {
			case e == nil || e.Level != namespace.PSSPrivileged:
				l.Add(k("falco.namespace"), ns, "Falco's eBPF driver needs host PID, host mounts and kernel capabilities, which only a privileged namespace admits",
					"give the namespace in rampart:namespaces an exemption {level: privileged, justification, control}")
			case len(strings.TrimSpace(e.Justification)) < 20:
				l.Add(k("falco.namespace"), ns, "Falco's privileged exemption has no written justification for the compliance report",
					"set exemption.justification on that namespace in rampart:namespaces")
			}
		}
		if nss := r.Falco.RestrictedNamespaces; nss != nil && len(nss) == 0 {
			l.NotUnset(k("falco.restrictedNamespaces"), verr.Raw("[]"), "Falco would watch no namespace for interactive shells",
				"(every namespace that enforces restricted)", "list the namespaces to watch")
		}
	}
	l.Merge(r.Validate(Namespace + ":runtime"))
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
