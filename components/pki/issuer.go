package pki

import (
	"cmp"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/url"
	"strconv"
	"time"

	k8s "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	vault "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	vaultk8s "github.com/pulumi/pulumi-vault/sdk/v6/go/vault/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/kmeta"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// CertManagerAPIVersion is the cert-manager API the issuer object uses.
const CertManagerAPIVersion = "cert-manager.io/v1"

// IssuerKind selects the cert-manager kind of the issuer object.
type IssuerKind string

const (
	// KindClusterIssuer serves Certificates in every namespace (default):
	// one OpenBao role and one audited path for the whole cluster.
	KindClusterIssuer IssuerKind = "ClusterIssuer"
	// KindIssuer serves Certificates in one namespace only.
	KindIssuer IssuerKind = "Issuer"
)

// Issuer defaults.
const (
	// DefaultIssuerKind is the issuer object's kind.
	DefaultIssuerKind = KindClusterIssuer
	// DefaultAuthMountPath is where cert-manager logs in (OpenBao's Kubernetes auth mount).
	DefaultAuthMountPath = "kubernetes"
	// DefaultServiceAccount is the ServiceAccount whose token cert-manager presents.
	DefaultServiceAccount = "cert-manager-openbao"
	// DefaultCertManagerNamespace is cert-manager's cluster resource namespace,
	// where a ClusterIssuer's ServiceAccount lives.
	DefaultCertManagerNamespace = "cert-manager"
	// DefaultTokenTTL is the lifetime of the OpenBao token cert-manager gets.
	DefaultTokenTTL = "10m"
)

// IssuerArgs is the cert-manager Issuer/ClusterIssuer on the intermediate's
// sign/<role> path (config key rampart:pki.issuer). It authenticates with a
// Kubernetes ServiceAccount token against OpenBao's Kubernetes auth method:
// no static token exists anywhere. The object goes to the kubernetes provider
// in NewPKI's provider map (see PKIArgs). NIS2 Art. 21(2)(h) and (j);
// ITSG-33 SC-12, SC-17, IA-5.
type IssuerArgs struct {
	// Kind is KindClusterIssuer (default) or KindIssuer.
	Kind IssuerKind `json:"kind,omitempty"`
	// Name of the Kubernetes object. Default kname.Join(<component name>, "openbao").
	Name string `json:"name,omitempty"`
	// Namespace of an Issuer (required for KindIssuer, refused for a ClusterIssuer).
	Namespace string `json:"namespace,omitempty"`
	// Role is the PKI role the issuer signs with. Default: the first role.
	Role string `json:"role,omitempty"`
	// Server is OpenBao's address as cert-manager reaches it. Required; must
	// be https unless AllowHTTP is set. The issuer points only at our OpenBao.
	// The component has no default: which OpenBao is a stack decision (the
	// config layer fills in rampart:openbao's address when it is unset).
	Server string `json:"server,omitempty"`
	// CABundlePEM is the PEM CA that signed OpenBao's TLS certificate; it
	// becomes spec.vault.caBundle so cert-manager trusts only that CA, not the
	// system roots. Required with https.
	CABundlePEM string `json:"caBundlePEM,omitempty"`
	// AllowHTTP permits an http Server (the local lab's dev server). Default false.
	AllowHTTP bool `json:"allowHTTP,omitempty"`
	// AuthMountPath is OpenBao's Kubernetes auth mount. Default DefaultAuthMountPath.
	AuthMountPath string `json:"authMountPath,omitempty"`
	// AuthRole is the OpenBao Kubernetes-auth role created for cert-manager.
	// Default kname.Join(<component name>, "cert-manager").
	AuthRole string `json:"authRole,omitempty"`
	// ServiceAccount is the ServiceAccount cert-manager requests tokens for.
	// Default DefaultServiceAccount. The cert-manager component must create it
	// and let cert-manager create tokens for it.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// ServiceAccountNamespace is where that ServiceAccount lives. Default:
	// Namespace for an Issuer, DefaultCertManagerNamespace for a ClusterIssuer.
	ServiceAccountNamespace string `json:"serviceAccountNamespace,omitempty"`
	// Audience is the token audience OpenBao's role requires. Default: the
	// audience cert-manager always puts in the tokens it requests,
	// "vault://<namespace>/<name>" (Issuer) or "vault://<name>" (ClusterIssuer),
	// so a token minted for another issuer is refused. A custom value is also
	// sent in serviceAccountRef.audiences (cert-manager ≥ 1.15).
	Audience string `json:"audience,omitempty"`
	// TokenTTL is the lifetime of the OpenBao token cert-manager gets.
	// Default DefaultTokenTTL (10m); at most 1h.
	TokenTTL string `json:"tokenTTL,omitempty"`
}

// withDefaults fills the defaults that do not depend on the component's
// name (Name, AuthRole and Audience are derived from it in newIssuer).
func (is IssuerArgs) withDefaults(firstRole string) IssuerArgs {
	is.Kind = cmp.Or(is.Kind, DefaultIssuerKind)
	is.Role = cmp.Or(is.Role, firstRole)
	is.AuthMountPath = cmp.Or(is.AuthMountPath, DefaultAuthMountPath)
	is.ServiceAccount = cmp.Or(is.ServiceAccount, DefaultServiceAccount)
	if is.ServiceAccountNamespace == "" {
		if is.Kind == KindIssuer {
			is.ServiceAccountNamespace = is.Namespace
		} else {
			is.ServiceAccountNamespace = DefaultCertManagerNamespace
		}
	}
	is.TokenTTL = cmp.Or(is.TokenTTL, DefaultTokenTTL)
	return is
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

type issuerResult struct {
	name, path string
}

// newIssuer creates the OpenBao side of cert-manager's login (a policy that
// allows only <intermediate>/sign/<role>, and a Kubernetes-auth role bound to
// one ServiceAccount) and the cert-manager Issuer/ClusterIssuer itself. The
// issuer holds no credential: cert-manager requests a short-lived bound token
// for the ServiceAccount on each login. ITSG-33 AC-6, IA-5; NIS2 Art. 21(2)(i).
func newIssuer(ctx *pulumi.Context, name string, a *PKIArgs, comp *PKI) (issuerResult, error) {
	is := a.Issuer
	parent := pulumi.Parent(comp)
	objName := is.Name
	objName = cmp.Or(objName, kname.Join(name, "openbao"))
	authRole := is.AuthRole
	authRole = cmp.Or(authRole, kname.Join(name, "cert-manager"))
	audience := is.Audience
	if audience == "" {
		// cert-manager always puts this audience into the tokens it requests.
		if is.Kind == KindIssuer {
			audience = "vault://" + is.Namespace + "/" + objName
		} else {
			audience = "vault://" + objName
		}
	}
	signPath := a.Intermediate.Path + "/sign/" + is.Role

	policy, err := vault.NewPolicy(ctx, name+"-issuer-policy", &vault.PolicyArgs{
		Name:   pulumi.String(authRole),
		Policy: pulumi.String(fmt.Sprintf("# cert-manager may sign CSRs on one role, nothing else.\npath %q {\n  capabilities = [\"create\", \"update\"]\n}\n", signPath)),
	}, parent)
	if err != nil {
		return issuerResult{}, fmt.Errorf("policy: %w", err)
	}
	ttl := seconds(is.TokenTTL)
	auth, err := vaultk8s.NewAuthBackendRole(ctx, name+"-issuer-auth", &vaultk8s.AuthBackendRoleArgs{
		Backend:                       pulumi.String(is.AuthMountPath),
		RoleName:                      pulumi.String(authRole),
		BoundServiceAccountNames:      pulumi.StringArray{pulumi.String(is.ServiceAccount)},
		BoundServiceAccountNamespaces: pulumi.StringArray{pulumi.String(is.ServiceAccountNamespace)},
		Audience:                      pulumi.String(audience),
		TokenPolicies:                 pulumi.StringArray{policy.Name},
		TokenNoDefaultPolicy:          pulumi.Bool(true),
		TokenTtl:                      pulumi.Int(ttl),
		TokenMaxTtl:                   pulumi.Int(ttl),
	}, parent)
	if err != nil {
		return issuerResult{}, fmt.Errorf("kubernetes auth role: %w", err)
	}

	saRef := pulumi.Map{"name": pulumi.String(is.ServiceAccount)}
	if is.Audience != "" {
		saRef["audiences"] = pulumi.StringArray{pulumi.String(is.Audience)}
	}
	vaultSpec := pulumi.Map{
		"server": pulumi.String(is.Server),
		"path":   pulumi.String(signPath),
		"auth": pulumi.Map{"kubernetes": pulumi.Map{
			"role":              pulumi.String(authRole),
			"mountPath":         pulumi.String("/v1/auth/" + is.AuthMountPath),
			"serviceAccountRef": saRef,
		}},
	}
	if is.CABundlePEM != "" {
		vaultSpec["caBundle"] = pulumi.String(base64.StdEncoding.EncodeToString([]byte(is.CABundlePEM)))
	}
	meta := &metav1.ObjectMetaArgs{
		Name: pulumi.String(objName),
		Labels: pulumi.ToStringMap(kmeta.Labels(map[string]string{
			"app.kubernetes.io/part-of": kname.Join(name),
		})),
		Annotations: pulumi.StringMap{
			"rampart.dev/openbao-sign-path": pulumi.String(signPath),
			"rampart.dev/token-ttl-seconds": pulumi.String(strconv.Itoa(ttl)),
		},
	}
	if is.Kind == KindIssuer {
		meta.Namespace = pulumi.String(is.Namespace)
	}
	// No provider option: the object inherits the kubernetes entry of the
	// component's provider map (pulumi.Providers in NewPKI's opts).
	opts := []pulumi.ResourceOption{parent, pulumi.DependsOn([]pulumi.Resource{auth})}
	if _, err := apiextensions.NewCustomResource(ctx, name+"-issuer", &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(CertManagerAPIVersion),
		Kind:        pulumi.String(string(is.Kind)),
		Metadata:    meta,
		OtherFields: k8s.UntypedArgs{"spec": pulumi.Map{"vault": vaultSpec}},
	}, opts...); err != nil {
		return issuerResult{}, fmt.Errorf("%s: %w", is.Kind, err)
	}
	return issuerResult{name: objName, path: signPath}, nil
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
