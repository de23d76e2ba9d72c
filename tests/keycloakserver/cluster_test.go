package keycloakserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/apiserver/authn"
	"github.com/rampart-dev/rampart/components/rbac"
	"github.com/rampart-dev/rampart/helpers/identity"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
)

// oidcLab is the lab's kube-apiserver started on Rampart's rendered
// AuthenticationConfiguration (lab/services/kube.sh), trusting the realm
// this test builds in the lab's Keycloak, and the RBAC Rampart renders for
// two tenants applied to it.
type oidcLab struct {
	t       *testing.T
	d       *deployed
	admin   kubernetes.Interface
	cfg     *rest.Config
	tenants [2]string
}

// newOIDCLab builds the issuer's realm (its name is the last element of the
// issuer the API server was started with) with two fresh tenants, and the
// tenants' namespaces and Rampart's RBAC on the API server.
func newOIDCLab(t *testing.T) *oidcLab {
	t.Helper()
	env := labenv.Require(t, "KEYCLOAK_URL", "KEYCLOAK_CA_FILE", "KEYCLOAK_ADMIN_USER", "KEYCLOAK_ADMIN_PASSWORD",
		"RAMPART_LAB_KUBECONFIG", "RAMPART_LAB_AUTHN_CONFIG", "RAMPART_LAB_OIDC_ISSUER")
	realm := path.Base(env["RAMPART_LAB_OIDC_ISSUER"])
	suffix := testkit.RandHex(3)
	l := &oidcLab{t: t, tenants: [2]string{"id-" + suffix + "-a", "id-" + suffix + "-b"}}
	adm, err := newAdmin(env)
	if err != nil {
		t.Fatal(err)
	}
	// The realm's name is fixed by the API server's issuer: a run that was
	// killed before its cleanup left it behind.
	if st, _, _, err := adm.do("GET", "/"+realm, nil); err == nil && st == 200 {
		if st, _, b, err := adm.do("DELETE", "/"+realm, nil); err != nil || st != 204 {
			t.Fatalf("deleting the leftover realm %s: HTTP %d %s %v", realm, st, b, err)
		}
	}
	l.d = applyRealm(env, realm, l.tenants[:], nil)
	t.Cleanup(func() {
		if st, _, b, err := adm.do("DELETE", "/"+realm, nil); err != nil || st != 204 {
			t.Logf("cleanup: delete realm %s: HTTP %d %s %v", realm, st, b, err)
		}
	})
	if l.d.err != nil {
		t.Fatalf("applying components/keycloak as %s: %v", realm, l.d.err)
	}
	l.admin, l.cfg = testkit.KubeClient(t, env["RAMPART_LAB_KUBECONFIG"])
	for _, ns := range l.tenants {
		if _, err := l.admin.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.admin.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	}
	applyRBAC(t, l.admin, l.tenants[:])
	return l
}

// as is a client of the API server that authenticates with the bearer
// token only (the lab's CA kept, the admin's credentials dropped).
func (l *oidcLab) as(token string) kubernetes.Interface {
	c := rest.AnonymousClientConfig(l.cfg)
	c.BearerToken = token
	kc, err := kubernetes.NewForConfig(c)
	if err != nil {
		l.t.Fatal(err)
	}
	return kc
}

// whoami is the API server's view of a token: its SelfSubjectReview, or the
// error the server answered.
func (l *oidcLab) whoami(token string) (authnv1.UserInfo, error) {
	r, err := l.as(token).AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authnv1.UserInfo{}, err
	}
	return r.Status.UserInfo, nil
}

// login runs kubelogin's flow (code, PKCE S256) through the kubernetes
// client for a new user in groups, with the second factor the user's role
// asks for: a user-verifying hardware key for the privileged roles, TOTP
// otherwise. It returns the ID token, what kubectl sends.
func (l *oidcLab) login(groups ...string) (user, string) {
	l.t.Helper()
	u := newUser(l.t, l.d, groups...)
	b := kubectl(l.t, l.d)
	p := b.password(b.authorize(nil), u.name, u.password)
	switch {
	case p.form("kc-totp-settings-form") != "":
		p = b.enrolOTP(p)
	case p.form("register") != "":
		p = b.register(newSoftKey(l.t, true), p)
	default:
		l.t.Fatalf("after the password, want a second factor's enrolment, got %v", p)
	}
	return u, b.exchange(b.code(p)).IDToken
}

// waitAuthenticated waits for the API server's JWT authenticator to have
// fetched the new realm's discovery and keys (it retries every 10 s).
func (l *oidcLab) waitAuthenticated(token string) authnv1.UserInfo {
	l.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		info, err := l.whoami(token)
		if err == nil {
			return info
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("the API server never accepted a token of the realm's issuer: %v", err)
		}
		time.Sleep(2 * time.Second)
	}
}

// status is the HTTP status of an API error (200 for none).
func status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return int(se.Status().Code)
	}
	return -1
}

func deployment(name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	f := false
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: &f,
					SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: new(true), RunAsUser: new(int64(10000)),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					Containers: []corev1.Container{{Name: "app", Image: "rampart.invalid/probe:lab", SecurityContext: &corev1.SecurityContext{
						AllowPrivilegeEscalation: &f, ReadOnlyRootFilesystem: new(true),
						Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
					}}},
				},
			},
		},
	}
}

// TestIdentity_ServerBacked_KeycloakTokensMeetRampartRBACOnTheRealAPIServer
// logs users of each group in through the real Keycloak (password, TOTP or
// a user-verifying hardware key, PKCE) and calls the lab's real
// kube-apiserver with their ID tokens: the API server trusts the realm
// through the AuthenticationConfiguration Rampart renders, and authorizes
// through the RBAC Rampart renders. Every denial is a real request.
func TestIdentity_ServerBacked_KeycloakTokensMeetRampartRBACOnTheRealAPIServer(t *testing.T) {
	l := newOIDCLab(t)
	a, b := l.tenants[0], l.tenants[1]
	ctx := context.Background()
	path := func(tenant string, r identity.Role) string { return r.Group() + "/" + identity.TenantGroup(tenant, r) }

	_, viewer := l.login(path(a, identity.Viewer))
	info := l.waitAuthenticated(viewer)
	wantGroup := authn.DefaultGroupsPrefix + identity.TenantGroup(a, identity.Viewer)
	if !strings.HasPrefix(info.Username, authn.DefaultUsernamePrefix) || !contains(info.Groups, wantGroup) {
		t.Fatalf("the API server sees the viewer as %q in %v; want %s… in %s", info.Username, info.Groups, authn.DefaultUsernamePrefix, wantGroup)
	}
	t.Logf("viewer of %s: %s %v", a, info.Username, info.Groups)

	// viewer: reads, cannot write, cannot read Secrets.
	vc := l.as(viewer)
	if _, err := vc.CoreV1().Pods(a).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("viewer of %s cannot list its pods: %v", a, err)
	}
	if _, err := vc.CoreV1().ConfigMaps(a).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "v"}}, metav1.CreateOptions{}); status(err) != 403 {
		t.Errorf("viewer created a ConfigMap in %s: %v", a, err)
	}
	if _, err := vc.CoreV1().Secrets(a).List(ctx, metav1.ListOptions{}); status(err) != 403 {
		t.Errorf("viewer listed Secrets in %s: %v", a, err)
	}

	// tenant-admin of a: creates a Deployment in a, is forbidden in b.
	_, admin := l.login(path(a, identity.TenantAdmin))
	ac := l.as(admin)
	if _, err := ac.AppsV1().Deployments(a).Create(ctx, deployment("web"), metav1.CreateOptions{}); err != nil {
		t.Errorf("tenant-admin of %s cannot create a Deployment there: %v", a, err)
	}
	if _, err := ac.AppsV1().Deployments(b).Create(ctx, deployment("web"), metav1.CreateOptions{}); status(err) != 403 {
		t.Errorf("tenant-admin of %s created a Deployment in %s: %v", a, b, err)
	}

	// devops: cannot edit RBAC; platform-admin can.
	role := func() *rbacv1.Role {
		return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "r-" + testkit.RandHex(3)},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}}}
	}
	_, devops := l.login(path(a, identity.DevOps))
	if _, err := l.as(devops).RbacV1().Roles(a).Create(ctx, role(), metav1.CreateOptions{}); status(err) != 403 {
		t.Errorf("devops of %s created a Role: %v", a, err)
	}
	_, platform := l.login(identity.PlatformAdmin.Group())
	if _, err := l.as(platform).RbacV1().Roles(a).Create(ctx, role(), metav1.CreateOptions{}); err != nil {
		t.Errorf("platform-admin cannot create a Role in %s: %v", a, err)
	}

	// A user without groups is authenticated and may do nothing.
	_, nobody := l.login()
	if info, err := l.whoami(nobody); err != nil || len(info.Groups) != 1 || info.Groups[0] != "system:authenticated" {
		t.Errorf("user without groups: %v %v; want only system:authenticated", info, err)
	}
	if _, err := l.as(nobody).CoreV1().Pods(a).List(ctx, metav1.ListOptions{}); status(err) != 403 {
		t.Errorf("user without groups listed pods in %s: %v", a, err)
	}

	// A username that would read as a Kubernetes system: user: Keycloak
	// itself refuses the name (no ':' in usernames), so no token can carry
	// it; behind that, the API server puts every username under the prefix
	// and its user rule refuses system: names (apiserver/authn's tests,
	// with the upstream validation and CEL).
	sysName := "system:masters-" + testkit.RandHex(3)
	st, _, body, err := l.d.adm.do("POST", "/"+l.d.realm+"/users", map[string]any{"username": sysName, "enabled": true})
	if err != nil || st != 400 || !strings.Contains(string(body), "username-invalid-character") {
		t.Errorf("creating user %q: HTTP %d %s %v; want Keycloak's refusal of the name", sysName, st, body, err)
	}

	// A token of another issuer (a realm the API server does not trust) is
	// not authenticated at all.
	other := deploy(t)
	ob := kubectl(t, other)
	ou := newUser(t, other, path("team-a", identity.Viewer))
	foreign := ob.exchange(ob.code(ob.enrolOTP(ob.password(ob.authorize(nil), ou.name, ou.password)))).IDToken
	if _, err := l.as(foreign).CoreV1().Pods(a).List(ctx, metav1.ListOptions{}); status(err) != 401 {
		t.Errorf("a token of realm %s listed pods: %v", other.realm, err)
	}

	// An expired token: the client's token lifespan is shortened to 2 s
	// for one login (the realm's 5 minutes would make the test wait).
	setTokenLifespan(t, l.d, "2")
	_, short := l.login(path(a, identity.Viewer))
	time.Sleep(5 * time.Second)
	if _, err := l.as(short).CoreV1().Pods(a).List(ctx, metav1.ListOptions{}); status(err) != 401 {
		t.Errorf("an expired token listed pods: %v", err)
	}
}

// setTokenLifespan sets the kubernetes client's access (and ID) token
// lifespan, in seconds, on the server.
func setTokenLifespan(t *testing.T, d *deployed, seconds string) {
	t.Helper()
	var clients []map[string]any
	if _, err := d.adm.must("GET", "/"+d.realm+"/clients?clientId=kubernetes", nil, &clients); err != nil || len(clients) != 1 {
		t.Fatalf("the kubernetes client: %v %v", clients, err)
	}
	c := clients[0]
	attrs, _ := c["attributes"].(map[string]any)
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs["access.token.lifespan"] = seconds
	c["attributes"] = attrs
	if _, err := d.adm.must("PUT", "/"+d.realm+"/clients/"+str(c["id"]), c, nil); err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// applyRBAC renders components/rbac for the tenants under the recording
// mock and creates exactly the objects it renders on the API server, as
// Rampart would send them. The objects' names carry a fresh prefix, so the
// cluster-wide roles never meet a deployed stack's.
func applyRBAC(t *testing.T, admin kubernetes.Interface, tenants []string) {
	t.Helper()
	rec := recmock.New()
	if err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := rbac.NewRBAC(ctx, "rbac", &rbac.RBACArgs{NamePrefix: "id-" + testkit.RandHex(3), Tenants: tenants})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	decode := func(r recmock.Resource, into any) {
		b, err := json.Marshal(r.Plain())
		if err == nil {
			err = json.Unmarshal(b, into)
		}
		if err != nil {
			t.Fatalf("%s %s: %v", r.Type, r.Name, err)
		}
	}
	n := 0
	for _, r := range rec.ByType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole") {
		var o rbacv1.ClusterRole
		decode(r, &o)
		if _, err := admin.RbacV1().ClusterRoles().Create(ctx, &o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = admin.RbacV1().ClusterRoles().Delete(context.Background(), o.Name, metav1.DeleteOptions{}) })
		n++
	}
	for _, r := range rec.ByType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding") {
		var o rbacv1.ClusterRoleBinding
		decode(r, &o)
		if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), o.Name, metav1.DeleteOptions{})
		})
		n++
	}
	for _, r := range rec.ByType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding") {
		var o rbacv1.RoleBinding
		decode(r, &o)
		if _, err := admin.RbacV1().RoleBindings(o.Namespace).Create(ctx, &o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if want := 4 + 1 + 3*len(tenants); n != want {
		t.Fatalf("components/rbac rendered %d objects, want %d (4 roles, the platform-admin binding, 3 per tenant)", n, want)
	}
}
