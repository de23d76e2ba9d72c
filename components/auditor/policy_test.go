package auditor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/rampart-dev/rampart/components/auditor"
	"github.com/rampart-dev/rampart/internal/recmock"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/cel/environment"
)

// The policy is compiled and evaluated with the API server's own CEL
// machinery (k8s.io/apiserver's admission CEL environment, the one the
// ValidatingAdmissionPolicy plugin builds: object, oldObject, request,
// namespaceObject, authorizer and composited variables).

type expr struct {
	name, expression, message string
	returns                   []*cel.Type
}

func (e expr) GetExpression() string    { return e.expression }
func (e expr) ReturnTypes() []*cel.Type { return e.returns }
func (e expr) GetName() string          { return e.name }
func boolExpr(name, x, msg string) expr { return expr{name, x, msg, []*cel.Type{cel.BoolType}} }
func variableExpr(name, x string) expr {
	return expr{name, x, "", []*cel.Type{cel.AnyType, cel.DynType}}
}
func asAccessor(e expr) plugincel.ExpressionAccessor { return e }

// compiled is the rendered policy, compiled.
type compiled struct {
	compiler    *plugincel.CompositedCompiler
	match       plugincel.ConditionEvaluator
	validations plugincel.ConditionEvaluator
	messages    []string
	rules       []map[string]any
}

// compilePolicy reads the rendered ValidatingAdmissionPolicy from the
// recorder and compiles it as the API server does, for mode (new
// expressions: what a create of the policy is checked with; stored: what
// evaluation uses).
func compilePolicy(t *testing.T, rec *recmock.Recorder, mode environment.Type) compiled {
	t.Helper()
	vap := rec.MustGet(t, tPolicy, "checkers-verifier-policy").Plain()
	spec := vap["spec"].(map[string]any)
	comp, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		t.Fatal(err)
	}
	opts := plugincel.OptionalVariableDeclarations{HasAuthorizer: true}
	for _, v := range spec["variables"].([]any) {
		m := v.(map[string]any)
		res := comp.CompileAndStoreVariable(variableExpr(m["name"].(string), m["expression"].(string)), opts, mode)
		if res.Error != nil {
			t.Fatalf("variable %s does not compile: %v", m["name"], res.Error)
		}
	}
	var matches, validations []plugincel.ExpressionAccessor
	for _, m := range spec["matchConditions"].([]any) {
		mc := m.(map[string]any)
		matches = append(matches, asAccessor(boolExpr(mc["name"].(string), mc["expression"].(string), "")))
	}
	var messages []string
	for _, v := range spec["validations"].([]any) {
		m := v.(map[string]any)
		validations = append(validations, asAccessor(boolExpr("", m["expression"].(string), m["message"].(string))))
		messages = append(messages, m["message"].(string))
		if m["reason"] != "Forbidden" {
			t.Errorf("validation %q: reason %v, want Forbidden", m["message"], m["reason"])
		}
	}
	c := compiled{compiler: comp, messages: messages,
		match:       comp.CompileCondition(matches, opts, mode),
		validations: comp.CompileCondition(validations, opts, mode)}
	for _, errs := range [][]error{c.match.CompilationErrors(), c.validations.CompilationErrors()} {
		for _, err := range errs {
			t.Errorf("does not compile: %v", err)
		}
	}
	for _, r := range spec["matchConstraints"].(map[string]any)["resourceRules"].([]any) {
		c.rules = append(c.rules, r.(map[string]any))
	}
	return c
}

// request is one API request to judge.
type request struct {
	user        user.Info
	op          admission.Operation
	gvr         schema.GroupVersionResource
	kind        string
	namespace   string
	name        string
	subresource string
	dryRun      bool
	obj, old    runtime.Object
	nsObj       *corev1.Namespace
}

// constrained reports whether the policy's matchConstraints select r.
func (c compiled) constrained(r request) bool {
	res := r.gvr.Resource
	if r.subresource != "" {
		res += "/" + r.subresource
	}
	for _, rule := range c.rules {
		if !contains(strs(rule["apiGroups"]), r.gvr.Group) {
			continue
		}
		ops := strs(rule["operations"])
		if !contains(ops, "*") && !contains(ops, string(r.op)) {
			continue
		}
		for _, want := range strs(rule["resources"]) {
			if want == res || (strings.HasSuffix(want, "/*") && r.subresource != "" && strings.TrimSuffix(want, "/*") == r.gvr.Resource) {
				return true
			}
		}
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

var noOpinion = authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
	return authorizer.DecisionNoOpinion, "", nil
})

// judge evaluates r: applies says whether the policy selects it, refused
// lists the messages of the validations it fails.
func (c compiled) judge(t *testing.T, r request) (applies bool, refused []string) {
	t.Helper()
	if !c.constrained(r) {
		return false, nil
	}
	gvk := schema.GroupVersionKind{Group: r.gvr.Group, Version: r.gvr.Version, Kind: r.kind}
	attr := admission.NewAttributesRecord(r.obj, r.old, gvk, r.namespace, r.name, r.gvr, r.subresource, r.op, nil, r.dryRun, r.user)
	va := &admission.VersionedAttributes{Attributes: attr, VersionedKind: gvk, VersionedObject: r.obj, VersionedOldObject: r.old}
	req := plugincel.CreateAdmissionRequest(attr, metav1.GroupVersionResource(r.gvr), metav1.GroupVersionKind(gvk))
	ctx := c.compiler.CreateContext(context.Background())
	bind := plugincel.OptionalVariableBindings{Authorizer: noOpinion}
	ns := plugincel.CreateNamespaceObject(r.nsObj)
	m, _, err := c.match.ForInput(ctx, va, req, bind, ns, celconfig.RuntimeCELCostBudgetMatchConditions)
	if err != nil {
		t.Fatalf("match condition: %v", err)
	}
	for _, e := range m {
		if e.Error != nil {
			t.Fatalf("match condition fails to evaluate: %v", e.Error)
		}
		if e.EvalResult.Value() != true {
			return false, nil
		}
	}
	results, _, err := c.validations.ForInput(ctx, va, req, bind, ns, celconfig.RuntimeCELCostBudget)
	if err != nil {
		t.Fatalf("validations: %v", err)
	}
	for i, e := range results {
		// An error counts as a refusal: the policy's failurePolicy is Fail.
		if e.Error != nil || e.EvalResult.Value() != true {
			msg := c.messages[i]
			if e.Error != nil {
				msg += " (error: " + e.Error.Error() + ")"
			}
			refused = append(refused, msg)
		}
	}
	return true, refused
}

var (
	verifierSA = &user.DefaultInfo{Name: "system:serviceaccount:rampart-system:rampart-verifier",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:rampart-system", "system:authenticated"}}
	groupMember = &user.DefaultInfo{Name: "oidc:carol", Groups: []string{"oidc:rampart-verifiers", "system:authenticated"}}
	deployer    = &user.DefaultInfo{Name: "kubernetes-admin", Groups: []string{"kubeadm:cluster-admins", "system:authenticated"}}
	otherSA     = &user.DefaultInfo{Name: "system:serviceaccount:rampart-system:rampart-auditor", Groups: []string{"system:serviceaccounts", "system:authenticated"}}

	gvrPods         = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	gvrNamespaces   = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	gvrRoleBindings = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}
)

func probeLabels() map[string]string {
	return map[string]string{auditor.ProbeLabel: auditor.ProbeValue}
}

func no() *bool { f := false; return &f }

// probePod is a restricted probe pod as rampart verify creates it.
func probePod(ns string, mut ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "probe-1", Namespace: ns, Labels: probeLabels()},
		Spec: corev1.PodSpec{
			ServiceAccountName:           "default",
			AutomountServiceAccountToken: no(),
			Volumes:                      []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			Containers: []corev1.Container{{Name: "probe", Image: "probe@sha256:0000",
				Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				Env:   []corev1.EnvVar{{Name: "MODE", Value: "serve"}},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: no(), RunAsNonRoot: func() *bool { b := true; return &b }(),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
		},
	}
	for _, m := range mut {
		m(p)
	}
	return p
}

func throwaway(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func restrictedProbeNS() map[string]string {
	l := probeLabels()
	l["pod-security.kubernetes.io/enforce"] = "restricted"
	return l
}

func binding(ns, role string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	if len(subjects) == 0 {
		subjects = []rbacv1.Subject{{Kind: "ServiceAccount", Name: "rampart-verifier", Namespace: "rampart-system"}}
	}
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "rampart-verifier", Namespace: ns, Labels: probeLabels()},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role},
		Subjects:   subjects,
	}
}

func TestVerifierPolicy_CompilesInTheAPIServersCELEnvironment(t *testing.T) {
	rec := mustRun(t, &auditor.CheckersArgs{ManagedNamespaces: managed,
		Verifier: auditor.IdentityArgs{Subjects: []auditor.Subject{{Kind: auditor.SubjectGroup, Name: `oidc:"quoted" \ group`}}}})
	for _, mode := range []environment.Type{environment.NewExpressions, environment.StoredExpressions} {
		compilePolicy(t, rec, mode)
	}
}

// TestVerifierPolicy_HoldsTheVerifierToLabelledProbes runs the policy over
// the requests rampart verify makes (admitted) and the ones a stolen
// verifier token could try (refused, each by the rule meant for it).
func TestVerifierPolicy_HoldsTheVerifierToLabelledProbes(t *testing.T) {
	rec := mustRun(t, &auditor.CheckersArgs{ManagedNamespaces: managed,
		Verifier: auditor.IdentityArgs{Subjects: []auditor.Subject{{Kind: auditor.SubjectGroup, Name: "oidc:rampart-verifiers"}}}})
	pol := compilePolicy(t, rec, environment.StoredExpressions)
	probeRole := auditor.ObjectNames("rampart-system").VerifierProbeRole
	tmp := throwaway("rampart-verify-x7k2", restrictedProbeNS())
	pod := func(mut ...func(*corev1.Pod)) request {
		return request{user: verifierSA, op: admission.Create, gvr: gvrPods, kind: "Pod", namespace: "team-a", name: "probe-1",
			obj: probePod("team-a", mut...), nsObj: throwaway("team-a", nil)}
	}
	ns := func(op admission.Operation, n *corev1.Namespace) request {
		r := request{user: verifierSA, op: op, gvr: gvrNamespaces, kind: "Namespace", name: n.Name}
		if op == admission.Delete {
			r.old = n
		} else {
			r.obj = n
		}
		return r
	}
	rb := func(b *rbacv1.RoleBinding, nsObj *corev1.Namespace) request {
		return request{user: verifierSA, op: admission.Create, gvr: gvrRoleBindings, kind: "RoleBinding", namespace: b.Namespace, name: b.Name, obj: b, nsObj: nsObj}
	}
	with := func(r request, f func(*request)) request { f(&r); return r }

	cases := []struct {
		name    string
		req     request
		applies bool
		refused string // "" = admitted
	}{
		// What rampart verify does.
		{"probe pod in a managed namespace", pod(), true, ""},
		{"probe pod by a member of the verifier group", with(pod(), func(r *request) { r.user = groupMember }), true, ""},
		{"probe pod deleted", with(pod(), func(r *request) { r.op, r.old, r.obj = admission.Delete, r.obj, nil }), true, ""},
		{"server-side dry run of a privileged pod", with(pod(func(p *corev1.Pod) {
			p.Spec.HostPID = true
			p.Spec.Containers[0].SecurityContext.Privileged = func() *bool { b := true; return &b }()
		}), func(r *request) { r.dryRun = true }), true, ""},
		{"throwaway namespace created", ns(admission.Create, tmp), true, ""},
		{"throwaway namespace deleted", ns(admission.Delete, tmp), true, ""},
		{"probe role bound in the throwaway namespace", rb(binding(tmp.Name, probeRole), tmp), true, ""},
		// Other identities are not the policy's business.
		{"the deployer's unlabelled pod", with(pod(func(p *corev1.Pod) { p.Labels = nil }), func(r *request) { r.user = deployer }), false, ""},
		{"the auditor", with(pod(func(p *corev1.Pod) { p.Labels = nil }), func(r *request) { r.user = otherSA }), false, ""},
		// What a stolen verifier token could try.
		{"unlabelled pod", pod(func(p *corev1.Pod) { p.Labels = map[string]string{"app": "x"} }), true, "labelled rampart.dev/probe=verify"},
		{"pod labelled otherwise", pod(func(p *corev1.Pod) { p.Labels = map[string]string{auditor.ProbeLabel: "other"} }), true, "labelled rampart.dev/probe=verify"},
		{"deleting a workload's pod", with(pod(func(p *corev1.Pod) { p.Labels = map[string]string{"app": "payments"} }),
			func(r *request) { r.op, r.old, r.obj = admission.Delete, r.obj, nil }), true, "labelled rampart.dev/probe=verify"},
		{"privileged probe", pod(func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.Privileged = func() *bool { b := true; return &b }()
		}), true, "not privileged"},
		{"added capability", pod(func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
		}), true, "adds no capability"},
		{"init container reading a Secret", pod(func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "i", Image: "x", Env: []corev1.EnvVar{{Name: "T", ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "openbao-seal"}, Key: "pin"}}}}}}
		}), true, "reads no Secret"},
		{"envFrom a Secret", pod(func(p *corev1.Pod) {
			p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}}}
		}), true, "reads no Secret"},
		{"host port", pod(func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].HostPort = 80 }), true, "opens no host port"},
		{"host network", pod(func(p *corev1.Pod) { p.Spec.HostNetwork = true }), true, "shares no host namespace"},
		{"hostPath volume", pod(func(p *corev1.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "root", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}})
		}), true, "emptyDir volumes only"},
		{"Secret volume", pod(func(p *corev1.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "loki-s3"}}})
		}), true, "emptyDir volumes only"},
		{"mounted ServiceAccount token", pod(func(p *corev1.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}})
		}), true, "emptyDir volumes only"},
		{"another ServiceAccount", pod(func(p *corev1.Pod) { p.Spec.ServiceAccountName = "rampart-auditor" }), true, "default ServiceAccount"},
		{"relabelling a pod", with(pod(), func(r *request) { r.op, r.old = admission.Update, r.obj }), true, "may only create and delete"},
		{"exec into a pod", request{user: verifierSA, op: admission.Connect, gvr: gvrPods, kind: "PodExecOptions", namespace: "team-a", name: "payments-0",
			subresource: "exec", obj: &corev1.PodExecOptions{Command: []string{"sh"}}}, true, "never a subresource"},
		{"evicting a pod", request{user: verifierSA, op: admission.Create, gvr: gvrPods, kind: "Eviction", namespace: "team-a", name: "payments-0",
			subresource: "eviction", obj: &corev1.Pod{}}, true, "never a subresource"},
		{"namespace not named rampart-verify-*", ns(admission.Create, throwaway("kube-tools", restrictedProbeNS())), true, "namespaces named rampart-verify-*"},
		{"throwaway namespace without restricted", ns(admission.Create, throwaway("rampart-verify-x", probeLabels())), true, "must enforce Pod Security restricted"},
		{"deleting a managed namespace", ns(admission.Delete, throwaway("team-a", map[string]string{"rampart.dev/tier": "tenant"})), true, "labelled rampart.dev/probe=verify"},
		{"binding in a managed namespace", rb(binding("team-a", probeRole), throwaway("team-a", nil)), true, "only in its own throwaway namespace"},
		{"binding cluster-admin", rb(binding(tmp.Name, "cluster-admin"), tmp), true, "may bind only the ClusterRole " + probeRole},
		{"binding someone else", rb(binding(tmp.Name, probeRole, rbacv1.Subject{Kind: "User", Name: "mallory", APIGroup: "rbac.authorization.k8s.io"}), tmp), true, "only to its own subjects"},
		{"deleting a RoleBinding", with(rb(binding(tmp.Name, probeRole), tmp), func(r *request) { r.op, r.old, r.obj = admission.Delete, r.obj, nil }), true, "may only create and delete"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			applies, refused := pol.judge(t, tc.req)
			if applies != tc.applies {
				t.Fatalf("policy applies = %v, want %v", applies, tc.applies)
			}
			switch {
			case tc.refused == "" && len(refused) > 0:
				t.Fatalf("refused, want admitted:\n%s", strings.Join(refused, "\n"))
			case tc.refused != "" && !strings.Contains(strings.Join(refused, "\n"), tc.refused):
				t.Fatalf("refusals %q, want one saying %q", refused, tc.refused)
			}
			for _, r := range refused {
				if strings.Contains(r, "(error:") {
					t.Errorf("a rule errored instead of answering: %s", r)
				}
			}
		})
	}
}

func TestVerifierPolicy_MatchesOnlyTheVerifiersSubjects(t *testing.T) {
	p := auditor.VerifierPolicy(auditor.ObjectNames("rampart-system"), []auditor.Subject{
		{Kind: auditor.SubjectServiceAccount, Name: "rampart-verifier", Namespace: "rampart-system"},
		{Kind: auditor.SubjectUser, Name: "oidc:verify-bot"},
		{Kind: auditor.SubjectGroup, Name: "oidc:rampart-verifiers"},
	})
	want := `(has(request.userInfo.username) && request.userInfo.username in ["oidc:verify-bot", "system:serviceaccount:rampart-system:rampart-verifier"]) || ` +
		`(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ["oidc:rampart-verifiers"]))`
	if p.MatchCondition.Expression != want {
		t.Errorf("match condition =\n%s\nwant\n%s", p.MatchCondition.Expression, want)
	}
}
