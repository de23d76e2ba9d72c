package pki

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/verr"
)

// KeyType is the private-key algorithm of a CA or of the certificates a role
// issues. Typed so that a typo fails validation instead of reaching OpenBao.
type KeyType string

const (
	// KeyEC is ECDSA on a NIST curve (P-256, P-384, P-521): the default for
	// every key, short signatures and an accepted algorithm in ITSG-33 SC-13
	// (CSE ITSP.40.111) and the ISM (ASD-approved cryptographic algorithms).
	KeyEC KeyType = "ec"
	// KeyRSA is RSA with 3072 or 4096 bits; 2048 is refused (below the
	// 128-bit security level that ITSP.40.111 and the ISM require past 2030).
	KeyRSA KeyType = "rsa"
	// KeyEd25519 is EdDSA on Curve25519; no bits. Not every TLS client
	// accepts it in certificates, so it is never a default.
	KeyEd25519 KeyType = "ed25519"
)

// IssuerKind selects the cert-manager kind of the issuer object.
type IssuerKind string

const (
	// KindClusterIssuer serves Certificates in every namespace (default):
	// one OpenBao role and one audited path for the whole cluster.
	KindClusterIssuer IssuerKind = "ClusterIssuer"
	// KindIssuer serves Certificates in one namespace only.
	KindIssuer IssuerKind = "Issuer"
)

// Defaults that withDefaults fills in; exported so stacks and docs quote one source.
const (
	// DefaultRootMaxTTL is the root mount's max lease (the seed's 87600h, 10 years).
	DefaultRootMaxTTL = "87600h"
	// DefaultIntermediateMaxTTL is the intermediate mount's max lease (43800h, 5 years).
	DefaultIntermediateMaxTTL = "43800h"
	// DefaultRoleMaxTTL caps every workload certificate at 720h (30 days).
	DefaultRoleMaxTTL = "720h"
	// DefaultCRLExpiry is how long a published CRL stays valid.
	DefaultCRLExpiry = "72h"
	// DefaultAuthMountPath is where cert-manager logs in (OpenBao's Kubernetes auth mount).
	DefaultAuthMountPath = "kubernetes"
	// DefaultServiceAccount is the ServiceAccount whose token cert-manager presents.
	DefaultServiceAccount = "cert-manager-openbao"
	// DefaultCertManagerNamespace is cert-manager's cluster resource namespace,
	// where a ClusterIssuer's ServiceAccount lives.
	DefaultCertManagerNamespace = "cert-manager"
)

// PKIArgs configures the two-tier PKI (offline-style root → issuing
// intermediate) in OpenBao and the cert-manager issuer on top of it.
//
// Providers: the vault resources use the provider the caller passes to NewPKI
// (pulumi.Provider / pulumi.Providers in opts; children inherit it through
// pulumi.Parent). The Issuer is a Kubernetes object and needs the cluster's
// provider, which is a different package: it is taken from
// Issuer.KubernetesProvider so a stack can point the PKI at an external
// OpenBao and the issuer at any cluster without juggling option lists.
type PKIArgs struct {
	// OpenBaoURL is the externally reachable base URL of OpenBao (no /v1),
	// embedded in every certificate as the AIA issuing-certificate, CRL
	// distribution point and OCSP addresses. Required; http or https (CRLs
	// and OCSP answers are signed, RFC 5280 §4.2.1.13 recommends http).
	// Sovereignty: revocation data is served by our OpenBao only. ITSG-33 SC-17.
	OpenBaoURL string
	// Organization goes into the CA subjects. Default "Rampart".
	Organization string
	// Country (ISO 3166 alpha-2) goes into the CA subjects. Default "" (omitted).
	Country string

	// Root is the root CA and its mount.
	Root CAArgs
	// Intermediate is the issuing CA and its mount; it signs every workload certificate.
	Intermediate CAArgs
	// Roles are the workload roles on the intermediate. At least one.
	Roles []RoleArgs
	// CRL configures revocation publishing on both mounts.
	CRL CRLArgs
	// Issuer is the cert-manager issuer; nil means no issuer is created.
	Issuer *IssuerArgs

	// AllowDestroy drops pulumi.Protect and RetainOnDelete from the mounts
	// and the root CA. Default false: the root key lives only inside OpenBao
	// (type internal) and cannot be recreated, so destroying it would
	// invalidate every certificate in the chain. Set only for throwaway labs.
	AllowDestroy bool
}

// CAArgs describes one CA tier.
type CAArgs struct {
	// Path is the mount path. Default "pki" for the root, "pki_int" for the intermediate.
	Path string
	// MaxLeaseTTL is the mount's max lease, a Go duration in hours. Default
	// 87600h (root), 43800h (intermediate). The CA's own TTL equals it.
	MaxLeaseTTL string
	// CommonName is the CA subject CN. Default "<Organization> Root CA" /
	// "<Organization> Issuing CA".
	CommonName string
	// IssuerName names the issuer inside the mount (Vault/OpenBao ≥1.11
	// multi-issuer). Default "root" / "intermediate".
	IssuerName string
	// KeyType of the CA key. Default KeyEC. Valid: KeyEC, KeyRSA, KeyEd25519.
	KeyType KeyType
	// KeyBits of the CA key. Default 384 for EC (P-384, CNSA/ITSP.40.111 for
	// CAs), 4096 for RSA, 0 for Ed25519. Valid: EC 256/384/521, RSA 3072/4096.
	KeyBits int
	// PermittedDNSDomains become a name constraint on the CA certificate;
	// default none. For the intermediate it limits what a stolen issuing key
	// can sign. Changing it re-signs the intermediate.
	PermittedDNSDomains []string
}

// RoleArgs is one workload role on the intermediate (the path
// <intermediate>/sign/<Name> and /issue/<Name>).
type RoleArgs struct {
	// Name of the role; a DNS label (lower-case, digits, '-'). Required.
	Name string
	// AllowedDomains lists the DNS domains certificates may be issued for.
	// Required; no wildcards, IPs or URLs (use AllowWildcard for "*.x" names).
	AllowedDomains []string
	// AllowSubdomains permits names below AllowedDomains. Default true (nil).
	AllowSubdomains *bool
	// AllowBareDomains permits the allowed domain itself. Default false.
	AllowBareDomains bool
	// AllowWildcard permits wildcard certificates. Default false: a wildcard
	// key shared by many services widens the blast radius of one leak.
	AllowWildcard bool
	// AllowIPSANs permits IP SANs. Default false: workloads are addressed
	// by name; IP SANs bypass AllowedDomains.
	AllowIPSANs bool
	// ClientAuth adds the clientAuth EKU (mTLS clients). Default false: the
	// role issues serverAuth only unless asked.
	ClientAuth bool
	// KeyType of issued keys. Default KeyEC. ITSG-33 SC-13.
	KeyType KeyType
	// KeyBits of issued keys. Default 256 for EC (P-256), 3072 for RSA.
	KeyBits int
	// MaxTTL caps each certificate. Default 720h; must not exceed the
	// intermediate's MaxLeaseTTL. Short-lived certificates limit exposure
	// of a leaked key. NIS2 Art. 21(2)(h).
	MaxTTL string
	// TTL is the lifetime when the request names none. Default: MaxTTL.
	TTL string
}

// CRLArgs configures revocation publishing (config/crl) on both mounts.
type CRLArgs struct {
	// Expiry is how long a CRL is valid. Default 72h.
	Expiry string
	// DisableAutoRebuild turns off periodic CRL rebuilds. Default false
	// (auto-rebuild on): relying parties never see an expired CRL.
	DisableAutoRebuild bool
	// DisableDelta turns delta CRLs off. Default false (on): with
	// auto-rebuild a revocation reaches the full CRL only at its next
	// rebuild (verified on the Vault 1.13 stand-in), the delta CRL carries it
	// within DeltaRebuildInterval.
	DisableDelta bool
	// DeltaRebuildInterval is how often the delta CRL is rebuilt. Default 15m.
	DeltaRebuildInterval string
	// DisableOCSP turns OCSP off. Default false: OCSP answers are served by
	// OpenBao at <mount>/ocsp and reflect a revocation at once (the only
	// revocation channel without a rebuild lag). ITSG-33 SC-17.
	DisableOCSP bool
}

// IssuerArgs is the cert-manager Issuer/ClusterIssuer on the intermediate's
// sign/<role> path. It authenticates with a Kubernetes ServiceAccount token
// against OpenBao's Kubernetes auth method: no static token exists anywhere.
// NIS2 Art. 21(2)(h) and (j); ITSG-33 SC-12, SC-17, IA-5.
type IssuerArgs struct {
	// KubernetesProvider is the provider of the cluster that runs
	// cert-manager. nil means the provider inherited from NewPKI's options.
	KubernetesProvider pulumi.ProviderResource
	// Kind is KindClusterIssuer (default) or KindIssuer.
	Kind IssuerKind
	// Name of the Kubernetes object. Default kname.Join(<component name>, "openbao").
	Name string
	// Namespace of an Issuer (required for KindIssuer, refused for a ClusterIssuer).
	Namespace string
	// Role is the PKI role the issuer signs with. Default: the first role.
	Role string
	// Server is OpenBao's address as cert-manager reaches it. Required; must
	// be https unless AllowHTTP is set. The issuer points only at our OpenBao.
	Server string
	// CABundlePEM is the PEM CA that signed OpenBao's TLS certificate; it
	// becomes spec.vault.caBundle so cert-manager trusts only that CA, not the
	// system roots. Required with https.
	CABundlePEM string
	// AllowHTTP permits an http Server (the local lab's dev server). Default false.
	AllowHTTP bool
	// AuthMountPath is OpenBao's Kubernetes auth mount. Default "kubernetes".
	AuthMountPath string
	// AuthRole is the OpenBao Kubernetes-auth role created for cert-manager.
	// Default kname.Join(<component name>, "cert-manager").
	AuthRole string
	// ServiceAccount is the ServiceAccount cert-manager requests tokens for.
	// Default "cert-manager-openbao". The cert-manager component must create it
	// and let cert-manager create tokens for it.
	ServiceAccount string
	// ServiceAccountNamespace is where that ServiceAccount lives. Default:
	// Namespace for an Issuer, "cert-manager" for a ClusterIssuer.
	ServiceAccountNamespace string
	// Audience is the token audience OpenBao's role requires. Default: the
	// audience cert-manager always puts in the tokens it requests,
	// "vault://<namespace>/<name>" (Issuer) or "vault://<name>" (ClusterIssuer),
	// so a token minted for another issuer is refused. A custom value is also
	// sent in serviceAccountRef.audiences (cert-manager ≥ 1.15).
	Audience string
	// TokenTTL is the lifetime of the OpenBao token cert-manager gets. Default 10m.
	TokenTTL string
}

func (a *PKIArgs) withDefaults() *PKIArgs {
	out := *a
	if out.Organization == "" {
		out.Organization = "Rampart"
	}
	out.Root = caDefaults(out.Root, "pki", DefaultRootMaxTTL, out.Organization+" Root CA", "root")
	out.Intermediate = caDefaults(out.Intermediate, "pki_int", DefaultIntermediateMaxTTL, out.Organization+" Issuing CA", "intermediate")
	out.Roles = make([]RoleArgs, len(a.Roles))
	for i, r := range a.Roles {
		if r.AllowSubdomains == nil {
			t := true
			r.AllowSubdomains = &t
		}
		if r.KeyType == "" {
			r.KeyType = KeyEC
		}
		if r.KeyBits == 0 {
			switch r.KeyType {
			case KeyEC:
				r.KeyBits = 256
			case KeyRSA:
				r.KeyBits = 3072
			}
		}
		if r.MaxTTL == "" {
			r.MaxTTL = DefaultRoleMaxTTL
		}
		if r.TTL == "" {
			r.TTL = r.MaxTTL
		}
		r.AllowedDomains = append([]string(nil), r.AllowedDomains...)
		out.Roles[i] = r
	}
	if out.CRL.Expiry == "" {
		out.CRL.Expiry = DefaultCRLExpiry
	}
	if out.CRL.DeltaRebuildInterval == "" {
		out.CRL.DeltaRebuildInterval = "15m"
	}
	if a.Issuer != nil {
		is := *a.Issuer
		if is.Kind == "" {
			is.Kind = KindClusterIssuer
		}
		if is.Role == "" && len(out.Roles) > 0 {
			is.Role = out.Roles[0].Name
		}
		if is.AuthMountPath == "" {
			is.AuthMountPath = DefaultAuthMountPath
		}
		if is.ServiceAccount == "" {
			is.ServiceAccount = DefaultServiceAccount
		}
		if is.ServiceAccountNamespace == "" {
			if is.Kind == KindIssuer {
				is.ServiceAccountNamespace = is.Namespace
			} else {
				is.ServiceAccountNamespace = DefaultCertManagerNamespace
			}
		}
		if is.TokenTTL == "" {
			is.TokenTTL = "10m"
		}
		out.Issuer = &is
	}
	return &out
}

func caDefaults(c CAArgs, path, ttl, cn, issuer string) CAArgs {
	if c.Path == "" {
		c.Path = path
	}
	if c.MaxLeaseTTL == "" {
		c.MaxLeaseTTL = ttl
	}
	if c.CommonName == "" {
		c.CommonName = cn
	}
	if c.IssuerName == "" {
		c.IssuerName = issuer
	}
	if c.KeyType == "" {
		c.KeyType = KeyEC
	}
	if c.KeyBits == 0 {
		switch c.KeyType {
		case KeyEC:
			c.KeyBits = 384
		case KeyRSA:
			c.KeyBits = 4096
		}
	}
	c.PermittedDNSDomains = append([]string(nil), c.PermittedDNSDomains...)
	return c
}

var (
	dnsLabel  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	mountPath = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)
)

// Validate checks the (defaulted) args and returns every problem, each as
// "<path>.<field>: <value>: <why> — <fix>". path is the config key prefix,
// e.g. "rampart:pki". NewPKI calls it after filling defaults; stacks may call
// it on their own args to fail before any Pulumi work.
func (a *PKIArgs) Validate(path string) error {
	var l verr.List
	if a == nil {
		l.Add(path, "<nil>", "no PKI arguments", "pass a *PKIArgs")
		return l.Err()
	}
	a = a.withDefaults()

	if a.OpenBaoURL == "" {
		l.Add(path+".openbaoURL", "", "required: certificates carry OpenBao's CRL/OCSP/issuer addresses", "set the URL relying parties reach OpenBao at, e.g. https://openbao.example.org:8200")
	} else if u, err := url.Parse(a.OpenBaoURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		l.Add(path+".openbaoURL", a.OpenBaoURL, "not an absolute http(s) URL without path", "use scheme://host[:port], without /v1")
	}
	if a.Country != "" && !regexp.MustCompile(`^[A-Z]{2}$`).MatchString(a.Country) {
		l.Add(path+".country", a.Country, "not an ISO 3166 alpha-2 code", "use two upper-case letters, e.g. CA")
	}

	rootTTL := validateCA(&l, path+".root", a.Root)
	intTTL := validateCA(&l, path+".intermediate", a.Intermediate)
	if a.Root.Path == a.Intermediate.Path {
		l.Add(path+".intermediate.path", a.Intermediate.Path, "same mount as the root CA", "give the intermediate its own mount, e.g. pki_int")
	}
	if rootTTL > 0 && intTTL > rootTTL {
		l.Add(path+".intermediate.maxLeaseTTL", a.Intermediate.MaxLeaseTTL,
			fmt.Sprintf("longer than the root's %s: OpenBao would cut the intermediate at the root's expiry", a.Root.MaxLeaseTTL),
			"set it at most "+a.Root.MaxLeaseTTL)
	}

	if len(a.Roles) == 0 {
		l.Add(path+".roles", "[]", "no workload role: nothing could be issued", "add a role with allowedDomains")
	}
	seen := map[string]bool{}
	for i, r := range a.Roles {
		p := fmt.Sprintf("%s.roles[%d]", path, i)
		if !dnsLabel.MatchString(r.Name) {
			l.Add(p+".name", r.Name, "not a DNS label", "use lower-case letters, digits and '-', at most 63")
		} else if seen[r.Name] {
			l.Add(p+".name", r.Name, "duplicate role name", "give each role its own name")
		}
		seen[r.Name] = true
		if len(r.AllowedDomains) == 0 {
			l.Add(p+".allowedDomains", "[]", "empty: the role could sign nothing, or anything if allow_any_name were set", "list the workload domains, e.g. svc.example.org")
		}
		for j, d := range r.AllowedDomains {
			if why, fix := badDomain(d); why != "" {
				l.Add(fmt.Sprintf("%s.allowedDomains[%d]", p, j), d, why, fix)
				continue
			}
			for _, ca := range []struct {
				name string
				c    CAArgs
			}{{"root", a.Root}, {"intermediate", a.Intermediate}} {
				if len(ca.c.PermittedDNSDomains) > 0 && !within(d, ca.c.PermittedDNSDomains) {
					l.Add(fmt.Sprintf("%s.allowedDomains[%d]", p, j), d,
						"outside the "+ca.name+"'s permittedDNSDomains "+strings.Join(ca.c.PermittedDNSDomains, ", ")+": clients would reject every such certificate",
						"add the domain to "+ca.name+".permittedDNSDomains or drop it from the role")
				}
			}
		}
		validateKey(&l, p, r.KeyType, r.KeyBits, false)
		maxTTL := parseTTL(&l, p+".maxTTL", r.MaxTTL)
		ttl := parseTTL(&l, p+".ttl", r.TTL)
		if maxTTL > 0 && intTTL > 0 && maxTTL > intTTL {
			l.Add(p+".maxTTL", r.MaxTTL,
				fmt.Sprintf("longer than the intermediate's %s: leaves cannot outlive their issuer", a.Intermediate.MaxLeaseTTL),
				fmt.Sprintf("set it at most %s (default %s)", a.Intermediate.MaxLeaseTTL, DefaultRoleMaxTTL))
		}
		if ttl > 0 && maxTTL > 0 && ttl > maxTTL {
			l.Add(p+".ttl", r.TTL, "longer than the role's maxTTL "+r.MaxTTL, "set it at most "+r.MaxTTL+", or leave it empty")
		}
	}

	crlExpiry := parseTTL(&l, path+".crl.expiry", a.CRL.Expiry)
	if d := parseTTL(&l, path+".crl.deltaRebuildInterval", a.CRL.DeltaRebuildInterval); d > 0 && crlExpiry > 0 && d >= crlExpiry {
		l.Add(path+".crl.deltaRebuildInterval", a.CRL.DeltaRebuildInterval, "not shorter than the CRL expiry "+a.CRL.Expiry, "use minutes, e.g. 15m")
	}
	if a.CRL.DisableOCSP && (a.CRL.DisableAutoRebuild || a.CRL.DisableDelta) {
		l.Add(path+".crl.disableOCSP", true, "with OCSP off and no delta CRL (or no auto-rebuild), a revocation can go unseen for days", "keep OCSP on, or keep both delta CRLs and auto-rebuild on")
	}

	if is := a.Issuer; is != nil {
		validateIssuer(&l, path+".issuer", is, seen)
	}
	return l.Err()
}

func validateCA(l *verr.List, p string, c CAArgs) time.Duration {
	if !mountPath.MatchString(c.Path) {
		l.Add(p+".path", c.Path, "not a mount path", "use letters, digits, '_' and '-', e.g. pki")
	}
	d := parseTTL(l, p+".maxLeaseTTL", c.MaxLeaseTTL)
	if strings.TrimSpace(c.CommonName) == "" {
		l.Add(p+".commonName", c.CommonName, "empty CA common name", "set a subject CN")
	}
	if !dnsLabel.MatchString(c.IssuerName) {
		l.Add(p+".issuerName", c.IssuerName, "not a valid issuer name", "use lower-case letters, digits and '-'")
	}
	validateKey(l, p, c.KeyType, c.KeyBits, true)
	for j, dom := range c.PermittedDNSDomains {
		if why, fix := badDomain(dom); why != "" {
			l.Add(fmt.Sprintf("%s.permittedDNSDomains[%d]", p, j), dom, why, fix)
		}
	}
	return d
}

func validateKey(l *verr.List, p string, kt KeyType, bits int, ca bool) {
	switch kt {
	case KeyEC:
		if bits != 256 && bits != 384 && bits != 521 {
			l.Add(p+".keyBits", bits, "not a NIST curve size for EC", "use 256 (P-256), 384 (P-384) or 521 (P-521)")
		} else if ca && bits < 384 {
			l.Add(p+".keyBits", bits, "a CA key outlives its leaves: P-256 is below the CNSA/ITSP.40.111 level for CAs", "use 384 (P-384, the default) or 521")
		}
	case KeyRSA:
		if bits != 3072 && bits != 4096 {
			l.Add(p+".keyBits", bits, "RSA below 3072 bits falls short of 128-bit security (ITSP.40.111, ISM); other sizes are non-standard", "use 3072 or 4096, or keyType ec")
		}
	case KeyEd25519:
		if bits != 0 {
			l.Add(p+".keyBits", bits, "ed25519 has a fixed size", "leave keyBits unset")
		}
	default:
		l.Add(p+".keyType", string(kt), "unknown key type", "use ec (default), rsa or ed25519")
	}
}

func parseTTL(l *verr.List, p, s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		l.Add(p, s, "not a positive duration", "use Go duration syntax in hours, e.g. 720h")
		return 0
	}
	return d
}

// badDomain explains why d cannot be an allowed/permitted DNS domain ("" if it can).
func badDomain(d string) (why, fix string) {
	switch {
	case d == "":
		return "empty domain", "remove it or name a domain"
	case strings.Contains(d, "*"):
		return "wildcards are not domains", "list the parent domain; wildcard certificates need allowWildcard"
	case strings.Contains(d, "://") || strings.ContainsAny(d, "/:@ "):
		return "a URL or address, not a DNS domain", "use the bare domain, e.g. svc.example.org"
	case net.ParseIP(d) != nil:
		return "an IP address, not a DNS domain", "name the domain; IP SANs need allowIPSANs"
	case d != strings.ToLower(d):
		return "upper-case letters", "use the lower-case form"
	case strings.HasSuffix(d, "."):
		return "trailing dot", "drop the final '.'"
	}
	if len(d) > 253 {
		return "longer than 253 characters", "shorten it"
	}
	for _, lab := range strings.Split(d, ".") {
		if !dnsLabel.MatchString(lab) {
			return fmt.Sprintf("label %q is not a DNS label", lab), "use letters, digits and inner '-' per label"
		}
	}
	return "", ""
}

func validateIssuer(l *verr.List, p string, is *IssuerArgs, roles map[string]bool) {
	switch is.Kind {
	case KindClusterIssuer:
		if is.Namespace != "" {
			l.Add(p+".namespace", is.Namespace, "a ClusterIssuer is cluster-scoped", "leave namespace empty or use kind Issuer")
		}
	case KindIssuer:
		if !dnsLabel.MatchString(is.Namespace) {
			l.Add(p+".namespace", is.Namespace, "an Issuer needs a valid namespace", "name the namespace that holds the Certificates")
		}
	default:
		l.Add(p+".kind", string(is.Kind), "unknown issuer kind", "use ClusterIssuer (default) or Issuer")
	}
	if is.Name != "" && !dnsLabel.MatchString(is.Name) {
		l.Add(p+".name", is.Name, "not a DNS-1123 label", "use lower-case letters, digits and '-'")
	}
	if !roles[is.Role] {
		l.Add(p+".role", is.Role, "no such role in roles", "name one of the roles")
	}
	u, err := url.Parse(is.Server)
	switch {
	case is.Server == "":
		l.Add(p+".server", "", "required: the OpenBao address cert-manager calls", "set it, e.g. https://openbao.openbao.svc:8200")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		l.Add(p+".server", is.Server, "not an absolute URL", "use https://host:port")
	case u.Scheme == "http" && !is.AllowHTTP:
		l.Add(p+".server", is.Server, "plain http would carry ServiceAccount tokens and CSRs unencrypted", "use https with caBundlePEM (allowHTTP is for the local lab only)")
	case u.Scheme == "https" && is.CABundlePEM == "":
		l.Add(p+".caBundlePEM", "", "without it cert-manager trusts the system roots (US-controlled CAs among them) for OpenBao's TLS", "set the PEM of the CA that signed OpenBao's TLS certificate")
	}
	if is.CABundlePEM != "" {
		if n, err := countPEMCerts(is.CABundlePEM); err != nil || n == 0 {
			l.Add(p+".caBundlePEM", "<pem>", "no parsable CERTIFICATE block", "paste the PEM certificate(s)")
		}
	}
	if !mountPath.MatchString(is.AuthMountPath) {
		l.Add(p+".authMountPath", is.AuthMountPath, "not a mount path", "use e.g. kubernetes (without /v1/auth/)")
	}
	if is.AuthRole != "" && !dnsLabel.MatchString(is.AuthRole) {
		l.Add(p+".authRole", is.AuthRole, "not a valid role name", "use lower-case letters, digits and '-'")
	}
	if !dnsLabel.MatchString(is.ServiceAccount) {
		l.Add(p+".serviceAccount", is.ServiceAccount, "not a DNS-1123 label", "name the ServiceAccount")
	}
	if !dnsLabel.MatchString(is.ServiceAccountNamespace) {
		l.Add(p+".serviceAccountNamespace", is.ServiceAccountNamespace, "not a namespace name", "name the ServiceAccount's namespace")
	}
	if d := parseTTL(l, p+".tokenTTL", is.TokenTTL); d > time.Hour {
		l.Add(p+".tokenTTL", is.TokenTTL, "longer than an hour: cert-manager logs in per request", "use 10m (default) or less than 1h")
	}
}

// within reports whether d equals or is below one of the domains.
func within(d string, domains []string) bool {
	for _, p := range domains {
		if d == p || strings.HasSuffix(d, "."+p) {
			return true
		}
	}
	return false
}

func countPEMCerts(s string) (int, error) {
	rest, n := []byte(s), 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return n, nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return n, err
		}
		n++
	}
}
