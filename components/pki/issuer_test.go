package pki_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/internal/recmock"
)

func TestPKI_ClusterIssuerUsesServiceAccountAuthAndNoToken(t *testing.T) {
	rec, err := run(t, validArgs())
	if err != nil {
		t.Fatal(err)
	}
	ci := rec.MustGet(t, tCluster, "pki-issuer")
	if !strings.Contains(ci.Provider, "pulumi:providers:kubernetes::cluster") {
		t.Errorf("issuer provider = %q, want the kubernetes provider passed to NewPKI", ci.Provider)
	}
	want(t, ci, "apiVersion", "cert-manager.io/v1")
	want(t, ci, "kind", "ClusterIssuer")
	want(t, ci, "metadata.name", "pki-openbao")
	if _, ok := recmock.Path(ci.Plain(), "metadata", "namespace"); ok {
		t.Errorf("ClusterIssuer has a namespace")
	}
	want(t, ci, "spec.vault.server", "https://openbao.openbao.svc:8200")
	want(t, ci, "spec.vault.path", "pki_int/sign/workloads")
	want(t, ci, "spec.vault.caBundle", base64.StdEncoding.EncodeToString([]byte(testCA)))
	want(t, ci, "spec.vault.auth.kubernetes.role", "pki-cert-manager")
	want(t, ci, "spec.vault.auth.kubernetes.mountPath", "/v1/auth/kubernetes")
	want(t, ci, "spec.vault.auth.kubernetes.serviceAccountRef.name", "cert-manager-openbao")
	for _, forbidden := range [][]any{
		{"spec", "vault", "auth", "tokenSecretRef"}, {"spec", "vault", "auth", "appRole"},
		{"spec", "vault", "auth", "kubernetes", "secretRef"}, {"spec", "acme"}, {"spec", "ca"},
	} {
		if _, ok := recmock.Path(ci.Plain(), forbidden...); ok {
			t.Errorf("issuer has %v: static credentials / other CAs are not allowed", forbidden)
		}
	}
	if !dependsOn(ci, "pki-issuer-auth") {
		t.Errorf("issuer does not wait for its OpenBao role: %v", ci.Deps)
	}

	pol := rec.MustGet(t, tPolicy, "pki-issuer-policy")
	want(t, pol, "name", "pki-cert-manager")
	p := pol.Plain()["policy"].(string)
	if !strings.Contains(p, `path "pki_int/sign/workloads"`) || strings.Count(p, "path ") != 1 || strings.Contains(p, "*") {
		t.Errorf("policy is not limited to the one sign path:\n%s", p)
	}
	ar := rec.MustGet(t, tAuthRole, "pki-issuer-auth")
	want(t, ar, "backend", "kubernetes")
	want(t, ar, "roleName", "pki-cert-manager")
	want(t, ar, "boundServiceAccountNames", []string{"cert-manager-openbao"})
	want(t, ar, "boundServiceAccountNamespaces", []string{"cert-manager"})
	want(t, ar, "audience", "vault://pki-openbao")
	want(t, ar, "tokenPolicies", []string{"pki-cert-manager"})
	want(t, ar, "tokenNoDefaultPolicy", true)
	want(t, ar, "tokenTtl", 600)
}

func TestPKI_NamespacedIssuerBindsItsNamespace(t *testing.T) {
	a := validArgs()
	a.Issuer.Kind, a.Issuer.Namespace, a.Issuer.Role = pki.KindIssuer, "payments", "mtls"
	a.Issuer.Name = "openbao-mtls"
	rec, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	is := rec.MustGet(t, tIssuer, "pki-issuer")
	want(t, is, "metadata.namespace", "payments")
	want(t, is, "metadata.name", "openbao-mtls")
	want(t, is, "spec.vault.path", "pki_int/sign/mtls")
	ar := rec.MustGet(t, tAuthRole, "pki-issuer-auth")
	want(t, ar, "boundServiceAccountNamespaces", []string{"payments"})
	want(t, ar, "audience", "vault://payments/openbao-mtls")
}

func TestPKI_LongNamesStayWithinKubernetesLimits(t *testing.T) {
	a := validArgs()
	rec := recmock.New()
	long := strings.Repeat("sovereign-", 8)
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := pki.NewPKI(ctx, long, a)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ci := rec.MustGet(t, tCluster, long+"-issuer")
	name := ci.Plain()["metadata"].(map[string]any)["name"].(string)
	if len(name) > 63 {
		t.Errorf("issuer name %q is %d characters", name, len(name))
	}
}

func TestPKI_NoIssuerMeansNoKubernetesObjects(t *testing.T) {
	a := validArgs()
	a.Issuer = nil
	rec, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{tCluster, tIssuer, tPolicy, tAuthRole} {
		if n := len(rec.ByType(typ)); n != 0 {
			t.Errorf("%d %s without an issuer", n, typ)
		}
	}
}
