package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
	"k8s.io/client-go/kubernetes"
)

// prefix keeps the e2e stack's namespaces apart from `make up`'s local
// stack on the same lab.
const prefix = "e2e-"

type lab struct {
	env  map[string]string
	kube kubernetes.Interface
	stk  auto.Stack
}

// newLab connects to the lab and upserts the e2e stack: the real pulumi CLI
// (source-built, on PATH via lab/pulumi-env.sh) drives Rampart's program
// inline, with the repo's Pulumi.yaml and a stack file written to a temp dir.
func newLab(t *testing.T) *lab {
	t.Helper()
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG", "RAMPART_LAB_AUDIT_LOG")
	labenv.RequireCommand(t, "pulumi")
	t.Setenv("KUBECONFIG", env["RAMPART_LAB_KUBECONFIG"])
	kube, _ := testkit.KubeClient(t, env["RAMPART_LAB_KUBECONFIG"])
	work := t.TempDir()
	testkit.WriteProject(t, "../..", work)
	stackFile, _ := json.Marshal(map[string]any{"config": testkit.PrefixedLocalConfig(prefix)})
	must(t, os.WriteFile(filepath.Join(work, "Pulumi.e2e.yaml"), stackFile, 0o600))

	ctx := context.Background()
	stk, err := auto.UpsertStackInlineSource(ctx, "e2e", "rampart", stacks.Program,
		auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert e2e stack: %v", err)
	}
	// A run that died half-way left resources behind: start from nothing.
	if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("clean up a previous run: %v", err)
	}
	return &lab{env: env, kube: kube, stk: stk}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// logWriter sends CLI progress to the test log.
type logWriter = testkit.LogWriter
