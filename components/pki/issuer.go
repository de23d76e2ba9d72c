package pki

import (
	"encoding/base64"
	"fmt"
	"strconv"

	k8s "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	vault "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	vaultk8s "github.com/pulumi/pulumi-vault/sdk/v6/go/vault/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/kname"
)

// CertManagerAPIVersion is the cert-manager API the issuer object uses.
const CertManagerAPIVersion = "cert-manager.io/v1"

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
	if objName == "" {
		objName = kname.Join(name, "openbao")
	}
	authRole := is.AuthRole
	if authRole == "" {
		authRole = kname.Join(name, "cert-manager")
	}
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
		Labels: pulumi.StringMap{
			"app.kubernetes.io/managed-by": pulumi.String("rampart"),
			"app.kubernetes.io/part-of":    pulumi.String(kname.Join(name)),
		},
		Annotations: pulumi.StringMap{
			"rampart.dev/openbao-sign-path": pulumi.String(signPath),
			"rampart.dev/token-ttl-seconds": pulumi.String(strconv.Itoa(ttl)),
		},
	}
	if is.Kind == KindIssuer {
		meta.Namespace = pulumi.String(is.Namespace)
	}
	opts := []pulumi.ResourceOption{parent, pulumi.DependsOn([]pulumi.Resource{auth})}
	if is.KubernetesProvider != nil {
		opts = append(opts, pulumi.Provider(is.KubernetesProvider))
	}
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
