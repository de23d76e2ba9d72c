package compliance

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// TestDeployed_ComponentsWithoutChildrenFail: the reviewer's state — the
// components and the stack outputs left, every custom child refreshed
// away — fails the items those components carry.
func TestDeployed_ComponentsWithoutChildrenFail(t *testing.T) {
	rs := []apitype.ResourceV3{
		res(t, "rampart:ingress:Ingress", "edge", `{}`),
		res(t, "rampart:keycloak:Realm", "realm", `{}`),
		res(t, "rampart:audit:Audit", "audit", `{}`),
		res(t, "rampart:pki:PKI", "pki", `{}`),
		res(t, stackType, "s", `{"ingressGateway":"edge","keycloakRealm":"platform","auditBucket":"audit-bkt","auditLockMode":"COMPLIANCE"}`),
	}
	a := Assess("s", apitype.DeploymentV3{Resources: rs}, fixedNow)
	for _, id := range []string{"tls-ingress", "keycloak-bruteforce", "token-lifespans", "rbac-no-default-admin", "audit-trail", "secrets-vault"} {
		verdictIs(t, a, id, Fail)
	}
	// Outputs alone (the components' URNs renamed away) still mean deployed.
	a = Assess("s", apitype.DeploymentV3{Resources: rs[4:]}, fixedNow)
	for _, id := range []string{"tls-ingress", "keycloak-bruteforce", "audit-trail"} {
		verdictIs(t, a, id, Fail)
	}
	// Nothing of a component anywhere: not deployed.
	a = Assess("s", apitype.DeploymentV3{}, fixedNow)
	for _, id := range []string{"tls-ingress", "keycloak-bruteforce", "audit-trail", "secrets-vault"} {
		verdictIs(t, a, id, NotDeployed)
	}
}
