package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/preview"
)

// previewStack is this test's own stack (and project), apart from the
// lifecycle test's "e2e" stack on the same lab and state backend.
const previewStack = "e2e-preview"

// previewPassphrase protects nothing: the stack holds no secret. It is
// fixed so that a crashed run's stack can still be opened and destroyed.
const previewPassphrase = "rampart-e2e-preview-holds-no-secret"

// tenantProgram is one hardened namespace whose quota allows pods pods and
// limits.cpu cpu, and a Secret holding token as a Pulumi secret; exempt
// lowers the enforced Pod Security level to baseline.
func tenantProgram(name string, pods int, cpu, token string, exempt bool) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		args := &namespace.NamespaceArgs{Name: name, Quota: &namespace.Quota{
			Pods: namespace.PodCount(pods), LimitsCPU: cpu, RequestsCPU: "1",
		}}
		if exempt {
			args.Exemption = &namespace.Exemption{Level: namespace.PSSBaseline,
				Justification: "e2e: shows a Pod Security change in the preview", Control: "ISM-1584"}
		}
		ns, err := namespace.NewNamespace(ctx, "pv", args)
		if err != nil {
			return err
		}
		_, err = corev1.NewSecret(ctx, "pv-token", &corev1.SecretArgs{
			Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String("pv-token"), Namespace: ns.Name},
			StringData: pulumi.StringMap{"token": pulumi.ToSecret(pulumi.String(token)).(pulumi.StringOutput)},
		})
		return err
	}
}

// TestE2E_LocalLab_PreviewShowsOldAndNewValues drives the real pulumi CLI
// and kubernetes plugin against the lab's kube-apiserver: up a tenant
// namespace with a 2-pod, 2-CPU quota, change the program to 8 and 8 (and
// lower its Pod Security level, rotate a secret token), and check the PR
// comment shows each value as old → new, the token only as [secret], and
// calls out the Pod Security change first.
func TestE2E_LocalLab_PreviewShowsOldAndNewValues(t *testing.T) {
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG")
	labenv.RequireCommand(t, "pulumi")
	t.Setenv("KUBECONFIG", env["RAMPART_LAB_KUBECONFIG"])
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", previewPassphrase)
	if _, ok := os.LookupEnv("PULUMI_CONFIG_PASSPHRASE_FILE"); ok {
		t.Setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "") // restored after the test
		must(t, os.Unsetenv("PULUMI_CONFIG_PASSPHRASE_FILE"))
	}
	suffix := make([]byte, 3)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	ns := "pv-" + hex.EncodeToString(suffix)
	// Random, so a leak cannot match text that is in the comment anyway.
	oldToken, newToken := "old-"+ns+"-do-not-print", "new-"+ns+"-do-not-print"

	ctx := context.Background()
	stk, err := auto.UpsertStackInlineSource(ctx, previewStack, "rampart-preview-e2e", tenantProgram(ns, 2, "2", oldToken, false),
		auto.WorkDir(t.TempDir()), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert %s stack: %v", previewStack, err)
	}
	// A run that died half-way left its namespace behind: start from nothing.
	if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("clean up a previous run: %v", err)
	}
	t.Cleanup(func() {
		if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
			t.Errorf("destroy %s: %v", previewStack, err)
			return
		}
		if err := stk.Workspace().RemoveStack(ctx, previewStack); err != nil {
			t.Errorf("remove stack %s: %v", previewStack, err)
		}
	})
	if _, err := stk.Up(ctx, optup.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("up: %v", err)
	}

	stk.Workspace().SetProgram(tenantProgram(ns, 8, "8", newToken, true))
	plan, err := preview.Run(ctx, stk)
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	must(t, plan.Markdown(&md))
	out := md.String()
	js, err := json.Marshal(plan)
	must(t, err)
	for _, tok := range []string{oldToken, newToken} {
		if strings.Contains(out, tok) || strings.Contains(string(js), tok) {
			t.Fatal("the preview shows the Secret's token in clear") // the comment is not logged: it holds the token
		}
	}
	t.Log("\n" + out)

	var quota *preview.Step
	for i, s := range plan.Steps {
		if s.Name == "pv-quota" {
			quota = &plan.Steps[i]
		}
	}
	if quota == nil || quota.Op != "update" {
		t.Fatalf("no update of pv-quota in the plan: %+v", plan.Steps)
	}
	got := map[string]string{}
	for _, c := range quota.Changes {
		got[c.Path] = c.Old + " → " + c.New
	}
	for _, p := range []string{"spec.hard.pods", `spec.hard["limits.cpu"]`} {
		if got[p] != "2 → 8" {
			t.Errorf("%s = %q, want 2 → 8 (all changes: %v)", p, got[p], got)
		}
	}
	if _, ok := got[`spec.hard["requests.cpu"]`]; ok {
		t.Errorf("unchanged requests.cpu reported: %v", got)
	}
	for _, want := range []string{
		"| `spec.hard.pods` | `2` → `8` |",
		"| `spec.hard[\"limits.cpu\"]` | `2` → `8` |",
		"<details><summary>update <code>pv-quota</code>",
		"`restricted` → `baseline`",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("preview comment lacks %q", want)
		}
	}
	// The provider moves stringData to data (base64) and may replace the
	// Secret; either way its one changed key shows only as [secret].
	tokenLine := false
	for _, line := range strings.Split(out, "\n") {
		tokenLine = tokenLine || strings.Contains(line, ".token`") && strings.HasSuffix(line, "| [secret] → [secret] |")
	}
	if !tokenLine {
		t.Error("preview comment lacks the token change as [secret] → [secret]")
	}
	sec, first := strings.Index(out, "### ⚠ security-relevant"), strings.Index(out, "### rampart:namespace:Namespace")
	if sec < 0 || first < sec || !strings.Contains(out[sec:first], "| update | pv-ns | kubernetes:core/v1:Namespace | Namespace: changes the Pod Security Standard labels") {
		t.Errorf("the Pod Security change is not called out first")
	}
	if strings.Contains(out[sec:first], "pv-quota") {
		t.Errorf("the quota raise is listed as security-relevant")
	}
}
