package certmanager

import (
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"net/url"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// VaultIssuerArgs is the sovereign ClusterIssuer on OpenBao PKI (config key
// rampart:certManager.vault), for stacks whose PKI is not rendered by the
// pki component (an existing OpenBao, the local lab). It signs on
// <intermediate>/sign/<role> and logs in with a bound ServiceAccount token
// (serviceAccountRef): no static token exists. ITSG-33 IA-5, SC-17.
type VaultIssuerArgs struct {
	// Name of the ClusterIssuer; default DefaultVaultIssuerName.
	Name string `json:"name,omitempty"`
	// Server is OpenBao's address as cert-manager reaches it. Required;
	// https unless the stack allows http (local profile only).
	Server string `json:"server"`
	// CABundlePEM is the CA of OpenBao's TLS certificate; required with
	// https so cert-manager does not trust the system roots.
	CABundlePEM string `json:"caBundlePEM,omitempty"`
	// Path is "<intermediate mount>/sign/<role>". Required. /issue/ is
	// refused: it makes OpenBao generate (and see) the private key.
	Path string `json:"path"`
	// AuthMountPath is OpenBao's Kubernetes auth mount; default
	// DefaultVaultAuthMount (rendered as /v1/auth/<mount>).
	AuthMountPath string `json:"authMountPath,omitempty"`
	// Role is the OpenBao Kubernetes-auth role cert-manager logs in as. Required.
	Role string `json:"role"`
	// ServiceAccount is the ServiceAccount (in the cert-manager namespace)
	// whose bound tokens cert-manager presents; created here. Default
	// DefaultVaultServiceAccount.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// Audiences are extra token audiences (cert-manager always adds
	// vault://<issuer name>). Default none.
	Audiences []string `json:"audiences,omitempty"`
}

// ACMEArgs is the optional ACME ClusterIssuer (config key
// rampart:certManager.acme) for publicly trusted names.
type ACMEArgs struct {
	// Name of the ClusterIssuer; default DefaultACMEIssuerName.
	Name string `json:"name,omitempty"`
	// Server is the ACME directory URL (https). Required. Its operator's
	// jurisdiction is judged by rampart:sovereignty (the sovereign-cloud
	// hardening guide's no-US-CA rule, generalised to every endpoint).
	Server string `json:"server"`
	// Email is the ACME account contact. Optional.
	Email string `json:"email,omitempty"`
	// AccountKeySecret is the Secret cert-manager keeps the account key in.
	// Default "<name>-account-key".
	AccountKeySecret string `json:"accountKeySecret,omitempty"`
	// EAB is the External Account Binding; its HMAC key comes only from the
	// secret rampart:acmeEabHmacKey.
	EAB *EABArgs `json:"eab,omitempty"`
	// HTTP01 solves HTTP-01 through the ingress Gateway (gatewayHTTPRoute).
	HTTP01 *HTTP01GatewayArgs `json:"http01,omitempty"`
	// DNS01 solves DNS-01 with RFC 2136 dynamic updates.
	DNS01 *RFC2136Args `json:"dns01,omitempty"`
	// EgressCIDRs are the ACME server's addresses the controller may reach
	// on 443. Required: default-deny would block the directory otherwise.
	EgressCIDRs []string `json:"egressCIDRs,omitempty"`
}

// EABArgs is an ACME External Account Binding.
type EABArgs struct {
	// KeyID is the CA's key identifier. Required.
	KeyID string `json:"keyID"`
	// HmacKey is the base64url HMAC key (the secret rampart:acmeEabHmacKey,
	// injected by the stack); it goes to a Kubernetes Secret only.
	HmacKey pulumi.StringOutput `json:"-"`
}

// HTTP01GatewayArgs attaches the HTTP-01 solver's HTTPRoute to the ingress
// Gateway's HTTP listener.
type HTTP01GatewayArgs struct {
	// GatewayName and GatewayNamespace name the ingress Gateway. Required.
	GatewayName      string `json:"gatewayName"`
	GatewayNamespace string `json:"gatewayNamespace"`
	// SectionName is the Gateway's HTTP listener; default none (every
	// listener that admits the route).
	SectionName string `json:"sectionName,omitempty"`
}

// RFC2136Args is a DNS-01 solver using RFC 2136 dynamic updates with TSIG.
type RFC2136Args struct {
	// Nameserver is "ip:port" of the authoritative server. Required.
	Nameserver string `json:"nameserver"`
	// TSIGKeyName, TSIGAlgorithm (default HMACSHA256) and the Secret
	// (in the cert-manager namespace) holding the TSIG key. Required: an
	// unsigned update server would accept anyone's records.
	TSIGKeyName   string `json:"tsigKeyName"`
	TSIGAlgorithm string `json:"tsigAlgorithm,omitempty"`
	TSIGSecret    string `json:"tsigSecret"`
	TSIGSecretKey string `json:"tsigSecretKey"`
}

func validateVault(l *verr.List, p string, v *VaultIssuerArgs, allowHTTP bool) {
	if !dnsLabel.MatchString(v.Name) {
		l.Add(p+".name", v.Name, "not a DNS-1123 label", "use lower-case letters, digits and '-'")
	}
	httpsURL(l, p+".server", v.Server, allowHTTP, "the OpenBao address cert-manager calls")
	if u, err := url.Parse(v.Server); err == nil && u.Scheme == "https" && v.CABundlePEM == "" {
		l.Add(p+".caBundlePEM", "", "without it cert-manager trusts the system roots (US-controlled CAs among them) for OpenBao's TLS",
			"set the PEM of the CA that signed OpenBao's TLS certificate")
	}
	if v.CABundlePEM != "" && !parsablePEM(v.CABundlePEM) {
		l.Add(p+".caBundlePEM", "<pem>", "no parsable CERTIFICATE block", "paste the PEM certificate(s)")
	}
	mount, role, ok := strings.Cut(v.Path, "/sign/")
	switch {
	case strings.Contains(v.Path, "/issue/"):
		l.Add(p+".path", v.Path, "/issue/ makes OpenBao generate the private key and return it over the wire",
			"use <intermediate mount>/sign/<role>: cert-manager keeps the key and sends a CSR")
	case !ok || !mountRe.MatchString(mount) || !dnsLabelOrUnderscore(role):
		l.Add(p+".path", v.Path, "not <intermediate mount>/sign/<role>", "use e.g. pki_int/sign/workloads")
	}
	if !mountRe.MatchString(v.AuthMountPath) || strings.HasPrefix(v.AuthMountPath, "v1/") {
		l.Add(p+".authMountPath", v.AuthMountPath, "not a mount path", "use e.g. kubernetes (without /v1/auth/)")
	}
	if v.Role == "" || !mountRe.MatchString(v.Role) {
		l.Add(p+".role", v.Role, "required: the OpenBao Kubernetes-auth role", "name the role bound to the ServiceAccount")
	}
	if !dnsLabel.MatchString(v.ServiceAccount) {
		l.Add(p+".serviceAccount", v.ServiceAccount, "not a ServiceAccount name", "use a DNS-1123 label")
	}
}

func dnsLabelOrUnderscore(s string) bool {
	return s != "" && !strings.Contains(s, "/") && mountRe.MatchString(s)
}

func validateACME(l *verr.List, p string, m *ACMEArgs) {
	if !dnsLabel.MatchString(m.Name) {
		l.Add(p+".name", m.Name, "not a DNS-1123 label", "use lower-case letters, digits and '-'")
	}
	httpsURL(l, p+".server", m.Server, false, "the ACME directory URL")
	if m.Email != "" && !strings.Contains(m.Email, "@") {
		l.Add(p+".email", m.Email, "not an e-mail address", "use name@example.org")
	}
	if !dnsLabel.MatchString(m.AccountKeySecret) {
		l.Add(p+".accountKeySecret", m.AccountKeySecret, "not a Secret name", "use a DNS-1123 label")
	}
	if e := m.EAB; e != nil {
		if e.KeyID == "" {
			l.Add(p+".eab.keyID", "", "required with eab", "set the key identifier your CA issued")
		}
		if e.HmacKey.OutputState == nil {
			l.Add(p+".eab.hmacKey", "", "the EAB key id needs its HMAC key", "pulumi config set --secret rampart:acmeEabHmacKey <key>")
		}
	}
	if m.HTTP01 == nil && m.DNS01 == nil {
		l.Add(p, verr.Raw("(no solver)"), "an ACME issuer needs a solver", "set http01 (gateway) or dns01 (rfc2136)")
	}
	if h := m.HTTP01; h != nil {
		if !dnsLabel.MatchString(h.GatewayName) {
			l.Add(p+".http01.gatewayName", h.GatewayName, "required: the ingress Gateway", "name the Gateway")
		}
		kname.CheckNamespace(l, p+".http01.gatewayNamespace", h.GatewayNamespace)
	}
	if d := m.DNS01; d != nil {
		if _, err := netip.ParseAddrPort(d.Nameserver); err != nil {
			l.Add(p+".dns01.nameserver", d.Nameserver, "not ip:port", "use e.g. 192.0.2.53:53")
		}
		if d.TSIGKeyName == "" || !dnsLabel.MatchString(d.TSIGSecret) || d.TSIGSecretKey == "" {
			l.Add(p+".dns01", verr.Raw("(tsig)"), "tsigKeyName, tsigSecret and tsigSecretKey are required: unsigned updates would let anyone write the zone",
				"create the TSIG Secret in the cert-manager namespace and name it")
		}
	}
	if len(m.EgressCIDRs) == 0 {
		l.Add(p+".egressCIDRs", verr.Raw("[]"), "required: the default-deny policy would block the ACME directory", "list the CA's API addresses")
	}
	netpolicy.CheckCIDRs(l, p+".egressCIDRs", m.EgressCIDRs)
}

func parsablePEM(s string) bool {
	rest, n := []byte(s), 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return n > 0
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return false
		}
		n++
	}
}
