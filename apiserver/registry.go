package apiserver

import (
	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
)

// Settings carries the args of every registered config; a zero field takes
// that config's defaults.
type Settings struct {
	// Audit is the audit policy's args (auditpolicy.Args): paths on the
	// node, log rotation, extra rules.
	Audit auditpolicy.Args
}

// Configs returns the registered configs built from s (nil: every default),
// in the order their flags and mounts appear in the snippets. This is the
// registration: a new file the API server loads is one line here and one
// field in Settings.
func Configs(s *Settings) []Config {
	if s == nil {
		s = &Settings{}
	}
	return []Config{
		AuditPolicy(&s.Audit),
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
