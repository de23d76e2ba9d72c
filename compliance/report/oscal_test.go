package report

import (
	"bytes"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/compliance"
)

// TestOSCAL_ModelShape: every object has OSCAL's required keys and no key
// outside the model; UUIDs, tokens and date-times match OSCAL's patterns;
// every reference (import-ap, subject, related observation) resolves.
func TestOSCAL_ModelShape(t *testing.T) {
	a := renderSample()
	doc := renderOSCAL(t, a)
	osCheck(t, "root", "$", doc)
	ar := osCheck(t, "assessment-results", "assessment-results", doc["assessment-results"])
	md := osCheck(t, "metadata", "metadata", ar["metadata"])
	if md["oscal-version"] != "1.1.3" || md["last-modified"] != "2026-12-03T08:00:00Z" || !oscalDateTimeRe.MatchString(md["last-modified"].(string)) {
		t.Errorf("metadata: %v", md)
	}
	ap := osCheck(t, "import-ap", "import-ap", ar["import-ap"])
	href := strings.TrimPrefix(ap["href"].(string), "#")
	bm, _ := ar["back-matter"].(osObj)
	found := false
	for _, r := range osList(t, "back-matter.resources", bm["resources"]) {
		found = found || r.(osObj)["uuid"] == href
	}
	if !found {
		t.Errorf("import-ap href %q resolves to no back-matter resource", ap["href"])
	}
	results := osList(t, "results", ar["results"])
	res := osCheck(t, "result", "results[0]", results[0])
	if !oscalDateTimeRe.MatchString(res["start"].(string)) {
		t.Errorf("start %q is not an OSCAL date-time", res["start"])
	}
	rc := osCheck(t, "reviewed-controls", "reviewed-controls", res["reviewed-controls"])
	var controlIDs []string
	ismCatalog := map[string]string{} // back-matter uuid → rlink href
	for _, r := range osList(t, "back-matter.resources", bm["resources"]) {
		rlinks, _ := r.(osObj)["rlinks"].([]any)
		for _, l := range rlinks {
			ismCatalog[r.(osObj)["uuid"].(string)] = l.(osObj)["href"].(string)
		}
	}
	for _, s := range osList(t, "control-selections", rc["control-selections"]) {
		sel := osCheck(t, "control-selection", "control-selection", s)
		if sel["description"] == "ISM controls supported by the checklist" {
			// ASD's ids: the selection cites the catalog release.
			version, url := compliance.ISMRelease()
			links, _ := sel["links"].([]any)
			if len(links) != 1 || ismCatalog[strings.TrimPrefix(links[0].(osObj)["href"].(string), "#")] != url {
				t.Errorf("the ISM selection's links %v do not resolve to the catalog %s (release %s)", sel["links"], url, version)
			}
		}
		for _, c := range osList(t, "include-controls", sel["include-controls"]) {
			id := c.(osObj)["control-id"].(string)
			if !oscalTokenRe.MatchString(id) {
				t.Errorf("control-id %q is not an OSCAL token", id)
			}
			controlIDs = append(controlIDs, id)
		}
	}
	for _, want := range []string{"nis2_art-21-2-h", "dora_art-9-4-d", "ce-plus_ce-3", "itsg-33_sc-8-sc-13", "ism-1552", "ism-1182"} {
		if !slices.Contains(controlIDs, want) {
			t.Errorf("reviewed controls %v lack %s", controlIDs, want)
		}
	}
	inventory := map[string]bool{}
	for _, it := range osList(t, "inventory-items", res["local-definitions"].(osObj)["inventory-items"]) {
		inventory[it.(osObj)["uuid"].(string)] = true
	}
	observations := map[string]bool{}
	for i, o := range osList(t, "observations", res["observations"]) {
		ob := osCheck(t, "observation", "observation", o)
		observations[ob["uuid"].(string)] = true
		for _, m := range osList(t, "methods", ob["methods"]) {
			if !slices.Contains([]string{"EXAMINE", "INTERVIEW", "TEST", "UNKNOWN"}, m.(string)) {
				t.Errorf("observation %d: method %q", i, m)
			}
		}
		if !oscalDateTimeRe.MatchString(ob["collected"].(string)) {
			t.Errorf("observation %d: collected %q", i, ob["collected"])
		}
		subjects, _ := ob["subjects"].([]any)
		for _, s := range subjects {
			so := s.(osObj)
			if so["type"] != "inventory-item" || !inventory[so["subject-uuid"].(string)] {
				t.Errorf("observation %d: subject %v is not a local inventory item", i, so)
			}
		}
		evidence, _ := ob["relevant-evidence"].([]any)
		for _, e := range evidence {
			if d, _ := e.(osObj)["description"].(string); d == "" {
				t.Errorf("observation %d: relevant-evidence without a description", i)
			}
		}
	}
	if len(observations) != len(a.Results) {
		t.Errorf("%d observations, want one per item (%d)", len(observations), len(a.Results))
	}
	findings := osList(t, "findings", res["findings"])
	if len(findings) != len(a.Results)+len(a.Controls) {
		t.Errorf("%d findings, want %d items + %d controls", len(findings), len(a.Results), len(a.Controls))
	}
	for i, f := range findings {
		fo := osCheck(t, "finding", "finding", f)
		tg := osCheck(t, "target", "finding.target", fo["target"])
		st := osCheck(t, "status", "finding.target.status", tg["status"])
		if !slices.Contains([]string{"objective-id", "statement-id"}, tg["type"].(string)) || !oscalTokenRe.MatchString(tg["target-id"].(string)) {
			t.Errorf("finding %d: target %v", i, tg)
		}
		if st["state"] != "satisfied" && st["state"] != "not-satisfied" {
			t.Errorf("finding %d: state %v", i, st["state"])
		}
		for _, r := range osList(t, "related-observations", fo["related-observations"]) {
			if !observations[r.(osObj)["observation-uuid"].(string)] {
				t.Errorf("finding %d: related observation %v does not exist", i, r)
			}
		}
	}
}

func osFinding(t *testing.T, doc osObj, targetID string) (osObj, osObj) {
	t.Helper()
	res := doc["assessment-results"].(osObj)["results"].([]any)[0].(osObj)
	for _, f := range res["findings"].([]any) {
		tg := f.(osObj)["target"].(osObj)
		if tg["target-id"] == targetID {
			return f.(osObj), tg["status"].(osObj)
		}
	}
	t.Fatalf("no finding targets %q", targetID)
	return nil, nil
}

// TestOSCAL_VerdictsBecomeStates: every failing item and control is a
// not-satisfied finding with reason fail and its note; only a pass is
// satisfied; an exemption is not-satisfied with its justification.
func TestOSCAL_VerdictsBecomeStates(t *testing.T) {
	a := renderSample()
	doc := renderOSCAL(t, a)
	fails := 0
	for _, r := range a.Results {
		_, st := osFinding(t, doc, r.Item.ID)
		want := map[compliance.Verdict][2]string{compliance.Pass: {"satisfied", "pass"}, compliance.Fail: {"not-satisfied", "fail"}, compliance.Exempt: {"not-satisfied", "other"}, compliance.NotDeployed: {"not-satisfied", "other"}}[r.Verdict]
		if st["state"] != want[0] || st["reason"] != want[1] {
			t.Errorf("%s (%s): status %v, want %v", r.Item.ID, r.Verdict, st, want)
		}
		if r.Verdict == compliance.Fail {
			fails++
			for _, e := range r.Evidence {
				if !e.OK && !strings.Contains(st["remarks"].(string), e.Note) {
					t.Errorf("%s: remarks %q lack the failing note %q", r.Item.ID, st["remarks"], e.Note)
				}
			}
		}
	}
	if fails != 2 {
		t.Fatalf("%d failing items checked, want 2", fails)
	}
	if _, st := osFinding(t, doc, "pss-restricted"); st["state"] != "satisfied" || !strings.Contains(st["remarks"].(string), "exempted urn:pulumi:prod::rampart::rampart:namespace:Namespace$kubernetes:core/v1:Namespace::falco: Falco's modern_ebpf probe") {
		t.Errorf("a pass with an exempted namespace: status %v, want satisfied naming the exemption", st)
	}
	if _, st := osFinding(t, doc, "secrets-vault"); !strings.Contains(st["remarks"].(string), "the seal key is in the cloud KMS") {
		t.Errorf("exempt item's remarks %q lack the justification", st["remarks"])
	}
	exemptFacts := 0
	res := doc["assessment-results"].(osObj)["results"].([]any)[0].(osObj)
	for _, o := range res["observations"].([]any) {
		ev, _ := o.(osObj)["relevant-evidence"].([]any)
		for _, e := range ev {
			for _, p := range e.(osObj)["props"].([]any) {
				if p.(osObj)["name"] == "exempt" && p.(osObj)["value"] == "true" {
					exemptFacts++
				}
			}
		}
	}
	if exemptFacts != 2 {
		t.Errorf("%d relevant-evidence entries marked exempt, want 2", exemptFacts)
	}
	for _, c := range a.Controls {
		f, st := osFinding(t, doc, oscalControlToken(c.Framework, c.Control)+"_smt")
		if (c.Verdict == compliance.Pass) != (st["state"] == "satisfied") {
			t.Errorf("%s %s (%s): state %v", c.Framework, c.Control, c.Verdict, st["state"])
		}
		if f["title"] != c.Framework+" "+c.Control {
			t.Errorf("control finding title %q, want the label %q", f["title"], c.Framework+" "+c.Control)
		}
	}
	if _, st := osFinding(t, doc, "nis2_art-21-2-h_smt"); st["state"] != "not-satisfied" {
		t.Errorf("NIS2 Art. 21(2)(h) (tls-ingress fails): %v", st)
	}
}

func osUUIDs(v any, key string, out map[string][]string) {
	switch x := v.(type) {
	case osObj:
		for k, c := range x {
			if s, ok := c.(string); ok && (k == "uuid" || strings.HasSuffix(k, "-uuid")) {
				out[key+"."+k] = append(out[key+"."+k], s)
			}
			osUUIDs(c, k, out)
		}
	case []any:
		for _, c := range x {
			osUUIDs(c, key, out)
		}
	}
}

// TestOSCAL_UUIDsAreValidAndPerAssessment: every UUID matches OSCAL's
// pattern (v5 here) and definitions are unique; the same assessment renders
// the same UUIDs; a run at another time gives the document, the result, the
// observations and the findings new UUIDs (a tool deduplicating by UUID
// must not merge two assessments) while the resources and the plan keep
// theirs; another stack gets other ones; an evidence change alone moves
// none.
func TestOSCAL_UUIDsAreValidAndPerAssessment(t *testing.T) {
	ids := func(a *compliance.Assessment) map[string][]string {
		out := map[string][]string{}
		osUUIDs(renderOSCAL(t, a), "$", out)
		return out
	}
	first := ids(renderSample())
	var defs []string
	for k, l := range first {
		for _, u := range l {
			if !oscalUUIDRe.MatchString(u) || u[14] != '5' {
				t.Errorf("%s: %q is not a v5 UUID", k, u)
			}
		}
		if strings.HasSuffix(k, ".uuid") {
			defs = append(defs, l...)
		}
	}
	if len(defs) < 40 {
		t.Fatalf("only %d UUID definitions found", len(defs))
	}
	sort.Strings(defs)
	for i := 1; i < len(defs); i++ {
		if defs[i] == defs[i-1] {
			t.Errorf("UUID %s defined twice", defs[i])
		}
	}
	if again := ids(renderSample()); !osSameIDs(first, again) {
		t.Error("the same assessment rendered different UUIDs")
	}
	later := renderSample()
	later.Generated = later.Generated.Add(26 * time.Hour)
	later.Refreshed = true
	again := ids(later)
	perRun := map[string]bool{"assessment-results.uuid": true, "results.uuid": true, "observations.uuid": true, "findings.uuid": true,
		"related-observations.observation-uuid": true}
	for _, k := range []string{"assessment-results.uuid", "results.uuid", "observations.uuid", "findings.uuid", "inventory-items.uuid", "resources.uuid"} {
		if len(first[k]) == 0 {
			t.Fatalf("no %s in the document: %v", k, first)
		}
	}
	for k, l := range first {
		for _, u := range l {
			reused := slices.Contains(again[k], u)
			switch {
			case perRun[k] && reused:
				t.Errorf("%s %s reused by a run 26h later: two assessments would merge", k, u)
			case !perRun[k] && !reused:
				t.Errorf("%s %s (a resource or the plan) changed between runs", k, u)
			}
		}
	}
	other := renderSample()
	other.Stack = "staging"
	for k, l := range ids(other) {
		for _, u := range l {
			if slices.Contains(defs, u) && strings.HasSuffix(k, ".uuid") {
				t.Errorf("stack staging reuses prod's UUID %s (%s)", u, k)
			}
		}
	}
	changed := renderSample()
	changed.Results[1].Evidence[0].Value = " "
	if again := ids(changed); !osSameIDs(first, again) {
		t.Error("an evidence value change moved UUIDs")
	}
}

func osSameIDs(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, l := range a {
		x, y := slices.Clone(l), slices.Clone(b[k])
		sort.Strings(x)
		sort.Strings(y)
		if !slices.Equal(x, y) {
			return false
		}
	}
	return true
}

// TestOSCAL_ControlToken keeps labels readable and valid as OSCAL tokens.
func TestOSCAL_ControlToken(t *testing.T) {
	for _, c := range []struct{ fw, label, want string }{
		{"NIS2", "Art. 21(2)(h)", "nis2_art-21-2-h"},
		{"CE+", "CE-4 (secure configuration)", "ce-plus_ce-4-secure-configuration"},
		{"ITSG-33", "SC-7(5)", "itsg-33_sc-7-5"},
		{"ISM", "ISM-1182", "ism-1182"},
		{"", "", "x_x"},
		{"9", "—", "x-9_x"},
	} {
		got := oscalControlToken(c.fw, c.label)
		if got != c.want || !oscalTokenRe.MatchString(got) {
			t.Errorf("oscalControlToken(%q, %q) = %q, want %q (a token)", c.fw, c.label, got, c.want)
		}
	}
}

// TestOSCAL_EmptyAssessment is still a valid document: reviewed-controls
// needs one selection even without a roll-up.
func TestOSCAL_EmptyAssessment(t *testing.T) {
	doc := renderOSCAL(t, &compliance.Assessment{Stack: "dev", Generated: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	res := doc["assessment-results"].(osObj)["results"].([]any)[0].(osObj)
	rc := osCheck(t, "reviewed-controls", "reviewed-controls", res["reviewed-controls"])
	osList(t, "control-selections", rc["control-selections"])
	osCheck(t, "result", "results[0]", res)
}

// TestOSCAL_NeedsGenerationTime: OSCAL's dates are required, so a zero
// Generated is an error that names the field, not a made-up date.
func TestOSCAL_NeedsGenerationTime(t *testing.T) {
	var b bytes.Buffer
	err := OSCAL(&b, &compliance.Assessment{Stack: "dev"})
	if err == nil || !strings.Contains(err.Error(), "Assessment.Generated") || b.Len() != 0 {
		t.Fatalf("err = %v, output %d bytes: want an error naming Assessment.Generated and no output", err, b.Len())
	}
}
