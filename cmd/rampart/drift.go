package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/rampart-dev/rampart/drift"
	"github.com/rampart-dev/rampart/inventory"
	"github.com/spf13/cobra"
)

// remedy is what `drift --fix` and `--prune` do to a drifted stack.
type remedy struct {
	// restore runs drift.Remediate: what the stack declares, back.
	restore func(context.Context) error
	// prune deletes unmanaged objects (inventory.Delete); checkPrune is
	// the same as a server-side dry run (inventory.CheckDelete).
	prune, checkPrune func(context.Context, []inventory.Object) error
}

// newDriftCmd is `rampart drift`: refresh, preview and the live/declared
// comparison of drift.Detect, plus the live inventory's unmanaged objects;
// exit 2 on drift (errDrift), as scheduled drift jobs expect, unless --fix
// (and --prune, for unmanaged objects) removed all of it.
func (a *app) newDriftCmd() *cobra.Command {
	var stack, dir string
	var fix bool
	var prune []string
	var live cluster
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Find out-of-band changes and unmanaged objects (refresh + preview + live inventory); exit 2 on drift",
		Long: `Refreshes the stack from the live cluster, previews the program against it and
compares the live objects with the declared inputs, which also finds what the
provider's own diff cannot see (rules appended to a NetworkPolicy out of
band). Every resource the next ` + "`pulumi up`" + ` would change is reported with the
properties that differ.

It then lists the managed namespaces through the Kubernetes API (the live
inventory: NetworkPolicies, RBAC, pods and pod templates, ServiceAccounts,
and the cluster-scoped bindings and admission webhooks that reach into
them). A refresh reads back only the objects in the state, so an object
created out of band is found only here; it is reported as unmanaged with its
creator. Objects owned by declared ones and objects of known controllers
(typed rules, shown in ` + "`rampart check --live`" + `) are not. Exit 2 when
anything drifted.

--fix restores the drifted declared resources (pulumi up, replacing the ones
an up alone would not touch). It never deletes an unmanaged object: name each
with --prune "Kind namespace/name" (as the report spells it), or --prune all
after reading the list: all means every unmanaged object in the managed
namespaces; a cluster-scoped one (a webhook configuration, a
ClusterRoleBinding) is deleted only when named. Pruning needs an identity
that may delete (--kubeconfig): every delete is tried as a server-side dry
run before anything is restored. Exit 0 only when nothing is left.`,
		Example: `  rampart drift                                    # stack "local", Markdown on stdout, exit 2 on drift
  rampart drift --stack prod --json drift.json --markdown drift.md
  rampart drift --json | jq '.additions[].object'  # JSON on stdout instead of Markdown
  rampart drift --fix                              # restore what drifted; unmanaged objects stay
  rampart drift --fix --prune "NetworkPolicy team-a/allow-all"
  rampart drift --fix --prune all                  # every unmanaged object in the report`,
		Args: noArgs,
	}
	stackFlags(cmd, &stack, &dir)
	clusterFlags(cmd, &live)
	cmd.Flags().BoolVar(&fix, "fix", false, "restore drifted declared resources (pulumi up, replacing what up alone cannot see)")
	cmd.Flags().StringArrayVar(&prune, "prune", nil, "with --fix, delete the unmanaged `OBJECT` (\"Kind namespace/name\" as reported; repeatable; \"all\" for every one)")
	out := addOutputFlags(cmd, fmtMarkdown, fmtJSON)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if _, _, err := out.plan(); err != nil {
			return err
		}
		if len(prune) > 0 && !fix {
			return usagef("drift: --prune deletes objects only together with --fix (see 'rampart drift --help')")
		}
		ctx := cmd.Context()
		p := a.begin(cmd, "refreshing, previewing and listing stack %s for drift...", stack)
		report, fixes, err := a.detect(ctx, stack, dir, live)
		if err != nil {
			return err
		}
		p.done("drift check", "%d drifted resources, %d unmanaged objects", len(report.Changes), len(report.Additions))
		// The objects to prune are resolved before anything is written or
		// changed: a misspelt name deletes nothing.
		pruned, err := report.Prunable(prune)
		if err != nil {
			return usagef("%w", err)
		}
		stdout := cmd.OutOrStdout()
		if err := out.write(stdout, map[string]func(io.Writer) error{fmtMarkdown: report.Markdown, fmtJSON: report.JSON}); err != nil {
			return fmt.Errorf("drift: %w", err)
		}
		if !report.Drifted {
			return nil
		}
		if !fix {
			return fmt.Errorf("%w: %d resources and %d unmanaged objects on stack %s (rerun with --fix to restore them; --prune to delete unmanaged ones)",
				errDrift, len(report.Changes), len(report.Additions), stack)
		}
		// Every delete is authorised and admitted by a dry run first: an
		// identity that may not delete (the read-only auditor) stops here,
		// before the restore changed anything.
		if len(pruned) > 0 {
			if err := fixes.checkPrune(ctx, pruned); err != nil {
				return fmt.Errorf("drift: --prune: nothing was restored or deleted: %w", err)
			}
		}
		if len(report.Changes) > 0 {
			p = a.begin(cmd, "restoring %d resources on stack %s...", len(report.Changes), stack)
			if err := fixes.restore(ctx); err != nil {
				return err
			}
			p.done("restore", "%d resources", len(report.Changes))
			if _, err := fmt.Fprintln(stdout, "\nRestored."); err != nil {
				return err
			}
		}
		if len(pruned) > 0 {
			p = a.begin(cmd, "deleting %d unmanaged objects...", len(pruned))
			if err := fixes.prune(ctx, pruned); err != nil {
				return fmt.Errorf("drift: prune: %w", err)
			}
			p.done("prune", "%d objects", len(pruned))
			for _, o := range pruned {
				if _, err := fmt.Fprintf(stdout, "Deleted %s.\n", o.Ref); err != nil {
					return err
				}
			}
		}
		if left := len(report.Additions) - len(pruned); left > 0 {
			return fmt.Errorf("%w: %d unmanaged objects left on stack %s (--fix never deletes them; name them with --prune, or --prune all)",
				errDrift, left, stack)
		}
		return nil
	}
	return cmd
}

// detectDrift is app.detect outside tests: the stack from its local source
// (the program in dir), checked by drift.Detect, then the live inventory of
// its managed namespaces read through live's kubeconfig.
func detectDrift(ctx context.Context, stack, dir string, live cluster) (*drift.Report, *remedy, error) {
	stk, err := auto.SelectStackLocalSource(ctx, stack, dir)
	if err != nil {
		return nil, nil, selectStackError("drift", stack, dir, err)
	}
	report, err := drift.Detect(ctx, stk)
	if err != nil {
		return nil, nil, err
	}
	c, inv, err := live.list(ctx, report.Deployment())
	if err != nil {
		return nil, nil, fmt.Errorf("drift: live inventory of stack %s: %w", stack, err)
	}
	report.AddLive(inv)
	return report, &remedy{
		restore:    func(ctx context.Context) error { return drift.Remediate(ctx, stk, report) },
		prune:      func(ctx context.Context, objs []inventory.Object) error { return inventory.Delete(ctx, c, objs) },
		checkPrune: func(ctx context.Context, objs []inventory.Object) error { return inventory.CheckDelete(ctx, c, objs) },
	}, nil
}
