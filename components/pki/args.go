package pki

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/helpers/verr"
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

// Defaults that withDefaults fills in; exported so the config layer, stacks
// and docs quote one source instead of repeating the values.
const (
	// DefaultOrganization goes into the CA subjects when Organization is empty.
	DefaultOrganization = "Rampart"
	// DefaultKeyType is the key algorithm of both CAs and of every role.
	DefaultKeyType = KeyEC
	// DefaultCRLExpiry is how long a published CRL stays valid.
	DefaultCRLExpiry = "72h"
	// DefaultDeltaRebuildInterval is how often the delta CRL is rebuilt.
	DefaultDeltaRebuildInterval = "15m"
)

// PKIArgs configures the two-tier PKI (offline-style root → issuing
// intermediate) in OpenBao and the cert-manager issuer on top of it. It is
// also the schema of the stack config section rampart:pki: the json keys
// below are the config keys, and the config layer decodes straight into it.
// Unset fields take the component's defaults field by field (withDefaults),
// so a section that sets only root.maxLeaseTTL keeps every other default.
//
// Providers: NewPKI needs two packages, vault (every OpenBao child) and
// kubernetes (the cert-manager issuer object). The caller passes both in
// NewPKI's opts as pulumi.Providers(vaultProvider, kubernetesProvider); every
// child is created with pulumi.Parent(comp) and inherits the provider of its
// own package from the component's provider map. Args carry no provider.
type PKIArgs struct {
	// OpenBaoURL is the externally reachable base URL of OpenBao (no /v1),
	// embedded in every certificate as the AIA issuing-certificate, CRL
	// distribution point and OCSP addresses. Required; http or https (CRLs
	// and OCSP answers are signed, RFC 5280 §4.2.1.13 recommends http).
	// Sovereignty: revocation data is served by our OpenBao only. ITSG-33 SC-17.
	OpenBaoURL string `json:"openbaoURL,omitempty"`
	// Organization goes into the CA subjects. Default DefaultOrganization.
	Organization string `json:"organization,omitempty"`
	// Country (ISO 3166 alpha-2) goes into the CA subjects. Default "" (omitted).
	Country string `json:"country,omitempty"`

	// Root is the root CA and its mount.
	Root CAArgs `json:"root,omitzero"`
	// Intermediate is the issuing CA and its mount; it signs every workload certificate.
	Intermediate CAArgs `json:"intermediate,omitzero"`
	// Roles are the workload roles on the intermediate. At least one.
	Roles []RoleArgs `json:"roles,omitempty"`
	// CRL configures revocation publishing on both mounts.
	CRL CRLArgs `json:"crl,omitzero"`
	// Issuer is the cert-manager issuer; nil means no issuer is created.
	Issuer *IssuerArgs `json:"issuer,omitempty"`

	// AllowDestroy drops pulumi.Protect and RetainOnDelete from the mounts
	// and the root CA. Default false: the root key lives only inside OpenBao
	// (type internal) and cannot be recreated, so destroying it would
	// invalidate every certificate in the chain. Set only for throwaway labs.
	// Not a config key (json "-"): the stack derives it from its profile, so
	// no config edit can unprotect a production root.
	AllowDestroy bool `json:"-"`
}

// withDefaults returns a copy with every unset field filled in, field by
// field: a partial override (one root or role field) keeps the other defaults.
func (a *PKIArgs) withDefaults() *PKIArgs {
	out := *a
	out.Organization = cmp.Or(out.Organization, DefaultOrganization)
	out.Root = out.Root.withDefaults(DefaultRootPath, DefaultRootMaxTTL, out.Organization+" Root CA", DefaultRootIssuerName)
	out.Intermediate = out.Intermediate.withDefaults(DefaultIntermediatePath, DefaultIntermediateMaxTTL, out.Organization+" Issuing CA", DefaultIntermediateIssuerName)
	out.Roles = make([]RoleArgs, len(a.Roles))
	for i, r := range a.Roles {
		out.Roles[i] = r.withDefaults()
	}
	out.CRL = out.CRL.withDefaults()
	if a.Issuer != nil {
		firstRole := ""
		if len(out.Roles) > 0 {
			firstRole = out.Roles[0].Name
		}
		is := a.Issuer.withDefaults(firstRole)
		out.Issuer = &is
	}
	return &out
}

var (
	dnsLabel  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	mountPath = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`)
	country   = regexp.MustCompile(`^[A-Z]{2}$`)
)

// Validate checks the args after filling defaults and returns every problem,
// each as "<path>: <value>: <why> — <fix>". path is the caller's key prefix:
// the config layer passes "rampart:pki" (problems read
// "rampart:pki.root.maxLeaseTTL: …"); NewPKI passes "" (problems read
// "root.maxLeaseTTL: …"). Stacks may call it to fail before any Pulumi work.
func (a *PKIArgs) Validate(path string) error {
	var l verr.List
	if a == nil {
		l.Add(verr.Path(path, "PKIArgs"), "<nil>", "no PKI arguments", "pass a *PKIArgs")
		return l.Err()
	}
	a = a.withDefaults()
	p := func(sub string) string { return verr.Path(path, sub) }

	if a.OpenBaoURL == "" {
		l.Add(p("openbaoURL"), "", "required: certificates carry OpenBao's CRL/OCSP/issuer addresses", "set the URL relying parties reach OpenBao at, e.g. https://openbao.example.org:8200")
	} else if u, err := url.Parse(a.OpenBaoURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		l.Add(p("openbaoURL"), a.OpenBaoURL, "not an absolute http(s) URL without path", "use scheme://host[:port], without /v1")
	}
	if a.Country != "" && !country.MatchString(a.Country) {
		l.Add(p("country"), a.Country, "not an ISO 3166 alpha-2 code", "use two upper-case letters, e.g. CA")
	}

	_, intTTL := validateTiers(&l, path, a.Root, a.Intermediate)
	roles := validateRoles(&l, path, a.Roles, a.Root, a.Intermediate, intTTL)
	validateCRL(&l, p("crl"), a.CRL)
	if is := a.Issuer; is != nil {
		validateIssuer(&l, p("issuer"), is, roles)
	}
	return l.Err()
}

func validateKey(l *verr.List, p string, kt KeyType, bits int, ca bool) {
	switch kt {
	case KeyEC:
		if bits != 256 && bits != 384 && bits != 521 {
			l.Add(verr.Path(p, "keyBits"), bits, "not a NIST curve size for EC", "use 256 (P-256), 384 (P-384) or 521 (P-521)")
		} else if ca && bits < 384 {
			l.Add(verr.Path(p, "keyBits"), bits, "a CA key outlives its leaves: P-256 is below the CNSA/ITSP.40.111 level for CAs", "use 384 (P-384, the default) or 521")
		}
	case KeyRSA:
		if bits != 3072 && bits != 4096 {
			l.Add(verr.Path(p, "keyBits"), bits, "RSA below 3072 bits falls short of 128-bit security (ITSP.40.111, ISM); other sizes are non-standard", "use 3072 or 4096, or keyType ec")
		}
	case KeyEd25519:
		if bits != 0 {
			l.Add(verr.Path(p, "keyBits"), bits, "ed25519 has a fixed size", "leave keyBits unset")
		}
	default:
		l.Add(verr.Path(p, "keyType"), string(kt), "unknown key type", "use ec (default), rsa or ed25519")
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

// within reports whether d equals or is below one of the domains.
func within(d string, domains []string) bool {
	for _, p := range domains {
		if d == p || strings.HasSuffix(d, "."+p) {
			return true
		}
	}
	return false
}
