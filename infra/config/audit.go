package config

import "github.com/rampart-dev/rampart/helpers/verr"

// Audit is rampart:audit: the WORM audit store and log pipeline (stub: filled by the audit component).
type Audit struct {
	// Enabled builds the component; default false.
	Enabled bool `json:"enabled"`
}

// auditDefaults fills the section's stack decisions.
func (c *Config) auditDefaults() {}

// validateAudit reports the section's problems.
func (c *Config) validateAudit(_ *verr.List, _ map[string]string) {}
