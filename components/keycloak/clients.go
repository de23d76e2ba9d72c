package keycloak

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak/openid"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// ClientKind is what a platform client is for; it selects safe settings.
type ClientKind string

const (
	// ClientPublic is a public client (no secret) that can only log users in
	// with the authorization code flow and PKCE: the kube API server's OIDC
	// client used by kubectl (kubelogin), single-page apps.
	ClientPublic ClientKind = "public"
	// ClientConfidential is a server-side client holding a generated secret
	// (the gateway): authorization code flow with PKCE as well.
	ClientConfidential ClientKind = "confidential"
)

// Client is one OIDC client of the platform. Every client gets the
// authorization code flow with PKCE S256, exact redirect URIs, no implicit
// flow, no direct access grants (they bypass MFA), no wildcard web origins,
// full scope off, and a "groups" claim for RBAC.
type Client struct {
	// ClientID (required): 1-64 lower-case letters, digits, '-', '.', '_'.
	ClientID string `json:"clientId,omitempty"`
	// Kind defaults to ClientPublic.
	Kind ClientKind `json:"kind,omitempty"`
	// RedirectURIs are matched exactly (required): https://, or http://
	// only on localhost/127.0.0.1 (native apps, RFC 8252 §7.3). No '*'.
	RedirectURIs []string `json:"redirectUris,omitempty"`
	// WebOrigins allowed for CORS; exact origins only. Default none.
	WebOrigins []string `json:"webOrigins,omitempty"`
	// ServiceAccount enables the client credentials grant (confidential
	// clients only). Default false.
	ServiceAccount bool `json:"serviceAccount,omitempty"`
}

func (c *Client) withDefaults() {
	c.Kind = cmp.Or(c.Kind, ClientPublic)
}

var clientName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func validateClients(clients []Client, path string, l *verr.List) {
	seen := map[string]bool{}
	for i, c := range clients {
		p := verr.Path(path, fmt.Sprintf("[%d]", i))
		validateClient(c, p, l)
		if clientName.MatchString(c.ClientID) && seen[c.ClientID] {
			l.Add(verr.Path(p, "clientId"), c.ClientID, "client ids must be unique in the realm", "rename one of the clients")
		}
		seen[c.ClientID] = true
	}
}

// validateClient checks one client, its problems named under p.
func validateClient(c Client, p string, l *verr.List) {
	at := func(key string) string { return verr.Path(p, key) }
	if !clientName.MatchString(c.ClientID) {
		l.Add(at("clientId"), c.ClientID, "a client id is 1-64 lower-case letters, digits, '.', '_' or '-'", `use e.g. "kube-apiserver"`)
	}
	if c.Kind != ClientPublic && c.Kind != ClientConfidential {
		l.Add(at("kind"), string(c.Kind), "must be public or confidential", `use "public" for kubectl, "confidential" for a server-side gateway`)
	}
	if c.ServiceAccount && c.Kind != ClientConfidential {
		l.Add(at("serviceAccount"), c.ServiceAccount, "a public client has no secret to authenticate a service account with", `set kind "confidential" or drop serviceAccount`)
	}
	if len(c.RedirectURIs) == 0 {
		l.Add(at("redirectUris"), "[]", "the authorization code flow needs at least one exact redirect URI", "list the callback URLs")
	}
	for j, u := range c.RedirectURIs {
		if why := checkRedirect(u); why != "" {
			l.Add(at(fmt.Sprintf("redirectUris[%d]", j)), u, why, "give the exact https:// callback URL (http:// only for localhost)")
		}
	}
	for j, o := range c.WebOrigins {
		if why := checkOrigin(o); why != "" {
			l.Add(at(fmt.Sprintf("webOrigins[%d]", j)), o, why, "give an exact origin such as https://app.example.org")
		}
	}
}

func loopback(host string) bool { return host == "localhost" || host == "127.0.0.1" || host == "::1" }

func checkRedirect(s string) string {
	if strings.Contains(s, "*") {
		return "wildcards let an attacker pick where the authorization code goes (OAuth 2.0 Security BCP §4.1)"
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "not an absolute URL"
	}
	if u.Fragment != "" {
		return "a redirect URI must not have a fragment (RFC 6749 §3.1.2)"
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	default:
		return "codes must travel over https:// (http:// is allowed only to localhost, RFC 8252 §7.3)"
	}
	return ""
}

func checkOrigin(s string) string {
	if s == "+" || strings.Contains(s, "*") {
		return "wildcard origins allow any site to call with the user's token"
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "not an origin (scheme://host[:port])"
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return "origins must be https:// (http:// only for localhost)"
	}
	return ""
}

// newClients creates the OIDC clients and returns client id → secret for
// the confidential ones.
func newClients(ctx *pulumi.Context, name string, a *RealmArgs, realmID pulumi.StringOutput, parent pulumi.ResourceOption) (pulumi.StringMap, error) {
	secrets := pulumi.StringMap{}
	clients := append([]Client(nil), a.Clients...)
	sort.SliceStable(clients, func(i, j int) bool { return clients[i].ClientID < clients[j].ClientID })
	for _, c := range clients {
		client, err := openid.NewClient(ctx, name+"-client-"+c.ClientID, clientInputs(c, a, realmID), parent)
		if err != nil {
			return nil, fmt.Errorf("keycloak %q: create client %s: %w", name, c.ClientID, err)
		}
		// Kubernetes (--oidc-groups-claim=groups) and the gateway authorise on
		// group names, see PlatformRoles.
		m := groupsClaim(realmID)
		m.ClientId = client.ID().ToStringOutput()
		if _, err := openid.NewGroupMembershipProtocolMapper(ctx, name+"-client-"+c.ClientID+"-groups", m, parent); err != nil {
			return nil, fmt.Errorf("keycloak %q: groups claim for client %s: %w", name, c.ClientID, err)
		}
		if c.Kind == ClientConfidential {
			secrets[c.ClientID] = client.ClientSecret
		}
	}
	return secrets, nil
}

// clientInputs are the settings every platform client shares: the
// authorization code flow with PKCE S256 and nothing else.
func clientInputs(c Client, a *RealmArgs, realmID pulumi.StringOutput) *openid.ClientArgs {
	access := "PUBLIC"
	if c.Kind == ClientConfidential {
		access = "CONFIDENTIAL"
	}
	return &openid.ClientArgs{
		RealmId:    realmID,
		ClientId:   pulumi.String(c.ClientID),
		Name:       pulumi.String(c.ClientID),
		Enabled:    pulumi.Bool(true),
		AccessType: pulumi.String(access),
		// Authorization code + PKCE only: the implicit flow leaks tokens in
		// URLs, direct grants take passwords and skip the MFA flow.
		StandardFlowEnabled:                   pulumi.Bool(true),
		PkceCodeChallengeMethod:               pulumi.String("S256"),
		ImplicitFlowEnabled:                   pulumi.Bool(false),
		DirectAccessGrantsEnabled:             pulumi.Bool(false),
		Oauth2DeviceAuthorizationGrantEnabled: pulumi.Bool(false),
		ServiceAccountsEnabled:                pulumi.Bool(c.ServiceAccount),
		ValidRedirectUris:                     pulumi.ToStringArray(c.RedirectURIs),
		WebOrigins:                            pulumi.ToStringArray(c.WebOrigins),
		ConsentRequired:                       pulumi.Bool(false),
		// Tokens carry only the roles the client is scoped to.
		FullScopeAllowed:                 pulumi.Bool(false),
		ClientSessionIdleTimeout:         dur(a.Sessions.ClientIdle),
		ClientSessionMaxLifespan:         dur(a.Sessions.ClientMax),
		AccessTokenLifespan:              dur(a.Sessions.AccessToken),
		BackchannelLogoutSessionRequired: pulumi.Bool(true),
		FrontchannelLogoutEnabled:        pulumi.Bool(false),
	}
}

// groupsClaim is the "groups" claim: the names (not paths) of the groups the
// user is a direct member of, in the ID token (what kubectl sends to the API
// server), the access token and userinfo. The caller sets the client or the
// client scope that carries it.
func groupsClaim(realmID pulumi.StringOutput) *openid.GroupMembershipProtocolMapperArgs {
	return &openid.GroupMembershipProtocolMapperArgs{
		RealmId:          realmID,
		Name:             pulumi.String("groups"),
		ClaimName:        pulumi.String("groups"),
		FullPath:         pulumi.Bool(false),
		AddToIdToken:     pulumi.Bool(true),
		AddToAccessToken: pulumi.Bool(true),
		AddToUserinfo:    pulumi.Bool(true),
	}
}
