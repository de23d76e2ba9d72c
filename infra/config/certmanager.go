package config

import "github.com/rampart-dev/rampart/helpers/verr"

// CertManager is rampart:certManager: cert-manager and the platform's issuers (stub: filled by the certmanager component).
type CertManager struct {
	// Enabled builds the component; default false.
	Enabled bool `json:"enabled"`
}

// certmanagerDefaults fills the section's stack decisions.
func (c *Config) certmanagerDefaults() {}

// validateCertManager reports the section's problems.
func (c *Config) validateCertManager(_ *verr.List, _ map[string]string) {}
