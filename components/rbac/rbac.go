// Package rbac renders the platform's Kubernetes RBAC (issue 21): one
// ClusterRole per role of helpers/identity with least verbs and named
// resources (viewer, devops, tenant-admin, platform-admin), a RoleBinding
// per tenant role in each tenant namespace to the tenant's OIDC group, a
// ClusterRoleBinding of platform-admin (never cluster-admin) to the
// platform admins' group, and cluster-admin only as a typed, justified
// break-glass binding. Nothing is bound to a system: group. NIS2 Art.
// 21(2)(i); ITSG-33 AC-2, AC-6; ISM-1508.
package rbac

import (
	"errors"
	"fmt"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/identity"
	"github.com/rampart-dev/rampart/helpers/kmeta"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:rbac:RBAC"

// ClusterAdmin is the API server's superuser ClusterRole, bound only by
// the break-glass binding.
const ClusterAdmin = "cluster-admin"

// Annotations on the break-glass ClusterRoleBinding: the exception's
// record, readable on the live object.
const (
	AnnotationJustification = "rampart.dev/break-glass-justification"
	AnnotationApprovedBy    = "rampart.dev/break-glass-approved-by"
	AnnotationControl       = "rampart.dev/break-glass-control"
)

// LabelRole names the identity role an object serves.
const LabelRole = "rampart.dev/role"

// RBAC is the platform's roles and bindings.
type RBAC struct {
	pulumi.ResourceState
	// GroupsPrefix is the groups prefix the bindings' subjects carry.
	GroupsPrefix pulumi.StringOutput `pulumi:"groupsPrefix"`
	// Roles are the ClusterRoles' names by role (viewer, devops,
	// tenant-admin, platform-admin).
	Roles pulumi.StringMapOutput `pulumi:"roles"`
	// TenantBindings are each tenant's RoleBindings: tenant → role →
	// {name, group} (the binding's name in the tenant namespace and the
	// group it binds).
	TenantBindings pulumi.MapOutput `pulumi:"tenantBindings"`
	// PlatformAdminBinding is the platform-admin ClusterRoleBinding's name.
	PlatformAdminBinding pulumi.StringOutput `pulumi:"platformAdminBinding"`
	// BreakGlass is the break-glass binding's record {binding, group,
	// justification, approvedBy, control, owner, ticket, expires}; empty
	// when there is none.
	BreakGlass pulumi.StringMapOutput `pulumi:"breakGlass"`
}

// NewRBAC registers the roles and bindings.
func NewRBAC(ctx *pulumi.Context, name string, args *RBACArgs, opts ...pulumi.ResourceOption) (*RBAC, error) {
	if args == nil {
		return nil, errors.New("rbac: args are required")
	}
	a := args.withDefaults()
	if err := a.Validate(""); err != nil {
		return nil, fmt.Errorf("rbac %q: %w", name, err)
	}
	comp := &RBAC{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("rbac %q: register: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	n := ObjectNames(a.NamePrefix)
	roles := map[identity.Role]*rbacv1.ClusterRole{}
	for _, r := range identity.Roles() {
		cr, err := rbacv1.NewClusterRole(ctx, name+"-"+string(r), &rbacv1.ClusterRoleArgs{
			Metadata: meta(n.Roles[r], "", r, nil),
			Rules:    policyRules(Rules(r)),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("rbac %q: ClusterRole %s: %w", name, n.Roles[r], err)
		}
		roles[r] = cr
	}
	tenantBindings := pulumi.Map{}
	for _, t := range a.Tenants {
		bindings := pulumi.Map{}
		for _, r := range identity.TenantRoles() {
			group := a.Group(identity.TenantGroup(t, r))
			if _, err := rbacv1.NewRoleBinding(ctx, name+"-"+t+"-"+string(r), &rbacv1.RoleBindingArgs{
				Metadata: meta(n.TenantBinding[r], t, r, nil),
				RoleRef:  roleRef(n.Roles[r]),
				Subjects: groupSubject(group),
			}, parent, pulumi.DependsOn([]pulumi.Resource{roles[r]})); err != nil {
				return nil, fmt.Errorf("rbac %q: RoleBinding %s/%s: %w", name, t, n.TenantBinding[r], err)
			}
			bindings[string(r)] = pulumi.ToStringMap(map[string]string{"name": n.TenantBinding[r], "group": group})
		}
		tenantBindings[t] = bindings
	}
	pa := identity.PlatformAdmin
	if _, err := rbacv1.NewClusterRoleBinding(ctx, name+"-"+string(pa), &rbacv1.ClusterRoleBindingArgs{
		Metadata: meta(n.PlatformAdminBinding, "", pa, nil),
		RoleRef:  roleRef(n.Roles[pa]),
		Subjects: groupSubject(a.Group(pa.Group())),
	}, parent, pulumi.DependsOn([]pulumi.Resource{roles[pa]})); err != nil {
		return nil, fmt.Errorf("rbac %q: ClusterRoleBinding %s: %w", name, n.PlatformAdminBinding, err)
	}
	breakGlass := map[string]string{}
	if b := a.BreakGlass; b != nil {
		group := a.Group(b.Group)
		// The record travels with the object: whoever reads the live
		// binding sees why it exists and who approved it.
		record := map[string]string{AnnotationJustification: b.Justification, AnnotationApprovedBy: b.ApprovedBy, AnnotationControl: b.Control}
		if _, err := rbacv1.NewClusterRoleBinding(ctx, name+"-break-glass", &rbacv1.ClusterRoleBindingArgs{
			Metadata: meta(n.BreakGlassBinding, "", "break-glass", record),
			RoleRef:  roleRef(ClusterAdmin),
			Subjects: groupSubject(group),
		}, parent); err != nil {
			return nil, fmt.Errorf("rbac %q: ClusterRoleBinding %s: %w", name, n.BreakGlassBinding, err)
		}
		breakGlass = map[string]string{"binding": n.BreakGlassBinding, "group": group, "justification": b.Justification,
			"approvedBy": b.ApprovedBy, "control": b.Control, "owner": b.Owner, "ticket": b.Ticket, "expires": b.Expires}
	}
	roleNames := map[string]string{}
	for r, v := range n.Roles {
		roleNames[string(r)] = v
	}
	comp.GroupsPrefix = pulumi.String(a.GroupsPrefix).ToStringOutput()
	comp.Roles = pulumi.ToStringMap(roleNames).ToStringMapOutput()
	comp.TenantBindings = tenantBindings.ToMapOutput()
	comp.PlatformAdminBinding = pulumi.String(n.PlatformAdminBinding).ToStringOutput()
	comp.BreakGlass = pulumi.ToStringMap(breakGlass).ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"groupsPrefix": comp.GroupsPrefix, "roles": comp.Roles, "tenantBindings": comp.TenantBindings,
		"platformAdminBinding": comp.PlatformAdminBinding, "breakGlass": comp.BreakGlass,
	}); err != nil {
		return nil, fmt.Errorf("rbac %q: register outputs: %w", name, err)
	}
	return comp, nil
}

// meta is an object's metadata: Rampart's managed-by label, the role it
// serves, the managed annotations and extra annotations.
func meta[R ~string](name, namespace string, role R, extra map[string]string) *metav1.ObjectMetaArgs {
	m := kmeta.Meta(name, nil)
	m.Labels = pulumi.ToStringMap(kmeta.Labels(map[string]string{"app.kubernetes.io/component": "rbac", LabelRole: string(role)}))
	ann := hardening.ManagedAnnotations()
	for k, v := range extra {
		ann[k] = v
	}
	m.Annotations = pulumi.ToStringMap(ann)
	if namespace != "" {
		m.Namespace = pulumi.String(namespace)
	}
	return m
}

func roleRef(clusterRole string) rbacv1.RoleRefArgs {
	return rbacv1.RoleRefArgs{ApiGroup: pulumi.String(rbacAPI), Kind: pulumi.String("ClusterRole"), Name: pulumi.String(clusterRole)}
}

func groupSubject(group string) rbacv1.SubjectArray {
	return rbacv1.SubjectArray{rbacv1.SubjectArgs{Kind: pulumi.String("Group"), Name: pulumi.String(group), ApiGroup: pulumi.String(rbacAPI)}}
}

func policyRules(rules []Rule) rbacv1.PolicyRuleArray {
	out := make(rbacv1.PolicyRuleArray, 0, len(rules))
	for _, r := range rules {
		out = append(out, rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray(r.APIGroups),
			Resources: pulumi.ToStringArray(r.Resources),
			Verbs:     pulumi.ToStringArray(r.Verbs),
		})
	}
	return out
}
