package testkit

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/stacks"
	"gopkg.in/yaml.v3"
)

// OperatorSecrets are the keys an operator sets on a committed stack with
// `pulumi config set --secret`: the stack file cannot hold them (Pulumi
// encrypts them per stack), so tests stand in placeholder values.
var OperatorSecrets = map[string][]string{
	"Pulumi.prod.yaml": {"rampart:openbaoHsmPin", "rampart:openbaoDeployerPassword", "rampart:keycloakClientSecret", "rampart:keycloakSmtpPassword"},
}

// StackFile reads the config map of a committed stack file, found from
// dir (the repository root, e.g. "../..").
func StackFile(t testing.TB, dir, file string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return doc.Config
}

// Flatten turns a stack file's config into what the engine hands a program:
// strings as they are, objects and lists as their JSON text.
func Flatten(t testing.TB, cfg map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range cfg {
		if s, ok := v.(string); ok {
			out[k] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = string(b)
	}
	return out
}

// RunStackFile runs the real program (config.LoadWith + stacks.Run) with a
// committed stack file's config under the recording mock, the operator's
// secrets stood in by placeholders and no DNS; it fails the test when the
// program fails.
func RunStackFile(t testing.TB, dir, file string) (*recmock.Recorder, *config.Config) {
	t.Helper()
	return RunStackFileWith(t, dir, file, nil, nil)
}

// RunStackFileWith is RunStackFile with config sections added or replaced
// (objects as JSON, as the engine hands them over) and secret keys set.
func RunStackFileWith(t testing.TB, dir, file string, sections map[string]any, secrets map[string]string) (*recmock.Recorder, *config.Config) {
	t.Helper()
	flat := Flatten(t, StackFile(t, dir, file))
	for k, v := range Flatten(t, sections) {
		flat[k] = v
	}
	keys := append([]string(nil), OperatorSecrets[file]...)
	for _, k := range keys {
		flat[k] = "placeholder-" + k
	}
	for k, v := range secrets {
		flat[k] = v
		keys = append(keys, k)
	}
	noDNS := func(context.Context, string) ([]netip.Addr, error) {
		return nil, errors.New("tests resolve no names")
	}
	rec := recmock.New()
	var cfg *config.Config
	err := rec.Run(func(ctx *pulumi.Context) error {
		var err error
		if cfg, err = config.LoadWith(ctx, noDNS); err != nil {
			return err
		}
		return stacks.Run(ctx, cfg)
	}, recmock.WithConfig(flat, keys...))
	if err != nil {
		if len(sections) > 0 {
			t.Fatalf("%s with %v under mocks: %v", file, sections, err)
		}
		t.Fatalf("%s under mocks: %v", file, err)
	}
	return rec, cfg
}
