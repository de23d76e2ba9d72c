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
)

// FromStack exports stk's state through the Automation API (after a refresh
// of the live cluster when refresh is set; progress goes to progress, which
// may be nil) and assesses it. Without refresh the verdict is on the state
// as the last update recorded it, which out-of-band edits do not change.
func FromStack(ctx context.Context, stk auto.Stack, refresh bool, progress io.Writer) (*Assessment, error) {
	if refresh {
		var opts []optrefresh.Option
		if progress != nil {
			opts = append(opts, optrefresh.ProgressStreams(progress))
		}
		if _, err := stk.Refresh(ctx, opts...); err != nil {
			return nil, fmt.Errorf("compliance: refresh stack %s (run without --refresh to assess the recorded state): %w", stk.Name(), err)
		}
	}
	raw, err := stk.Export(ctx)
	if err != nil {
		return nil, fmt.Errorf("compliance: export stack %s: %w", stk.Name(), err)
	}
	if raw.Version != 3 {
		return nil, fmt.Errorf("compliance: stack %s: deployment version %d, want 3 (upgrade the pulumi CLI)", stk.Name(), raw.Version)
	}
	var dep apitype.DeploymentV3
	if err := json.Unmarshal(raw.Deployment, &dep); err != nil {
		return nil, fmt.Errorf("compliance: stack %s: read deployment: %w", stk.Name(), err)
	}
	a := Assess(stk.Name(), dep, time.Now())
	a.Refreshed = refresh
	if a.Profile == "" {
		if v, err := stk.GetConfig(ctx, "rampart:profile"); err == nil {
			a.Profile = v.Value
		}
	}
	return a, nil
}
