package compliance_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
)

// fullProd is the prod stack with the audit store, the runtime
// components and the platform's RBAC on.
func fullProd(t *testing.T) apitype.DeploymentV3 {
	t.Helper()
	const mirror = "registry.sovereign.example.gov.uk"
	dep := renderedWith(t, "Pulumi.prod.yaml", map[string]any{
		"rampart:rbac": map[string]any{"enabled": true},
		"rampart:audit": map[string]any{
			"enabled": true, "bucket": "rampart-audit-prod", "endpoint": "https://s3.example.internal",
			"retention":           map[string]any{"preset": "ism"},
			"breakGlassPrincipal": "arn:aws:iam::123456789012:role/audit-break-glass",
		},
		"rampart:runtime": map[string]any{
			"enabled": true,
			"trivyOperator": map[string]any{"apiServer": map[string]any{"cidrs": []any{"10.96.0.1/32"}}, "registryCidrs": []any{"10.20.0.0/24"},
				"chart":  map[string]any{"repository": "oci://registry.sovereign.example.gov.uk/charts"},
				"airGap": map[string]any{"dbRegistry": mirror, "javaDbRegistry": mirror, "checksBundleRegistry": mirror}},
			"falco": map[string]any{"lokiUrl": "http://loki-gateway.rampart-audit.svc:80",
				"chart": map[string]any{"repository": "oci://registry.sovereign.example.gov.uk/charts"}},
		},
		// The prod stack's rule, with the audit store's host declared too.
		"rampart:sovereignty": map[string]any{"allowedJurisdictions": []any{"GB"}, "endpoints": []any{
			map[string]any{"host": "sovereign.example.gov.uk", "operator": "Sovereign Example Platform", "jurisdiction": "GB"},
			map[string]any{"host": "s3.example.internal", "operator": "Sovereign Example Platform", "jurisdiction": "GB"},
		}},
	}, map[string]string{"rampart:auditS3AccessKeyId": "AKIDEXAMPLEKEY", "rampart:auditS3SecretAccessKey": "wJalrXUtnFEMIEXAMPLESECRET"})
	// The program exports these; the mock does not record stack outputs.
	stack := find(t, &dep, "rampart-test")
	stack.Outputs["auditLockMode"] = "COMPLIANCE"
	stack.Outputs["auditRetentionPreset"] = "ism"
	stack.Outputs["sovereignty"] = []any{map[string]any{"key": "rampart:images.registry", "endpoint": mirror + "/envoyproxy/gateway",
		"role": "image", "host": mirror, "operator": "Sovereign Example Platform", "jurisdiction": "GB", "source": "declared",
		"ruled": true, "allowed": true, "excepted": false, "rule": "[GB]"}}
	return dep
}

// TestAssess_FullProdPassesEveryInfrastructureItem: with the audit store and
// the runtime components on, every item but signed commits (a repository
// setting) and admission webhooks (judged on the live cluster only, which
// Assess does not read) is deployed and passes, and the audit keys never
// show.
func TestAssess_FullProdPassesEveryInfrastructureItem(t *testing.T) {
	a := compliance.Assess("prod", fullProd(t), now)
	for _, r := range a.Results {
		want := compliance.Pass
		if r.Item.ID == "signed-commits" || r.Item.ID == "admission-webhooks" {
			want = compliance.NotDeployed
		}
		if r.Verdict != want {
			t.Errorf("%s = %s, want %s: %+v", r.Item.ID, r.Verdict, want, r.Evidence)
		}
	}
	out := rendered(t, a)
	if strings.Contains(out, "wJalrXUtnFEMIEXAMPLESECRET") || strings.Contains(out, "placeholder-") {
		t.Error("a secret is in the report")
	}
	r := verdictOf(t, a, "audit-trail")
	var mode, days bool
	for _, e := range r.Evidence {
		mode = mode || e.Field == "rule.defaultRetention.mode" && e.Value == "COMPLIANCE"
		days = days || e.Field == "rule.defaultRetention.days" && e.Value == "2557"
	}
	if !mode || !days {
		t.Errorf("audit-trail evidence lacks the lock mode or the ISM period: %+v", r.Evidence)
	}
}

// TestAssess_WeakenedPlatformServicesFailTheirItem: a GOVERNANCE lock, a
// short retention, a missing Trivy chart, a 1-hour access token, admin in
// the default roles and a non-HSM seal each fail exactly their item.
func TestAssess_WeakenedPlatformServicesFailTheirItem(t *testing.T) {
	for _, tc := range []struct {
		name, item, urnSuffix, field string
		edit                         func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3
	}{
		{"governance lock", "audit-trail", "::audit-lock", "rule.defaultRetention.mode", func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
			at(t, find(t, &dep, "audit-lock").Outputs, "rule", "defaultRetention").(map[string]any)["mode"] = "GOVERNANCE"
			return dep
		}},
		{"30-day retention", "audit-trail", "::audit-lock", "rule.defaultRetention.days", func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
			at(t, find(t, &dep, "audit-lock").Outputs, "rule", "defaultRetention").(map[string]any)["days"] = 30.0
			return dep
		}},
		{"no trivy-operator", "image-scanning", "::runtime", "trivy-operator", func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
			return without(t, dep, "runtime-trivy-operator")
		}},
		{"1-hour access tokens", "token-lifespans", "::keycloak-realm", "accessTokenLifespan", func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
			find(t, &dep, "keycloak-realm").Outputs["accessTokenLifespan"] = "1h0m0s"
			return dep
		}},
		{"brute-force detection off", "keycloak-bruteforce", "::keycloak-realm", "bruteForceDetection", func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
			delete(at(t, find(t, &dep, "keycloak-realm").Outputs, "securityDefenses").(map[string]any), "bruteForceDetection")
			return dep
		}},
		{"admin by default", "rbac-no-default-admin", "::keycloak-default-roles", "defaultRoles", func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
			r := find(t, &dep, "keycloak-default-roles")
			r.Outputs["defaultRoles"] = append(r.Outputs["defaultRoles"].([]any), "platform-admin")
			return dep
		}},
		{"shamir seal", "secrets-vault", "::openbao-chart", "seal", func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
			raft := at(t, find(t, &dep, "openbao-chart").Outputs, "values", "server", "ha", "raft").(map[string]any)
			raft["config"] = strings.Replace(raft["config"].(string), `seal "pkcs11"`, `seal "shamir"`, 1)
			return dep
		}},
		{"exported root key", "secrets-vault", "::pki-root-ca", "type", func(t *testing.T, dep apitype.DeploymentV3) apitype.DeploymentV3 {
			find(t, &dep, "pki-root-ca").Outputs["type"] = "exported"
			return dep
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := compliance.Assess("prod", tc.edit(t, fullProd(t)), now)
			if got := failing(a); !slices.Equal(got, []string{tc.item}) {
				t.Fatalf("failing items = %v, want [%s]", got, tc.item)
			}
			for _, e := range verdictOf(t, a, tc.item).Evidence {
				if !e.OK && strings.HasSuffix(e.URN, tc.urnSuffix) && strings.Contains(e.Field, tc.field) && e.Note != "" {
					return
				}
			}
			t.Errorf("no failing evidence on *%s %s: %+v", tc.urnSuffix, tc.field, verdictOf(t, a, tc.item).Evidence)
		})
	}
}
