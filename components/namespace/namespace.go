// Package namespace provides the hardened Namespace component: Pod Security
// labels (restricted unless a typed Exemption says otherwise), a
// ResourceQuota, a LimitRange, and a default ServiceAccount that does not
// mount API tokens.
package namespace

import (
	"errors"
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/kmeta"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:namespace:Namespace"

// Label keys of the Pod Security admission controller.
const (
	LabelEnforce        = "pod-security.kubernetes.io/enforce"
	LabelEnforceVersion = "pod-security.kubernetes.io/enforce-version"
	LabelAudit          = "pod-security.kubernetes.io/audit"
	LabelAuditVersion   = "pod-security.kubernetes.io/audit-version"
	LabelWarn           = "pod-security.kubernetes.io/warn"
	LabelWarnVersion    = "pod-security.kubernetes.io/warn-version"
	// LabelManagedBy marks every object Rampart owns.
	LabelManagedBy = kmeta.LabelManagedBy
)

// Namespace is a hardened namespace.
type Namespace struct {
	pulumi.ResourceState

	// Name is the namespace name, resolved once the API server has it.
	Name pulumi.StringOutput `pulumi:"name"`
	// Enforce is the enforced Pod Security level.
	Enforce pulumi.StringOutput `pulumi:"enforce"`
}

// Labels returns the namespace labels for args: the caller's, Rampart's
// managed-by, and the six pod-security labels. Audit and warn are always
// restricted so that an exempted namespace still reports every deviation.
func Labels(args *NamespaceArgs) map[string]string {
	a := args.withDefaults()
	l := map[string]string{}
	for k, v := range a.Labels {
		l[k] = v
	}
	l[LabelManagedBy] = kmeta.ManagedBy
	l[LabelEnforce] = string(a.EnforceLevel())
	l[LabelEnforceVersion] = a.PSSVersion
	l[LabelAudit] = string(PSSRestricted)
	l[LabelAuditVersion] = a.PSSVersion
	l[LabelWarn] = string(PSSRestricted)
	l[LabelWarnVersion] = a.PSSVersion
	return l
}

// NewNamespace registers the namespace and its guard rails.
func NewNamespace(ctx *pulumi.Context, name string, args *NamespaceArgs, opts ...pulumi.ResourceOption) (*Namespace, error) {
	if args == nil {
		return nil, errors.New("namespace: args are required")
	}
	a := args.withDefaults()
	if err := a.Validate("namespace " + name); err != nil {
		return nil, err
	}
	comp := &Namespace{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("namespace %q: register: %w", name, err)
	}
	parent := pulumi.Parent(comp)

	ns, err := corev1.NewNamespace(ctx, name+"-ns", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(a.Name), Labels: pulumi.ToStringMap(Labels(a)),
			Annotations: pulumi.ToStringMap(hardening.ManagedAnnotations())},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("namespace %q: create namespace: %w", name, err)
	}
	nsName := ns.Metadata.Name().Elem()
	meta := func(obj string) *metav1.ObjectMetaArgs { return kmeta.Meta(obj, nsName) }
	q := a.Quota
	if _, err := corev1.NewResourceQuota(ctx, name+"-quota", &corev1.ResourceQuotaArgs{
		Metadata: meta("rampart-quota"),
		Spec: &corev1.ResourceQuotaSpecArgs{Hard: pulumi.StringMap{
			"requests.cpu":    pulumi.String(q.RequestsCPU),
			"requests.memory": pulumi.String(q.RequestsMemory),
			"limits.cpu":      pulumi.String(q.LimitsCPU),
			"limits.memory":   pulumi.String(q.LimitsMemory),
			"pods":            pulumi.String(fmt.Sprint(*q.Pods)),
		}},
	}, parent); err != nil {
		return nil, fmt.Errorf("namespace %q: create resource quota: %w", name, err)
	}
	// Containers that set no requests/limits get the sovereign-cloud hardening guide's sizes, so the
	// quota above never rejects a pod merely for omitting them.
	d := hardening.DefaultResources
	if _, err := corev1.NewLimitRange(ctx, name+"-limits", &corev1.LimitRangeArgs{
		Metadata: meta("rampart-limits"),
		Spec: &corev1.LimitRangeSpecArgs{Limits: corev1.LimitRangeItemArray{corev1.LimitRangeItemArgs{
			Type:           pulumi.String("Container"),
			DefaultRequest: pulumi.StringMap{"cpu": pulumi.String(d.CPURequest), "memory": pulumi.String(d.MemoryRequest)},
			Default:        pulumi.StringMap{"cpu": pulumi.String(d.CPULimit), "memory": pulumi.String(d.MemoryLimit)},
		}}},
	}, parent); err != nil {
		return nil, fmt.Errorf("namespace %q: create limit range: %w", name, err)
	}
	// The default ServiceAccount must not hand every pod an API token
	// (CIS 5.1.5/5.1.6). Server-side apply adopts the account the controller
	// manager creates instead of failing on "already exists". It is retained
	// on delete: the controller manager recreates "default" at once, so a
	// delete would never finish; the namespace's deletion removes it.
	if _, err := corev1.NewServiceAccount(ctx, name+"-default-sa", &corev1.ServiceAccountArgs{
		Metadata:                     meta("default"),
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, parent, pulumi.RetainOnDelete(true)); err != nil {
		return nil, fmt.Errorf("namespace %q: configure default service account: %w", name, err)
	}

	comp.Name = nsName
	comp.Enforce = pulumi.String(string(a.EnforceLevel())).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"name": comp.Name, "enforce": comp.Enforce}); err != nil {
		return nil, fmt.Errorf("namespace %q: register outputs: %w", name, err)
	}
	return comp, nil
}
