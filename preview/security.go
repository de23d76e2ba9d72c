package preview

import (
	"strconv"
	"strings"
)

// securityRule marks the steps a reviewer must look at first: replacing or
// deleting an object that enforces a control opens a gap (at least while it
// is recreated), and some updates weaken a control in place.
type securityRule struct {
	// match reports whether the rule covers the step's resource.
	match func(s *Step) bool
	// gone says what is lost while the object is deleted or replaced.
	gone string
	// changed reports whether one changed property weakens the control
	// in place; nil when only replace and delete matter.
	changed func(c Change) bool
	// update says what such a property change does.
	update string
}

// kubeKind reports whether typ is a Kubernetes type of group (any version)
// and one of kinds: "kubernetes:networking.k8s.io/v1:NetworkPolicy".
func kubeKind(typ, group string, kinds ...string) bool {
	parts := strings.Split(typ, ":")
	if len(parts) != 3 || parts[0] != "kubernetes" || !strings.HasPrefix(parts[1], group+"/") {
		return false
	}
	for _, k := range kinds {
		if parts[2] == k {
			return true
		}
	}
	return false
}

func isType(types ...string) func(s *Step) bool {
	return func(s *Step) bool {
		for _, t := range types {
			if s.Type == t {
				return true
			}
		}
		return false
	}
}

func pathHas(subs ...string) func(c Change) bool {
	return func(c Change) bool {
		for _, sub := range subs {
			if strings.Contains(c.Path, sub) {
				return true
			}
		}
		return false
	}
}

func anyChange(Change) bool { return true }

// auditTypeToken is components/audit's TypeToken (not imported: the preview
// package reads plans and must not pull in the components).
const auditTypeToken = "rampart:audit:Audit"

// inAudit matches one of types when the resource is a child (at any depth)
// of the audit component: a bucket elsewhere in a program is not the audit
// trail.
func inAudit(types ...string) func(s *Step) bool {
	is := isType(types...)
	return func(s *Step) bool { return is(s) && inChain(s.URN, auditTypeToken) }
}

// inChain reports whether typ is in the URN's parent type chain
// (urn:pulumi:stack::project::parent$child::name).
func inChain(urn, typ string) bool {
	parts := strings.Split(urn, "::")
	if len(parts) < 3 {
		return false
	}
	for _, t := range strings.Split(parts[2], "$") {
		if t == typ {
			return true
		}
	}
	return false
}

// pssLabelChange matches a change of a Pod Security Admission label, named
// in the path or hidden in a change of the whole labels map (c.pss).
func pssLabelChange(c Change) bool {
	return c.pss || strings.Contains(c.Path, pssPrefix)
}

// securityRules lists the objects whose loss or weakening the comment
// calls out first. Order matters only for a step two rules match (the first
// wins).
var securityRules = []securityRule{
	{
		match:   func(s *Step) bool { return kubeKind(s.Type, "networking.k8s.io", "NetworkPolicy") },
		gone:    "NetworkPolicy: the pods it selects lose their default-deny or egress limits until it is back",
		changed: pathHas("spec"), update: "NetworkPolicy: changes which traffic is allowed",
	},
	{
		match:   func(s *Step) bool { return kubeKind(s.Type, "core", "Namespace") },
		gone:    "Namespace: deletes every object in it (a replace recreates it empty)",
		changed: pssLabelChange, update: "Namespace: changes the Pod Security Standard labels (what admission lets pods do)",
	},
	{
		match:   func(s *Step) bool { return kubeKind(s.Type, "cert-manager.io", "ClusterIssuer", "Issuer") },
		gone:    "cert-manager issuer: certificates are not issued or renewed until it is back",
		changed: pathHas("spec"), update: "cert-manager issuer: changes which CA signs the certificates",
	},
	{
		match: isType("aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
			"aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"),
		gone:    "Object Lock configuration: new audit objects lose their default retention (no longer immutable)",
		changed: anyChange, update: "Object Lock configuration: changes the audit bucket's retention",
	},
	{
		// components/audit's bucket: Protect stops a delete, but a preview
		// that plans one (protect removed in the same change) must say so.
		match:   inAudit("aws:s3/bucketV2:BucketV2"),
		gone:    "audit bucket: the audit trail itself; once deleted its name can be taken and new audit records have nowhere to go",
		changed: pathHas("objectLockEnabled", "forceDestroy"), update: "audit bucket: changes Object Lock or lets a destroy empty it",
	},
	{
		match:   inAudit("aws:s3/bucketVersioningV2:BucketVersioningV2"),
		gone:    "audit bucket versioning: Object Lock needs it; overwritten or deleted audit objects are no longer kept",
		changed: anyChange, update: "audit bucket versioning: changes whether old versions of audit objects are kept",
	},
	{
		match:   inAudit("aws:s3/bucketPolicy:BucketPolicy"),
		gone:    "audit bucket policy: the deny on deleting audit objects and on policy changes (break-glass only) goes",
		changed: anyChange, update: "audit bucket policy: changes who may delete audit objects or change the bucket",
	},
	{
		match:   inAudit("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"),
		gone:    "audit bucket encryption: new audit objects are no longer encrypted at rest by default",
		changed: anyChange, update: "audit bucket encryption: changes how audit objects are encrypted at rest",
	},
	{
		match:   func(s *Step) bool { return kubeKind(s.Type, "gateway.envoyproxy.io", "ClientTrafficPolicy") },
		gone:    "ClientTrafficPolicy: the gateway falls back to Envoy's default TLS floor and ciphers until it is back",
		changed: pathHas("spec"), update: "ClientTrafficPolicy: changes the gateway's TLS versions, ciphers or client limits",
	},
	{
		match: isType("keycloak:index/realm:Realm"),
		gone:  "Keycloak realm: its users, clients and sessions go with it",
		changed: pathHas("bruteForce", "failureFactor", "permanentLockout", "passwordPolicy", "sslRequired",
			"Lifespan", "ssoSession", "otpPolicy", "securityDefenses", "accessCode"),
		update: "Keycloak realm: changes login security (brute-force, password or token policy)",
	},
	{
		// components/keycloak's default roles: deleting the resource gives
		// new users Keycloak's own defaults back (offline_access,
		// uma_authorization).
		match:   isType("keycloak:index/defaultRoles:DefaultRoles"),
		gone:    "Keycloak default roles: every new user gets Keycloak's defaults again (offline_access, uma_authorization)",
		changed: anyChange, update: "Keycloak default roles: changes the roles every new user gets",
	},
	{
		// The seal PIN secret and the server config (its seal stanza) of
		// the OpenBao component.
		match: func(s *Step) bool {
			return s.Component == "rampart:openbao:OpenBao" &&
				(kubeKind(s.Type, "core", "Secret") && strings.HasSuffix(s.Name, "-seal") ||
					kubeKind(s.Type, "core", "ConfigMap") && strings.Contains(s.Name, "config"))
		},
		gone:    "OpenBao seal configuration: OpenBao cannot auto-unseal without it",
		changed: anyChange, update: "OpenBao seal configuration: changes how OpenBao unseals",
	},
}

// destructive ops remove the object, at least for a moment.
var destructive = map[string]bool{
	"delete": true, "replace": true, "create-replacement": true, "delete-replaced": true,
	"discard": true, "discard-replaced": true,
}

// security says why s is security-relevant, "" when it is not. An update
// whose every matching change strengthens the control (strengthens) is not
// a weakening: raising the TLS floor from 1.2 to 1.3 needs no warning.
func security(s *Step) string {
	for _, r := range securityRules {
		if !r.match(s) {
			continue
		}
		if destructive[s.Op] {
			return r.gone
		}
		if r.changed == nil {
			return ""
		}
		var paths []string
		for _, c := range s.Changes {
			if r.changed(c) && !strengthens(c) {
				paths = append(paths, c.Path)
			}
		}
		if len(paths) == 0 {
			return ""
		}
		return r.update + " — " + strings.Join(cutList(paths, 3), ", ")
	}
	return ""
}

// cutList keeps the first n items and says how many more there are.
func cutList(items []string, n int) []string {
	if len(items) <= n {
		return items
	}
	return append(append([]string{}, items[:n]...), "+"+strconv.Itoa(len(items)-n)+" more")
}
