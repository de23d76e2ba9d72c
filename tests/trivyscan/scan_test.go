package trivyscan

import (
	"strings"
	"testing"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"sigs.k8s.io/yaml"
)

// canary is what the gate must catch: a privileged, host-network
// Deployment and a ClusterRole that may do anything.
const canary = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: canary, namespace: apps}
spec:
  selector: {matchLabels: {app: canary}}
  template:
    metadata: {labels: {app: canary}}
    spec:
      hostNetwork: true
      containers:
      - name: c
        image: registry.example/canary:1.0
        securityContext: {privileged: true}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: canary-admin}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
`

func canaryObjects(t *testing.T) []object {
	t.Helper()
	var objs []object
	for _, doc := range strings.Split(canary, "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		objs = append(objs, newObject(m, "canary"))
	}
	return objs
}

func ids(vs []verdict) map[string][]string {
	out := map[string][]string{}
	for _, v := range vs {
		out[v.Object] = append(out[v.Object], v.ID)
	}
	return out
}

func has(list []string, id string) bool {
	for _, s := range list {
		if s == id {
			return true
		}
	}
	return false
}

// A gate that cannot fail proves nothing: the same offline scan and gate
// that run over Rampart's manifests must flag a privileged Deployment (and
// a wildcard ClusterRole), and a namespace exemption must cover the
// Deployment's findings but never the cluster-scoped RBAC one.
func TestTrivyConfig_OfflineScan_FlagsPrivilegedDeploymentAndWildcardClusterRole(t *testing.T) {
	dir := t.TempDir()
	objs := canaryObjects(t)
	res := runTrivy(t, dir, writeObjects(t, dir, objs))
	if res.Files != 2 || res.Checks < 50 {
		t.Fatalf("trivy evaluated %d files with %d checks: want 2 files and the bundled check set", res.Files, res.Checks)
	}
	report, problems := gate(res, 2, 2, exemptions{})
	t.Logf("\n%s", report)
	if !strings.Contains(strings.Join(problems, "\n"), "HIGH KSV-0017 on Deployment apps/canary") {
		t.Errorf("the gate let a privileged Deployment through: %q", problems)
	}
	if _, problems := gate(res, 3, 2, exemptions{}); len(problems) == 0 || !strings.Contains(problems[0], "saw too little") {
		t.Errorf("the gate did not notice a file Trivy skipped: %q", problems)
	}
	_, bad := judge(res.Findings, exemptions{})
	got := ids(bad)
	for _, id := range []string{"KSV-0017", "KSV-0009"} { // Privileged, Access to host network
		if !has(got["Deployment apps/canary"], id) {
			t.Errorf("the privileged Deployment was not flagged %s (HIGH); blocking findings: %v", id, got)
		}
	}
	if len(got["ClusterRole canary-admin"]) == 0 {
		t.Errorf("the wildcard ClusterRole raised no HIGH/CRITICAL finding; blocking findings: %v", got)
	}

	falcoLike := exemptions{namespaces: []config.Exemption{{Namespace: "apps", Level: "privileged",
		Justification: "the runtime sensor needs the host's kernel events", Control: "NIS2 Art. 21(2)(e)"}}}
	_, bad = judge(res.Findings, falcoLike)
	got = ids(bad)
	if len(got["Deployment apps/canary"]) != 0 {
		t.Errorf("a privileged namespace exemption left Deployment findings blocking: %v", got)
	}
	if len(got["ClusterRole canary-admin"]) == 0 {
		t.Errorf("a namespace exemption covered a cluster-scoped RBAC finding: %v", got)
	}
	allowed := exemptions{allow: []allowance{{"KSV-0017", "Deployment apps/canary", "a deliberately privileged canary for the gate's own test"}}}
	_, bad = judge(res.Findings, allowed)
	if got := ids(bad); has(got["Deployment apps/canary"], "KSV-0017") || !has(got["Deployment apps/canary"], "KSV-0009") {
		t.Errorf("an allow-list entry must cover exactly its check on its object: %v", got)
	}
}

// The tripwire is what proves the scans offline; it must catch Trivy's
// default behaviour, which downloads the checks bundle from mirror.gcr.io
// (refused here: the tripwire answers nothing and closes).
func TestTrivyConfig_Tripwire_CatchesChecksBundleDownloadWithoutOfflineFlags(t *testing.T) {
	dir := t.TempDir()
	objs := canaryObjects(t)[:1]
	_, conns := trivyConfig(t, dir, writeObjects(t, dir, objs), "--skip-version-check", "--disable-telemetry")
	if len(conns) == 0 || !strings.Contains(strings.Join(conns, "\n"), "mirror.gcr.io") {
		t.Fatalf("without --skip-check-update Trivy fetches its checks bundle, but the tripwire saw %q", conns)
	}
}

func TestExemptions_RejectMissingOrShortJustifications(t *testing.T) {
	cases := []struct {
		name string
		ex   exemptions
		want string
	}{
		{"short allow-list justification", exemptions{allow: []allowance{{"KSV-0017", "Deployment a/b", "needed"}}}, "at least 20 characters"},
		{"allow-list entry without an object", exemptions{allow: []allowance{{"KSV-0017", "", "a justification long enough to pass"}}}, "needs a check ID, an object"},
		{"short namespace justification", exemptions{namespaces: []config.Exemption{{Namespace: "falco", Level: "privileged", Justification: "ebpf"}}}, "namespace exemption falco"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.ex.problems()
			if len(p) != 1 || !strings.Contains(p[0], c.want) {
				t.Fatalf("problems = %q, want one containing %q", p, c.want)
			}
		})
	}
	if p := (exemptions{allow: allowList}).problems(); len(p) > 0 {
		t.Fatalf("the scan's own allow-list: %q", p)
	}
}

// TestTrivyConfig_ProdGraphUnderMocks_NoUnexemptedHighFindings writes the
// prod stack's whole graph (Pulumi.prod.yaml through the real program under
// mocks) out as Kubernetes YAML and scans it. Helm charts are listed as not
// scanned: under mocks a chart is its values, not rendered manifests.
func TestTrivyConfig_ProdGraphUnderMocks_NoUnexemptedHighFindings(t *testing.T) {
	requireTrivy(t)
	rec, cfg := prodGraph(t)
	objs, skips := graphManifests(rec)
	for _, s := range skips {
		t.Logf("not scanned: %s %s: %s", s.Type, s.Name, s.Why)
	}
	ex := exemptions{namespaces: cfg.Exemptions(), allow: allowList}
	if p := ex.problems(); len(p) > 0 {
		t.Fatalf("exemptions: %q", p)
	}
	// Pulumi.prod.yaml has 8 platform + 3 tenant namespaces, each with a
	// quota, a limit range, a ServiceAccount and default-deny + DNS policies.
	scanAndGate(t, objs, ex, 80)
}

// The restricted pod spec and the chart security-context values in
// helpers/hardening are what every Rampart workload is built from; Trivy
// must find nothing HIGH or CRITICAL in a Deployment built from each.
func TestTrivyConfig_HardeningHelpers_RenderNoHighFindings(t *testing.T) {
	requireTrivy(t)
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := appsv1.NewDeployment(ctx, "restricted", &appsv1.DeploymentArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("restricted"), Namespace: pulumi.String("apps")},
			Spec: &appsv1.DeploymentSpecArgs{
				Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"app": pulumi.String("restricted")}},
				Template: &corev1.PodTemplateSpecArgs{
					Metadata: &metav1.ObjectMetaArgs{Labels: pulumi.StringMap{"app": pulumi.String("restricted")}},
					Spec:     hardening.RestrictedPodSpec("app", "registry.example/app:1.0@sha256:"+strings.Repeat("0", 64), nil, nil),
				},
			},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := graphManifests(rec)
	// A chart's pod as the chart would render it from Rampart's values.
	objs = append(objs, newObject(map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "chart-values", "namespace": "apps"},
		"spec": map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{"app": "chart"}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app": "chart"}},
				"spec": map[string]any{
					"securityContext": hardening.PodSecurityContextValues(65532),
					"containers": []any{map[string]any{
						"name": "c", "image": "registry.example/chart:1.0@sha256:" + strings.Repeat("0", 64),
						"securityContext": hardening.ContainerSecurityContextValues(),
					}},
				},
			},
		},
	}, "chart-values"))
	if len(objs) != 2 {
		t.Fatalf("objects = %d, want the two Deployments", len(objs))
	}
	scanAndGate(t, objs, exemptions{}, 2)
}
