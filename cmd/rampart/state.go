package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// exportDeployment is stk's state as a version-3 deployment.
func exportDeployment(ctx context.Context, stk auto.Stack) (apitype.DeploymentV3, error) {
	var dep apitype.DeploymentV3
	raw, err := stk.Export(ctx)
	if err != nil {
		return dep, fmt.Errorf("export stack %s: %w", stk.Name(), err)
	}
	if raw.Version != 3 {
		return dep, fmt.Errorf("stack %s: deployment version %d, want 3 (upgrade the pulumi CLI)", stk.Name(), raw.Version)
	}
	if err := json.Unmarshal(raw.Deployment, &dep); err != nil {
		return dep, fmt.Errorf("stack %s: read deployment: %w", stk.Name(), err)
	}
	return dep, nil
}
