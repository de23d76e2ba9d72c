package compliance_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/rampart-dev/rampart/compliance"
)

// TestAssess_USControlledACMEIssuerNeedsItsSovereigntyException: an ACME
// ClusterIssuer on a US-controlled CA (the sovereign-cloud hardening guide) fails tls-ingress unless
// the stack records its typed sovereignty exception, which the report
// then shows with the approver; a European CA holds.
func TestAssess_USControlledACMEIssuerNeedsItsSovereigntyException(t *testing.T) {
	withIssuer := func(server string, exceptions []any) apitype.DeploymentV3 {
		dep := renderedDeployment(t, "Pulumi.local.yaml")
		dep.Resources = append(dep.Resources, apitype.ResourceV3{
			URN:     resource.URN("urn:pulumi:test::rampart::rampart:certmanager:CertManager$kubernetes:cert-manager.io/v1:ClusterIssuer::acme"),
			Type:    "kubernetes:cert-manager.io/v1:ClusterIssuer",
			Custom:  true,
			Outputs: map[string]any{"metadata": map[string]any{"name": "acme"}, "spec": map[string]any{"acme": map[string]any{"server": server}}},
		})
		find(t, &dep, "rampart-test").Outputs["sovereigntyExceptions"] = exceptions
		return dep
	}
	le := "https://acme-v02.api.letsencrypt.org/directory"
	exc := []any{map[string]any{"issuer": "acme", "server": le, "ca": "Let's Encrypt (ISRG, US)",
		"justification": "public status page only", "control": "NIS2 Art. 21(2)(d)", "approvedBy": "CISO"}}

	a := compliance.Assess("test", withIssuer(le, nil), now)
	if got := failing(a); !slices.Equal(got, []string{"tls-ingress"}) {
		t.Fatalf("US CA without an exception: failing %v, want [tls-ingress]", got)
	}
	if md := rendered(t, a); !strings.Contains(md, "ClusterIssuer acme") || !strings.Contains(md, "without a sovereignty exception") {
		t.Errorf("report does not name the issuer and the fix:\n%s", md)
	}

	a = compliance.Assess("test", withIssuer(le, exc), now)
	r := verdictOf(t, a, "tls-ingress")
	var exempt []compliance.Evidence
	for _, e := range r.Evidence {
		if e.Exempt {
			exempt = append(exempt, e)
		}
	}
	if r.Verdict != compliance.Pass || len(exempt) != 1 || !strings.Contains(exempt[0].Note, "approved by CISO") {
		t.Fatalf("US CA with its exception: %s, exempt evidence %+v", r.Verdict, exempt)
	}

	a = compliance.Assess("test", withIssuer("https://api.buypass.com/acme/directory", nil), now)
	if a.Failed() {
		t.Fatalf("a European ACME CA fails %v", failing(a))
	}
}
