// Package config is Rampart's typed stack configuration: one struct loaded
// from the stack's structured config (namespace "rampart"), completed by
// per-profile defaults and validated as a whole before any resource is
// registered, so that bad input changes nothing.
package config

//go:generate go run ./schemagen -w ../../Pulumi.yaml
//go:generate go run ./schemagen -docs ../../docs/reference/config.md

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/podsecurity"
	"github.com/rampart-dev/rampart/helpers/sovereignty"
)

// Namespace is the Pulumi config namespace of every key ("rampart:…").
const Namespace = "rampart"

// Profile is an environment profile; it selects defaults.
type Profile string

// Profiles. Local targets the lab on 127.0.0.1 (no nodes: workloads get
// pulumi.com/skipAwait); dev, staging and prod target real clusters.
const (
	ProfileLocal   Profile = "local"
	ProfileDev     Profile = "dev"
	ProfileStaging Profile = "staging"
	ProfileProd    Profile = "prod"
)

// Config is the whole stack configuration. Field tags are the config keys.
type Config struct {
	// Profile (rampart:profile): local, dev, staging or prod. Required. It
	// selects presets: tenant quotas (small in local, large in prod),
	// skipAwait (local only, whose API server has no nodes), http allowed only
	// to 127.0.0.1 in local, the ingress TLS floor (1.3 in prod).
	Profile Profile `json:"profile" schema:"required"`
	// Domain (rampart:domain): the platform's DNS domain (e.g.
	// platform.example.gov.uk); required outside the local profile.
	Domain string `json:"domain"`
	// Kubernetes (rampart:kubernetes): how to reach the cluster: context
	// (default the kubeconfig's current one), skipAwait (default true only in
	// local).
	Kubernetes Kubernetes `json:"kubernetes"`
	// Images (rampart:images): how every image Rampart renders is obtained
	// (Envoy Gateway, cert-manager, OpenBao with its seal images, Loki,
	// Fluent Bit, trivy-operator, Trivy, Falco): registry, a mirror that
	// replaces the registry of every one of them (host[:port][/path];
	// repository, tag and digest stay); overrides, one image each, keyed by
	// its upstream repository as Rampart pins it (e.g. envoyproxy/gateway),
	// whose value is a full reference pinned by digest (tag optional, used
	// as is, not mirrored) — for a locally built or re-signed image, whose
	// digest is its own. A key naming no image Rampart renders is refused.
	Images image.Images `json:"images"`
	// Ingress (rampart:ingress): the entry point: enabled (default false);
	// mode gateway (Gateway API on Envoy Gateway, default), external (an
	// implementation the cluster runs) or ingress; namespace (default
	// rampart-ingress, one of namespaces, whose proxies tenants admit on
	// their route ports only);
	// tlsMinVersion "1.2" or "1.3" (default 1.3 in prod, 1.2 elsewhere) with
	// ECDHE+AEAD ciphers for 1.2 only; tls12Justification (required for 1.2
	// in prod, shown as the floor's exception); hosts under rampart:domain
	// and typed routes {host, path, namespace, backend {service, port,
	// targetPort, namespace}} into tenants without apps (an app's routes are
	// its expose entries); hsts {maxAge ≥ 31536000, preload};
	// chart (Envoy Gateway, off by default and in local) with apiServer
	// {cidrs (required with the chart, not 0.0.0.0/0), ports (default 443,
	// 6443)} for its controller's policies.
	Ingress Ingress `json:"ingress"`
	// Network (rampart:network): cluster DNS for every namespace's policy:
	// dns.namespace (default kube-system), dns.podLabels (default {k8s-app:
	// kube-dns}), dns.nodeLocalCidr (a NodeLocal DNSCache address, optional).
	Network Network `json:"network"`
	// Namespaces (rampart:namespaces): the platform namespaces, each
	// restricted unless it carries a typed exemption {level baseline or
	// privileged, justification, control, owner, approvedBy, ticket,
	// expires (YYYY-MM-DD, at most a year ahead; the four required outside
	// local; expired refuses the preview, 14 days before warns)}. Empty
	// (the default):
	// rampart-ingress, rampart-system, openbao, keycloak, cert-manager,
	// rampart-audit, trivy-system, falco (privileged, justified).
	Namespaces []namespace.NamespaceArgs `json:"namespaces"`
	// Tenants (rampart:tenants): one restricted, quota'd, isolated namespace
	// each (no exemption possible); a quota names only the fields it changes,
	// the rest come from the profile's preset. apps, when declared, replace
	// the tenant-wide isolation by one policy per app (netpol.App): ingress
	// from the gateway's proxies on exposed ports and from declared peers,
	// egress to declared peers and DNS only.
	Tenants []Tenant `json:"tenants"`
	// Gateway (rampart:gateway): the API gateway's egress restriction: its
	// backends' addresses only (a literal address becomes an exact rule on
	// the URL's port; a host name's addresses must be in allowedTargets),
	// allowedTargets (a range inside the SSRF blocklist needs a
	// justification), and any public address only under a typed
	// publicEgress {ports, justification, owner, approvedBy, ticket,
	// expires}; absent or {} means no gateway.
	Gateway *GatewayConfig `json:"gateway"`
	// OpenBao (rampart:openbao): the OpenBao cluster with its PKCS#11 seal
	// (mechanism 0x1087 default, or 0x0009), chart (default) or external
	// mode; absent or enabled=false means none is built. Defaults and valid
	// values: components/openbao (openbao.OpenBaoArgs).
	OpenBao OpenBao `json:"openbao"`
	// PKI (rampart:pki): the two-tier PKI in OpenBao (EC P-384 root,
	// intermediate, roles, CRL/OCSP) and the cert-manager issuer; absent or
	// enabled=false means none is built. Defaults and valid values:
	// components/pki (pki.PKIArgs).
	PKI PKI `json:"pki"`
	// KMS (rampart:kms): the transit key (aes256-gcm96, not exportable, no
	// plaintext backup, deletion refused, rotated every 90 days) that the
	// KMS v2 plugin encrypts the cluster's Secrets with, and the plugin
	// token's policy (encrypt/decrypt on that key only), in OpenBao through
	// the vault provider; absent or enabled=false means none is built.
	// Defaults and valid values: components/kms (kms.SecretsEncryptionArgs).
	KMS KMS `json:"kms"`
	// CertManager (rampart:certManager): cert-manager and the platform's
	// certificate issuers; see infra/config/certmanager.go.
	CertManager CertManager `json:"certManager"`
	// Audit (rampart:audit): the WORM audit bucket (S3 Object Lock in
	// COMPLIANCE mode, versioning, a bucket policy denying version deletes
	// and lock changes to all but breakGlassPrincipal, encryption, noncurrent
	// expiry after the lock) on any S3 store at endpoint (https outside
	// local), with a retention preset that must be chosen (nis2 1096 days,
	// dora 1827, ism 2557, itsg33 731, ce-plus 366, or custom with days),
	// and optionally Loki on it (chart, off in local) with Fluent Bit
	// shipping the API server's audit log to it (agent, off in local; its
	// namespace needs the privileged exemption of AuditAgentExemption). Keys
	// of the store:
	// the secrets auditS3AccessKeyId and auditS3SecretAccessKey. Defaults and
	// valid values: components/audit (audit.AuditArgs).
	Audit Audit `json:"audit"`
	// Runtime (rampart:runtime): runtime security: trivy-operator
	// (trivy-system) and Falco with falcosidekick to Loki (falco, which must
	// carry a justified privileged exemption); images by digest, compromised
	// Trivy refused; charts off in local; absent or enabled=false means none
	// is built. Defaults and valid values: components/runtime
	// (runtime.RuntimeArgs).
	Runtime Runtime `json:"runtime"`
	// Keycloak (rampart:keycloak): the platform realm (brute force, 5m/15m
	// sessions, password policy, enforced MFA, events, PKCE clients);
	// lifespans are durations such as "5m"; absent or enabled=false means none
	// is built. Defaults and valid values: components/keycloak
	// (keycloak.RealmArgs).
	Keycloak Keycloak `json:"keycloak"`
	// Checkers (rampart:checkers): Rampart's own least-privilege identities
	// (on unless enabled=false): the read-only auditor (get/list on exactly
	// the live inventory's kinds, get on the kinds the stack declares, never
	// a Secret) for check --refresh/--live and drift, and the verifier (probe
	// pods and their logs in the managed namespaces, a throwaway
	// rampart-verify-* namespace, /readyz) for verify, held to labelled probes
	// by a ValidatingAdmissionPolicy. Each gets a ServiceAccount (rampart-auditor,
	// rampart-verifier) in namespace (default rampart-system, a platform
	// namespace) unless serviceAccount=false, and may name further subjects
	// {kind User, Group or ServiceAccount, name, namespace (ServiceAccount
	// only)}; groups that take in everyone are refused. Defaults and valid
	// values: components/auditor (auditor.CheckersArgs).
	Checkers Checkers `json:"checkers"`
	// RBAC (rampart:rbac): the platform's Kubernetes RBAC (off unless
	// enabled=true): ClusterRoles <namePrefix>-viewer (read, no Secrets),
	// -devops (deploys workloads; Secrets create and delete only; no exec, RBAC,
	// namespace, quota or network policy writes), -tenant-admin (devops plus
	// Secrets read, exec, port-forward, ServiceAccounts) and -platform-admin
	// (operates the cluster, not cluster-admin: no escalate, bind,
	// impersonate, nodes/proxy or CSR approval); in each tenant namespace a
	// RoleBinding per tenant role to the group groupsPrefix (default
	// "oidc:", the API server's groups prefix) + <tenant>-<role group>, and
	// a ClusterRoleBinding of platform-admin to groupsPrefix +
	// platform-admins. cluster-admin only as breakGlass {group,
	// justification (20+ characters), approvedBy, control, owner, ticket, expires}, shown in the
	// compliance report. Defaults and valid values: components/rbac
	// (rbac.RBACArgs).
	RBAC RBAC `json:"rbac"`
	// Sovereignty (rampart:sovereignty): the bill of materials of every
	// external endpoint the stack depends on (images after the mirror,
	// chart repositories, Trivy's databases, ACME and issuer URLs, OpenBao's
	// API, the IdP and its mail relay, the audit S3 store, alert sinks),
	// each with its operator and jurisdiction from endpoints (the
	// operator's own: {host, operator, jurisdiction}) or Rampart's table
	// (helpers/sovereignty), and the rule allowedJurisdictions (ISO 3166-1
	// alpha-2 codes; EU admits the member states): an endpoint outside it,
	// or unknown, fails preview at its key unless exceptions names its host
	// {host, justification (20+ characters), control}. Absent
	// allowedJurisdictions: no rule, the endpoints are listed only.
	// NIS2 Art. 21(2)(d); DORA Art. 28.
	Sovereignty sovereignty.Policy `json:"sovereignty"`

	// Secrets hold secret-bearing keys; each must be a Pulumi secret.
	Secrets Secrets `json:"-"`
	// builtInNamespaces: Namespaces are DefaultPlatformNamespaces, not
	// written by the stack (their Falco exemption is then Rampart's own).
	builtInNamespaces bool `json:"-"`
}

// Kubernetes says how the provider reaches the cluster.
type Kubernetes struct {
	// Context is the kubeconfig context; default: the kubeconfig's current one.
	Context string `json:"context,omitempty"`
	// SkipAwait marks workloads pulumi.com/skipAwait. Default true only in
	// the local profile, whose API server has no nodes to run pods.
	SkipAwait *bool `json:"skipAwait,omitempty"`
}

// Network configures cluster DNS for every namespace's policy.
type Network struct {
	// DNS defaults to kube-dns in kube-system.
	DNS netpol.DNS `json:"dns,omitempty"`
}

// GatewayConfig places the STOA security hardening checklist's gateway egress restriction.
type GatewayConfig struct {
	// Namespace holding the gateway; must be a platform namespace or tenant.
	Namespace string `json:"namespace"`
	netpol.Gateway
	// Backends are the URLs the gateway proxies to. Each is checked against
	// the SSRF blocklist (literal address or DNS answer) unless an
	// AllowedTarget with a justification covers it.
	Backends []Backend `json:"backends,omitempty"`
}

// Tenant is one rampart:tenants entry: the namespace's args and its apps.
type Tenant struct {
	namespace.NamespaceArgs
	// Apps are the tenant's workloads and their declared traffic. Default
	// none: the tenant-wide isolation (every pod of the tenant talks to every
	// other, the proxies reach the route ports).
	Apps []netpol.App `json:"apps,omitempty"`
}

// Backend is one upstream of the gateway.
type Backend struct {
	// Name identifies the backend.
	Name string `json:"name"`
	// URL is the backend's https:// URL.
	URL string `json:"url"`
}

// Secrets are the secret-bearing keys. Each is a top-level key so that
// `pulumi config set --secret rampart:<key>` marks exactly it.
type Secrets struct {
	// Kubeconfig (rampart:kubeconfig): kubeconfig contents; default: the
	// ambient KUBECONFIG.
	Kubeconfig *Secret
	// OpenBaoHsmPin (rampart:openbaoHsmPin): the HSM user PIN of OpenBao's
	// PKCS#11 seal; required when rampart:openbao runs in chart mode.
	OpenBaoHsmPin *Secret
	// OpenBaoDeployerPassword (rampart:openbaoDeployerPassword): the
	// password of OpenBao's bootstrap deployer (userpass); required in chart
	// mode with bootstrap on, and the vault provider logs in with it.
	OpenBaoDeployerPassword *Secret
	// VaultToken (rampart:vaultToken): a token for the vault provider when
	// OpenBao is not bootstrapped by this stack (no deployer password).
	VaultToken *Secret
	// KeycloakClientSecret (rampart:keycloakClientSecret): the secret of the
	// keycloak provider's service-account client; required with rampart:keycloak.
	KeycloakClientSecret *Secret
	// KeycloakSMTPPassword (rampart:keycloakSmtpPassword): SMTP AUTH password
	// of the realm's mail server; optional.
	KeycloakSMTPPassword *Secret
	// AuditS3AccessKeyID (rampart:auditS3AccessKeyId): the access key id of
	// the S3 store holding the audit bucket; required with rampart:audit.
	AuditS3AccessKeyID *Secret
	// AuditS3SecretAccessKey (rampart:auditS3SecretAccessKey): its secret
	// access key; required with rampart:audit.
	AuditS3SecretAccessKey *Secret
	// AcmeEabHmacKey (rampart:acmeEabHmacKey): the External Account Binding
	// HMAC key of the ACME issuer, when its CA demands one.
	AcmeEabHmacKey *Secret
}

// Secret is a secret config value and whether Pulumi holds it encrypted.
type Secret struct {
	// Key is the full config key, e.g. "rampart:kubeconfig".
	Key string
	// Value is the plaintext, kept only in memory and passed on as a
	// pulumi secret.
	Value string
	// IsSecret is true when the stack stores the key encrypted.
	IsSecret bool
}

// SecretOutput wraps v as a Pulumi secret so it stays encrypted in state and
// masked in previews.
func SecretOutput(v string) pulumi.StringOutput {
	return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
}

// Output is the secret's value as a Pulumi secret ("" for an unset key).
func (s *Secret) Output() pulumi.StringOutput {
	if s == nil {
		return SecretOutput("")
	}
	return SecretOutput(s.Value)
}

// SecretKeys lists every secret-bearing config key (without namespace).
var SecretKeys = []string{"kubeconfig", "openbaoHsmPin", "openbaoDeployerPassword", "vaultToken", "keycloakClientSecret", "keycloakSmtpPassword",
	"auditS3AccessKeyId", "auditS3SecretAccessKey", "acmeEabHmacKey"}

// field returns where the secret of key (without namespace) is kept.
func (s *Secrets) field(key string) **Secret {
	switch key {
	case "kubeconfig":
		return &s.Kubeconfig
	case "openbaoHsmPin":
		return &s.OpenBaoHsmPin
	case "openbaoDeployerPassword":
		return &s.OpenBaoDeployerPassword
	case "vaultToken":
		return &s.VaultToken
	case "keycloakClientSecret":
		return &s.KeycloakClientSecret
	case "keycloakSmtpPassword":
		return &s.KeycloakSMTPPassword
	case "auditS3AccessKeyId":
		return &s.AuditS3AccessKeyID
	case "auditS3SecretAccessKey":
		return &s.AuditS3SecretAccessKey
	case "acmeEabHmacKey":
		return &s.AcmeEabHmacKey
	}
	return nil
}

// all lists the secrets that are set, in SecretKeys order.
func (s *Secrets) all() []*Secret {
	var out []*Secret
	for _, k := range SecretKeys {
		if p := s.field(k); p != nil && *p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// Exemption is one exempted namespace, for the pod security gate, outputs
// and reports. The gate (helpers/podsecurity) defines it: it sits on a lower
// floor and reads no config.
type Exemption = podsecurity.Exemption

// Exemptions lists the namespaces that do not enforce restricted.
func (c *Config) Exemptions() []Exemption {
	var out []Exemption
	for _, n := range c.Namespaces {
		if e := n.Exemption; e != nil {
			out = append(out, Exemption{Namespace: n.Name, Level: string(e.Level), Justification: e.Justification, Control: e.Control})
		}
	}
	return out
}

// SkipAwait reports whether workloads get pulumi.com/skipAwait.
func (c *Config) SkipAwait() bool {
	return c.Kubernetes.SkipAwait != nil && *c.Kubernetes.SkipAwait
}
