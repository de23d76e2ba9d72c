package sources_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/helpers/sources"
)

func TestTitles_AreProseNames(t *testing.T) {
	for _, name := range []string{sources.Checklist, sources.Guide} {
		if !strings.HasPrefix(name, "the ") || !strings.Contains(name, "hardening") {
			t.Errorf("%q is not the prose name of a source document", name)
		}
	}
}
