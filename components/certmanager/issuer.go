package certmanager

import (
	"encoding/json"
	"fmt"

	cmacme "github.com/cert-manager/cert-manager/pkg/apis/acme/v1"
	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	k8s "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	gwapi "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/rampart-dev/rampart/helpers/kname"
)

// eabSecretKey is the key of the EAB Secret holding the HMAC key.
const eabSecretKey = "secret"

// VaultIssuerSpec is the sovereign ClusterIssuer's spec, built from
// cert-manager's own API types: sign path, server, CA bundle and
// Kubernetes auth with a bound ServiceAccount token. No tokenSecretRef,
// appRole or secretRef exists in it.
func VaultIssuerSpec(v *VaultIssuerArgs) cmapi.IssuerSpec {
	vi := &cmapi.VaultIssuer{
		Server: v.Server,
		Path:   v.Path,
		Auth: cmapi.VaultAuth{Kubernetes: &cmapi.VaultKubernetesAuth{
			Path:              "/v1/auth/" + v.AuthMountPath,
			Role:              v.Role,
			ServiceAccountRef: &cmapi.ServiceAccountRef{Name: v.ServiceAccount, TokenAudiences: v.Audiences},
		}},
	}
	if v.CABundlePEM != "" {
		vi.CABundle = []byte(v.CABundlePEM) // []byte marshals as base64, as the CRD expects
	}
	return cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{Vault: vi}}
}

// ACMEIssuerSpec is the ACME ClusterIssuer's spec from cert-manager's API
// types; eabSecret names the Secret holding the EAB HMAC key.
func ACMEIssuerSpec(m *ACMEArgs, eabSecret string) cmapi.IssuerSpec {
	ai := &cmacme.ACMEIssuer{
		Server:     m.Server,
		Email:      m.Email,
		PrivateKey: cmmeta.SecretKeySelector{LocalObjectReference: cmmeta.LocalObjectReference{Name: m.AccountKeySecret}},
	}
	if m.EAB != nil {
		ai.ExternalAccountBinding = &cmacme.ACMEExternalAccountBinding{
			KeyID: m.EAB.KeyID,
			Key:   cmmeta.SecretKeySelector{LocalObjectReference: cmmeta.LocalObjectReference{Name: eabSecret}, Key: eabSecretKey},
		}
	}
	if h := m.HTTP01; h != nil {
		// Group and kind spelled out: the CRD defaults them, and a field the
		// server adds would show as drift on every refresh.
		ns, group, kind := gwapi.Namespace(h.GatewayNamespace), gwapi.Group(gwapi.GroupName), gwapi.Kind("Gateway")
		ref := gwapi.ParentReference{Group: &group, Kind: &kind, Name: gwapi.ObjectName(h.GatewayName), Namespace: &ns}
		if h.SectionName != "" {
			sn := gwapi.SectionName(h.SectionName)
			ref.SectionName = &sn
		}
		ai.Solvers = append(ai.Solvers, cmacme.ACMEChallengeSolver{HTTP01: &cmacme.ACMEChallengeSolverHTTP01{
			GatewayHTTPRoute: &cmacme.ACMEChallengeSolverHTTP01GatewayHTTPRoute{ParentRefs: []gwapi.ParentReference{ref}},
		}})
	}
	if d := m.DNS01; d != nil {
		alg := d.TSIGAlgorithm
		if alg == "" {
			alg = "HMACSHA256"
		}
		ai.Solvers = append(ai.Solvers, cmacme.ACMEChallengeSolver{DNS01: &cmacme.ACMEChallengeSolverDNS01{
			RFC2136: &cmacme.ACMEIssuerDNS01ProviderRFC2136{
				Nameserver:    d.Nameserver,
				TSIGKeyName:   d.TSIGKeyName,
				TSIGAlgorithm: alg,
				TSIGSecret:    cmmeta.SecretKeySelector{LocalObjectReference: cmmeta.LocalObjectReference{Name: d.TSIGSecret}, Key: d.TSIGSecretKey},
			},
		}})
	}
	return cmapi.IssuerSpec{IssuerConfig: cmapi.IssuerConfig{ACME: ai}}
}

// specInput marshals a typed spec to the JSON the API server sees and
// turns it into Pulumi inputs, dropping the empty objects the Go types'
// non-pointer structs would otherwise emit (e.g. secretRef: {name: ""}).
func specInput(spec any) (pulumi.Input, error) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	var m any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	v, _ := prune(m)
	return toInput(v), nil
}

// prune removes empty strings, nulls, empty maps and empty lists; it
// reports whether v itself is empty.
func prune(v any) (any, bool) {
	switch t := v.(type) {
	case nil:
		return nil, true
	case string:
		return t, t == ""
	case map[string]any:
		for k, e := range t {
			pv, empty := prune(e)
			if empty {
				delete(t, k)
			} else {
				t[k] = pv
			}
		}
		return t, len(t) == 0
	case []any:
		var out []any
		for _, e := range t {
			if pv, empty := prune(e); !empty {
				out = append(out, pv)
			}
		}
		return out, len(out) == 0
	}
	return v, false
}

func toInput(v any) pulumi.Input {
	switch t := v.(type) {
	case map[string]any:
		m := pulumi.Map{}
		for k, e := range t {
			m[k] = toInput(e)
		}
		return m
	case []any:
		a := pulumi.Array{}
		for _, e := range t {
			a = append(a, toInput(e))
		}
		return a
	case string:
		return pulumi.String(t)
	case bool:
		return pulumi.Bool(t)
	case float64:
		return pulumi.Float64(t)
	}
	return pulumi.Any(v)
}

func (c *CertManager) clusterIssuer(ctx *pulumi.Context, res, objName string, spec cmapi.IssuerSpec, deps []pulumi.Resource) (*apiextensions.CustomResource, error) {
	in, err := specInput(spec)
	if err != nil {
		return nil, fmt.Errorf("marshal %s spec: %w", objName, err)
	}
	return apiextensions.NewCustomResource(ctx, res, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(cmapi.SchemeGroupVersion.String()),
		Kind:        pulumi.String(cmapi.ClusterIssuerKind),
		Metadata:    c.objMeta(objName, ""),
		OtherFields: k8s.UntypedArgs{"spec": in},
	}, pulumi.Parent(c), pulumi.DependsOn(deps))
}

// tokenRequester creates the ServiceAccount an OpenBao issuer names in
// serviceAccountRef and the Role/RoleBinding that lets cert-manager's
// controller (and nobody else) create tokens for that one ServiceAccount
// (cert-manager docs, "Authenticating with Vault using a bound service
// account token"). ITSG-33 AC-6, IA-5.
func (c *CertManager) tokenRequester(ctx *pulumi.Context, name string, sa ServiceAccountRef, controllerSA, controllerNS string, deps []pulumi.Resource) ([]pulumi.Resource, error) {
	parent := pulumi.Parent(c)
	acct, err := corev1.NewServiceAccount(ctx, name+"-issuer-sa", &corev1.ServiceAccountArgs{
		Metadata: c.objMeta(sa.Name, sa.Namespace),
		// Its tokens are minted on request for cert-manager, never mounted.
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, parent, pulumi.DependsOn(deps))
	if err != nil {
		return nil, fmt.Errorf("issuer ServiceAccount: %w", err)
	}
	roleName := kname.Join(sa.Name, "tokenrequest")
	role, err := rbacv1.NewRole(ctx, name+"-issuer-role", &rbacv1.RoleArgs{
		Metadata: c.objMeta(roleName, sa.Namespace),
		Rules: rbacv1.PolicyRuleArray{rbacv1.PolicyRuleArgs{
			ApiGroups:     pulumi.StringArray{pulumi.String("")},
			Resources:     pulumi.StringArray{pulumi.String("serviceaccounts/token")},
			ResourceNames: pulumi.StringArray{pulumi.String(sa.Name)},
			Verbs:         pulumi.StringArray{pulumi.String("create")},
		}},
	}, parent, pulumi.DependsOn(deps))
	if err != nil {
		return nil, fmt.Errorf("issuer Role: %w", err)
	}
	rb, err := rbacv1.NewRoleBinding(ctx, name+"-issuer-rolebinding", &rbacv1.RoleBindingArgs{
		Metadata: c.objMeta(roleName, sa.Namespace),
		RoleRef:  rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: pulumi.String(roleName)},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{
			Kind: pulumi.String("ServiceAccount"), Name: pulumi.String(controllerSA), Namespace: pulumi.String(controllerNS),
		}},
	}, parent, pulumi.DependsOn([]pulumi.Resource{role}))
	if err != nil {
		return nil, fmt.Errorf("issuer RoleBinding: %w", err)
	}
	return []pulumi.Resource{acct, role, rb}, nil
}

// eabSecret stores the EAB HMAC key in the cert-manager namespace (where
// cert-manager reads a ClusterIssuer's secrets).
func (c *CertManager) eabSecret(ctx *pulumi.Context, name, objName, ns string, key pulumi.StringOutput, deps []pulumi.Resource) (*corev1.Secret, error) {
	return corev1.NewSecret(ctx, name+"-acme-eab", &corev1.SecretArgs{
		Metadata:   c.objMeta(objName, ns),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{eabSecretKey: pulumi.ToSecret(key).(pulumi.StringOutput)},
	}, pulumi.Parent(c), pulumi.DependsOn(deps), pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))
}
