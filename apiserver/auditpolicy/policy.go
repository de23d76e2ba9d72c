package auditpolicy

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"
)

// Header heads the rendered policy file so nobody edits a copy by hand. It
// still names components/auditpolicy, the package's home before the apiserver
// room: the header is part of the file's bytes, which every node and the
// lab's kube-apiserver load, and the move was to change no byte
// (testdata/policy.golden.yaml). `rampart audit-policy` still works.
const Header = "# Kubernetes API-server audit policy (the sovereign-cloud hardening guide), rendered by `rampart audit-policy`\n" +
	"# from components/auditpolicy. Do not edit: change the Go rules and render again.\n"

// sensitiveResources are read and written at Metadata only: the log says who
// touched which object, never its content. Secrets and ConfigMaps hold
// credentials; TokenReview requests carry bearer tokens, and a TokenRequest's
// response (serviceaccounts/token) is one.
var sensitiveResources = []auditv1.GroupResources{
	{Group: "", Resources: []string{"secrets", "configmaps", "serviceaccounts/token"}},
	{Group: "authentication.k8s.io", Resources: []string{"tokenreviews"}},
}

// sensitive reports whether group/resource is decided by the Metadata rule
// for sensitive resources.
func sensitive(group, resource string) bool {
	for _, g := range sensitiveResources {
		if g.Group != group {
			continue
		}
		for _, r := range g.Resources {
			if r == resource {
				return true
			}
		}
	}
	return false
}

// RBACResources are the RBAC objects whose every change is logged with the
// request and response bodies: a privilege grant is the first thing an
// investigation asks about.
var RBACResources = []string{"roles", "rolebindings", "clusterroles", "clusterrolebindings"}

// InteractiveSubresources are the pod subresources that open a shell or a
// tunnel into a workload, logged with bodies (the command of an exec is in
// the request URL, kept in full at RequestResponse).
var InteractiveSubresources = []string{"pods/exec", "pods/attach", "pods/portforward"}

// rbacWriteVerbs are the verbs that change RBAC objects; reads of RBAC
// objects fall to the Metadata catch-all (controllers read them constantly).
var rbacWriteVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

// HealthURLs are the probe endpoints, polled every few seconds by kubelets
// and load balancers: noise, not evidence.
var HealthURLs = []string{"/healthz*", "/livez*", "/readyz*"}

// Policy builds the audit policy from the typed audit.k8s.io/v1 types. The
// API server uses the first rule that matches a request, so the order below
// is the policy:
//
//  1. Secrets, ConfigMaps, TokenReviews, TokenRequests at Metadata (the
//     sovereign-cloud hardening guide's first rule, plus the token-bearing APIs): never a payload.
//  2. RBAC changes at RequestResponse (the sovereign-cloud hardening guide).
//  3. pods/exec, pods/attach, pods/portforward at RequestResponse (the sovereign-cloud hardening guide).
//  4. Noise at None: health probes, kube-proxy's watches, Events (an Event is
//     itself a record of something that is audited elsewhere).
//  5. The caller's extra rules.
//  6. Everything else at Metadata. The sovereign-cloud hardening guide logs the rest at Request; request
//     bodies of arbitrary resources (custom resources included) can hold
//     credentials the rules above do not know about, so Rampart keeps
//     Metadata — who did what to which object, when, from where — and logs
//     bodies only where rules 2 and 3 ask for them.
//
// The RequestReceived stage is omitted everywhere: ResponseComplete carries
// the same request data plus the outcome, so the stage only doubles the
// volume. Managed fields are omitted from logged bodies: they restate the
// object's field ownership, not what changed.
func Policy(args *Args) *auditv1.Policy {
	a := Args{}
	if args != nil {
		a = *args
	}
	a = a.withDefaults()
	rules := []auditv1.PolicyRule{
		{Level: auditv1.LevelMetadata, Resources: sensitiveResources},
		{Level: auditv1.LevelRequestResponse, Verbs: rbacWriteVerbs,
			Resources: []auditv1.GroupResources{{Group: "rbac.authorization.k8s.io", Resources: RBACResources}}},
		{Level: auditv1.LevelRequestResponse, Resources: []auditv1.GroupResources{{Group: "", Resources: InteractiveSubresources}}},
		{Level: auditv1.LevelNone, NonResourceURLs: HealthURLs},
		{Level: auditv1.LevelNone, Users: []string{"system:kube-proxy"}, Verbs: []string{"watch"},
			Resources: []auditv1.GroupResources{
				{Group: "", Resources: []string{"endpoints", "services"}},
				{Group: "discovery.k8s.io", Resources: []string{"endpointslices"}},
			}},
		{Level: auditv1.LevelNone, Resources: []auditv1.GroupResources{
			{Group: "", Resources: []string{"events"}},
			{Group: "events.k8s.io", Resources: []string{"events"}},
		}},
	}
	rules = append(rules, a.ExtraRules...)
	rules = append(rules, auditv1.PolicyRule{Level: auditv1.LevelMetadata})
	return &auditv1.Policy{
		TypeMeta:          metav1.TypeMeta{APIVersion: auditv1.SchemeGroupVersion.String(), Kind: "Policy"},
		OmitStages:        []auditv1.Stage{auditv1.StageRequestReceived},
		OmitManagedFields: true,
		Rules:             rules,
	}
}

// Render validates args and returns the policy file: Header, then the policy
// serialised with sigs.k8s.io/yaml (JSON tags of the upstream types, so the
// keys are exactly the API server's). The bytes depend only on the rules, not
// on the paths or rotation settings.
func Render(args *Args) ([]byte, error) {
	if args != nil {
		if err := args.Validate(""); err != nil {
			return nil, fmt.Errorf("audit policy: %w", err)
		}
	}
	out, err := yaml.Marshal(Policy(args))
	if err != nil {
		return nil, fmt.Errorf("audit policy: marshal: %w", err)
	}
	return append([]byte(Header), out...), nil
}
