package preview

import (
	"bytes"
	"strings"
	"testing"
)

func TestOwner_IsInnermostRampartComponent(t *testing.T) {
	urn := "urn:pulumi:prod::rampart::rampart:netpol:Policies$kubernetes:networking.k8s.io/v1:NetworkPolicy::team-a-policies-allow-dns"
	if got := owner(urn, "kubernetes:networking.k8s.io/v1:NetworkPolicy"); got != "rampart:netpol:Policies" {
		t.Fatalf("owner = %q", got)
	}
	if got := owner("urn:pulumi:prod::rampart::pulumi:providers:kubernetes::kubernetes", "pulumi:providers:kubernetes"); got != "" {
		t.Fatalf("provider owner = %q", got)
	}
}

func TestMarkdown_GroupsByComponentWithControls(t *testing.T) {
	p := &Plan{Stack: "prod", Steps: []Step{
		{Op: "create", Type: "kubernetes:core/v1:Namespace", Name: "team-c-ns", Component: "rampart:namespace:Namespace"},
		{Op: "update", Type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", Name: "team-a-policies-gateway-egress",
			Component: "rampart:netpol:Policies", Diffs: []string{"spec.egress[2]"}},
	}}
	var b bytes.Buffer
	if err := p.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 to create, 1 to update", "### rampart:netpol:Policies",
		"Controls: SSRF blocklist active", "NIS2 Art. 21(2)(e)", "| update | team-a-policies-gateway-egress | kubernetes:networking.k8s.io/v1:NetworkPolicy | spec.egress[2] |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, b.String())
		}
	}
}
