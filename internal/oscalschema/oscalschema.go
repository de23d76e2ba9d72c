// Package oscalschema gives tests NIST's published OSCAL JSON schemas, as
// lab/oscal/install.sh installs them (pinned by sha256) into the lab's
// cache, compiled with github.com/santhosh-tekuri/jsonschema/v5.
//
// A missing schema fails the test under `make test` (RAMPART_REQUIRE_LAB=1,
// whose lab_ready installs it) and skips it elsewhere, both naming the
// command that installs it.
package oscalschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// Model file names in the installed folder, as the jar carries them.
const (
	// AssessmentResults is the assessment-results model's schema.
	AssessmentResults = "oscal-ar_schema.json"
	// POAM is the plan-of-action-and-milestones model's schema.
	POAM = "oscal-poam_schema.json"
)

// Install is the command that installs the schemas.
const Install = "bash lab/oscal/install.sh"

// Dir is where lab/oscal/install.sh installs release version's schemas:
// Cache()/oscal/oscal-<version>.
func Dir(version string) string {
	return filepath.Join(labenv.Cache(), "oscal", "oscal-"+version)
}

// Require compiles model's schema of OSCAL release version (the release a
// renderer writes, e.g. report.OSCALVersion), and checks it is that
// release's: its $id names "-<version>-schema.json". The schemas are
// draft-07, whose formats (date-time, uri, email, …) the library asserts.
func Require(t testing.TB, version, model string) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(Dir(version), model)
	raw, err := os.ReadFile(path)
	if err != nil {
		msg := fmt.Sprintf("NIST's OSCAL %s schema %s is not installed (%v): run `%s`", version, model, err, Install)
		if os.Getenv("RAMPART_REQUIRE_LAB") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var head struct {
		ID string `json:"$id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || !strings.HasSuffix(head.ID, "-"+version+"-schema.json") {
		t.Fatalf("%s: $id %q (%v) is not OSCAL %s's: run `%s` again", path, head.ID, err, version, Install)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(path, bytes.NewReader(raw)); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return s
}

// Violations validates doc (a JSON document) against s and returns one line
// per violation ("<instance location>: <message>"), nil when it is valid.
func Violations(t testing.TB, s *jsonschema.Schema, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	err := s.Validate(v)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		t.Fatalf("validate: %v", err)
	}
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, e.InstanceLocation+": "+e.Message)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}
