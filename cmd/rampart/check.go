package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/compliance/report"
	"github.com/rampart-dev/rampart/inventory"
	"github.com/spf13/cobra"
)

// newCheckCmd is `rampart check`: the evidence-based compliance report of a
// stack (compliance.FromStack), on its state and, with --live, on the live
// cluster.
func (a *app) newCheckCmd() *cobra.Command {
	var stack, dir string
	var refresh, readLive bool
	var live cluster
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Compliance report from the stack's state (and the live cluster with --live); exit 2 if an item fails",
		Long: `Reads the stack's state through the Automation API and judges every checklist
item on it (pass, fail, exempt with its justification, not deployed), with
the evidence (resource, field, value; secrets shown as [secret]) and the
NIS2, DORA, CE+, ITSG-33 and ISM controls each item serves.

Without --refresh the state is what the last ` + "`pulumi up`" + ` recorded (fast, no
cluster access); --refresh reads the stack's own objects back first (slower;
an out-of-band change to them then shows in the verdicts).

A refresh never sees an object created out of band. --live reads the live
cluster through the Kubernetes API (--kubeconfig, --context; default
$KUBECONFIG and its current context): every NetworkPolicy, RBAC object,
pod, workload, ServiceAccount and admission webhook of the managed
namespaces, declared or not, is judged by the same item logic, so an
allow-all policy or an admin RoleBinding added by hand fails its item. The
report says what each item stands on (state, live), names every unmanaged
object with its creator, and shows the rules that classified the objects.
The identity needs only the read-only auditor role (components/auditor).

--evidence also writes one signed evidence pack of the run (the OSCAL,
HTML and JSON reports, --verify-results when given, the digest of the state
export judged, a manifest of sha256s signed by the transit key --sign-key):
a directory, or one tar on S3 under COMPLIANCE Object Lock for the audit
bucket's retention. ` + "`rampart evidence verify`" + ` checks it offline.

Exit 2 when an item the stack enables fails.`,
		Example: `  rampart check                                    # stack "local", Markdown on stdout
  rampart check --live                             # judge the live cluster too ($KUBECONFIG)
  rampart check --stack prod --live --context prod-auditor --json=report.json --html=report.html
  rampart check --oscal > assessment-results.json  # OSCAL on stdout instead of Markdown
  rampart check --oscal ar.json --poam poam.json   # and the exemptions' plan of action and milestones
  rampart check --evidence 's3://audit/evidence?endpoint=https://s3.example' --sign-key rampart-evidence`,
		Args: noArgs,
	}
	stackFlags(cmd, &stack, &dir)
	cmd.Flags().BoolVar(&refresh, "refresh", false, "refresh the state from the live cluster before judging it (default off: the state of the last up)")
	cmd.Flags().BoolVar(&readLive, "live", false, "read the live cluster through the Kubernetes API and judge every object of the managed namespaces, declared or not")
	clusterFlags(cmd, &live)
	out := addOutputFlags(cmd, fmtMarkdown, fmtJSON, fmtHTML, fmtOSCAL, fmtPOAM)
	ev := addEvidenceFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if !readLive && (cmd.Flags().Changed("kubeconfig") || cmd.Flags().Changed("context")) {
			return usagef("check: --kubeconfig and --context choose the cluster --live reads: add --live")
		}
		if err := ev.validate(cmd); err != nil {
			return err
		}
		var l *cluster
		if readLive {
			l = &live
		}
		return a.checkStack(cmd, out, ev, stack, dir, refresh, l)
	}
	return cmd
}

// checkStack assesses the stack (and the live cluster when live is set)
// and writes the report; errFailed when an item fails, after the report
// is written.
func (a *app) checkStack(cmd *cobra.Command, out *outputs, ev *evidenceFlags, stack, dir string, refresh bool, live *cluster) error {
	if _, _, err := out.plan(); err != nil {
		return err
	}
	what := "reading the state of"
	if refresh {
		what = "refreshing and reading"
	}
	also := ""
	if live != nil {
		also = " and the live cluster"
	}
	p := a.begin(cmd, "%s stack %s%s...", what, stack, also)
	as, err := a.assess(cmd.Context(), stack, dir, refresh, live, a.progressOut(cmd))
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range as.Results {
		if r.Verdict == compliance.Fail {
			failed++
		}
	}
	p.done("assessment", "%d items, %d failed", len(as.Results), failed)
	if err := out.write(cmd.OutOrStdout(), reports(as)); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	// A run whose items fail is evidence too: the pack is written first.
	if ev.dest != "" {
		if err := ev.write(cmd, as, a.sign); err != nil {
			return err
		}
	}
	if as.Failed() {
		return fmt.Errorf("%w: %d on stack %s (see the report)", errFailed, failed, stack)
	}
	return nil
}

// reports are an assessment's renderings by output format.
func reports(as *compliance.Assessment) map[string]func(io.Writer) error {
	bind := func(render func(io.Writer, *compliance.Assessment) error) func(io.Writer) error {
		return func(w io.Writer) error { return render(w, as) }
	}
	return map[string]func(io.Writer) error{
		fmtMarkdown: bind(report.Markdown), fmtJSON: bind(report.JSON), fmtHTML: bind(report.HTML), fmtOSCAL: bind(report.OSCAL),
		fmtPOAM: bind(report.POAM),
	}
}

// assessStack is app.assess outside tests: the stack from its local source
// (the program in dir), assessed by compliance.FromStack; with live set,
// on the live inventory of its managed namespaces too.
func assessStack(ctx context.Context, stack, dir string, refresh bool, live *cluster, progress io.Writer) (*compliance.Assessment, error) {
	stk, err := auto.SelectStackLocalSource(ctx, stack, dir)
	if err != nil {
		return nil, selectStackError("check", stack, dir, err)
	}
	opts := compliance.Options{Refresh: refresh, Progress: progress}
	if live != nil {
		opts.Live = liveInventory(*live)
	}
	as, err := compliance.FromStack(ctx, stk, opts)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	return as, nil
}

// liveInventory reads the live cluster named by c for a deployment: its
// managed namespaces and declared objects come from the deployment.
func liveInventory(c cluster) func(context.Context, apitype.DeploymentV3) (*inventory.Inventory, error) {
	return func(ctx context.Context, dep apitype.DeploymentV3) (*inventory.Inventory, error) {
		_, inv, err := c.list(ctx, dep)
		return inv, err
	}
}
