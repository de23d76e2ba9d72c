// Package auditor gives Rampart's own checkers least privilege (issue 19):
// a read-only auditor for the live inventory and for refreshing the stack's
// declared objects (rampart check --refresh/--live, rampart drift), and a
// verifier for rampart verify's probes, held to labelled probe objects by a
// ValidatingAdmissionPolicy because RBAC cannot limit a create by label.
// Neither can read a Secret. ITSG-33 AC-6; NIS2 Art. 21(2)(i).
package auditor

import (
	"errors"
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/kmeta"
	"github.com/rampart-dev/rampart/helpers/kname"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:auditor:Checkers"

// Checkers are the checker identities and their roles.
type Checkers struct {
	pulumi.ResourceState

	// AuditorRoles are the auditor's ClusterRoles: the cluster-wide one and
	// the one bound in each managed namespace.
	AuditorRoles pulumi.StringArrayOutput `pulumi:"auditorRoles"`
	// AuditorSubjects are the RBAC subjects holding the auditor roles
	// ({kind, name, namespace?, apiGroup?}).
	AuditorSubjects pulumi.ArrayOutput `pulumi:"auditorSubjects"`
	// VerifierRoles are the verifier's ClusterRoles.
	VerifierRoles pulumi.StringArrayOutput `pulumi:"verifierRoles"`
	// VerifierSubjects hold the verifier roles; rampart verify binds
	// VerifierProbeRole to exactly these in its throwaway namespace.
	VerifierSubjects pulumi.ArrayOutput `pulumi:"verifierSubjects"`
	// VerifierProbeRole is the ClusterRole rampart verify binds in its
	// throwaway namespace (a RoleBinding labelled rampart.dev/probe=verify).
	VerifierProbeRole pulumi.StringOutput `pulumi:"verifierProbeRole"`
	// Policy is the verifier's ValidatingAdmissionPolicy.
	Policy pulumi.StringOutput `pulumi:"policy"`
}

// NewCheckers registers the auditor and verifier identities, roles,
// bindings and the verifier's admission policy.
func NewCheckers(ctx *pulumi.Context, name string, args *CheckersArgs, opts ...pulumi.ResourceOption) (*Checkers, error) {
	if args == nil {
		return nil, errors.New("checkers: args are required")
	}
	a := args.withDefaults()
	if err := a.Validate(""); err != nil {
		return nil, fmt.Errorf("checkers %q: %w", name, err)
	}
	comp := &Checkers{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("checkers %q: register: %w", name, err)
	}
	b := &builder{ctx: ctx, name: name, args: a, names: ObjectNames(a.Namespace), parent: pulumi.Parent(comp)}
	auditors, err := b.holders("auditor", AuditorServiceAccount, a.Auditor)
	if err != nil {
		return nil, fmt.Errorf("checkers %q: %w", name, err)
	}
	if err := b.auditor(auditors); err != nil {
		return nil, fmt.Errorf("checkers %q: auditor: %w", name, err)
	}
	verifiers, err := b.holders("verifier", VerifierServiceAccount, a.Verifier)
	if err != nil {
		return nil, fmt.Errorf("checkers %q: %w", name, err)
	}
	if err := b.verifier(verifiers); err != nil {
		return nil, fmt.Errorf("checkers %q: verifier: %w", name, err)
	}

	n := b.names
	comp.AuditorRoles = pulumi.ToStringArray([]string{n.AuditorClusterRole, n.AuditorNamespacedRole}).ToStringArrayOutput()
	comp.AuditorSubjects = subjectValues(auditors).ToArrayOutput()
	comp.VerifierRoles = pulumi.ToStringArray([]string{n.VerifierClusterRole, n.VerifierProbeRole}).ToStringArrayOutput()
	comp.VerifierSubjects = subjectValues(verifiers).ToArrayOutput()
	comp.VerifierProbeRole = pulumi.String(n.VerifierProbeRole).ToStringOutput()
	comp.Policy = pulumi.String(n.Policy).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"auditorRoles": comp.AuditorRoles, "auditorSubjects": comp.AuditorSubjects,
		"verifierRoles": comp.VerifierRoles, "verifierSubjects": comp.VerifierSubjects,
		"verifierProbeRole": comp.VerifierProbeRole, "policy": comp.Policy,
	}); err != nil {
		return nil, fmt.Errorf("checkers %q: register outputs: %w", name, err)
	}
	return comp, nil
}

// builder renders the children of one Checkers.
type builder struct {
	ctx    *pulumi.Context
	name   string
	args   *CheckersArgs
	names  Names
	parent pulumi.ResourceOption
}

// meta is an object's metadata: Rampart's managed-by label and the
// patch-force annotation every Rampart object carries.
func meta(name, namespace string) *metav1.ObjectMetaArgs {
	m := &metav1.ObjectMetaArgs{
		Name:        pulumi.String(name),
		Labels:      pulumi.ToStringMap(kmeta.Labels(map[string]string{"app.kubernetes.io/component": "checkers"})),
		Annotations: pulumi.ToStringMap(hardening.ManagedAnnotations()),
	}
	if namespace != "" {
		m.Namespace = pulumi.String(namespace)
	}
	return m
}

// holders creates the role's own ServiceAccount (unless turned off) and
// returns every subject holding the role.
func (b *builder) holders(role, saName string, id IdentityArgs) ([]Subject, error) {
	var out []Subject
	if Enabled(id.ServiceAccount) {
		// Never mounted: its tokens are minted on request (kubectl create
		// token --duration) for the run that needs them.
		if _, err := corev1.NewServiceAccount(b.ctx, b.name+"-"+role+"-sa", &corev1.ServiceAccountArgs{
			Metadata:                     meta(saName, b.args.Namespace),
			AutomountServiceAccountToken: pulumi.Bool(false),
		}, b.parent); err != nil {
			return nil, fmt.Errorf("%s ServiceAccount: %w", role, err)
		}
		out = append(out, Subject{Kind: SubjectServiceAccount, Name: saName, Namespace: b.args.Namespace})
	}
	return append(out, id.Subjects...), nil
}

// auditor renders the two read-only ClusterRoles and their bindings: the
// cluster-scoped kinds cluster-wide, the namespaced kinds in each managed
// namespace only (so it reads no pod, role or ServiceAccount elsewhere).
func (b *builder) auditor(subjects []Subject) error {
	n := b.names
	cluster, err := b.clusterRole("auditor-role", n.AuditorClusterRole, AuditorRules(false))
	if err != nil {
		return err
	}
	if err := b.clusterRoleBinding("auditor-binding", n.AuditorClusterRole, subjects, cluster); err != nil {
		return err
	}
	namespaced, err := b.clusterRole("auditor-namespaced-role", n.AuditorNamespacedRole, AuditorRules(true))
	if err != nil {
		return err
	}
	return b.roleBindings("auditor", n.AuditorNamespacedRole, subjects, namespaced)
}

// clusterRole registers a ClusterRole with rules.
func (b *builder) clusterRole(role, objName string, rules []Rule) (*rbacv1.ClusterRole, error) {
	cr, err := rbacv1.NewClusterRole(b.ctx, b.name+"-"+role, &rbacv1.ClusterRoleArgs{
		Metadata: meta(objName, ""),
		Rules:    policyRules(rules),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("ClusterRole %s: %w", objName, err)
	}
	return cr, nil
}

// clusterRoleBinding binds ClusterRole objName cluster-wide.
func (b *builder) clusterRoleBinding(role, objName string, subjects []Subject, deps ...pulumi.Resource) error {
	if _, err := rbacv1.NewClusterRoleBinding(b.ctx, b.name+"-"+role, &rbacv1.ClusterRoleBindingArgs{
		Metadata: meta(objName, ""),
		RoleRef:  roleRef(objName),
		Subjects: subjectArgs(subjects),
	}, b.parent, pulumi.DependsOn(deps)); err != nil {
		return fmt.Errorf("ClusterRoleBinding %s: %w", objName, err)
	}
	return nil
}

// roleBindings binds ClusterRole objName in each managed namespace, with
// a RoleBinding of the same name.
func (b *builder) roleBindings(role, objName string, subjects []Subject, deps ...pulumi.Resource) error {
	for _, ns := range b.args.ManagedNamespaces {
		if _, err := rbacv1.NewRoleBinding(b.ctx, kname.Join(b.name, role, ns), &rbacv1.RoleBindingArgs{
			Metadata: meta(objName, ns),
			RoleRef:  roleRef(objName),
			Subjects: subjectArgs(subjects),
		}, b.parent, pulumi.DependsOn(deps)); err != nil {
			return fmt.Errorf("RoleBinding %s/%s: %w", ns, objName, err)
		}
	}
	return nil
}

func roleRef(clusterRole string) rbacv1.RoleRefArgs {
	return rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("ClusterRole"), Name: pulumi.String(clusterRole)}
}

func policyRules(rules []Rule) rbacv1.PolicyRuleArray {
	out := make(rbacv1.PolicyRuleArray, 0, len(rules))
	for _, r := range rules {
		pr := rbacv1.PolicyRuleArgs{Verbs: pulumi.ToStringArray(r.Verbs)}
		if len(r.NonResourceURLs) > 0 {
			pr.NonResourceURLs = pulumi.ToStringArray(r.NonResourceURLs)
		} else {
			pr.ApiGroups = pulumi.ToStringArray(r.APIGroups)
			pr.Resources = pulumi.ToStringArray(r.Resources)
		}
		if len(r.ResourceNames) > 0 {
			pr.ResourceNames = pulumi.ToStringArray(r.ResourceNames)
		}
		out = append(out, pr)
	}
	return out
}

// rbacSubject is s as an RBAC subject's fields.
func rbacSubject(s Subject) map[string]string {
	if s.Kind == SubjectServiceAccount {
		return map[string]string{"kind": string(s.Kind), "name": s.Name, "namespace": s.Namespace}
	}
	return map[string]string{"kind": string(s.Kind), "name": s.Name, "apiGroup": "rbac.authorization.k8s.io"}
}

func subjectArgs(subjects []Subject) rbacv1.SubjectArray {
	out := make(rbacv1.SubjectArray, 0, len(subjects))
	for _, s := range subjects {
		f := rbacSubject(s)
		sa := rbacv1.SubjectArgs{Kind: pulumi.String(f["kind"]), Name: pulumi.String(f["name"])}
		if ns := f["namespace"]; ns != "" {
			sa.Namespace = pulumi.String(ns)
		}
		if g := f["apiGroup"]; g != "" {
			sa.ApiGroup = pulumi.String(g)
		}
		out = append(out, sa)
	}
	return out
}

func subjectValues(subjects []Subject) pulumi.Array {
	out := pulumi.Array{}
	for _, s := range subjects {
		out = append(out, pulumi.ToStringMap(rbacSubject(s)))
	}
	return out
}
