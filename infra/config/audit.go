package config

import (
	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Audit is rampart:audit: whether the stack builds the WORM audit store and
// the component's own args (audit.AuditArgs, decoded straight into; see it
// for every key's default, valid values and each retention preset's
// reasoning). The store's keys are the secrets rampart:auditS3AccessKeyId
// and rampart:auditS3SecretAccessKey, never keys of this section.
type Audit struct {
	// Enabled builds the component and the aws provider for its S3 store;
	// default false.
	Enabled bool `json:"enabled"`
	audit.AuditArgs
}

// auditDefaults fills the section's stack decisions: only the local
// profile may reach its store over plain http (the lab's S3 server on
// 127.0.0.1), and there encryption defaults to off because the lab's
// versitygw does not implement PutBucketEncryption.
func (c *Config) auditDefaults() {
	a := &c.Audit
	if !a.Enabled {
		return
	}
	a.AllowHTTPEndpoint = c.Profile == ProfileLocal
	if c.Profile == ProfileLocal && a.Encryption.Mode == "" {
		a.Encryption.Mode = audit.SSEOff
	}
}

// AuditArgs is the component's args for this stack, with the store's keys
// injected as secret Outputs for Loki (KeysAreSecret: both stored encrypted).
func (c *Config) AuditArgs() *audit.AuditArgs {
	a := c.Audit.AuditArgs
	ak, sk := c.Secrets.AuditS3AccessKeyID, c.Secrets.AuditS3SecretAccessKey
	a.AccessKeyID, a.SecretAccessKey = ak.Output(), sk.Output()
	a.KeysAreSecret = ak != nil && sk != nil && ak.IsSecret && sk.IsSecret
	return &a
}

// validateAudit reports rampart:audit's problems and its secrets'.
// Missing or plaintext keys are reported once, at their own keys; the
// component's own report of them (rampart:audit.loki.credentials, no key
// anyone can set) is then dropped.
func (c *Config) validateAudit(l *verr.List, namespaces map[string]string) {
	a := &c.Audit
	if !a.Enabled {
		return
	}
	bad := requireSecret(l, c.Secrets.AuditS3AccessKeyID, "auditS3AccessKeyId", "rampart:audit's aws provider signs its S3 requests with it", "<access key id>")
	bad = requireSecret(l, c.Secrets.AuditS3SecretAccessKey, "auditS3SecretAccessKey", "rampart:audit's aws provider signs its S3 requests with it", "<secret access key>") || bad
	if lk := a.Loki; lk != nil && lk.Enabled {
		if c.Profile == ProfileLocal {
			l.Add(Namespace+":audit.loki.enabled", true, "the local lab has no nodes to run Loki", "leave it off in the local profile")
		}
		ns := lk.Namespace
		if ns == "" {
			ns = audit.DefaultLokiNamespace
		}
		if _, ok := namespaces[ns]; !ok {
			l.Add(Namespace+":audit.loki.namespace", ns, "not a namespace of this stack, so nothing would create it or its default-deny policy",
				"use one of rampart:namespaces (default \"rampart-audit\")")
		}
	}
	args := c.AuditArgs()
	l.MergeUnless(args.Validate(Namespace+":audit"), func(path string) bool {
		return bad && path == Namespace+":audit.loki.credentials"
	})
}
