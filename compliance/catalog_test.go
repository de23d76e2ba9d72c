package compliance_test

import (
	"os"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
)

func TestChecklist_EveryItemMapsEveryFrameworkAndExistingFiles(t *testing.T) {
	for _, it := range compliance.Checklist() {
		for _, f := range compliance.Frameworks {
			if len(it.Controls[f]) == 0 || it.Controls[f][0] == "" {
				t.Errorf("%s: no %s control", it.ID, f)
			}
		}
		if it.Status == compliance.Enforced && len(it.Implementation) == 0 {
			t.Errorf("%s: enforced without implementation", it.ID)
		}
		for _, p := range it.Implementation {
			if _, err := os.Stat("../" + p); err != nil {
				t.Errorf("%s: implementation %s: %v", it.ID, p, err)
			}
		}
	}
}
