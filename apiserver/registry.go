package apiserver

import (
	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
	"github.com/rampart-dev/rampart/apiserver/authn"
	"github.com/rampart-dev/rampart/apiserver/encryption"
)

// Settings carries the args of every registered config; a zero field takes
// that config's defaults.
type Settings struct {
	// Audit is the audit policy's args (auditpolicy.Args): paths on the
	// node, log rotation, extra rules.
	Audit auditpolicy.Args
	// Authn is the AuthenticationConfiguration's args (authn.Args): the OIDC
	// issuer, its CA, audiences and claim mappings. The file is written only
	// when Authn.IssuerURL is set: there is no default issuer, and a cluster
	// without OIDC login keeps its API server as it is.
	Authn authn.Args
	// Encryption is the EncryptionConfiguration's args (encryption.Args):
	// the KMS plugin's socket, the provider's name, the resources. The file
	// is written only when Encryption.Endpoint is set: a cluster without
	// the plugin keeps its API server as it is (a KMS provider whose plugin
	// is missing stops every Secret read and write).
	Encryption encryption.Args
}

// Configs returns the configs s turns on (nil: every default), in the order
// their flags and mounts appear in the snippets: every registered config
// except the AuthenticationConfiguration while no issuer is set and the
// EncryptionConfiguration while no KMS endpoint is set, so the default
// rendering is the audit policy alone.
func Configs(s *Settings) []Config {
	if s == nil {
		s = &Settings{}
	}
	var out []Config
	for _, c := range Registered(s) {
		if _, ok := c.(authnConfig); ok && s.Authn.IssuerURL == "" {
			continue
		}
		if _, ok := c.(encryptionConfig); ok && s.Encryption.Endpoint == "" {
			continue
		}
		out = append(out, c)
	}
	return out
}

// Registered returns every registered config built from s (nil: every
// default), whether s turns it on or not: the CLI's subcommands and flags.
// This is the registration: a new file the API server loads is one line here
// and one field in Settings.
func Registered(s *Settings) []Config {
	if s == nil {
		s = &Settings{}
	}
	return []Config{
		AuditPolicy(&s.Audit),
		Authentication(&s.Authn),
		Encryption(&s.Encryption),
	}
}

// Lookup returns the config named name among configs.
func Lookup(configs []Config, name string) (Config, bool) {
	for _, c := range configs {
		if c.Name() == name {
			return c, true
		}
	}
	return nil, false
}
