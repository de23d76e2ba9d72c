package auditpolicy

import (
	"strings"
	"testing"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// TestValidate_RefusesNoneRulesThatNameNoResource: an extra None rule with
// only users (or nothing) would silence auditing for that identity or for
// everyone; one naming resources is accepted.
func TestValidate_RefusesNoneRulesThatNameNoResource(t *testing.T) {
	for _, r := range []auditv1.PolicyRule{
		{Level: auditv1.LevelNone},
		{Level: auditv1.LevelNone, Users: []string{"system:serviceaccount:ci:deployer"}},
	} {
		a := Args{ExtraRules: []auditv1.PolicyRule{r}}
		err := a.Validate("rampart:audit.apiServerPolicy")
		if err == nil || !strings.Contains(err.Error(), "rampart:audit.apiServerPolicy.extraRules[0].level") {
			t.Errorf("None rule %+v accepted: %v", r, err)
		}
	}
	ok := Args{ExtraRules: []auditv1.PolicyRule{{Level: auditv1.LevelNone, NonResourceURLs: []string{"/metrics"}}}}
	if err := ok.Validate(""); err != nil {
		t.Errorf("a None rule for /metrics refused: %v", err)
	}
}
