package sources_test

import (
	"testing"

	"github.com/rampart-dev/rampart/helpers/sources"
)

func TestName_RewritesEveryShortFormByTitle(t *testing.T) {
	for in, want := range map[string]string{
		"seed 000's floor":    "the STOA security hardening checklist's floor",
		"(seed 004)":          "(the sovereign-cloud hardening guide)",
		"meets seed 000/004.": "meets the STOA security hardening checklist and the sovereign-cloud hardening guide.",
		"Seed 000: TLS 1.2+":  "The STOA security hardening checklist: TLS 1.2+",
		"no source named":     "no source named",
	} {
		if got := sources.Name(in); got != want {
			t.Errorf("Name(%q) = %q; want %q", in, got, want)
		}
	}
}
