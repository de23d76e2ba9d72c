package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/podsecurity"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	k8smeta "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pssChart is Rampart's own test chart: one restricted-compliant and one
// privileged Deployment, in the namespace given by values. It is read from
// the local path by the kubernetes provider: nothing is downloaded.
const pssChart = "../testdata/pss-chart"

// pssStack is a stack holding only the test chart, in namespace ns, with
// the pod security gate registered first with the given exemptions and its
// verdict returned last, run by the real pulumi CLI and kubernetes plugin
// against the lab. The gate is the last run's.
func pssStack(t *testing.T, stackName, ns string, exemptions []config.Exemption) (auto.Stack, func() *podsecurity.Gate) {
	t.Helper()
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG")
	labenv.RequireCommand(t, "pulumi")
	kubeconfig, err := os.ReadFile(env["RAMPART_LAB_KUBECONFIG"])
	must(t, err)
	chartPath, err := filepath.Abs(pssChart)
	must(t, err)
	work := t.TempDir()
	must(t, os.WriteFile(filepath.Join(work, "Pulumi.yaml"), []byte("name: rampart-pss\nruntime: go\n"), 0o600))

	var gate *podsecurity.Gate
	program := func(ctx *pulumi.Context) error {
		g, err := podsecurity.Register(ctx, exemptions)
		if err != nil {
			return err
		}
		gate = g
		prov, err := kubernetes.NewProvider(ctx, "lab", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String(string(kubeconfig))})
		if err != nil {
			return err
		}
		n, err := corev1.NewNamespace(ctx, ns, &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ns)}}, pulumi.Provider(prov))
		if err != nil {
			return err
		}
		chart, err := helmv4.NewChart(ctx, "pss", &helmv4.ChartArgs{
			Chart:     pulumi.String(chartPath),
			Namespace: pulumi.String(ns),
			Values:    pulumi.Map{"namespace": pulumi.String(ns)},
			SkipAwait: pulumi.Bool(true),
		}, pulumi.Provider(prov), pulumi.DependsOn([]pulumi.Resource{n}))
		if err != nil {
			return err
		}
		ctx.Export("podSecurity", g.ReportAfter(chart.Resources))
		return g.Verdict()
	}
	ctx := context.Background()
	stk, err := auto.UpsertStackInlineSource(ctx, stackName, "rampart-pss", program, auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert %s: %v", stackName, err)
	}
	t.Cleanup(func() { _ = stk.Workspace().RemoveStack(context.Background(), stackName) })
	return stk, func() *podsecurity.Gate { return gate }
}

// pssViolation is the gate's error for the chart's privileged Deployment
// in namespace ns, up to its list of violated checks.
func pssViolation(ns string) string {
	return `pod security: kubernetes:apps/v1:Deployment "privileged" in namespace "` + ns +
		`" (Pulumi resource "pss:` + ns + `/privileged") violates PodSecurity restricted:latest: host namespaces (hostPID=true); privileged (container "agent"`
}

// assertOneCleanError: the CLI's output (in err) has one error in its
// Diagnostics, naming the privileged Deployment and its checks and not the
// compliant one, and no Go stack trace or panic anywhere.
func assertOneCleanError(t *testing.T, err error, ns string) {
	t.Helper()
	if err == nil {
		t.Fatal("the run of a privileged chart Deployment in a restricted namespace succeeded")
	}
	out := err.Error()
	i := strings.Index(out, "Diagnostics:")
	if i < 0 {
		t.Fatalf("the output has no Diagnostics:\n%s", out)
	}
	diags := out[i:]
	if end := strings.Index(diags, "\nResources:"); end >= 0 {
		diags = diags[:end]
	}
	errs := 0
	for _, line := range strings.Split(diags, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "error:") {
			errs++
		}
	}
	if errs != 1 || !strings.Contains(diags, pssViolation(ns)) {
		t.Errorf("want one error naming the privileged Deployment, got %d:\n%s", errs, out)
	}
	for _, want := range []string{"allowPrivilegeEscalation != false", "unrestricted capabilities", "runAsNonRoot != true", "seccompProfile"} {
		if !strings.Contains(diags, want) {
			t.Errorf("the error lacks the check %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "goroutine ") || strings.Contains(strings.ToLower(line), "panic") {
			t.Errorf("the output carries a Go stack trace or panic: %q\n%s", line, out)
			break
		}
	}
	// Whether the compliant Deployment was created depends on the order in
	// which the chart's children register (concurrently): not asserted.
}

// TestPodSecurityGate_PrivilegedChartPodFailsThePreview: the privileged
// Deployment the chart renders inside the kubernetes plugin fails the
// preview with one error naming it and the violated checks.
func TestPodSecurityGate_PrivilegedChartPodFailsThePreview(t *testing.T) {
	ns := "e2e-pss-restricted"
	stk, _ := pssStack(t, "pss-restricted", ns, nil)
	_, err := stk.Preview(context.Background(), optpreview.ProgressStreams(logWriter{T: t}))
	assertOneCleanError(t, err, ns)
}

// TestPodSecurityGate_UpdateStopsAtThePrivilegedChartPod: an update with no
// preview before it (the Automation API's Up) meets the violation while
// the chart's children are being created: it fails with one error, and the
// privileged Deployment is never created.
func TestPodSecurityGate_UpdateStopsAtThePrivilegedChartPod(t *testing.T) {
	ns := "e2e-pss-update"
	stk, _ := pssStack(t, "pss-update", ns, nil)
	ctx := context.Background()
	t.Cleanup(func() { _, _ = stk.Destroy(context.Background(), optdestroy.ProgressStreams(logWriter{T: t})) })
	_, err := stk.Up(ctx, optup.ProgressStreams(logWriter{T: t}))
	assertOneCleanError(t, err, ns)
	kube, _ := testkit.KubeClient(t, labenv.Require(t, "RAMPART_LAB_KUBECONFIG")["RAMPART_LAB_KUBECONFIG"])
	_, err = kube.AppsV1().Deployments(ns).Get(ctx, "privileged", k8smeta.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("the privileged Deployment exists after the refused update (get: %v)", err)
	}
}

// TestPodSecurityGate_ExemptedNamespacePassesAndIsReported: the same chart
// in a namespace with a typed privileged exemption previews cleanly, and
// the gate reports the exempted Deployment (log line and report).
func TestPodSecurityGate_ExemptedNamespacePassesAndIsReported(t *testing.T) {
	ns := "e2e-pss-exempted"
	ex := []config.Exemption{{Namespace: ns, Level: "privileged", Justification: "test chart: a node agent that needs host access", Control: "ISM-1034"}}
	stk, gate := pssStack(t, "pss-exempted", ns, ex)
	res, err := stk.Preview(context.Background(), optpreview.ProgressStreams(logWriter{T: t}))
	if err != nil {
		t.Fatalf("preview in an exempted namespace failed: %v", err)
	}
	if !strings.Contains(res.StdOut, `pod security: kubernetes:apps/v1:Deployment "privileged" in namespace "e2e-pss-exempted" admitted at privileged`) {
		t.Errorf("the preview output does not report the exemption:\n%s", res.StdOut)
	}
	if res.ChangeSummary["create"] < 3 {
		t.Errorf("preview plans %v, want the namespace, the chart and its Deployments created", res.ChangeSummary)
	}
	rep := strings.Join(gate().Reported(), "\n")
	if !strings.Contains(rep, `exempted: kubernetes:apps/v1:Deployment "privileged"`) || strings.Contains(rep, `"compliant"`) {
		t.Errorf("gate report: want exactly the privileged Deployment exempted, got:\n%s", rep)
	}
}
