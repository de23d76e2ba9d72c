package certmanager_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/rampart-dev/rampart/components/certmanager"
	"github.com/rampart-dev/rampart/helpers/image"
)

// chartDir is the pinned chart inside the cert-manager module go.mod
// requires (the same release as ChartVersion): the module cache holds it
// after `go mod download`, no network needed.
func chartDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "github.com", "cert-manager", "cert-manager@"+certmanager.ChartVersion, "deploy", "charts", "cert-manager")
}

// TestChartValues_ValidateAgainstTheUpstreamChartSchema checks the values
// against the v1.21.2 chart's own values.schema.json, which Helm applies on
// install and which forbids unknown keys at every level: each key Rampart
// sets (crds.keep, config.gatewayAPI, webhook.image.digest, …) exists in
// this chart, with the type it expects.
func TestChartValues_ValidateAgainstTheUpstreamChartSchema(t *testing.T) {
	path := filepath.Join(chartDir(t), "values.schema.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the pinned chart's schema (run go mod download): %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("values.schema.json", strings.NewReader(string(raw))); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("values.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]*certmanager.CertManagerArgs{"defaults": validArgs(), "mirror": func() *certmanager.CertManagerArgs {
		a := validArgs()
		a.Images = image.Images{Registry: "registry.example.org/mirror", Overrides: map[string]string{
			"jetstack/cert-manager-webhook": "registry.example.org/rebuilt/webhook@sha256:" + strings.Repeat("ab", 32)}}
		return a
	}()} {
		b, err := json.Marshal(certmanager.ChartValues(a))
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(v); err != nil {
			t.Errorf("%s: values rejected by the chart's schema: %#v", name, err)
		}
	}
	// The schema really is strict: a misspelt key is refused.
	bad := map[string]any{"crds": map[string]any{"enabled": true, "kept": true}}
	if err := schema.Validate(bad); err == nil {
		t.Error("the chart schema accepted an unknown key; the check above proves nothing")
	}
}
