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
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/stacks"
)

// pssChart is Rampart's own test chart: one restricted-compliant and one
// privileged Deployment, in the namespace given by values. It is read from
// the local path by the kubernetes provider: nothing is downloaded.
const pssChart = "../testdata/pss-chart"

// pssPreview previews a stack holding only the test chart, in namespace ns,
// with the pod security gate registered first with the given exemptions,
// through the real pulumi CLI and kubernetes plugin against the lab.
func pssPreview(t *testing.T, stackName, ns string, exemptions []config.Exemption) (auto.PreviewResult, *stacks.PodSecurityGate, error) {
	t.Helper()
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG")
	labenv.RequireCommand(t, "pulumi")
	kubeconfig, err := os.ReadFile(env["RAMPART_LAB_KUBECONFIG"])
	must(t, err)
	chartPath, err := filepath.Abs(pssChart)
	must(t, err)
	work := t.TempDir()
	must(t, os.WriteFile(filepath.Join(work, "Pulumi.yaml"), []byte("name: rampart-pss\nruntime: go\n"), 0o600))

	var gate *stacks.PodSecurityGate
	program := func(ctx *pulumi.Context) error {
		g, err := stacks.RegisterPodSecurity(ctx, exemptions)
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
		return nil
	}
	ctx := context.Background()
	stk, err := auto.UpsertStackInlineSource(ctx, stackName, "rampart-pss", program, auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert %s: %v", stackName, err)
	}
	t.Cleanup(func() { _ = stk.Workspace().RemoveStack(context.Background(), stackName) })
	res, err := stk.Preview(ctx, optpreview.ProgressStreams(logWriter{T: t}))
	return res, gate, err
}

// TestPodSecurityGate_PrivilegedChartPodFailsThePreview: the privileged
// Deployment the chart renders inside the kubernetes plugin is refused by
// the stack-wide transform, which names it and the violated checks.
func TestPodSecurityGate_PrivilegedChartPodFailsThePreview(t *testing.T) {
	_, _, err := pssPreview(t, "pss-restricted", "e2e-pss-restricted", nil)
	if err == nil {
		t.Fatal("the preview of a privileged chart Deployment in a restricted namespace succeeded")
	}
	msg := err.Error()
	for _, want := range []string{
		`pod security: kubernetes:apps/v1:Deployment "privileged" in namespace "e2e-pss-restricted"`,
		"violates PodSecurity restricted:latest", "privileged", "host namespaces",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("preview error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, `Deployment "compliant"`) {
		t.Errorf("the compliant Deployment was refused too:\n%s", msg)
	}
}

// TestPodSecurityGate_ExemptedNamespacePassesAndIsReported: the same chart
// in a namespace with a typed privileged exemption previews cleanly, and
// the gate reports the exempted Deployment (log line and report).
func TestPodSecurityGate_ExemptedNamespacePassesAndIsReported(t *testing.T) {
	ns := "e2e-pss-exempted"
	ex := []config.Exemption{{Namespace: ns, Level: "privileged", Justification: "test chart: a node agent that needs host access", Control: "ISM-1034"}}
	res, gate, err := pssPreview(t, "pss-exempted", ns, ex)
	if err != nil {
		t.Fatalf("preview in an exempted namespace failed: %v", err)
	}
	if !strings.Contains(res.StdOut, `pod security: kubernetes:apps/v1:Deployment "privileged" in namespace "e2e-pss-exempted" admitted at privileged`) {
		t.Errorf("the preview output does not report the exemption:\n%s", res.StdOut)
	}
	if res.ChangeSummary["create"] < 3 {
		t.Errorf("preview plans %v, want the namespace, the chart and its Deployments created", res.ChangeSummary)
	}
	rep := strings.Join(gate.Reported(), "\n")
	if !strings.Contains(rep, `exempted: kubernetes:apps/v1:Deployment "privileged"`) || strings.Contains(rep, `"compliant"`) {
		t.Errorf("gate report: want exactly the privileged Deployment exempted, got:\n%s", rep)
	}
}
