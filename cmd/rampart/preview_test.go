package main

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/preview"
)

// TestRegressionError_ExitsTwoOnlyOnAnUncoveredRegression: a control going
// to fail exits 2 naming it; one an approved exemption covers, a control
// going from fail to pass, or no impact at all exit 0.
func TestRegressionError_ExitsTwoOnlyOnAnUncoveredRegression(t *testing.T) {
	flip := func(from, to compliance.Verdict, exempted bool) preview.ControlFlip {
		return preview.ControlFlip{Framework: "NIS2", Control: "Art. 21(2)(e)", From: from, To: to, Exempted: exempted}
	}
	for _, tc := range []struct {
		name string
		imp  *preview.Impact
		want int
	}{
		{"not assessed", nil, exitOK},
		{"nothing flips", &preview.Impact{}, exitOK},
		{"pass → fail", &preview.Impact{Controls: []preview.ControlFlip{flip(compliance.Pass, compliance.Fail, false)}}, exitFinding},
		{"not deployed → fail", &preview.Impact{Controls: []preview.ControlFlip{flip(compliance.NotDeployed, compliance.Fail, false)}}, exitFinding},
		{"pass → fail, exempted", &preview.Impact{Controls: []preview.ControlFlip{flip(compliance.Pass, compliance.Fail, true)}}, exitOK},
		{"fail → pass", &preview.Impact{Controls: []preview.ControlFlip{flip(compliance.Fail, compliance.Pass, false)}}, exitOK},
		{"pass → exempt", &preview.Impact{Controls: []preview.ControlFlip{flip(compliance.Pass, compliance.Exempt, false)}}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := regressionError(tc.imp)
			if got := exitCode(err); got != tc.want {
				t.Errorf("exit %d (%v), want %d", got, err, tc.want)
			}
			if tc.want == exitFinding && !strings.Contains(err.Error(), "NIS2 Art. 21(2)(e)") {
				t.Errorf("error %q does not name the control", err)
			}
		})
	}
}
