package compliance_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
)

// withoutType returns dep without its resources of type typ, as a refresh
// leaves the state after they were deleted out of band (their component
// stays).
func withoutType(t *testing.T, dep apitype.DeploymentV3, typ string) apitype.DeploymentV3 {
	t.Helper()
	var out apitype.DeploymentV3
	for _, r := range dep.Resources {
		if string(r.Type) != typ {
			out.Resources = append(out.Resources, r)
		}
	}
	if len(out.Resources) == len(dep.Resources) {
		t.Fatalf("no %s in the deployment", typ)
	}
	return out
}

// TestAssess_ChildDeletedOutOfBandFailsNotNotDeployed: "deployed" comes
// from the component (or the stack outputs), not from the children left in
// the state; a child deleted out of band and refreshed away fails its item,
// naming what is missing, instead of turning it into "not deployed".
func TestAssess_ChildDeletedOutOfBandFailsNotNotDeployed(t *testing.T) {
	for _, tc := range []struct {
		typ, what string
		items     []string
	}{
		{"kubernetes:gateway.networking.k8s.io/v1:Gateway", "Gateway", []string{"tls-ingress"}},
		{"keycloak:index/realm:Realm", "realm", []string{"keycloak-bruteforce", "token-lifespans", "rbac-no-default-admin"}},
		{"aws:s3/bucketV2:BucketV2", "audit bucket", []string{"audit-trail"}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			a := compliance.Assess("prod", withoutType(t, fullProd(t), tc.typ), now)
			for _, id := range tc.items {
				r := verdictOf(t, a, id)
				if r.Verdict != compliance.Fail {
					t.Errorf("%s = %s, want fail: %+v", id, r.Verdict, r.Evidence)
					continue
				}
				named := false
				for _, e := range r.Evidence {
					named = named || (!e.OK && e.Value == "absent" && strings.Contains(e.Field, tc.what) && strings.Contains(e.Note, "deleted out of band"))
				}
				if !named {
					t.Errorf("%s: no failing fact names the missing %s: %+v", id, tc.what, r.Evidence)
				}
			}
		})
	}
	// The PKI's CA: the root certificate or the intermediate CSR.
	dep := fullProd(t)
	for _, typ := range []string{"vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert", "vault:pkiSecret/secretBackendIntermediateCertRequest:SecretBackendIntermediateCertRequest"} {
		for _, r := range dep.Resources {
			if string(r.Type) == typ {
				dep = withoutType(t, dep, typ)
				break
			}
		}
	}
	if r := verdictOf(t, compliance.Assess("prod", dep, now), "secrets-vault"); r.Verdict != compliance.Fail {
		t.Errorf("secrets-vault without its CA = %s, want fail: %+v", r.Verdict, r.Evidence)
	}
}
