package pki

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi-vault/sdk/v6/go/vault/pkisecret"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// CA tier defaults (root and intermediate).
const (
	// DefaultRootPath is the root CA's mount.
	DefaultRootPath = "pki"
	// DefaultIntermediatePath is the issuing CA's mount.
	DefaultIntermediatePath = "pki_int"
	// DefaultRootIssuerName names the root's issuer inside its mount.
	DefaultRootIssuerName = "root"
	// DefaultIntermediateIssuerName names the intermediate's issuer inside its mount.
	DefaultIntermediateIssuerName = "intermediate"
	// DefaultRootMaxTTL is the root mount's max lease (the seed's 87600h, 10 years).
	DefaultRootMaxTTL = "87600h"
	// DefaultIntermediateMaxTTL is the intermediate mount's max lease (43800h, 5 years).
	DefaultIntermediateMaxTTL = "43800h"
	// DefaultCAKeyBitsEC is a CA's EC key size (P-384, CNSA/ITSP.40.111 for CAs).
	DefaultCAKeyBitsEC = 384
	// DefaultCAKeyBitsRSA is a CA's RSA key size.
	DefaultCAKeyBitsRSA = 4096
)

// CAArgs describes one CA tier (config keys rampart:pki.root and
// rampart:pki.intermediate). Every field is optional.
type CAArgs struct {
	// Path is the mount path. Default DefaultRootPath ("pki") for the root,
	// DefaultIntermediatePath ("pki_int") for the intermediate.
	Path string `json:"path,omitempty"`
	// MaxLeaseTTL is the mount's max lease, a Go duration in hours. Default
	// 87600h (root), 43800h (intermediate). The CA's own TTL equals it.
	MaxLeaseTTL string `json:"maxLeaseTTL,omitempty"`
	// CommonName is the CA subject CN. Default "<Organization> Root CA" /
	// "<Organization> Issuing CA".
	CommonName string `json:"commonName,omitempty"`
	// IssuerName names the issuer inside the mount (Vault/OpenBao ≥1.11
	// multi-issuer). Default "root" / "intermediate".
	IssuerName string `json:"issuerName,omitempty"`
	// KeyType of the CA key. Default KeyEC. Valid: KeyEC, KeyRSA, KeyEd25519.
	KeyType KeyType `json:"keyType,omitempty"`
	// KeyBits of the CA key. Default 384 for EC (P-384, CNSA/ITSP.40.111 for
	// CAs), 4096 for RSA, 0 for Ed25519. Valid: EC 384/521, RSA 3072/4096.
	// An explicit 0 means what key_bits 0 means to OpenBao, "the key
	// type's default", and takes the default above (never a weaker key).
	KeyBits int `json:"keyBits,omitempty"`
	// PermittedDNSDomains become a name constraint on the CA certificate;
	// default none. For the intermediate it limits what a stolen issuing key
	// can sign. Changing it re-signs the intermediate.
	PermittedDNSDomains []string `json:"permittedDNSDomains,omitempty"`
}

func (c CAArgs) withDefaults(path, ttl, cn, issuer string) CAArgs {
	c.Path = cmp.Or(c.Path, path)
	c.MaxLeaseTTL = cmp.Or(c.MaxLeaseTTL, ttl)
	c.CommonName = cmp.Or(c.CommonName, cn)
	c.IssuerName = cmp.Or(c.IssuerName, issuer)
	c.KeyType = cmp.Or(c.KeyType, DefaultKeyType)
	if c.KeyBits == 0 {
		switch c.KeyType {
		case KeyEC:
			c.KeyBits = DefaultCAKeyBitsEC
		case KeyRSA:
			c.KeyBits = DefaultCAKeyBitsRSA
		}
	}
	c.PermittedDNSDomains = append([]string(nil), c.PermittedDNSDomains...)
	return c
}

// validateTiers checks both CAs and how they relate; it returns their max
// leases (0 where unparsable) for the checks that depend on them.
func validateTiers(l *verr.List, path string, root, inter CAArgs) (rootTTL, intTTL time.Duration) {
	rootTTL = validateCA(l, verr.Path(path, "root"), root)
	intTTL = validateCA(l, verr.Path(path, "intermediate"), inter)
	if root.Path == inter.Path {
		l.Add(verr.Path(path, "intermediate.path"), inter.Path, "same mount as the root CA", "give the intermediate its own mount, e.g. "+DefaultIntermediatePath)
	}
	if rootTTL > 0 && intTTL > rootTTL {
		l.Add(verr.Path(path, "intermediate.maxLeaseTTL"), inter.MaxLeaseTTL,
			fmt.Sprintf("longer than the root's %s: OpenBao would cut the intermediate at the root's expiry", root.MaxLeaseTTL),
			"set it at most "+root.MaxLeaseTTL)
	}
	return rootTTL, intTTL
}

func validateCA(l *verr.List, p string, c CAArgs) time.Duration {
	if !mountPath.MatchString(c.Path) {
		l.Add(verr.Path(p, "path"), c.Path, "not a mount path", "use letters, digits, '_' and '-', e.g. pki")
	}
	d := parseTTL(l, verr.Path(p, "maxLeaseTTL"), c.MaxLeaseTTL)
	if strings.TrimSpace(c.CommonName) == "" {
		l.Add(verr.Path(p, "commonName"), c.CommonName, "empty CA common name", "set a subject CN")
	}
	if !dnsLabel.MatchString(c.IssuerName) {
		l.Add(verr.Path(p, "issuerName"), c.IssuerName, "not a valid issuer name", "use lower-case letters, digits and '-'")
	}
	validateKey(l, p, c.KeyType, c.KeyBits, true)
	for j, dom := range c.PermittedDNSDomains {
		if why, fix := badDomain(dom); why != "" {
			l.Add(verr.Path(p, fmt.Sprintf("permittedDNSDomains[%d]", j)), dom, why, fix)
		}
	}
	return d
}

// configURLs sets a mount's AIA/CRL/OCSP addresses under OpenBao's public URL.
func configURLs(ctx *pulumi.Context, name string, backend pulumi.StringInput, base, mount string, opts ...pulumi.ResourceOption) (*pkisecret.SecretBackendConfigUrls, error) {
	prefix := trimSlash(base) + "/v1/" + mount
	return pkisecret.NewSecretBackendConfigUrls(ctx, name, &pkisecret.SecretBackendConfigUrlsArgs{
		Backend:               backend,
		IssuingCertificates:   pulumi.StringArray{pulumi.String(prefix + "/ca")},
		CrlDistributionPoints: pulumi.StringArray{pulumi.String(prefix + "/crl")},
		OcspServers:           pulumi.StringArray{pulumi.String(prefix + "/ocsp")},
	}, opts...)
}
