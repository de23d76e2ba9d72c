package auditpolicy_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"sigs.k8s.io/yaml"
)

// TestRender_IsAcceptedByTheAPIServersPolicyLoader runs the rendered file
// through k8s.io/apiserver's own loader (strict decoding + validation), the
// code kube-apiserver runs on --audit-policy-file.
func TestRender_IsAcceptedByTheAPIServersPolicyLoader(t *testing.T) {
	for name, args := range map[string]*auditpolicy.Args{
		"defaults": nil,
		"extra rule": {ExtraRules: []auditv1.PolicyRule{{Level: auditv1.LevelRequest,
			Resources: []auditv1.GroupResources{{Group: "apps", Resources: []string{"deployments"}}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := auditpolicy.Render(args)
			if err != nil {
				t.Fatal(err)
			}
			p, err := policy.LoadPolicyFromBytes(b)
			if err != nil {
				t.Fatalf("the API server's loader refuses the policy: %v\n%s", err, b)
			}
			if got, want := len(p.Rules), len(auditpolicy.Policy(args).Rules); got != want {
				t.Errorf("loader saw %d rules, rendered %d", got, want)
			}
			if !bytes.HasPrefix(b, []byte(auditpolicy.Header)) {
				t.Error("rendered file lacks the do-not-edit header")
			}
		})
	}
}

// evaluate asks the upstream policy evaluator (the API server's rule
// matcher) which level and stages a request gets.
func evaluate(t *testing.T, attrs authorizer.AttributesRecord) (auditinternal.Level, []auditinternal.Stage) {
	t.Helper()
	b, err := auditpolicy.Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.LoadPolicyFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	r := policy.NewPolicyRuleEvaluator(p).EvaluatePolicyRule(&attrs)
	return r.Level, r.OmitStages
}

func TestPolicy_LevelsPerRequestFollowSeed004(t *testing.T) {
	admin := &user.DefaultInfo{Name: "alice", Groups: []string{"system:masters"}}
	res := func(verb, group, resource, sub string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: admin, Verb: verb, APIGroup: group, APIVersion: "v1", Resource: resource,
			Subresource: sub, Namespace: "team-a", Name: "x", ResourceRequest: true}
	}
	for _, c := range []struct {
		name  string
		attrs authorizer.AttributesRecord
		want  auditinternal.Level
	}{
		{"secret read: who, never the payload", res("get", "", "secrets", ""), auditinternal.LevelMetadata},
		{"secret update: who, never the payload", res("update", "", "secrets", ""), auditinternal.LevelMetadata},
		{"configmap write", res("patch", "", "configmaps", ""), auditinternal.LevelMetadata},
		{"token review carries a bearer token", res("create", "authentication.k8s.io", "tokenreviews", ""), auditinternal.LevelMetadata},
		{"token request returns a token", res("create", "", "serviceaccounts", "token"), auditinternal.LevelMetadata},
		{"rolebinding create in full", res("create", "rbac.authorization.k8s.io", "rolebindings", ""), auditinternal.LevelRequestResponse},
		{"clusterrole patch in full", res("patch", "rbac.authorization.k8s.io", "clusterroles", ""), auditinternal.LevelRequestResponse},
		{"clusterrolebinding delete in full", res("delete", "rbac.authorization.k8s.io", "clusterrolebindings", ""), auditinternal.LevelRequestResponse},
		{"role update in full", res("update", "rbac.authorization.k8s.io", "roles", ""), auditinternal.LevelRequestResponse},
		{"rbac read is not a change", res("list", "rbac.authorization.k8s.io", "roles", ""), auditinternal.LevelMetadata},
		{"pod exec in full", res("create", "", "pods", "exec"), auditinternal.LevelRequestResponse},
		{"pod attach in full", res("create", "", "pods", "attach"), auditinternal.LevelRequestResponse},
		{"pod port-forward in full", res("create", "", "pods", "portforward"), auditinternal.LevelRequestResponse},
		{"events are noise", res("create", "", "events", ""), auditinternal.LevelNone},
		{"events.k8s.io events are noise", res("create", "events.k8s.io", "events", ""), auditinternal.LevelNone},
		{"kube-proxy watching endpointslices is noise", authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "system:kube-proxy"},
			Verb: "watch", APIGroup: "discovery.k8s.io", Resource: "endpointslices", ResourceRequest: true}, auditinternal.LevelNone},
		{"someone else watching endpointslices is kept", authorizer.AttributesRecord{User: admin,
			Verb: "watch", APIGroup: "discovery.k8s.io", Resource: "endpointslices", ResourceRequest: true}, auditinternal.LevelMetadata},
		{"kube-proxy reading a secret is kept", authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "system:kube-proxy"},
			Verb: "watch", Resource: "secrets", ResourceRequest: true}, auditinternal.LevelMetadata},
		{"health probe is noise", authorizer.AttributesRecord{User: admin, Verb: "get", Path: "/readyz"}, auditinternal.LevelNone},
		{"livez probe is noise", authorizer.AttributesRecord{User: admin, Verb: "get", Path: "/livez/ping"}, auditinternal.LevelNone},
		{"discovery falls to the catch-all", authorizer.AttributesRecord{User: admin, Verb: "get", Path: "/apis"}, auditinternal.LevelMetadata},
		{"deployment create falls to the catch-all, no body", res("create", "apps", "deployments", ""), auditinternal.LevelMetadata},
	} {
		t.Run(c.name, func(t *testing.T) {
			level, omit := evaluate(t, c.attrs)
			if level != c.want {
				t.Errorf("level = %s, want %s", level, c.want)
			}
			if level != auditinternal.LevelNone && !slices.Contains(omit, auditinternal.StageRequestReceived) {
				t.Errorf("RequestReceived not omitted (omit = %v)", omit)
			}
		})
	}
}

func TestPolicy_ParsesBackIntoTheUpstreamTypes(t *testing.T) {
	b, err := auditpolicy.Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	var p auditv1.Policy
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.APIVersion != "audit.k8s.io/v1" || p.Kind != "Policy" {
		t.Errorf("apiVersion/kind = %s/%s", p.APIVersion, p.Kind)
	}
	if !slices.Equal(p.OmitStages, []auditv1.Stage{auditv1.StageRequestReceived}) || !p.OmitManagedFields {
		t.Errorf("omitStages = %v, omitManagedFields = %v", p.OmitStages, p.OmitManagedFields)
	}
	type want struct {
		level     auditv1.Level
		group     string
		resources []string
		urls      []string
	}
	wants := []want{
		{auditv1.LevelMetadata, "", []string{"secrets", "configmaps", "serviceaccounts/token"}, nil},
		{auditv1.LevelRequestResponse, "rbac.authorization.k8s.io", auditpolicy.RBACResources, nil},
		{auditv1.LevelRequestResponse, "", auditpolicy.InteractiveSubresources, nil},
		{auditv1.LevelNone, "", nil, auditpolicy.HealthURLs},
		{auditv1.LevelNone, "", []string{"endpoints", "services"}, nil},
		{auditv1.LevelNone, "", []string{"events"}, nil},
		{auditv1.LevelMetadata, "", nil, nil},
	}
	if len(p.Rules) != len(wants) {
		t.Fatalf("%d rules, want %d:\n%s", len(p.Rules), len(wants), b)
	}
	for i, w := range wants {
		r := p.Rules[i]
		if r.Level != w.level {
			t.Errorf("rule %d level = %s, want %s", i, r.Level, w.level)
		}
		if w.resources != nil && (len(r.Resources) == 0 || r.Resources[0].Group != w.group || !slices.Equal(r.Resources[0].Resources, w.resources)) {
			t.Errorf("rule %d resources = %+v, want %s %v", i, r.Resources, w.group, w.resources)
		}
		if !slices.Equal(r.NonResourceURLs, w.urls) {
			t.Errorf("rule %d nonResourceURLs = %v, want %v", i, r.NonResourceURLs, w.urls)
		}
	}
	if last := p.Rules[len(p.Rules)-1]; len(last.Resources)+len(last.NonResourceURLs)+len(last.Users)+len(last.Verbs) != 0 {
		t.Errorf("last rule is not a catch-all: %+v", last)
	}
	if got := p.Rules[0].Resources[1]; got.Group != "authentication.k8s.io" || !slices.Equal(got.Resources, []string{"tokenreviews"}) {
		t.Errorf("tokenreviews not at Metadata in rule 0: %+v", got)
	}
	if got := p.Rules[4].Users; !slices.Equal(got, []string{"system:kube-proxy"}) || !slices.Equal(p.Rules[4].Verbs, []string{"watch"}) {
		t.Errorf("kube-proxy rule = users %v verbs %v", got, p.Rules[4].Verbs)
	}
}

func TestPolicy_ExtraRulesGoBeforeTheCatchAllAndAfterRampartsRules(t *testing.T) {
	extra := auditv1.PolicyRule{Level: auditv1.LevelRequest, Resources: []auditv1.GroupResources{{Group: "apps", Resources: []string{"deployments"}}}}
	p := auditpolicy.Policy(&auditpolicy.Args{ExtraRules: []auditv1.PolicyRule{extra}})
	n := len(p.Rules)
	if p.Rules[n-2].Level != auditv1.LevelRequest || p.Rules[n-1].Level != auditv1.LevelMetadata || len(p.Rules[n-1].Resources) != 0 {
		t.Errorf("extra rule not just before the catch-all: %+v", p.Rules[n-2:])
	}
	if p.Rules[0].Level != auditv1.LevelMetadata || p.Rules[0].Resources[0].Resources[0] != "secrets" {
		t.Errorf("the secrets rule is no longer first: %+v", p.Rules[0])
	}
}

func TestRender_BytesDoNotDependOnPathsOrRotation(t *testing.T) {
	a, _ := auditpolicy.Render(nil)
	b, err := auditpolicy.Render(&auditpolicy.Args{PolicyPath: "/etc/rancher/rke2/audit-policy.yaml", LogPath: "/var/log/kube-audit/audit.log", MaxAge: 90})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the policy file changed with the paths: the lab and the nodes would run different policies")
	}
}

func TestArgs_RejectsBadConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		args auditpolicy.Args
		path string
		why  string
	}{
		{"relative policy path", auditpolicy.Args{PolicyPath: "audit-policy.yaml"}, "x.policyPath", "not a clean absolute file path"},
		{"log to stdout", auditpolicy.Args{LogPath: "-"}, "x.logPath", "not a clean absolute file path"},
		{"log path is a directory", auditpolicy.Args{LogPath: "/var/log/audit/"}, "x.logPath", "not a clean absolute file path"},
		{"unclean path", auditpolicy.Args{LogPath: "/var/log/../audit.log"}, "x.logPath", "not a clean absolute file path"},
		{"policy inside the writable log dir", auditpolicy.Args{PolicyPath: "/var/log/audit/kube/policy.yaml"}, "x.policyPath", "mounts writable"},
		{"negative max age", auditpolicy.Args{MaxAge: -1}, "x.maxAge", "negative"},
		{"negative max backup", auditpolicy.Args{MaxBackup: -3}, "x.maxBackup", "negative"},
		{"negative max size", auditpolicy.Args{MaxSize: -100}, "x.maxSize", "negative"},
		{"unknown level", auditpolicy.Args{ExtraRules: []auditv1.PolicyRule{{Level: "Everything"}}}, "x.extraRules[0].level", "not an audit level"},
		{"unknown stage", auditpolicy.Args{ExtraRules: []auditv1.PolicyRule{{Level: auditv1.LevelMetadata, OmitStages: []auditv1.Stage{"Done"}}}},
			"x.extraRules[0].omitStages[0]", "not an audit stage"},
		{"resources and URLs in one rule", auditpolicy.Args{ExtraRules: []auditv1.PolicyRule{{Level: auditv1.LevelMetadata,
			Resources: []auditv1.GroupResources{{Resources: []string{"pods"}}}, NonResourceURLs: []string{"/metrics"}}}},
			"x.extraRules[0].nonResourceURLs", "both resources and non-resource URLs"},
		{"bad URL pattern", auditpolicy.Args{ExtraRules: []auditv1.PolicyRule{{Level: auditv1.LevelNone, NonResourceURLs: []string{"/a*/b"}}}},
			"x.extraRules[0].nonResourceURLs[0]", "not a non-resource URL pattern"},
		{"secrets payload asked for", auditpolicy.Args{ExtraRules: []auditv1.PolicyRule{{Level: auditv1.LevelRequestResponse,
			Resources: []auditv1.GroupResources{{Resources: []string{"secrets"}}}}}}, "x.extraRules[0].resources[0]", "would never match"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.args.Validate("x")
			if err == nil || !strings.Contains(err.Error(), c.path+": ") || !strings.Contains(err.Error(), c.why) {
				t.Fatalf("err = %v, want %s: …%s", err, c.path, c.why)
			}
			if _, err := auditpolicy.Render(&c.args); err == nil {
				t.Error("Render accepted what Validate refuses")
			}
		})
	}
	if err := (auditpolicy.Args{}).Validate("x"); err != nil {
		t.Errorf("defaults refused: %v", err)
	}
}
