// Package certmanagerserver_test runs the certmanager component's objects
// against the lab's real kube-apiserver (cert-manager's v1.21.2 CRDs
// installed by lab/services/crds.sh): the API server's OpenAPI validation
// and pruning judge the issuer specs built from cert-manager's Go types, and
// its RBAC authorizer judges the token-request grant. cert-manager's
// controller itself does not run (its cmd modules are not served and the
// lab has no nodes).
package certmanagerserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/rampart-dev/rampart/components/certmanager"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
)

// testCAPEM is a throwaway self-signed CA for the issuer's caBundle.
func testCAPEM(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "openbao test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// render runs the component under the recording mock and returns its
// Kubernetes objects as the provider would send them.
func render(t *testing.T, a *certmanager.CertManagerArgs) *recmock.Recorder {
	t.Helper()
	rec := recmock.New()
	if err := rec.Run(func(ctx *pulumi.Context) error {
		if a.ACME != nil && a.ACME.EAB != nil {
			a.ACME.EAB.HmacKey = pulumi.ToSecret(pulumi.String("aG1hYy1rZXk")).(pulumi.StringOutput)
		}
		_, err := certmanager.NewCertManager(ctx, "certmanager", a)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return rec
}

// object turns a recorded resource's inputs into the object the API server
// receives.
func object(t *testing.T, r recmock.Resource, apiVersion, kind string) *unstructured.Unstructured {
	t.Helper()
	m := r.Plain()
	m["apiVersion"], m["kind"] = apiVersion, kind
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		t.Fatal(err)
	}
	return u
}

func canonical(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCertManager_ServerBackedKubeAPIServer_IssuerSpecsSurviveTheCRDSchema
// creates both ClusterIssuers (server-side dry run) on the lab's API
// server: the v1.21.2 CRD schema accepts them and prunes nothing, so every
// field the Go types produced is one cert-manager reads.
func TestCertManager_ServerBackedKubeAPIServer_IssuerSpecsSurviveTheCRDSchema(t *testing.T) {
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG", "RAMPART_LAB_CRDS")
	if !strings.Contains(env["RAMPART_LAB_CRDS"], "clusterissuers.cert-manager.io") {
		t.Fatalf("the lab has no cert-manager CRDs (RAMPART_LAB_CRDS=%s)", env["RAMPART_LAB_CRDS"])
	}
	_, cfg := testkit.KubeClient(t, env["RAMPART_LAB_KUBECONFIG"])
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	id := testkit.RandHex(4)
	rec := render(t, &certmanager.CertManagerArgs{
		APIServer: certmanager.APIServerArgs{APIServer: netpolicy.APIServer{CIDRs: []string{"127.0.0.1/32"}}},
		OpenBao:   certmanager.OpenBaoPeer{Namespace: "openbao"},
		Vault: &certmanager.VaultIssuerArgs{Name: "openbao-" + id, Server: "https://openbao.openbao.svc:8200", CABundlePEM: testCAPEM(t),
			Path: "pki_int/sign/workloads", Role: "cert-manager", Audiences: []string{"vault://openbao-" + id}},
		ACME: &certmanager.ACMEArgs{Name: "acme-" + id, Server: "https://api.buypass.com/acme/directory", Email: "pki@example.org",
			EAB:         &certmanager.EABArgs{KeyID: "kid"},
			HTTP01:      &certmanager.HTTP01GatewayArgs{GatewayName: "rampart", GatewayNamespace: "ingress", SectionName: "http"},
			DNS01:       &certmanager.RFC2136Args{Nameserver: "192.0.2.53:53", TSIGKeyName: "acme", TSIGSecret: "tsig", TSIGSecretKey: "key"},
			EgressCIDRs: []string{"192.0.2.0/28"}},
	})
	gvr := schema.GroupVersionResource{Group: "cert-manager.io", Version: "v1", Resource: "clusterissuers"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, name := range []string{"certmanager-vault-issuer", "certmanager-acme-issuer"} {
		r := rec.MustGet(t, "kubernetes:cert-manager.io/v1:ClusterIssuer", name)
		obj := object(t, r, "cert-manager.io/v1", "ClusterIssuer")
		got, err := dyn.Resource(gvr).Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
		if err != nil {
			t.Errorf("%s: the lab API server refused the spec: %v", name, err)
			continue
		}
		if sent, kept := canonical(t, obj.Object["spec"]), canonical(t, got.Object["spec"]); !reflect.DeepEqual(sent, kept) {
			t.Errorf("%s: the CRD schema changed the spec (unknown or defaulted fields)\nsent %v\nkept %v", name, sent, kept)
		}
	}
}

// TestCertManager_ServerBackedKubeAPIServer_ControllerMayMintOnlyTheIssuerToken
// applies the ServiceAccount, Role and RoleBinding the component renders,
// then acts as cert-manager's controller ServiceAccount (impersonation):
// the real RBAC authorizer lets it request a bound token for the issuer's
// ServiceAccount (audience vault://<issuer>) and for no other account.
func TestCertManager_ServerBackedKubeAPIServer_ControllerMayMintOnlyTheIssuerToken(t *testing.T) {
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG")
	kc, cfg := testkit.KubeClient(t, env["RAMPART_LAB_KUBECONFIG"])
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := "cmtest-" + testkit.RandHex(4)
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("lab kube-apiserver: %v", err)
	}
	t.Cleanup(func() { _ = kc.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })

	rec := render(t, &certmanager.CertManagerArgs{
		Namespace: ns,
		APIServer: certmanager.APIServerArgs{APIServer: netpolicy.APIServer{CIDRs: []string{"127.0.0.1/32"}}},
		OpenBao:   certmanager.OpenBaoPeer{Namespace: "openbao"},
		Vault:     &certmanager.VaultIssuerArgs{Server: "https://openbao.openbao.svc:8200", CABundlePEM: testCAPEM(t), Path: "pki_int/sign/workloads", Role: "cert-manager"},
	})
	for _, o := range []struct{ name, token, apiVersion, kind, resource string }{
		{"certmanager-issuer-sa", "kubernetes:core/v1:ServiceAccount", "v1", "ServiceAccount", "serviceaccounts"},
		{"certmanager-issuer-role", "kubernetes:rbac.authorization.k8s.io/v1:Role", "rbac.authorization.k8s.io/v1", "Role", "roles"},
		{"certmanager-issuer-rolebinding", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"},
	} {
		r := rec.MustGet(t, o.token, o.name)
		gv, _ := schema.ParseGroupVersion(o.apiVersion)
		if _, err := dyn.Resource(gv.WithResource(o.resource)).Namespace(ns).Create(ctx, object(t, r, o.apiVersion, o.kind), metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
			t.Fatalf("%s: %v", o.name, err)
		}
	}
	// cert-manager's controller ServiceAccount (the chart's; the lab runs no chart).
	for _, sa := range []string{certmanager.ReleaseName, "bystander"} {
		if _, err := kc.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	as := rest.CopyConfig(cfg)
	as.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":" + certmanager.ReleaseName}
	ctrl, err := kubernetes.NewForConfig(as)
	if err != nil {
		t.Fatal(err)
	}
	exp := int64(600)
	req := &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{Audiences: []string{"vault://openbao"}, ExpirationSeconds: &exp}}
	tr, err := ctrl.CoreV1().ServiceAccounts(ns).CreateToken(ctx, certmanager.DefaultVaultServiceAccount, req, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("cert-manager's controller cannot mint the issuer's token: %v", err)
	}
	if tr.Status.Token == "" {
		t.Fatal("empty token")
	}
	for _, other := range []string{"bystander", certmanager.ReleaseName} {
		if _, err := ctrl.CoreV1().ServiceAccounts(ns).CreateToken(ctx, other, req, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "forbidden") {
			t.Errorf("controller minted a token for %s: want forbidden, got %v", other, err)
		}
	}
	if _, err := ctrl.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); err == nil {
		t.Errorf("the grant reaches beyond token requests: listing Secrets succeeded")
	}
}
