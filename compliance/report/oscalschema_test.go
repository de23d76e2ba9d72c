package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/internal/oscalschema"
)

// Two checks of the OSCAL documents: TestOSCAL_ValidAgainstNISTSchema
// validates them against NIST's published OSCAL 1.1.3 assessment-results
// JSON schema (installed by lab/oscal/install.sh, read through
// internal/oscalschema); the model-shape tests below check, without it,
// the keys Rampart writes against the model's reference, and what the
// JSON schema does not say (every reference resolves, methods and target
// types from OSCAL's allowed values).

// Patterns of OSCAL 1.1.x's JSON schema datatypes.
var (
	oscalUUIDRe     = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`)
	oscalStringRe   = regexp.MustCompile(`^\S(.*\S)?$`)
	oscalTokenRe    = regexp.MustCompile(`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`)
	oscalDateTimeRe = regexp.MustCompile(`^(((2000|2400|2800|(19|2[0-9](0[48]|[2468][048]|[13579][26])))-02-29)|(((19|2[0-9])[0-9]{2})-02-(0[1-9]|1[0-9]|2[0-8]))|(((19|2[0-9])[0-9]{2})-(0[13578]|10|12)-(0[1-9]|[12][0-9]|3[01]))|(((19|2[0-9])[0-9]{2})-(0[469]|11)-(0[1-9]|[12][0-9]|30)))T(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?(Z|(-((0[0-9]|1[0-2]):00|0[39]:30)|\+((0[0-9]|1[0-4]):00|(0[34569]|10):30|(0[58]|12):45)))$`)
)

// oscalKeys are the keys OSCAL 1.1.3's assessment-results model allows on
// each object Rampart writes (from the model's JSON reference); required
// ones are listed in oscalRequired.
var oscalKeys = map[string][]string{
	"root":               {"assessment-results"},
	"assessment-results": {"uuid", "metadata", "import-ap", "local-definitions", "results", "back-matter"},
	"metadata":           {"title", "published", "last-modified", "version", "oscal-version", "revisions", "document-ids", "props", "links", "roles", "locations", "parties", "responsible-parties", "actions", "remarks"},
	"import-ap":          {"href", "remarks"},
	"result":             {"uuid", "title", "description", "start", "end", "props", "links", "local-definitions", "reviewed-controls", "attestations", "assessment-log", "observations", "risks", "findings", "remarks"},
	"reviewed-controls":  {"description", "props", "links", "control-selections", "control-objective-selections", "remarks"},
	"control-selection":  {"description", "props", "links", "include-all", "include-controls", "exclude-controls", "remarks"},
	"observation":        {"uuid", "title", "description", "props", "links", "methods", "types", "origins", "subjects", "relevant-evidence", "collected", "expires", "remarks"},
	"finding":            {"uuid", "title", "description", "props", "links", "origins", "target", "implementation-statement-uuid", "related-observations", "related-risks", "remarks"},
	"target":             {"type", "target-id", "title", "description", "props", "links", "status", "implementation-status", "remarks"},
	"status":             {"state", "reason", "remarks"},
	"prop":               {"name", "uuid", "ns", "value", "class", "group", "remarks"},
}

var oscalRequired = map[string][]string{
	"assessment-results": {"uuid", "metadata", "import-ap", "results"},
	"metadata":           {"title", "last-modified", "version", "oscal-version"},
	"import-ap":          {"href"},
	"result":             {"uuid", "title", "description", "start", "reviewed-controls"},
	"reviewed-controls":  {"control-selections"},
	"observation":        {"uuid", "description", "methods", "collected"},
	"finding":            {"uuid", "title", "description", "target"},
	"target":             {"type", "target-id", "status"},
	"status":             {"state"},
	"prop":               {"name", "value"},
}

type osObj = map[string]any

// TestOSCAL_ValidAgainstNISTSchema: every document the renderer writes for
// the tests' assessments (failing, exempt, partial and not-deployed items
// and controls; live and behaviour facts; nasty values; none at all) is
// valid against NIST's OSCAL assessment-results schema of the release it
// declares. The rendered local and prod stacks are validated in
// compliance's TestOSCAL_RenderedStacksAreValidAgainstNISTSchema.
func TestOSCAL_ValidAgainstNISTSchema(t *testing.T) {
	schema := oscalschema.Require(t, OSCALVersion, oscalschema.AssessmentResults)
	nasty := &compliance.Assessment{Stack: "s`|<!--\nx ", Profile: " p|\n", Generated: fixedNow}
	for i, v := range append(nastyValues, "", " ", "\t") {
		e := compliance.Evidence{URN: "urn:pulumi:s::p::kubernetes:core/v1:Namespace::" + v, Field: v, Value: v, Note: v, Object: v, Creator: v, Exempt: i%2 == 0}
		nasty.Results = append(nasty.Results, compliance.Result{Item: compliance.Checklist()[i%len(compliance.Checklist())], Verdict: compliance.Fail, Evidence: []compliance.Evidence{e}})
	}
	nasty.Controls = renderRollUp(nasty.Results)
	for name, a := range map[string]*compliance.Assessment{
		"sample": renderSample(), "repeated": repeatedSample(), "partial": partialSample(), "live": liveSample(t), "nasty": nasty,
		"empty": {Stack: "dev", Generated: fixedNow},
	} {
		var b bytes.Buffer
		if err := OSCAL(&b, a); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, v := range oscalschema.Violations(t, schema, b.Bytes()) {
			t.Errorf("%s: %s", name, v)
		}
	}
	// The schema is really applied: an empty prop value is refused.
	bad := strings.Replace(mustOSCAL(t, renderSample()), `"value": "tls-ingress"`, `"value": ""`, 1)
	if len(oscalschema.Violations(t, schema, []byte(bad))) == 0 {
		t.Error("the schema accepted an empty prop value: the validation above proves nothing")
	}
}

func mustOSCAL(t *testing.T, a *compliance.Assessment) string {
	t.Helper()
	var b bytes.Buffer
	if err := OSCAL(&b, a); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func renderOSCAL(t *testing.T, a *compliance.Assessment) osObj {
	t.Helper()
	var b bytes.Buffer
	if err := OSCAL(&b, a); err != nil {
		t.Fatalf("OSCAL: %v", err)
	}
	var doc osObj
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("OSCAL output is not JSON: %v", err)
	}
	return doc
}

func osCheck(t *testing.T, kind, path string, v any) osObj {
	t.Helper()
	o, ok := v.(osObj)
	if !ok {
		t.Fatalf("%s: %T, want an object", path, v)
	}
	for k := range o {
		if !slices.Contains(oscalKeys[kind], k) {
			t.Errorf("%s: key %q is not in OSCAL's %s", path, k, kind)
		}
	}
	for _, k := range oscalRequired[kind] {
		if _, ok := o[k]; !ok {
			t.Errorf("%s: required key %q missing", path, k)
		} else if s, isStr := o[k].(string); isStr && s == "" {
			t.Errorf("%s.%s is empty", path, k)
		}
	}
	if props, ok := o["props"].([]any); ok {
		for _, p := range props {
			po := osCheck(t, "prop", path+".props", p)
			if !oscalTokenRe.MatchString(po["name"].(string)) || po["ns"] == nil || !oscalStringRe.MatchString(po["value"].(string)) {
				t.Errorf("%s: prop %v needs a token name and Rampart's ns", path, po)
			}
		}
	}
	return o
}

func osList(t *testing.T, path string, v any) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		t.Fatalf("%s: %T (len %d), want a non-empty array", path, v, len(l))
	}
	return l
}
