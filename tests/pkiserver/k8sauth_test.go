package pkiserver_test

import (
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"net/http"
	"os"
	"testing"
	"time"

	bao "github.com/openbao/openbao/api/v2"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-dev/rampart/components/pki"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
)

// TestPKI_ServerBackedOpenBao262_ServiceAccountLoginSignsOnlyOnItsPath
// walks the cert-manager login the component sets up, with real servers on
// both sides: the lab's kube-apiserver mints a bound ServiceAccount token
// with the audience cert-manager would request for this ClusterIssuer, the
// lab OpenBao's Kubernetes auth method checks it with a TokenReview
// against that apiserver, and the token it hands out can sign on the
// issuer's path and nowhere else. No static credential is involved.
// (cert-manager itself does not run here: the lab has no nodes.)
func TestPKI_ServerBackedOpenBao262_ServiceAccountLoginSignsOnlyOnItsPath(t *testing.T) {
	env := labenv.Require(t, "VAULT_ADDR", "VAULT_TOKEN", "VAULT_CACERT", "RAMPART_LAB_KUBECONFIG")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	kc, cfg := testkit.KubeClient(t, env["RAMPART_LAB_KUBECONFIG"])
	ns := "pkitest-" + testkit.RandHex(4)
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("lab kube-apiserver: %v", err)
	}
	t.Cleanup(func() {
		_ = kc.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})

	d := deploy(t, env, func(a *pki.PKIArgs) { a.Issuer.ServiceAccountNamespace = ns })

	// OpenBao's side of the trust (the openbao component's job in a stack):
	// a reviewer ServiceAccount allowed to call TokenReview.
	for _, sa := range []string{"openbao-reviewer", pki.DefaultServiceAccount} {
		if _, err := kc.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-openbao-reviewer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "system:auth-delegator"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "openbao-reviewer", Namespace: ns}},
	}
	if _, err := kc.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kc.RbacV1().ClusterRoleBindings().Delete(context.Background(), crb.Name, metav1.DeleteOptions{})
	})
	token := func(sa string, aud ...string) string {
		t.Helper()
		exp := int64(600)
		tr, err := kc.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authnv1.TokenRequest{
			Spec: authnv1.TokenRequestSpec{Audiences: aud, ExpirationSeconds: &exp}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("TokenRequest for %s: %v", sa, err)
		}
		return tr.Status.Token
	}
	caPEM, err := os.ReadFile(cfg.TLSClientConfig.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.b.Write("auth/"+d.authPath+"/config", map[string]any{
		"kubernetes_host":    cfg.Host,
		"kubernetes_ca_cert": string(caPEM),
		"token_reviewer_jwt": token("openbao-reviewer"),
	}); err != nil {
		t.Fatal(err)
	}

	// The token cert-manager would request for the ClusterIssuer: bound to
	// the ServiceAccount, audience "vault://<issuer name>".
	aud := "vault://" + d.out["issuerName"]
	login := func(jwt string) (*bao.SecretAuth, error) {
		s, err := d.b.Client.Logical().Write("auth/"+d.authPath+"/login", map[string]any{"role": d.policy, "jwt": jwt})
		if err != nil {
			return nil, err
		}
		return s.Auth, nil
	}
	if _, err := login(token(pki.DefaultServiceAccount, "vault://another-issuer")); err == nil {
		t.Errorf("login accepted a token minted for another issuer's audience")
	}
	if _, err := login(token("openbao-reviewer", aud)); err == nil {
		t.Errorf("login accepted a ServiceAccount the role is not bound to")
	}
	auth, err := login(token(pki.DefaultServiceAccount, aud))
	if err != nil {
		t.Fatalf("cert-manager's login: %v", err)
	}
	if auth.LeaseDuration <= 0 || auth.LeaseDuration > 600 {
		t.Errorf("login token lives %ds, want ≤ 600", auth.LeaseDuration)
	}
	if len(auth.TokenPolicies) != 1 || auth.TokenPolicies[0] != d.policy {
		t.Errorf("login token policies %v, want only %s (no default policy)", auth.TokenPolicies, d.policy)
	}
	c, err := d.b.Client.Clone()
	if err != nil {
		t.Fatal(err)
	}
	c.SetToken(auth.ClientToken)
	// Without the default policy the token cannot even look itself up.
	if _, err := c.Auth().Token().LookupSelf(); statusOf(err) != http.StatusForbidden {
		t.Errorf("lookup-self with the login token: want 403, got %v", err)
	}

	leaf, _, err := d.sign(c, "workloads", csrFor(t, elliptic.P256(), "app."+workloadDomain, "app."+workloadDomain), nil)
	if err != nil {
		t.Fatalf("sign on %s with the ServiceAccount login: %v", d.out["issuerPath"], err)
	}
	d.verify(t, leaf, "app."+workloadDomain, x509.ExtKeyUsageServerAuth)
	if _, _, err := d.sign(c, "mtls", csrFor(t, elliptic.P256(), "a."+meshDomain), nil); statusOf(err) != http.StatusForbidden {
		t.Errorf("login token on another role: want 403, got %v", err)
	}
}
