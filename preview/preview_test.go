package preview

import (
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
