package preview

import (
	"strings"
	"testing"
)

func TestSecurity_FlagsControlObjectsAndWeakeningUpdates(t *testing.T) {
	upd := func(paths ...string) []Change {
		var cs []Change
		for _, p := range paths {
			cs = append(cs, Change{Path: p, Kind: "update", Old: "a", New: "b"})
		}
		return cs
	}
	for _, tc := range []struct {
		name string
		step Step
		want string // substring of the reason, "" for not security-relevant
	}{
		{"netpol delete", Step{Op: "delete", Type: "kubernetes:networking.k8s.io/v1:NetworkPolicy"}, "NetworkPolicy: the pods it selects"},
		{"netpol egress update", Step{Op: "update", Type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", Changes: upd("spec.egress[0].to[1]")}, "changes which traffic is allowed — spec.egress[0].to[1]"},
		{"netpol create", Step{Op: "create", Type: "kubernetes:networking.k8s.io/v1:NetworkPolicy"}, ""},
		{"namespace replace", Step{Op: "replace", Type: "kubernetes:core/v1:Namespace", Changes: upd("metadata.name")}, "deletes every object in it"},
		{"namespace annotation update", Step{Op: "update", Type: "kubernetes:core/v1:Namespace", Changes: upd("metadata.annotations.owner")}, ""},
		{"namespace PSS label", Step{Op: "update", Type: "kubernetes:core/v1:Namespace", Changes: upd(`metadata.labels["pod-security.kubernetes.io/enforce"]`)}, "Pod Security Standard labels"},
		{"cluster issuer replace", Step{Op: "replace", Type: "kubernetes:cert-manager.io/v1:ClusterIssuer"}, "certificates are not issued"},
		{"issuer delete", Step{Op: "delete", Type: "kubernetes:cert-manager.io/v1:Issuer"}, "certificates are not issued"},
		{"object lock retention", Step{Op: "update", Type: "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", Changes: upd("rule.defaultRetention.days")}, "retention"},
		{"object lock delete", Step{Op: "delete", Type: "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"}, "no longer immutable"},
		{"client traffic policy delete", Step{Op: "delete", Type: "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"}, "TLS floor"},
		{"realm replace", Step{Op: "replace", Type: "keycloak:index/realm:Realm"}, "users, clients and sessions"},
		{"realm brute force off", Step{Op: "update", Type: "keycloak:index/realm:Realm", Changes: upd("securityDefenses.bruteForceDetection.permanentLockout")}, "login security"},
		{"realm display name", Step{Op: "update", Type: "keycloak:index/realm:Realm", Changes: upd("displayName")}, ""},
		{"seal secret", Step{Op: "update", Type: "kubernetes:core/v1:Secret", Name: "openbao-seal", Component: "rampart:openbao:OpenBao", Changes: upd("stringData")}, "unseals"},
		{"other secret", Step{Op: "delete", Type: "kubernetes:core/v1:Secret", Name: "app-creds", Component: "rampart:openbao:OpenBao"}, ""},
		{"quota", Step{Op: "replace", Type: "kubernetes:core/v1:ResourceQuota"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := security(&tc.step)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("security = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

// TestSecurity_AuditBucketAndDefaultRoles: the audit trail's bucket and its
// configuration children (components/audit), and the realm's default roles
// (components/keycloak), are called out when deleted, replaced or changed.
func TestSecurity_AuditBucketAndDefaultRoles(t *testing.T) {
	const audit = "urn:pulumi:prod::rampart::rampart:audit:Audit$"
	const realm = "urn:pulumi:prod::rampart::rampart:keycloak:Realm$"
	upd := func(p string) []Change { return []Change{{Path: p, Kind: "update", Old: "a", New: "b"}} }
	step := func(op, urnPrefix, typ, name string, changes []Change) Step {
		return Step{Op: op, URN: urnPrefix + typ + "::" + name, Type: typ, Name: name, Changes: changes}
	}
	const (
		bucket  = "aws:s3/bucketV2:BucketV2"
		version = "aws:s3/bucketVersioningV2:BucketVersioningV2"
		policy  = "aws:s3/bucketPolicy:BucketPolicy"
		lock    = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
		sse     = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
		roles   = "keycloak:index/defaultRoles:DefaultRoles"
	)
	for _, tc := range []struct {
		name string
		step Step
		want string
	}{
		{"audit bucket delete", step("delete", audit, bucket, "audit-bucket", nil), "audit bucket: the audit trail"},
		{"audit bucket replace", step("replace", audit, bucket, "audit-bucket", upd("bucket")), "audit bucket: the audit trail"},
		{"audit bucket force destroy", step("update", audit, bucket, "audit-bucket", upd("forceDestroy")), "lets a destroy empty it — forceDestroy"},
		{"audit bucket tags", step("update", audit, bucket, "audit-bucket", upd("tags")), ""},
		{"other bucket delete", step("delete", "urn:pulumi:prod::rampart::", bucket, "scratch", nil), ""},
		{"audit versioning delete", step("delete", audit, version, "audit-versioning", nil), "Object Lock needs it"},
		{"audit versioning suspended", step("update", audit, version, "audit-versioning", upd("versioningConfiguration.status")), "versioning"},
		{"audit policy delete", step("delete", audit, policy, "audit-policy", nil), "deny on deleting audit objects"},
		{"audit policy update", step("update", audit, policy, "audit-policy", upd("policy")), "or change the bucket — policy"},
		{"audit object lock replace", step("replace", audit, lock, "audit-lock", nil), "no longer immutable"},
		{"audit encryption delete", step("delete", audit, sse, "audit-encryption", nil), "encrypted at rest"},
		{"default roles delete", step("delete", realm, roles, "realm-default-roles", nil), "offline_access"},
		{"default roles update", step("update", realm, roles, "realm-default-roles", upd("defaultRoles[2]")), "roles every new user gets — defaultRoles[2]"},
		{"default roles create", step("create", realm, roles, "realm-default-roles", nil), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := security(&tc.step)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("security = %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

// TestSecurity_StrengtheningIsNotAWeakening: raising the TLS floor or a
// retention, or lowering a lockout threshold or a lifespan, is not listed
// under ⚠; the opposite change is.
func TestSecurity_StrengtheningIsNotAWeakening(t *testing.T) {
	const ctp = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"
	const lock = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
	const realm = "keycloak:index/realm:Realm"
	for _, tc := range []struct {
		name, typ, path, from, to string
		weakens                   bool
	}{
		{"TLS floor 1.2 → 1.3", ctp, "spec.tls.minVersion", "1.2", "1.3", false},
		{"TLS floor 1.3 → 1.2", ctp, "spec.tls.minVersion", "1.3", "1.2", true},
		{"TLS floor TLSv1_2 → TLSv1_3", ctp, "spec.tls.minVersion", "TLSv1_2", "TLSv1_3", false},
		{"TLS floor added", ctp, "spec.tls.minVersion", None, "1.3", true},
		{"TLS floor unknown", ctp, "spec.tls.minVersion", "1.2", Unknown, true},
		{"ciphers changed", ctp, "spec.tls.ciphers[0]", "A", "B", true},
		{"retention up", lock, "rule.defaultRetention.days", "365", "2557", false},
		{"retention down", lock, "rule.defaultRetention.days", "2557", "30", true},
		{"governance → compliance", lock, "rule.defaultRetention.mode", "GOVERNANCE", "COMPLIANCE", false},
		{"compliance → governance", lock, "rule.defaultRetention.mode", "COMPLIANCE", "GOVERNANCE", true},
		{"lockout after fewer failures", realm, "securityDefenses.bruteForceDetection.failureFactor", "10", "5", false},
		{"lockout after more failures", realm, "securityDefenses.bruteForceDetection.failureFactor", "5", "30", true},
		{"shorter access tokens", realm, "accessTokenLifespan", "15m", "5m", false},
		{"longer access tokens", realm, "accessTokenLifespan", "5m", "1h", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Step{Op: "update", Type: tc.typ, Changes: []Change{{Path: tc.path, Kind: "update", Old: tc.from, New: tc.to}}}
			got := security(&s)
			if (got != "") != tc.weakens {
				t.Errorf("security = %q, want weakening %v", got, tc.weakens)
			}
		})
	}
	// A strengthening beside a weakening: only the weakening is listed.
	s := Step{Op: "update", Type: ctp, Changes: []Change{
		{Path: "spec.tls.minVersion", Kind: "update", Old: "1.2", New: "1.3"},
		{Path: "spec.tls.ciphers[0]", Kind: "update", Old: "A", New: "B"},
	}}
	if got := security(&s); !strings.HasSuffix(got, "— spec.tls.ciphers[0]") {
		t.Errorf("security = %q, want only the ciphers listed", got)
	}
}
