package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/drift"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/preview"
)

// A scheduled drift job must fail fast, not hang, when the CLI fails before
// it streams any event (here: a wrong passphrase for the stack's secrets).
func TestDrift_CLIErrorBeforeEventsFailsFast(t *testing.T) {
	labenv.RequireCommand(t, "pulumi")
	ctx := context.Background()
	work := t.TempDir()
	must(t, os.WriteFile(filepath.Join(work, "Pulumi.yaml"), []byte("name: rampart-failfast\nruntime: go\n"), 0o600))
	t.Setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "")
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "right")
	stk, err := auto.UpsertStackInlineSource(ctx, "failfast", "rampart-failfast", func(*pulumi.Context) error { return nil },
		auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	must(t, err)
	t.Cleanup(func() {
		t.Setenv("PULUMI_CONFIG_PASSPHRASE", "right")
		_ = stk.Workspace().RemoveStack(ctx, stk.Name())
	})
	must(t, stk.SetConfig(ctx, "secretish", auto.ConfigValue{Value: "x", Secret: true}))
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "wrong")
	for name, run := range map[string]func() error{
		"drift":   func() error { _, err := drift.Detect(ctx, stk); return err },
		"preview": func() error { _, err := preview.Run(ctx, stk); return err },
	} {
		errc := make(chan error, 1)
		go func() { errc <- run() }()
		select {
		case err := <-errc:
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s with a wrong passphrase: err = %v, want a %s error", name, err, name)
			}
		case <-time.After(2 * time.Minute):
			t.Fatalf("%s still blocked after 2 minutes on a CLI that failed at once", name)
		}
	}
}
