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
