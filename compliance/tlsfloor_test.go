package compliance_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/internal/testkit"
)

// floorEvidence is tls-ingress's evidence on the ClientTrafficPolicy's floor.
func floorEvidence(t *testing.T, a *compliance.Assessment) compliance.Evidence {
	t.Helper()
	for _, e := range verdictOf(t, a, "tls-ingress").Evidence {
		if strings.HasSuffix(e.URN, "::ingress-tls-floor") && e.Field == "spec.tls.minVersion" {
			return e
		}
	}
	t.Fatalf("no floor evidence in %+v", verdictOf(t, a, "tls-ingress").Evidence)
	return compliance.Evidence{}
}

// TestAssess_TLSFloorIsTheProfilesOrATypedExceptionWithItsJustification:
// the committed prod stack's floor is 1.3 and passes stating it; a 1.2
// floor there passes only as the typed exception, its justification shown
// in the report; a prod floor lowered to 1.2 out of band fails; local's
// 1.2 default passes with no exception.
func TestAssess_TLSFloorIsTheProfilesOrATypedExceptionWithItsJustification(t *testing.T) {
	const reason = "The card scheme's payment terminals negotiate TLS 1.2 only until their 2027 firmware."

	t.Run("prod default", func(t *testing.T) {
		a := compliance.Assess("test", renderedDeployment(t, "Pulumi.prod.yaml"), now)
		e := floorEvidence(t, a)
		if !e.OK || e.Exempt || e.Value != "1.3" || e.Note != "floor TLS 1.3 (the profile's floor is 1.3)" {
			t.Errorf("floor evidence %+v", e)
		}
	})

	t.Run("prod 1.2 justified", func(t *testing.T) {
		in := maps.Clone(testkit.StackFile(t, "..", "Pulumi.prod.yaml")["rampart:ingress"].(map[string]any))
		in["tlsMinVersion"], in["tls12Justification"] = "1.2", reason
		a := compliance.Assess("test", renderedWith(t, "Pulumi.prod.yaml", map[string]any{"rampart:ingress": in}, nil), now)
		if a.Failed() {
			t.Fatalf("failing %v", failing(a))
		}
		if r := verdictOf(t, a, "tls-ingress"); r.Verdict != compliance.Pass {
			t.Errorf("tls-ingress = %s, want pass with the exempted floor", r.Verdict)
		}
		e := floorEvidence(t, a)
		if !e.Exempt || e.Value != "1.2" || !strings.Contains(e.Note, "below the profile's 1.3") || !strings.HasSuffix(e.Note, "rampart:ingress.tls12Justification: "+reason) {
			t.Errorf("floor evidence %+v", e)
		}
		if md := rendered(t, a); !strings.Contains(md, "### Exemptions") || !strings.Contains(md, reason) {
			t.Errorf("report does not list the exception with its justification:\n%s", md)
		}
	})

	t.Run("prod lowered to 1.2 out of band", func(t *testing.T) {
		dep := renderedDeployment(t, "Pulumi.prod.yaml")
		at(t, find(t, &dep, "ingress-tls-floor").Outputs, "spec", "tls").(map[string]any)["minVersion"] = "1.2"
		a := compliance.Assess("test", dep, now)
		if got := failing(a); !slices.Equal(got, []string{"tls-ingress"}) {
			t.Fatalf("failing %v, want [tls-ingress]", got)
		}
		if e := floorEvidence(t, a); e.OK || e.Exempt || !strings.Contains(e.Note, "without a written justification") {
			t.Errorf("floor evidence %+v", e)
		}
	})

	t.Run("local default", func(t *testing.T) {
		a := compliance.Assess("test", renderedDeployment(t, "Pulumi.local.yaml"), now)
		e := floorEvidence(t, a)
		if !e.OK || e.Exempt || e.Value != "1.2" || e.Note != "floor TLS 1.2 (the profile's floor is 1.2)" {
			t.Errorf("floor evidence %+v", e)
		}
	})
}
