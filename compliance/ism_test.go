package compliance_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
)

// TestISM_EveryChecklistControlIsACatalogControl: each ISM control an item
// supports is a control of ASD's catalog release, with its statement.
func TestISM_EveryChecklistControlIsACatalogControl(t *testing.T) {
	version, url := compliance.ISMRelease()
	if version == "" || !strings.HasPrefix(url, "https://www.cyber.gov.au/ism/oscal/v"+version+"/") {
		t.Fatalf("release %q at %q", version, url)
	}
	for _, it := range compliance.Checklist() {
		ism := it.Controls["ISM"]
		if len(ism) == 0 {
			t.Errorf("%s supports no ISM control", it.ID)
		}
		for _, label := range ism {
			c, ok := compliance.ISM(label)
			if !ok || c.ID != strings.ToLower(label) || c.Statement == "" || c.Section == "" {
				t.Errorf("%s: %q is not a control of ISM %s: %+v", it.ID, label, version, c)
			}
		}
	}
	for _, bad := range []string{"ism-1182", "ISM-1182 ", "ISM-" + "0457..0494", "ISM-" + "9999"} {
		if _, ok := compliance.ISM(bad); ok {
			t.Errorf("ISM(%q) found a control", bad)
		}
	}
}
