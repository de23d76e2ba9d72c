package pki

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi-vault/sdk/v6/go/vault/pkisecret"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// Role defaults.
const (
	// DefaultRoleMaxTTL caps every workload certificate at 720h (30 days).
	DefaultRoleMaxTTL = "720h"
	// DefaultRoleKeyBitsEC is an issued EC key's size (P-256).
	DefaultRoleKeyBitsEC = 256
	// DefaultRoleKeyBitsRSA is an issued RSA key's size.
	DefaultRoleKeyBitsRSA = 3072
	// DefaultAllowSubdomains is whether a role may sign names below its
	// allowed domains when allowSubdomains is unset.
	DefaultAllowSubdomains = true
)

// RoleArgs is one workload role on the intermediate (the path
// <intermediate>/sign/<Name> and /issue/<Name>); one item of the config key
// rampart:pki.roles.
type RoleArgs struct {
	// Name of the role; a DNS label (lower-case, digits, '-'). Required.
	Name string `json:"name"`
	// AllowedDomains lists the DNS domains certificates may be issued for.
	// Required; no wildcards, IPs or URLs (use AllowWildcard for "*.x" names).
	AllowedDomains []string `json:"allowedDomains,omitempty"`
	// AllowSubdomains permits names below AllowedDomains. Default true (nil);
	// a pointer so that an explicit false survives defaulting.
	AllowSubdomains *bool `json:"allowSubdomains,omitempty"`
	// AllowBareDomains permits the allowed domain itself. Default false.
	AllowBareDomains bool `json:"allowBareDomains,omitempty"`
	// AllowWildcard permits wildcard certificates. Default false: a wildcard
	// key shared by many services widens the blast radius of one leak.
	AllowWildcard bool `json:"allowWildcard,omitempty"`
	// AllowIPSANs permits IP SANs. Default false: workloads are addressed
	// by name; IP SANs bypass AllowedDomains.
	AllowIPSANs bool `json:"allowIPSANs,omitempty"`
	// ClientAuth adds the clientAuth EKU (mTLS clients). Default false: the
	// role issues serverAuth only unless asked.
	ClientAuth bool `json:"clientAuth,omitempty"`
	// KeyType of issued keys. Default KeyEC. ITSG-33 SC-13.
	KeyType KeyType `json:"keyType,omitempty"`
	// KeyBits of issued keys. Default 256 for EC (P-256), 3072 for RSA. An
	// explicit 0 means what key_bits 0 means to OpenBao, "the key type's
	// default", and takes the default above.
	KeyBits int `json:"keyBits,omitempty"`
	// MaxTTL caps each certificate. Default 720h; must not exceed the
	// intermediate's MaxLeaseTTL. Short-lived certificates limit exposure
	// of a leaked key. NIS2 Art. 21(2)(h).
	MaxTTL string `json:"maxTTL,omitempty"`
	// TTL is the lifetime when the request names none. Default: MaxTTL.
	TTL string `json:"ttl,omitempty"`
}

func (r RoleArgs) withDefaults() RoleArgs {
	if r.AllowSubdomains == nil {
		t := DefaultAllowSubdomains
		r.AllowSubdomains = &t
	} else {
		v := *r.AllowSubdomains
		r.AllowSubdomains = &v
	}
	r.KeyType = cmp.Or(r.KeyType, DefaultKeyType)
	if r.KeyBits == 0 {
		switch r.KeyType {
		case KeyEC:
			r.KeyBits = DefaultRoleKeyBitsEC
		case KeyRSA:
			r.KeyBits = DefaultRoleKeyBitsRSA
		}
	}
	r.MaxTTL = cmp.Or(r.MaxTTL, DefaultRoleMaxTTL)
	r.TTL = cmp.Or(r.TTL, r.MaxTTL)
	r.AllowedDomains = append([]string(nil), r.AllowedDomains...)
	return r
}

// validateRoles checks the (defaulted) roles against each other and the CAs;
// it returns the set of role names for the issuer's check.
func validateRoles(l *verr.List, path string, roles []RoleArgs, root, inter CAArgs, intTTL time.Duration) map[string]bool {
	if len(roles) == 0 {
		l.Add(verr.Path(path, "roles"), "[]", "no workload role: nothing could be issued", "add a role with allowedDomains")
	}
	seen := map[string]bool{}
	for i, r := range roles {
		p := verr.Path(path, fmt.Sprintf("roles[%d]", i))
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
			}{{"root", root}, {"intermediate", inter}} {
				if len(ca.c.PermittedDNSDomains) > 0 && !within(d, ca.c.PermittedDNSDomains) {
					l.Add(fmt.Sprintf("%s.allowedDomains[%d]", p, j), d,
						"outside the "+ca.name+"'s permittedDNSDomains "+strings.Join(ca.c.PermittedDNSDomains, ", ")+": clients would reject every such certificate",
						"add the domain to "+ca.name+".permittedDNSDomains or drop it from the role")
				}
			}
		}
		validateKey(l, p, r.KeyType, r.KeyBits, false)
		maxTTL := parseTTL(l, p+".maxTTL", r.MaxTTL)
		ttl := parseTTL(l, p+".ttl", r.TTL)
		if maxTTL > 0 && intTTL > 0 && maxTTL > intTTL {
			l.Add(p+".maxTTL", r.MaxTTL,
				fmt.Sprintf("longer than the intermediate's %s: leaves cannot outlive their issuer", inter.MaxLeaseTTL),
				fmt.Sprintf("set it at most %s (default %s)", inter.MaxLeaseTTL, DefaultRoleMaxTTL))
		}
		if ttl > 0 && maxTTL > 0 && ttl > maxTTL {
			l.Add(p+".ttl", r.TTL, "longer than the role's maxTTL "+r.MaxTTL, "set it at most "+r.MaxTTL+", or leave it empty")
		}
	}
	return seen
}

// newRole creates one workload role: server certificates for the allowed
// domains only, hostnames enforced, no glob/any-name/localhost shortcuts.
func newRole(ctx *pulumi.Context, name string, backend pulumi.StringInput, r RoleArgs, opts ...pulumi.ResourceOption) (*pkisecret.SecretBackendRole, error) {
	return pkisecret.NewSecretBackendRole(ctx, name, &pkisecret.SecretBackendRoleArgs{
		Backend:                   backend,
		Name:                      pulumi.String(r.Name),
		IssuerRef:                 pulumi.String("default"),
		AllowedDomains:            pulumi.ToStringArray(r.AllowedDomains),
		AllowSubdomains:           pulumi.Bool(*r.AllowSubdomains),
		AllowBareDomains:          pulumi.Bool(r.AllowBareDomains),
		AllowWildcardCertificates: pulumi.Bool(r.AllowWildcard),
		AllowIpSans:               pulumi.Bool(r.AllowIPSANs),
		AllowGlobDomains:          pulumi.Bool(false),
		AllowAnyName:              pulumi.Bool(false),
		AllowLocalhost:            pulumi.Bool(false),
		EnforceHostnames:          pulumi.Bool(true),
		ServerFlag:                pulumi.Bool(true),
		ClientFlag:                pulumi.Bool(r.ClientAuth),
		CodeSigningFlag:           pulumi.Bool(false),
		EmailProtectionFlag:       pulumi.Bool(false),
		KeyType:                   pulumi.String(string(r.KeyType)),
		KeyBits:                   keyBits(r.KeyBits),
		// Seconds, as OpenBao reads them back: no perpetual diff on refresh.
		MaxTtl: pulumi.String(strconv.Itoa(seconds(r.MaxTTL))),
		Ttl:    pulumi.String(strconv.Itoa(seconds(r.TTL))),
		// Stored so that revocation by serial works. ITSG-33 SC-17.
		NoStore:       pulumi.Bool(false),
		GenerateLease: pulumi.Bool(false),
	}, opts...)
}
