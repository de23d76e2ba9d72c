package compliance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/rampart-dev/rampart/inventory"
)

// Options choose what FromStack reads besides the stack's recorded state.
type Options struct {
	// Refresh refreshes the state from the live cluster first. A refresh
	// reads back only the objects in the state: an object created out of
	// band stays invisible to it (see Live).
	Refresh bool
	// Progress receives the refresh's progress; nil discards it.
	Progress io.Writer
	// Live, when set, reads the live cluster for the deployment (refreshed
	// or not): the assessment is then AssessLive's, which judges every
	// object the inventory lists, declared or not. cmd/rampart sets it to
	// inventory.Connect + inventory.List for `check --live`.
	Live func(ctx context.Context, dep apitype.DeploymentV3) (*inventory.Inventory, error)
}

// FromStack exports stk's state through the Automation API (after a refresh
// of the live cluster when opts.Refresh is set), reads the live cluster
// when opts.Live is set, and assesses them. Without either, the verdict is
// on the state as the last update recorded it, which out-of-band edits do
// not change.
func FromStack(ctx context.Context, stk auto.Stack, opts Options) (*Assessment, error) {
	if opts.Refresh {
		var ro []optrefresh.Option
		if opts.Progress != nil {
			ro = append(ro, optrefresh.ProgressStreams(opts.Progress))
		}
		if _, err := stk.Refresh(ctx, ro...); err != nil {
			return nil, fmt.Errorf("compliance: refresh stack %s (run without --refresh to assess the recorded state): %w", stk.Name(), err)
		}
	}
	raw, dep, err := exportDeployment(ctx, stk)
	if err != nil {
		return nil, err
	}
	var inv *inventory.Inventory
	if opts.Live != nil {
		if inv, err = opts.Live(ctx, dep); err != nil {
			return nil, fmt.Errorf("compliance: stack %s: read the live cluster: %w", stk.Name(), err)
		}
		if inv == nil {
			return nil, fmt.Errorf("compliance: stack %s: the live read returned no inventory", stk.Name())
		}
	}
	a := AssessStack(ctx, stk, dep, inv)
	a.Refreshed = opts.Refresh
	a.Export, a.ExportVersion = raw.Deployment, raw.Version
	return a, nil
}

// ExportDeployment is stk's state as a version-3 deployment, as the
// evaluators, the live inventory and verify's intent read it.
func ExportDeployment(ctx context.Context, stk auto.Stack) (apitype.DeploymentV3, error) {
	_, dep, err := exportDeployment(ctx, stk)
	return dep, err
}

// exportDeployment is ExportDeployment with the export as the CLI gave it.
func exportDeployment(ctx context.Context, stk auto.Stack) (apitype.UntypedDeployment, apitype.DeploymentV3, error) {
	var dep apitype.DeploymentV3
	raw, err := stk.Export(ctx)
	if err != nil {
		return raw, dep, fmt.Errorf("compliance: export stack %s: %w", stk.Name(), err)
	}
	if raw.Version != 3 {
		return raw, dep, fmt.Errorf("compliance: stack %s: deployment version %d, want 3 (upgrade the pulumi CLI)", stk.Name(), raw.Version)
	}
	if err := json.Unmarshal(raw.Deployment, &dep); err != nil {
		return raw, dep, fmt.Errorf("compliance: stack %s: read deployment: %w", stk.Name(), err)
	}
	return raw, dep, nil
}

// AssessStack is AssessLive on stk's deployment dep (inv may be nil: the
// state alone), its profile read from the stack's config when the state
// does not export it.
func AssessStack(ctx context.Context, stk auto.Stack, dep apitype.DeploymentV3, inv *inventory.Inventory) *Assessment {
	a := AssessLive(stk.Name(), dep, inv, time.Now())
	if a.Profile == "" {
		if v, err := stk.GetConfig(ctx, "rampart:profile"); err == nil {
			a.Profile = v.Value
		}
	}
	return a
}
