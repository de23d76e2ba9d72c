package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/preview"
	"github.com/rampart-dev/rampart/stacks"
)

// impactPrefix keeps this test's namespaces apart from the lifecycle test's
// (prefix) and `make up`'s local stack on the same lab.
const impactPrefix = "e2i-"

// impactStack is this test's stack, on the lab's state backend.
const impactStack = "e2e-impact"

// standInDeny is the tenant default-deny the delete case removes.
const standInDeny = impactPrefix + "impact-deny"

// withStandInDeny is Rampart's program with the tenant's own default-deny
// (the netpol component's default-deny-all) made to select no pod, and,
// when keep is set, a plain default-deny NetworkPolicy standing in for it.
//
// Why: the Go SDK cannot leave one resource of a program unregistered (a
// transform changes inputs and options, it cannot drop a resource), and no
// config removes a tenant's default-deny (it is secure by design). So the
// up runs this program with keep set, which passes the checklist on the
// stand-in, and the preview runs it without: a real plan that deletes the
// tenant's only default-deny, everything else unchanged. The rampart CLI
// runs cmd/baseline only, so this case calls the functions the CLI calls
// (preview.Run, Plan.Assess, Impact.Regressions: exit 2 when any).
func withStandInDeny(tenant string, keep bool) pulumi.RunFunc {
	own := tenant + "-policies-" + netpol.DefaultDenyName
	return func(ctx *pulumi.Context) error {
		err := ctx.RegisterStackTransform(func(_ context.Context, a *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
			if a.Type != "kubernetes:networking.k8s.io/v1:NetworkPolicy" || a.Name != own {
				return nil
			}
			props := pulumi.Map{}
			for k, v := range a.Props {
				props[k] = v
			}
			props["spec"] = pulumi.Map{
				"podSelector": pulumi.Map{"matchLabels": pulumi.StringMap{"rampart.dev/e2e-selects": pulumi.String("nothing")}},
				"policyTypes": pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
			}
			return &pulumi.ResourceTransformResult{Props: props, Opts: a.Opts}
		})
		if err != nil {
			return err
		}
		if err := stacks.Program(ctx); err != nil {
			return err
		}
		if !keep {
			return nil
		}
		// Default providers are off (Pulumi.yaml): the stand-in has its own,
		// on the ambient KUBECONFIG (the lab's).
		k8s, err := kubernetes.NewProvider(ctx, impactPrefix+"stand-in-k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = networkingv1.NewNetworkPolicy(ctx, standInDeny, &networkingv1.NetworkPolicyArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("impact-deny"), Namespace: pulumi.String(tenant)},
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: &metav1.LabelSelectorArgs{},
				PolicyTypes: pulumi.StringArray{pulumi.String("Ingress"), pulumi.String("Egress")},
			},
		}, pulumi.Provider(k8s))
		return err
	}
}

// TestE2E_LocalLab_PreviewShowsControlImpact drives the real pulumi CLI and
// kubernetes plugin against the lab's kube-apiserver: up Rampart's program
// (its own prefixed namespaces), then preview (a) a config change that only
// raises a tenant's quota — the rampart CLI exits 0 and its comment shows
// no control flipping — and (b) a change that deletes the tenant's
// default-deny — the comment shows NIS2 Art. 21(2)(e), DORA Art. 9(4)(c),
// CE+, ITSG-33 SC-7 and ISM-1182 going to fail (from pass, or from partial
// where the stack leaves one of the control's items undeployed, as the
// entry point here), caused by that delete,
// and the exit decision is 2 (see withStandInDeny for how (b) is built).
func TestE2E_LocalLab_PreviewShowsControlImpact(t *testing.T) {
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG")
	labenv.RequireCommand(t, "pulumi")
	t.Setenv("KUBECONFIG", env["RAMPART_LAB_KUBECONFIG"])
	ctx := context.Background()
	tenant := impactPrefix + "team-a"

	work := t.TempDir()
	testkit.WriteProject(t, "../..", work)
	cfg := testkit.PrefixedLocalConfig(impactPrefix)
	writeStackFile := func(cfg map[string]any) {
		t.Helper()
		data, err := json.Marshal(map[string]any{"config": cfg})
		must(t, err)
		must(t, os.WriteFile(filepath.Join(work, "Pulumi."+impactStack+".yaml"), data, 0o600))
	}
	writeStackFile(cfg)

	stk, err := auto.UpsertStackInlineSource(ctx, impactStack, "rampart", stacks.Program,
		auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert %s stack: %v", impactStack, err)
	}
	// A run that died half-way left resources behind: start from nothing.
	if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("clean up a previous run: %v", err)
	}
	t.Cleanup(func() {
		if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
			t.Errorf("destroy %s: %v", impactStack, err)
			return
		}
		if err := stk.Workspace().RemoveStack(ctx, impactStack); err != nil {
			t.Errorf("remove stack %s: %v", impactStack, err)
		}
	})
	if _, err := stk.Up(ctx, optup.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("up: %v", err)
	}

	rampart := testkit.BuildRampart(t, "../..")
	t.Run("a quota raise flips no control and exits 0", func(t *testing.T) {
		raised := map[string]any{}
		for k, v := range cfg {
			raised[k] = v
		}
		raised["rampart:tenants"] = []any{
			map[string]any{"name": tenant, "quota": map[string]any{"pods": 40}},
			map[string]any{"name": impactPrefix + "team-b"},
		}
		writeStackFile(raised)
		defer writeStackFile(cfg)
		code, md := rampart(t, "preview", "--stack", impactStack, "--dir", work, "-q")
		t.Log("\n" + md)
		if code != 0 {
			t.Fatalf("rampart preview: exit %d, want 0", code)
		}
		for _, want := range []string{
			"### Control impact\nNo checklist item or framework control changes verdict",
			"| update | " + tenant + "-quota |",
			"`10` → `40`",
		} {
			if !strings.Contains(md, want) {
				t.Errorf("preview comment lacks %q", want)
			}
		}
	})

	t.Run("deleting the tenant's default-deny flips its controls: exit 2", func(t *testing.T) {
		stk.Workspace().SetProgram(withStandInDeny(tenant, true))
		if _, err := stk.Up(ctx, optup.ProgressStreams(logWriter{T: t})); err != nil {
			t.Fatalf("up with the stand-in default-deny: %v", err)
		}
		a, err := compliance.FromStack(ctx, stk, compliance.Options{})
		must(t, err)
		if r, _ := a.Result("netpol"); r.Verdict != compliance.Pass {
			t.Fatalf("netpol = %s before the change, want pass: %+v", r.Verdict, r.Evidence)
		}

		stk.Workspace().SetProgram(withStandInDeny(tenant, false))
		plan, err := preview.Run(ctx, stk)
		must(t, err)
		imp, err := plan.Assess(ctx, stk) // what `rampart preview` calls
		must(t, err)
		var md strings.Builder
		must(t, plan.Markdown(&md))
		out := md.String()
		t.Log("\n" + out)

		deleted := false
		for _, s := range plan.Steps {
			deleted = deleted || s.Op == "delete" && s.Name == standInDeny
		}
		if !deleted {
			t.Fatalf("the plan does not delete %s: %+v", standInDeny, plan.Steps)
		}
		want := map[string]string{"NIS2": "Art. 21(2)(e)", "DORA": "Art. 9(4)(c)", "CE+": "AC-1..AC-5", "ITSG-33": "SC-7", "ISM": "ISM-1182"}
		for _, c := range imp.Regressions() {
			if want[c.Framework] == c.Control {
				delete(want, c.Framework)
				if len(c.Causes) == 0 || c.Causes[0].Op != "delete" || c.Causes[0].Name != standInDeny {
					t.Errorf("%s %s causes = %+v, want the delete of %s", c.Framework, c.Control, c.Causes, standInDeny)
				}
			}
		}
		if len(want) > 0 {
			t.Errorf("no regression to fail of %v (controls: %+v)", want, imp.Controls)
		}
		if len(imp.Regressions()) == 0 {
			t.Error("no regression: `rampart preview` would exit 0, want 2")
		}
		for _, s := range []string{
			"regress to fail**: the preview fails (exit 2)",
			"| NIS2 | Art. 21(2)(e) | partial → **fail** | netpol | delete `" + standInDeny + "` |",
			// The tenant's own policy, made to select no pod, is what is left.
			"no longer a default-deny",
		} {
			if !strings.Contains(out, s) {
				t.Errorf("preview comment lacks %q", s)
			}
		}
		if top, sec := strings.Index(out, "### Control impact"), strings.Index(out, "### ⚠"); top < 0 || sec >= 0 && sec < top {
			t.Error("the control impact is not at the top of the comment")
		}
	})
}
