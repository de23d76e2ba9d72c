package keycloak

import (
	"cmp"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak/openid"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// The realm's side of kubectl logins: the kubernetes client, the "groups"
// client scope that puts the user's groups in its tokens, and the tenants
// whose groups (roles.go) the claim carries.

// DefaultKubernetesClientID is KubernetesClient.ClientID when unset: the
// ID token's aud, so the API server's --oidc-client-id (or its
// AuthenticationConfiguration's audiences) must name it.
const DefaultKubernetesClientID = "kubernetes"

// GroupsScope is the client scope that carries the "groups" claim.
const GroupsScope = "groups"

// KubeloginRedirectURIs are the redirect URIs of kubelogin (int128/kubelogin,
// the `kubectl oidc-login` plugin) with its defaults: it listens on
// 127.0.0.1:8000, or 127.0.0.1:18000 when 8000 is taken, and sends
// http://localhost:<port> as the redirect URI (--listen-address, default
// [127.0.0.1:8000,127.0.0.1:18000]; --oidc-redirect-url-hostname, default
// "localhost"; its docs/usage.md lists both URIs to register).
func KubeloginRedirectURIs() []string {
	return []string{"http://localhost:8000", "http://localhost:18000"}
}

// kubernetesDefaultScopes are the kubernetes client's default scopes besides
// GroupsScope. The client's default scopes are set, not added to: these
// replace the realm's defaults. basic carries sub (Keycloak 25 and later),
// the API server's default username claim; acr the authentication level;
// profile preferred_username and email email and email_verified, for a
// --oidc-username-claim other than sub. Left out: roles (Kubernetes
// authorises on groups, and full scope is off, so realm_access would be
// empty anyway) and web-origins (a command-line client has no origin).
var kubernetesDefaultScopes = []string{"basic", "acr", "profile", "email"}

// KubernetesClient is the public OIDC client kubectl logs in with through
// kubelogin: the authorization code flow with PKCE S256 and exact loopback
// redirects, like every platform client (see Client), and the "groups"
// claim from the GroupsScope client scope, a default scope of the client.
// The claim holds the names of the groups the user is a direct member of:
// a tenant's group (identity.TenantGroup, "team-a-devops"), or a role's
// group ("platform-admins"), which Kubernetes RBAC binds. NIS2 Art.
// 21(2)(i), ISM-1507: cluster access goes through the realm's MFA and
// roles, not through static credentials.
type KubernetesClient struct {
	// Enabled defaults to true (nil) when the realm is built: without it,
	// kubectl has no login through the realm. Turn it off only where the
	// cluster authenticates users otherwise.
	Enabled *bool `json:"enabled,omitempty"`
	// ClientID defaults to "kubernetes" (DefaultKubernetesClientID): the ID
	// token's aud, which the API server checks. Same rules as a client's
	// clientId, and no entry of clients may use it.
	ClientID string `json:"clientId,omitempty"`
	// RedirectURIs are matched exactly. Default (the key absent):
	// kubelogin's, http://localhost:8000 and http://localhost:18000
	// (KubeloginRedirectURIs). Same rules as a client's redirectUris; an
	// empty list is refused (no login could complete).
	RedirectURIs []string `json:"redirectUris,omitempty"`
}

func (k *KubernetesClient) withDefaults() {
	if k.Enabled == nil {
		t := true
		k.Enabled = &t
	}
	k.ClientID = cmp.Or(k.ClientID, DefaultKubernetesClientID)
	if k.RedirectURIs == nil {
		k.RedirectURIs = KubeloginRedirectURIs()
	}
}

// client is k as a platform client (public, no service account).
func (k *KubernetesClient) client() Client {
	return Client{ClientID: k.ClientID, Kind: ClientPublic, RedirectURIs: k.RedirectURIs}
}

func (k *KubernetesClient) validate(path string, clients []Client, l *verr.List) {
	if !*k.Enabled {
		return
	}
	validateClient(k.client(), path, l)
	for i, c := range clients {
		if c.ClientID == k.ClientID {
			l.Add(verr.Path(path, "clientId"), k.ClientID, fmt.Sprintf("clients[%d] has the same client id", i),
				"give the kubernetes client another clientId, or drop the entry from clients")
		}
	}
}

// tenantName is a tenant's name as a group name prefix: a DNS label, the
// rule of the tenant's namespace name.
var tenantName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func validateTenants(tenants []string, path string, l *verr.List) {
	seen := map[string]bool{}
	for i, t := range tenants {
		p := verr.Path(path, fmt.Sprintf("[%d]", i))
		switch {
		case !tenantName.MatchString(t):
			l.Add(p, t, "a tenant name is a DNS label (1-63 lower-case letters, digits and '-')", `use the tenant's namespace name, e.g. "team-a"`)
		case seen[t]:
			l.Add(p, t, "tenants must be unique: two would share their groups", "remove the duplicate")
		}
		seen[t] = true
	}
}

// newKubernetesClient creates the GroupsScope client scope with its groups
// mapper, and the kubernetes client with its default scopes. It returns
// the client id ("" when the client is disabled).
func newKubernetesClient(ctx *pulumi.Context, name string, a *RealmArgs, realmID pulumi.StringOutput, parent pulumi.ResourceOption) (string, error) {
	k := a.KubernetesClient
	if !*k.Enabled {
		return "", nil
	}
	scope, err := openid.NewClientScope(ctx, name+"-scope-groups", &openid.ClientScopeArgs{
		RealmId:             realmID,
		Name:                pulumi.String(GroupsScope),
		Description:         pulumi.String("The groups claim: names of the user's groups, bound by Kubernetes RBAC"),
		IncludeInTokenScope: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return "", fmt.Errorf("keycloak %q: create client scope %s: %w", name, GroupsScope, err)
	}
	m := groupsClaim(realmID)
	m.ClientScopeId = scope.ID().ToStringOutput()
	mapper, err := openid.NewGroupMembershipProtocolMapper(ctx, name+"-scope-groups-mapper", m, parent)
	if err != nil {
		return "", fmt.Errorf("keycloak %q: groups claim of client scope %s: %w", name, GroupsScope, err)
	}
	client, err := openid.NewClient(ctx, name+"-kubernetes-client", clientInputs(k.client(), a, realmID), parent)
	if err != nil {
		return "", fmt.Errorf("keycloak %q: create client %s: %w", name, k.ClientID, err)
	}
	scopes := pulumi.ToStringArray(kubernetesDefaultScopes)
	scopes = append(scopes, scope.Name)
	// After the mapper: a token issued with the scope always has the claim.
	if _, err := openid.NewClientDefaultScopes(ctx, name+"-kubernetes-client-scopes", &openid.ClientDefaultScopesArgs{
		RealmId:       realmID,
		ClientId:      client.ID().ToStringOutput(),
		DefaultScopes: scopes,
	}, parent, pulumi.DependsOn([]pulumi.Resource{mapper})); err != nil {
		return "", fmt.Errorf("keycloak %q: default scopes of client %s: %w", name, k.ClientID, err)
	}
	return k.ClientID, nil
}
