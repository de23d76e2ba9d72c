package config

import (
	"github.com/rampart-dev/rampart/components/rbac"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// RBAC is rampart:rbac: whether the stack renders the platform's roles and
// bindings, and the component's own args (rbac.RBACArgs, decoded straight
// into; see it for every key's default and valid values). The tenants are
// the stack's (rampart:tenants), passed by stacks, never a key.
type RBAC struct {
	// Enabled renders the roles and bindings; default false.
	Enabled bool `json:"enabled"`
	rbac.RBACArgs
}

// RBACArgs is the component's args with the stack's tenants.
func (c *Config) RBACArgs() *rbac.RBACArgs {
	a := c.RBAC.RBACArgs
	a.Tenants = nil
	for _, t := range c.Tenants {
		a.Tenants = append(a.Tenants, t.Name)
	}
	return &a
}

// validateRBAC reports rampart:rbac's problems through the component's own
// checks, on the tenants rampart:tenants names validly (a bad or duplicate
// tenant name is reported there, once): the break-glass group must not be
// one of theirs.
func (c *Config) validateRBAC(l *verr.List) {
	if !c.RBAC.Enabled {
		return
	}
	a := c.RBAC.RBACArgs
	a.Tenants = nil
	seen := map[string]bool{}
	for _, t := range c.Tenants {
		if kname.IsNamespace(t.Name) && !seen[t.Name] {
			a.Tenants = append(a.Tenants, t.Name)
			seen[t.Name] = true
		}
	}
	l.Merge(a.Validate(Namespace + ":rbac"))
}
