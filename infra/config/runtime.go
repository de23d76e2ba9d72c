package config

import "github.com/rampart-dev/rampart/helpers/verr"

// Runtime is rampart:runtime: runtime security (stub: filled by the runtime component).
type Runtime struct {
	// Enabled builds the component; default false.
	Enabled bool `json:"enabled"`
}

// runtimeDefaults fills the section's stack decisions.
func (c *Config) runtimeDefaults() {}

// validateRuntime reports the section's problems.
func (c *Config) validateRuntime(_ *verr.List, _ map[string]string) {}
