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

// TestOwner_NewerComponentsAndNestedChildren: the ingress, cert-manager,
// audit, runtime, rbac and checkers components group their children, at
// any depth, under the innermost Rampart component.
func TestOwner_NewerComponentsAndNestedChildren(t *testing.T) {
	for _, tc := range []struct{ urn, typ, want string }{
		{"urn:pulumi:local::rampart::rampart:ingress:Ingress$kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy::ingress-tls-floor",
			"kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy", "rampart:ingress:Ingress"},
		{"urn:pulumi:local::rampart::rampart:certmanager:CertManager$kubernetes:helm.sh/v3:Release$kubernetes:cert-manager.io/v1:ClusterIssuer::x",
			"kubernetes:cert-manager.io/v1:ClusterIssuer", "rampart:certmanager:CertManager"},
		{"urn:pulumi:local::rampart::rampart:audit:Audit$rampart:audit:Agent$kubernetes:apps/v1:DaemonSet::audit-agent",
			"kubernetes:apps/v1:DaemonSet", "rampart:audit:Agent"},
		{"urn:pulumi:local::rampart::rampart:audit:Audit$aws:s3/bucketV2:BucketV2::audit-bucket", "aws:s3/bucketV2:BucketV2", "rampart:audit:Audit"},
		{"urn:pulumi:local::rampart::rampart:runtime:Runtime$kubernetes:helm.sh/v3:Release::falco", "kubernetes:helm.sh/v3:Release", "rampart:runtime:Runtime"},
		{"urn:pulumi:local::rampart::rampart:rbac:RBAC$kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::rbac-team-a-viewer",
			"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "rampart:rbac:RBAC"},
		{"urn:pulumi:local::rampart::rampart:auditor:Checkers$kubernetes:rbac.authorization.k8s.io/v1:RoleBinding::checkers-auditor-team-a",
			"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "rampart:auditor:Checkers"},
	} {
		if got := owner(tc.urn, tc.typ); got != tc.want {
			t.Errorf("owner(%s) = %q, want %q", tc.urn, got, tc.want)
		}
	}
}
