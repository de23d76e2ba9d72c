package auditor

import (
	"fmt"

	admissionv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/admissionregistration/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// VerifierRules are the verifier's cluster-wide rules: its throwaway
// namespace (create, get, delete), the RoleBinding that gives it probe
// rights there (create RoleBindings, bind only the probe role), and the API
// server's health checks. The admission policy narrows every write to
// labelled probe objects.
func VerifierRules(names Names) []Rule {
	return []Rule{
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"create", "delete", "get"}},
		{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings"}, Verbs: []string{"create"}},
		{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"},
			ResourceNames: []string{names.VerifierProbeRole}, Verbs: []string{"bind"}},
		{NonResourceURLs: []string{"/readyz", "/readyz/*"}, Verbs: []string{"get"}},
	}
}

// ProbeRules are what the verifier may do in one namespace: run probe pods
// (create, watch them start, delete) and read their logs. Bound in each
// managed namespace, and by rampart verify in its throwaway namespace.
func ProbeRules() []Rule {
	return []Rule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "delete", "get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
	}
}

// verifier renders the verifier's two ClusterRoles, their bindings and the
// admission policy with its binding.
func (b *builder) verifier(subjects []Subject) error {
	n := b.names
	cluster, err := b.clusterRole("verifier-role", n.VerifierClusterRole, VerifierRules(n))
	if err != nil {
		return err
	}
	probes, err := b.clusterRole("verifier-probes-role", n.VerifierProbeRole, ProbeRules())
	if err != nil {
		return err
	}
	// The policy exists before the verifier may write anything, so no
	// window opens in which its writes are bound by RBAC alone.
	vap, err := b.policy(subjects)
	if err != nil {
		return err
	}
	if err := b.clusterRoleBinding("verifier-binding", n.VerifierClusterRole, subjects, cluster, vap); err != nil {
		return err
	}
	return b.roleBindings("verifier", n.VerifierProbeRole, subjects, probes, vap)
}

// policy registers the ValidatingAdmissionPolicy of VerifierPolicy and its
// binding (Deny, and Audit so every refusal is in the audit log).
func (b *builder) policy(subjects []Subject) (pulumi.Resource, error) {
	n := b.names
	p := VerifierPolicy(n, subjects)
	vars := admissionv1.VariableArray{}
	for _, v := range p.Variables {
		vars = append(vars, admissionv1.VariableArgs{Name: pulumi.String(v.Name), Expression: pulumi.String(v.Expression)})
	}
	validations := admissionv1.ValidationArray{}
	for _, v := range p.Validations {
		validations = append(validations, admissionv1.ValidationArgs{
			Expression: pulumi.String(v.Expression), Message: pulumi.String(v.Message), Reason: pulumi.String("Forbidden"),
		})
	}
	all := pulumi.StringArray{pulumi.String("*")}
	vap, err := admissionv1.NewValidatingAdmissionPolicy(b.ctx, b.name+"-verifier-policy", &admissionv1.ValidatingAdmissionPolicyArgs{
		Metadata: meta(n.Policy, ""),
		Spec: &admissionv1.ValidatingAdmissionPolicySpecArgs{
			// A policy that cannot be evaluated refuses: the verifier's
			// RBAC alone would let it write any pod in the managed
			// namespaces.
			FailurePolicy: pulumi.String("Fail"),
			MatchConstraints: &admissionv1.MatchResourcesArgs{
				MatchPolicy: pulumi.String("Equivalent"),
				ResourceRules: admissionv1.NamedRuleWithOperationsArray{
					admissionv1.NamedRuleWithOperationsArgs{
						ApiGroups: pulumi.StringArray{pulumi.String("")}, ApiVersions: all, Operations: all,
						Resources: pulumi.ToStringArray([]string{"pods", "pods/*", "namespaces", "namespaces/*"}),
					},
					admissionv1.NamedRuleWithOperationsArgs{
						ApiGroups: pulumi.StringArray{pulumi.String("rbac.authorization.k8s.io")}, ApiVersions: all, Operations: all,
						Resources: pulumi.StringArray{pulumi.String("rolebindings")},
					},
				},
			},
			MatchConditions: admissionv1.MatchConditionArray{admissionv1.MatchConditionArgs{
				Name: pulumi.String(p.MatchCondition.Name), Expression: pulumi.String(p.MatchCondition.Expression),
			}},
			Variables:   vars,
			Validations: validations,
		},
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("ValidatingAdmissionPolicy %s: %w", n.Policy, err)
	}
	vapb, err := admissionv1.NewValidatingAdmissionPolicyBinding(b.ctx, b.name+"-verifier-policy-binding", &admissionv1.ValidatingAdmissionPolicyBindingArgs{
		Metadata: meta(n.Policy, ""),
		Spec: &admissionv1.ValidatingAdmissionPolicyBindingSpecArgs{
			PolicyName:        pulumi.String(n.Policy),
			ValidationActions: pulumi.ToStringArray([]string{"Deny", "Audit"}),
		},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{vap}))
	if err != nil {
		return nil, fmt.Errorf("ValidatingAdmissionPolicyBinding %s: %w", n.Policy, err)
	}
	return vapb, nil
}
