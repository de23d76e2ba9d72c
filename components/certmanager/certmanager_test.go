package certmanager_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/certmanager"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	tChart  = "kubernetes:helm.sh/v4:Chart"
	tNP     = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	tCI     = "kubernetes:cert-manager.io/v1:ClusterIssuer"
	tSA     = "kubernetes:core/v1:ServiceAccount"
	tRole   = "kubernetes:rbac.authorization.k8s.io/v1:Role"
	tRB     = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
	tSecret = "kubernetes:core/v1:Secret"
)

var testCA = func() string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "openbao test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}()

func validArgs() *certmanager.CertManagerArgs {
	return &certmanager.CertManagerArgs{
		APIServer: certmanager.APIServerArgs{APIServer: netpolicy.APIServer{CIDRs: []string{"10.96.0.1/32", "192.0.2.10/32"}}},
		OpenBao:   certmanager.OpenBaoPeer{Namespace: "openbao"},
		Vault: &certmanager.VaultIssuerArgs{
			Server: "https://openbao.openbao.svc:8200", CABundlePEM: testCA,
			Path: "pki_int/sign/workloads", Role: "pki-cert-manager",
		},
	}
}

// buypass is a non-US ACME CA (Buypass AS, Norway).
const buypass = "https://api.buypass.com/acme/directory"

func acmeArgs() *certmanager.ACMEArgs {
	return &certmanager.ACMEArgs{
		Server: buypass, Email: "pki@example.org",
		EAB:         &certmanager.EABArgs{KeyID: "kid-1", HmacKey: pulumi.ToSecret(pulumi.String("hmac-value")).(pulumi.StringOutput)},
		HTTP01:      &certmanager.HTTP01GatewayArgs{GatewayName: "rampart", GatewayNamespace: "ingress", SectionName: "http"},
		DNS01:       &certmanager.RFC2136Args{Nameserver: "192.0.2.53:53", TSIGKeyName: "acme", TSIGSecret: "tsig", TSIGSecretKey: "key"},
		EgressCIDRs: []string{"192.0.2.128/27"},
	}
}

// run builds the component; mutate edits the args inside the program, so
// Outputs (the EAB key) belong to the run's context.
func run(t *testing.T, mutate func(a *certmanager.CertManagerArgs), inspect func(c *certmanager.CertManager)) (*recmock.Recorder, error) {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		a := validArgs()
		if mutate != nil {
			mutate(a)
		}
		c, err := certmanager.NewCertManager(ctx, "certmanager", a)
		if err == nil && inspect != nil {
			inspect(c)
		}
		return err
	})
	return rec, err
}

func get(r recmock.Resource, path ...any) any {
	v, _ := recmock.Path(r.Plain(), path...)
	return v
}

func want(t *testing.T, r recmock.Resource, exp any, path ...any) {
	t.Helper()
	got, ok := recmock.Path(r.Plain(), path...)
	if !ok {
		t.Errorf("%s %s: %v missing", r.Type, r.Name, path)
		return
	}
	if n, isInt := exp.(int); isInt {
		exp = float64(n)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("%s %s: %v = %#v, want %#v", r.Type, r.Name, path, got, exp)
	}
}

func dependsOn(r recmock.Resource, name string) bool {
	for _, d := range r.Deps {
		if strings.HasSuffix(d, "::"+name) {
			return true
		}
	}
	return false
}

func TestCertManager_ChartValuesKeepCRDsEnableGatewayAPIAndStayInTheNamespace(t *testing.T) {
	rec, err := run(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := rec.MustGet(t, tChart, "certmanager-chart")
	if ch.ParentName() != "certmanager" {
		t.Errorf("chart parent = %q", ch.ParentName())
	}
	want(t, ch, "cert-manager", "chart")
	want(t, ch, certmanager.ChartVersion, "version")
	want(t, ch, "v1.21.2", "version")
	want(t, ch, certmanager.DefaultChartRepository, "repositoryOpts", "repo")
	want(t, ch, "cert-manager", "namespace")
	want(t, ch, true, "values", "crds", "enabled")
	want(t, ch, true, "values", "crds", "keep")
	want(t, ch, "controller.config.cert-manager.io/v1alpha1", "values", "config", "apiVersion")
	want(t, ch, "ControllerConfiguration", "values", "config", "kind")
	want(t, ch, true, "values", "config", "gatewayAPI", "enabled")
	if _, ok := recmock.Path(ch.Plain(), "values", "config", "enableGatewayAPI"); ok {
		t.Errorf("deprecated enableGatewayAPI is set")
	}
	want(t, ch, "cert-manager", "values", "global", "leaderElection", "namespace")
	want(t, ch, "cert-manager", "values", "clusterResourceNamespace")
	want(t, ch, 10250, "values", "webhook", "securePort")
	for _, c := range []struct {
		prefix []any
		image  image.Ref
	}{
		{nil, certmanager.ControllerImage},
		{[]any{"webhook"}, certmanager.WebhookImage},
		{[]any{"cainjector"}, certmanager.CAInjectorImage},
		{[]any{"startupapicheck"}, certmanager.StartupAPICheckImage},
		{[]any{"acmesolver"}, certmanager.ACMESolverImage},
	} {
		p := append(append([]any{"values"}, c.prefix...), "image")
		want(t, ch, c.image.Digest, append(p, "digest")...)
		want(t, ch, "quay.io/"+c.image.Repository, append(p, "repository")...)
		want(t, ch, certmanager.ChartVersion, append(p, "tag")...)
		if !c.image.Pinned() {
			t.Errorf("%v: %v is not pinned by digest", c.prefix, c.image)
		}
		if len(c.prefix) == 1 && c.prefix[0] == "acmesolver" {
			continue
		}
		for _, k := range []string{"requests", "limits"} {
			for _, res := range []string{"cpu", "memory"} {
				rp := append(append([]any{"values"}, c.prefix...), "resources", k, res)
				if v, _ := recmock.Path(ch.Plain(), rp...); v == nil || v == "" {
					t.Errorf("%v unset", rp)
				}
			}
		}
	}
}

// Every pod the chart runs, rebuilt from its values as the chart's
// templates place them (pod securityContext, container
// containerSecurityContext), passes the PSS restricted evaluator.
func TestCertManager_EveryChartPodPassesPSSRestricted(t *testing.T) {
	rec, err := run(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := rec.MustGet(t, tChart, "certmanager-chart")
	for _, comp := range [][]any{nil, {"webhook"}, {"cainjector"}, {"startupapicheck"}} {
		base := append([]any{"values"}, comp...)
		psc, ok1 := recmock.Path(ch.Plain(), append(base, "securityContext")...)
		csc, ok2 := recmock.Path(ch.Plain(), append(base, "containerSecurityContext")...)
		if !ok1 || !ok2 {
			t.Fatalf("%v: security contexts missing", comp)
		}
		spec, err := hardening.PodSpecFromMap(map[string]any{
			"securityContext": psc,
			"containers":      []any{map[string]any{"name": "c", "image": "quay.io/jetstack/x@sha256:00", "securityContext": csc}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := hardening.CheckRestricted(spec); err != nil {
			t.Errorf("%v: %v", comp, err)
		}
	}
}

func TestCertManager_ChartFromOCIMirrorWithRelocatedImages(t *testing.T) {
	rebuilt := "registry.example.org/rebuilt/cainjector:v1.21.2@sha256:" + strings.Repeat("ab", 32)
	rec, err := run(t, func(a *certmanager.CertManagerArgs) {
		a.Chart.Repository = "oci://registry.example.org/charts/"
		a.Images = image.Images{Registry: "registry.example.org/mirror", Overrides: map[string]string{"jetstack/cert-manager-cainjector": rebuilt}}
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := rec.MustGet(t, tChart, "certmanager-chart")
	want(t, ch, "oci://registry.example.org/charts/cert-manager", "chart")
	if _, ok := recmock.Path(ch.Plain(), "repositoryOpts"); ok {
		t.Errorf("an OCI chart must not carry repositoryOpts")
	}
	for _, c := range []struct {
		prefix []any
		image  image.Ref
	}{{nil, certmanager.ControllerImage}, {[]any{"webhook"}, certmanager.WebhookImage},
		{[]any{"startupapicheck"}, certmanager.StartupAPICheckImage}, {[]any{"acmesolver"}, certmanager.ACMESolverImage}} {
		p := append(append([]any{"values"}, c.prefix...), "image")
		want(t, ch, "registry.example.org/mirror/"+c.image.Repository, append(p, "repository")...)
		want(t, ch, c.image.Digest, append(p, "digest")...)
	}
	want(t, ch, "registry.example.org/rebuilt/cainjector", "values", "cainjector", "image", "repository")
	want(t, ch, "sha256:"+strings.Repeat("ab", 32), "values", "cainjector", "image", "digest")
}

func TestCertManager_ChartDisabledRendersPoliciesAndIssuersOnly(t *testing.T) {
	rec, err := run(t, func(a *certmanager.CertManagerArgs) { a.Chart.Enabled = pulumi.BoolRef(false) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ByType(tChart)); n != 0 {
		t.Errorf("%d charts registered with chart.enabled=false", n)
	}
	rec.MustGet(t, tCI, "certmanager-vault-issuer")
	if len(rec.ByType(tNP)) != 3 {
		t.Errorf("policies = %v", rec.ByType(tNP))
	}
}

func TestCertManager_NetworkPoliciesOpenExactlyTheFlowsItNeeds(t *testing.T) {
	rec, err := run(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rec.ByType(tNP) {
		names = append(names, r.Name)
		want(t, r, "cert-manager", "metadata", "namespace")
		if r.ParentName() != "certmanager" {
			t.Errorf("%s parent = %q", r.Name, r.ParentName())
		}
	}
	if exp := []string{"certmanager-cert-manager-apiserver-egress", "certmanager-cert-manager-openbao-egress", "certmanager-cert-manager-webhook-ingress"}; !reflect.DeepEqual(names, exp) {
		t.Fatalf("policies = %v, want %v (no ACME egress without an ACME issuer)", names, exp)
	}
	api := rec.MustGet(t, tNP, "certmanager-cert-manager-apiserver-egress")
	want(t, api, []any{"Egress"}, "spec", "policyTypes")
	want(t, api, "cert-manager", "spec", "podSelector", "matchLabels", "app.kubernetes.io/instance")
	want(t, api, "10.96.0.1/32", "spec", "egress", 0, "to", 0, "ipBlock", "cidr")
	want(t, api, "192.0.2.10/32", "spec", "egress", 0, "to", 1, "ipBlock", "cidr")
	want(t, api, 443, "spec", "egress", 0, "ports", 0, "port")
	want(t, api, 6443, "spec", "egress", 0, "ports", 1, "port")
	if n := len(get(api, "spec", "egress").([]any)); n != 1 {
		t.Errorf("API server policy has %d egress rules", n)
	}

	wh := rec.MustGet(t, tNP, "certmanager-cert-manager-webhook-ingress")
	want(t, wh, []any{"Ingress"}, "spec", "policyTypes")
	want(t, wh, "webhook", "spec", "podSelector", "matchLabels", "app.kubernetes.io/component")
	want(t, wh, "10.96.0.1/32", "spec", "ingress", 0, "from", 0, "ipBlock", "cidr")
	want(t, wh, 10250, "spec", "ingress", 0, "ports", 0, "port")
	want(t, wh, "TCP", "spec", "ingress", 0, "ports", 0, "protocol")

	ob := rec.MustGet(t, tNP, "certmanager-cert-manager-openbao-egress")
	want(t, ob, "controller", "spec", "podSelector", "matchLabels", "app.kubernetes.io/component")
	want(t, ob, "openbao", "spec", "egress", 0, "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name")
	want(t, ob, 8200, "spec", "egress", 0, "ports", 0, "port")
}

func TestCertManager_VaultIssuerSignsWithABoundServiceAccountToken(t *testing.T) {
	rec, err := run(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ci := rec.MustGet(t, tCI, "certmanager-vault-issuer")
	want(t, ci, "cert-manager.io/v1", "apiVersion")
	want(t, ci, "ClusterIssuer", "kind")
	want(t, ci, "openbao", "metadata", "name")
	if _, ok := recmock.Path(ci.Plain(), "metadata", "namespace"); ok {
		t.Errorf("ClusterIssuer has a namespace")
	}
	want(t, ci, "https://openbao.openbao.svc:8200", "spec", "vault", "server")
	want(t, ci, "pki_int/sign/workloads", "spec", "vault", "path")
	want(t, ci, base64.StdEncoding.EncodeToString([]byte(testCA)), "spec", "vault", "caBundle")
	want(t, ci, "/v1/auth/kubernetes", "spec", "vault", "auth", "kubernetes", "mountPath")
	want(t, ci, "pki-cert-manager", "spec", "vault", "auth", "kubernetes", "role")
	want(t, ci, "cert-manager-openbao", "spec", "vault", "auth", "kubernetes", "serviceAccountRef", "name")
	for _, forbidden := range [][]any{
		{"spec", "vault", "auth", "tokenSecretRef"}, {"spec", "vault", "auth", "appRole"},
		{"spec", "vault", "auth", "kubernetes", "secretRef"}, {"spec", "acme"}, {"spec", "ca"}, {"spec", "selfSigned"},
	} {
		if _, ok := recmock.Path(ci.Plain(), forbidden...); ok {
			t.Errorf("issuer has %v: static credentials / other CAs are not allowed", forbidden)
		}
	}
	for _, d := range []string{"certmanager-issuer-rolebinding", "certmanager-issuer-sa", "certmanager-chart"} {
		if !dependsOn(ci, d) {
			t.Errorf("issuer does not wait for %s: %v", d, ci.Deps)
		}
	}

	sa := rec.MustGet(t, tSA, "certmanager-issuer-sa")
	want(t, sa, "cert-manager-openbao", "metadata", "name")
	want(t, sa, "cert-manager", "metadata", "namespace")
	want(t, sa, false, "automountServiceAccountToken")
	role := rec.MustGet(t, tRole, "certmanager-issuer-role")
	want(t, role, "cert-manager", "metadata", "namespace")
	want(t, role, []any{map[string]any{
		"apiGroups": []any{""}, "resources": []any{"serviceaccounts/token"},
		"resourceNames": []any{"cert-manager-openbao"}, "verbs": []any{"create"},
	}}, "rules")
	rb := rec.MustGet(t, tRB, "certmanager-issuer-rolebinding")
	want(t, rb, get(role, "metadata", "name"), "roleRef", "name")
	want(t, rb, "Role", "roleRef", "kind")
	want(t, rb, []any{map[string]any{"kind": "ServiceAccount", "name": "cert-manager", "namespace": "cert-manager"}}, "subjects")
}

// When the pki component renders the sovereign issuer, this component
// renders no second one: it only creates the ServiceAccount that issuer
// names and the RBAC that lets cert-manager request its tokens.
func TestCertManager_PKIIssuerGetsItsServiceAccountAndNoSecondIssuer(t *testing.T) {
	rec, err := run(t, func(a *certmanager.CertManagerArgs) {
		a.Vault = nil
		a.IssuerServiceAccount = &certmanager.ServiceAccountRef{Name: "cert-manager-openbao", Namespace: "cert-manager"}
	}, func(_ *certmanager.CertManager) {})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ByType(tCI)); n != 0 {
		t.Errorf("%d ClusterIssuers registered; the pki component's is the only sovereign issuer", n)
	}
	want(t, rec.MustGet(t, tSA, "certmanager-issuer-sa"), "cert-manager-openbao", "metadata", "name")
	want(t, rec.MustGet(t, tRole, "certmanager-issuer-role"), []any{"cert-manager-openbao"}, "rules", 0, "resourceNames")
	rec.MustGet(t, tRB, "certmanager-issuer-rolebinding")
}

func TestCertManager_ACMEIssuerWithEABGatewayAndRFC2136Solvers(t *testing.T) {
	rec, err := run(t, func(a *certmanager.CertManagerArgs) { a.ACME = acmeArgs() }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ci := rec.MustGet(t, tCI, "certmanager-acme-issuer")
	want(t, ci, "acme", "metadata", "name")
	want(t, ci, buypass, "spec", "acme", "server")
	want(t, ci, "pki@example.org", "spec", "acme", "email")
	want(t, ci, "acme-account-key", "spec", "acme", "privateKeySecretRef", "name")
	want(t, ci, "kid-1", "spec", "acme", "externalAccountBinding", "keyID")
	want(t, ci, "acme-eab", "spec", "acme", "externalAccountBinding", "keySecretRef", "name")
	want(t, ci, "secret", "spec", "acme", "externalAccountBinding", "keySecretRef", "key")
	want(t, ci, "rampart", "spec", "acme", "solvers", 0, "http01", "gatewayHTTPRoute", "parentRefs", 0, "name")
	want(t, ci, "ingress", "spec", "acme", "solvers", 0, "http01", "gatewayHTTPRoute", "parentRefs", 0, "namespace")
	want(t, ci, "http", "spec", "acme", "solvers", 0, "http01", "gatewayHTTPRoute", "parentRefs", 0, "sectionName")
	want(t, ci, "gateway.networking.k8s.io", "spec", "acme", "solvers", 0, "http01", "gatewayHTTPRoute", "parentRefs", 0, "group")
	want(t, ci, "Gateway", "spec", "acme", "solvers", 0, "http01", "gatewayHTTPRoute", "parentRefs", 0, "kind")
	want(t, ci, "192.0.2.53:53", "spec", "acme", "solvers", 1, "dns01", "rfc2136", "nameserver")
	want(t, ci, "HMACSHA256", "spec", "acme", "solvers", 1, "dns01", "rfc2136", "tsigAlgorithm")
	want(t, ci, "tsig", "spec", "acme", "solvers", 1, "dns01", "rfc2136", "tsigSecretSecretRef", "name")
	if !dependsOn(ci, "certmanager-acme-eab") {
		t.Errorf("ACME issuer does not wait for its EAB secret")
	}

	sec := rec.MustGet(t, tSecret, "certmanager-acme-eab")
	want(t, sec, "cert-manager", "metadata", "namespace")
	if v := sec.Inputs["stringData"]; !v.ContainsSecrets() {
		t.Errorf("EAB secret's stringData is not a Pulumi secret: %v", v)
	}
	acme := rec.MustGet(t, tNP, "certmanager-cert-manager-acme-egress")
	want(t, acme, "controller", "spec", "podSelector", "matchLabels", "app.kubernetes.io/component")
	want(t, acme, "192.0.2.128/27", "spec", "egress", 0, "to", 0, "ipBlock", "cidr")
	want(t, acme, 443, "spec", "egress", 0, "ports", 0, "port")
	want(t, acme, "192.0.2.53/32", "spec", "egress", 1, "to", 0, "ipBlock", "cidr")
	want(t, acme, "UDP", "spec", "egress", 1, "ports", 1, "protocol")
}
