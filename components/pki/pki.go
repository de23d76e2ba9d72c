// Package pki builds Rampart's sovereign two-tier PKI in OpenBao with the
// pulumi-vault SDK (OpenBao speaks the Vault API): a root CA whose key is
// generated inside OpenBao and never leaves it, an issuing intermediate
// signed by it, workload roles, revocation (CRL + OCSP) and a cert-manager
// issuer on the intermediate. No US-controlled CA is involved anywhere.
// NIS2 Art. 21(2)(h); ITSG-33 SC-12, SC-13, SC-17; ISM cryptographic controls.
package pki

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	vault "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	"github.com/pulumi/pulumi-vault/sdk/v6/go/vault/pkisecret"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:pki:PKI"

// PKI is the component: its outputs are what other components and relying
// parties need (trust anchors and the issuer to reference).
type PKI struct {
	pulumi.ResourceState

	// RootCertificate is the root CA certificate (PEM), the trust anchor to
	// distribute. Its private key never leaves OpenBao.
	RootCertificate pulumi.StringOutput `pulumi:"rootCertificate"`
	// IntermediateCertificate is the issuing CA certificate (PEM).
	IntermediateCertificate pulumi.StringOutput `pulumi:"intermediateCertificate"`
	// CAChain is intermediate then root (PEM), for bundles and TLS clients.
	CAChain pulumi.StringOutput `pulumi:"caChain"`
	// RootMountPath is the root CA's mount, e.g. "pki".
	RootMountPath pulumi.StringOutput `pulumi:"rootMountPath"`
	// IntermediateMountPath is the issuing CA's mount, e.g. "pki_int".
	IntermediateMountPath pulumi.StringOutput `pulumi:"intermediateMountPath"`
	// IssuerPath is "<intermediate>/sign/<role>", the path cert-manager signs on.
	IssuerPath pulumi.StringOutput `pulumi:"issuerPath"`
	// IssuerName is the cert-manager Issuer/ClusterIssuer name ("" without an issuer).
	IssuerName pulumi.StringOutput `pulumi:"issuerName"`
	// IssuerKind is "ClusterIssuer" or "Issuer" ("" without an issuer).
	IssuerKind pulumi.StringOutput `pulumi:"issuerKind"`
	// SignPaths maps each role name to its "<intermediate>/sign/<role>" path.
	SignPaths pulumi.StringMapOutput `pulumi:"signPaths"`
}

// NewPKI creates the PKI. Pass both providers in opts as
// pulumi.Providers(vaultProvider, kubernetesProvider): the component's
// provider map then holds one entry per package, and every child (created
// with pulumi.Parent) inherits the one of its own package, so the OpenBao
// resources go to vault and the issuer object to kubernetes. pulumi.Provider
// alone would map a single package and leave the issuer on the default
// kubernetes provider. Without an issuer the kubernetes provider may be omitted.
func NewPKI(ctx *pulumi.Context, name string, args *PKIArgs, opts ...pulumi.ResourceOption) (*PKI, error) {
	if args == nil {
		return nil, errors.New("pki " + strconv.Quote(name) + ": args are required")
	}
	a := args.withDefaults()
	// Relative paths ("root.maxLeaseTTL"): the component does not know where
	// its args came from; the config layer validates with its own key first.
	if err := a.Validate(""); err != nil {
		return nil, fmt.Errorf("pki %q: invalid args:\n%w", name, err)
	}

	comp := &PKI{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("pki %q: register component: %w", name, err)
	}
	parent := pulumi.Parent(comp)

	// Stateful: the root CA key exists only inside OpenBao (type internal) and
	// cannot be recreated; losing the mounts or the root means re-issuing
	// every certificate and re-distributing the trust anchor. Protect blocks
	// an accidental replace/destroy, RetainOnDelete keeps the CA if the
	// resource is ever dropped from the program.
	keep := []pulumi.ResourceOption{parent}
	if !a.AllowDestroy {
		keep = append(keep, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}

	rootMount, err := vault.NewMount(ctx, name+"-root-mount", &vault.MountArgs{
		Path:               pulumi.String(a.Root.Path),
		Type:               pulumi.String("pki"),
		Description:        pulumi.String("Rampart root CA (managed by Pulumi)"),
		MaxLeaseTtlSeconds: pulumi.Int(seconds(a.Root.MaxLeaseTTL)),
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("pki %q: root mount: %w", name, err)
	}
	// URLs before the root exists: every certificate the root signs (the
	// intermediate) must carry the root's AIA/CRL/OCSP addresses.
	rootURLs, err := configURLs(ctx, name+"-root-urls", rootMount.Path, a.OpenBaoURL, a.Root.Path, parent)
	if err != nil {
		return nil, fmt.Errorf("pki %q: root URLs: %w", name, err)
	}
	rootCA, err := pkisecret.NewSecretBackendRootCert(ctx, name+"-root-ca", &pkisecret.SecretBackendRootCertArgs{
		Backend: rootMount.Path,
		// internal: OpenBao generates the key and never returns it, so it
		// never enters Pulumi state. ITSG-33 SC-12.
		Type:                pulumi.String("internal"),
		CommonName:          pulumi.String(a.Root.CommonName),
		IssuerName:          pulumi.String(a.Root.IssuerName),
		KeyName:             pulumi.String(a.Root.IssuerName + "-key"),
		Ttl:                 pulumi.String(strconv.Itoa(seconds(a.Root.MaxLeaseTTL))),
		KeyType:             pulumi.String(string(a.Root.KeyType)),
		KeyBits:             keyBits(a.Root.KeyBits),
		Organization:        optString(a.Organization),
		Country:             optString(a.Country),
		Format:              pulumi.String("pem"),
		ExcludeCnFromSans:   pulumi.Bool(true),
		MaxPathLength:       pulumi.Int(1), // root → intermediate → leaf, nothing deeper
		PermittedDnsDomains: pulumi.ToStringArray(a.Root.PermittedDNSDomains),
	}, append(keep, pulumi.DependsOn([]pulumi.Resource{rootURLs}))...)
	if err != nil {
		return nil, fmt.Errorf("pki %q: root CA: %w", name, err)
	}
	if _, err := crlConfig(ctx, name+"-root-crl", rootMount.Path, a.CRL, parent); err != nil {
		return nil, fmt.Errorf("pki %q: root CRL: %w", name, err)
	}

	intMount, err := vault.NewMount(ctx, name+"-int-mount", &vault.MountArgs{
		Path:               pulumi.String(a.Intermediate.Path),
		Type:               pulumi.String("pki"),
		Description:        pulumi.String("Rampart issuing CA (managed by Pulumi)"),
		MaxLeaseTtlSeconds: pulumi.Int(seconds(a.Intermediate.MaxLeaseTTL)),
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("pki %q: intermediate mount: %w", name, err)
	}
	// URLs before any leaf is issued: every workload certificate carries the
	// intermediate's AIA/CRL/OCSP addresses.
	intURLs, err := configURLs(ctx, name+"-int-urls", intMount.Path, a.OpenBaoURL, a.Intermediate.Path, parent)
	if err != nil {
		return nil, fmt.Errorf("pki %q: intermediate URLs: %w", name, err)
	}
	intCRL, err := crlConfig(ctx, name+"-int-crl", intMount.Path, a.CRL, parent)
	if err != nil {
		return nil, fmt.Errorf("pki %q: intermediate CRL: %w", name, err)
	}
	// The issuing key is generated inside the intermediate mount (internal)
	// and never leaves it; only the CSR travels. Same stateful protection.
	csr, err := pkisecret.NewSecretBackendIntermediateCertRequest(ctx, name+"-int-csr", &pkisecret.SecretBackendIntermediateCertRequestArgs{
		Backend:      intMount.Path,
		Type:         pulumi.String("internal"),
		CommonName:   pulumi.String(a.Intermediate.CommonName),
		KeyName:      pulumi.String(a.Intermediate.IssuerName + "-key"),
		KeyType:      pulumi.String(string(a.Intermediate.KeyType)),
		KeyBits:      keyBits(a.Intermediate.KeyBits),
		Organization: optString(a.Organization),
		Country:      optString(a.Country),
		Format:       pulumi.String("pem"),
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("pki %q: intermediate CSR: %w", name, err)
	}
	signed, err := pkisecret.NewSecretBackendRootSignIntermediate(ctx, name+"-int-sign", &pkisecret.SecretBackendRootSignIntermediateArgs{
		Backend:             rootMount.Path,
		IssuerRef:           pulumi.String(a.Root.IssuerName),
		Csr:                 csr.Csr,
		CommonName:          pulumi.String(a.Intermediate.CommonName),
		Organization:        optString(a.Organization),
		Country:             optString(a.Country),
		Ttl:                 pulumi.String(strconv.Itoa(seconds(a.Intermediate.MaxLeaseTTL))),
		Format:              pulumi.String("pem"),
		ExcludeCnFromSans:   pulumi.Bool(true),
		MaxPathLength:       pulumi.Int(0), // the intermediate signs leaves only
		PermittedDnsDomains: pulumi.ToStringArray(a.Intermediate.PermittedDNSDomains),
	}, parent, pulumi.DependsOn([]pulumi.Resource{rootCA, rootURLs}))
	if err != nil {
		return nil, fmt.Errorf("pki %q: sign intermediate: %w", name, err)
	}
	// Import the intermediate with its issuer (the root) so OpenBao returns
	// the full chain with every leaf.
	setSigned, err := pkisecret.NewSecretBackendIntermediateSetSigned(ctx, name+"-int-signed", &pkisecret.SecretBackendIntermediateSetSignedArgs{
		Backend:     intMount.Path,
		Certificate: pulumi.Sprintf("%s\n%s", signed.Certificate, signed.IssuingCa),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("pki %q: set signed intermediate: %w", name, err)
	}

	signPaths := pulumi.StringMap{}
	for _, r := range a.Roles {
		if _, err := newRole(ctx, name+"-role-"+r.Name, intMount.Path, r,
			parent, pulumi.DependsOn([]pulumi.Resource{setSigned, intURLs, intCRL})); err != nil {
			return nil, fmt.Errorf("pki %q: role %q: %w", name, r.Name, err)
		}
		signPaths[r.Name] = pulumi.String(a.Intermediate.Path + "/sign/" + r.Name)
	}

	comp.RootCertificate = rootCA.Certificate
	comp.IntermediateCertificate = signed.Certificate
	comp.CAChain = pulumi.Sprintf("%s\n%s", signed.Certificate, rootCA.Certificate)
	comp.RootMountPath = rootMount.Path
	comp.IntermediateMountPath = intMount.Path
	comp.SignPaths = signPaths.ToStringMapOutput()
	comp.IssuerPath = pulumi.String(a.Intermediate.Path + "/sign/" + a.Roles[0].Name).ToStringOutput()
	comp.IssuerName = pulumi.String("").ToStringOutput()
	comp.IssuerKind = pulumi.String("").ToStringOutput()
	if a.Issuer != nil {
		iss, err := newIssuer(ctx, name, a, comp)
		if err != nil {
			return nil, fmt.Errorf("pki %q: issuer: %w", name, err)
		}
		comp.IssuerPath = pulumi.String(iss.path).ToStringOutput()
		comp.IssuerName = pulumi.String(iss.name).ToStringOutput()
		comp.IssuerKind = pulumi.String(string(a.Issuer.Kind)).ToStringOutput()
	}

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"rootCertificate":         comp.RootCertificate,
		"intermediateCertificate": comp.IntermediateCertificate,
		"caChain":                 comp.CAChain,
		"rootMountPath":           comp.RootMountPath,
		"intermediateMountPath":   comp.IntermediateMountPath,
		"issuerPath":              comp.IssuerPath,
		"issuerName":              comp.IssuerName,
		"issuerKind":              comp.IssuerKind,
		"signPaths":               comp.SignPaths,
	}); err != nil {
		return nil, fmt.Errorf("pki %q: register outputs: %w", name, err)
	}
	return comp, nil
}

// seconds converts an already validated duration string.
func seconds(s string) int {
	d, _ := time.ParseDuration(s)
	return int(d / time.Second)
}

func keyBits(b int) pulumi.IntPtrInput {
	if b == 0 {
		return nil
	}
	return pulumi.Int(b)
}

func optString(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
