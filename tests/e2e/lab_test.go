package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
	"k8s.io/client-go/kubernetes"
)

// prefix keeps the e2e stack's namespaces apart from `make up`'s local
// stack on the same lab.
const prefix = "e2e-"

// e2eConfig is Pulumi.local.yaml's configuration with every namespace
// prefixed, so both stacks can live on one lab.
func e2eConfig() map[string]any {
	var nss []map[string]any
	for _, n := range config.DefaultPlatformNamespaces() {
		m := map[string]any{"name": prefix + n.Name}
		if n.Exemption != nil {
			m["exemption"] = n.Exemption
		}
		nss = append(nss, m)
	}
	return map[string]any{
		"rampart:profile":    "local",
		"rampart:namespaces": nss,
		"rampart:ingress":    map[string]any{"namespace": prefix + "rampart-ingress"},
		"rampart:tenants":    []any{map[string]any{"name": prefix + "team-a"}, map[string]any{"name": prefix + "team-b"}},
		"rampart:gateway": map[string]any{
			"namespace": prefix + "rampart-system", "podLabels": map[string]string{"app": "rampart-gateway"},
			"controlPlane": map[string]any{"podLabels": map[string]string{"app": "control-plane-api"}, "port": 8000},
		},
	}
}

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
	proj, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The Automation API runs the program inline; `main:` points at the
	// repository's cmd/baseline (relative: Pulumi joins it to this folder)
	// so the rampart CLI, which runs the program from its local source in
	// this folder, runs the same program on the same stack.
	baseline, err := filepath.Abs("../../cmd/baseline")
	must(t, err)
	mainRel, err := filepath.Rel(work, baseline)
	must(t, err)
	var kept []string
	for _, line := range strings.Split(string(proj), "\n") {
		if strings.HasPrefix(line, "main:") {
			line = "main: " + mainRel
		}
		kept = append(kept, line)
	}
	must(t, os.WriteFile(filepath.Join(work, "Pulumi.yaml"), []byte(strings.Join(kept, "\n")), 0o600))
	stackFile, _ := json.Marshal(map[string]any{"config": e2eConfig()})
	must(t, os.WriteFile(filepath.Join(work, "Pulumi.e2e.yaml"), stackFile, 0o600))

	ctx := context.Background()
	stk, err := auto.UpsertStackInlineSource(ctx, "e2e", "rampart", stacks.Program,
		auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert e2e stack: %v", err)
	}
	// A run that died half-way left resources behind: start from nothing.
	if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{t})); err != nil {
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

// logWriter sends CLI progress to the test log (visible with -v or on failure).
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if strings.TrimSpace(line) != "" && !strings.Contains(line, "from $PATH") {
			w.t.Log(line)
		}
	}
	return len(p), nil
}
