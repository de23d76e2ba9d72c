package config

import (
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/components/auditor"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Checkers is rampart:checkers: whether the stack renders Rampart's own
// least-privilege identities (the read-only auditor, the verifier), and
// the component's own args (auditor.CheckersArgs, decoded straight into;
// see it for every key's default and valid values). The managed
// namespaces are the stack's, passed by stacks, never a key.
type Checkers struct {
	// Enabled renders them; default true: without them every check runs
	// with the deployer's (cluster-admin-like) credentials.
	Enabled *bool `json:"enabled,omitempty"`
	auditor.CheckersArgs
}

// On reports whether the stack renders the checkers (default true).
func (c *Checkers) On() bool { return auditor.Enabled(c.Enabled) }

// checkersDefaults fills the stack's decision: the namespace of the
// checkers' ServiceAccounts is the platform namespace rampart-system, or,
// in a stack whose namespace names carry a prefix (the e2e stacks sharing
// the lab with the local one), the platform namespace ending in
// -rampart-system.
func (c *Config) checkersDefaults() {
	k := &c.Checkers
	if !k.On() || k.Namespace != "" {
		return
	}
	k.Namespace = auditor.DefaultNamespace
	var prefixed []string
	for _, n := range c.Namespaces {
		if n.Name == auditor.DefaultNamespace {
			return
		}
		if strings.HasSuffix(n.Name, "-"+auditor.DefaultNamespace) {
			prefixed = append(prefixed, n.Name)
		}
	}
	if len(prefixed) == 1 {
		k.Namespace = prefixed[0]
	}
}

// validateCheckers reports rampart:checkers' problems: its namespace must
// be a platform namespace of this stack when it holds a ServiceAccount
// (anyone who runs pods in it can run as that account, so never a tenant),
// then the component's own checks.
func (c *Config) validateCheckers(l *verr.List, namespaces map[string]string) {
	k := &c.Checkers
	if !k.On() {
		return
	}
	key := Namespace + ":checkers.namespace"
	if auditor.Enabled(k.Auditor.ServiceAccount) || auditor.Enabled(k.Verifier.ServiceAccount) {
		p, ok := namespaces[k.Namespace]
		switch {
		case !ok:
			var platform []string
			for _, n := range c.Namespaces {
				platform = append(platform, n.Name)
			}
			sort.Strings(platform)
			l.Add(key, k.Namespace, "not a namespace of this stack, so nothing would create it for the checkers' ServiceAccounts",
				"set it to a platform namespace of rampart:namespaces ("+strings.Join(platform, ", ")+"), or set rampart:checkers.enabled: false")
		case strings.HasPrefix(p, Namespace+":tenants["):
			l.Add(key, k.Namespace, "a tenant namespace: whoever runs pods there could run as the auditor's and verifier's ServiceAccounts",
				"use a platform namespace of rampart:namespaces (default "+auditor.DefaultNamespace+")")
		}
	}
	l.Merge(k.Validate(Namespace + ":checkers"))
}
