package config

import (
	"strings"

	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/components/namespace"
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
	// Loki admits the agent's pods unless the stack names other pushers.
	if g, lk := a.Agent, a.Loki; g != nil && g.Enabled && lk != nil && lk.Agent.Namespace == "" && len(lk.Agent.PodLabels) == 0 {
		lk.Agent = g.Peer(AuditName)
	}
}

// AuditName is the audit component's Pulumi name in the stack (its Loki
// Service and the agent's release are named from it).
const AuditName = "audit"

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
	c.validateAuditAgent(l, namespaces)
	args := c.AuditArgs()
	l.MergeUnless(args.Validate(Namespace+":audit"), func(path string) bool {
		return bad && path == Namespace+":audit.loki.credentials"
	})
}

// AuditAgentExemption is the exemption the audit log agent's namespace
// needs, to copy into rampart:namespaces when enabling rampart:audit.agent.
// It is not a default namespace: a privileged namespace exists only on
// stacks that ship the audit log, by the operator's stated decision.
// Privileged is the lowest level that admits it: hostPath volumes are a
// baseline check of the Pod Security Standards.
var AuditAgentExemption = namespace.Exemption{
	Level:         namespace.PSSPrivileged,
	Justification: "The audit log agent (Fluent Bit DaemonSet, control-plane nodes only) reads the API server's audit log, which exists only on the node: it mounts that one directory read-only as a hostPath volume, which baseline and restricted forbid, and runs as the log's owner (root on kubeadm/RKE2: kube-apiserver writes it 0600 and has no flag for its mode) with every capability dropped, no privilege escalation, a read-only root filesystem and no host network or PID; no workload but the agent runs here.",
	Control:       "NIS2 Art. 21(2)(b); ISM event logging (centralised, protected audit trail); ITSG-33 AU-9",
}

// validateAuditAgent reports rampart:audit.agent's problems: it needs
// Loki, runs nowhere in the lab, and only in a platform namespace whose
// privileged exemption is justified (a hostPath volume is forbidden from
// baseline up, so no lower level admits it), then the agent's own checks.
func (c *Config) validateAuditAgent(l *verr.List, namespaces map[string]string) {
	g := c.Audit.Agent
	if g == nil || !g.Enabled {
		return
	}
	k := func(p string) string { return Namespace + ":audit.agent." + p }
	if c.Profile == ProfileLocal {
		l.Add(k("enabled"), true, "the local lab has no nodes to run the agent's DaemonSet", "leave it off in the local profile")
	}
	if lk := c.Audit.Loki; lk == nil || !lk.Enabled {
		l.Add(k("enabled"), true, "the agent ships to rampart:audit.loki, which is not enabled", "enable rampart:audit.loki, or remove the agent")
	}
	ns := g.WithDefaults().Namespace
	if p, ok := namespaces[ns]; ok && strings.HasPrefix(p, Namespace+":tenants[") {
		l.Add(k("namespace"), ns, "a tenant namespace: the audit pipeline belongs to the platform, and a tenant cannot carry an exemption",
			"use a platform namespace of rampart:namespaces (default \""+audit.DefaultAgentNamespace+"\")")
	} else {
		var n *namespace.NamespaceArgs
		for i := range c.Namespaces {
			if c.Namespaces[i].Name == ns {
				n = &c.Namespaces[i]
			}
		}
		switch {
		case n == nil:
			l.Add(k("namespace"), ns, "not a namespace of this stack, so nothing would create it or its default-deny policy",
				"add it to rampart:namespaces with the exemption of config.AuditAgentExemption (level privileged, justification, control)")
		case n.Exemption == nil || n.Exemption.Level != namespace.PSSPrivileged:
			l.Add(k("namespace"), ns, "the agent mounts the audit log's host directory, and a hostPath volume is forbidden at baseline and restricted",
				"add it to rampart:namespaces with an exemption {level: privileged, justification, control} (see config.AuditAgentExemption)")
		case len(strings.TrimSpace(n.Exemption.Justification)) < 20 || strings.TrimSpace(n.Exemption.Control) == "":
			l.Add(k("namespace"), ns, "the agent's privileged exemption has no written justification and control for the compliance report",
				"set exemption.justification and exemption.control on that namespace in rampart:namespaces")
		}
	}
	if lk := c.Audit.Loki; lk != nil && lk.Enabled {
		want := g.Peer(AuditName)
		if lk.Agent.Namespace != want.Namespace || lk.Agent.PodLabels["app.kubernetes.io/instance"] != want.PodLabels["app.kubernetes.io/instance"] {
			l.Add(Namespace+":audit.loki.agent", lk.Agent.Namespace, "Loki's ingress would not admit the agent's pods",
				"remove rampart:audit.loki.agent (it then defaults to the agent), or name the agent's namespace and pod labels")
		}
	}
	l.Merge(g.Validate(Namespace + ":audit.agent"))
}
