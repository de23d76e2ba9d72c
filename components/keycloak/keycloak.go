// Package keycloak configures a hardened Keycloak realm for the platform with
// the pulumi-keycloak provider: brute-force detection, short tokens and
// sessions, a validated password policy, MFA enforced by the browser flow
// (hardware keys for privileged roles, TOTP for the others), login and admin
// events, the four platform roles with their groups, and OIDC clients that
// can only use the authorization code flow with PKCE.
//
// The component never builds a provider: pass pulumi.Provider(...) for the
// Keycloak server (an operator-managed one, a managed service or the lab's).
package keycloak

import (
	"fmt"
	"sort"
	"time"

	kc "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	"github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak/authentication"
	"github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak/openid"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:keycloak:Realm"

// BrowserFlowAlias is the alias of the realm's MFA browser flow.
const BrowserFlowAlias = "rampart-browser-mfa"

// DirectGrantFlowAlias is the alias of the realm's direct grant flow.
const DirectGrantFlowAlias = "rampart-direct-grant-mfa"

// DefaultUserRoles are the roles every new user of the realm gets: the
// account console only (see and manage one's own profile and credentials).
// Keycloak's default also grants offline_access and uma_authorization.
var DefaultUserRoles = []string{"account/view-profile", "account/manage-account"}

// Realm is a hardened Keycloak realm and everything in it.
type Realm struct {
	pulumi.ResourceState

	// RealmID is the realm's id (its name), for other keycloak resources.
	RealmID pulumi.StringOutput `pulumi:"realmId"`
	// BrowserFlow is the alias of the bound MFA browser flow.
	BrowserFlow pulumi.StringOutput `pulumi:"browserFlow"`
	// ClientSecrets maps the client id of each confidential client to its
	// generated secret (a Pulumi secret).
	ClientSecrets pulumi.StringMapOutput `pulumi:"clientSecrets"`
}

// NewRealm registers the realm and its children. opts must carry the
// Keycloak provider (pulumi.Provider) unless a default provider is allowed.
func NewRealm(ctx *pulumi.Context, name string, args *RealmArgs, opts ...pulumi.ResourceOption) (*Realm, error) {
	if args == nil {
		return nil, fmt.Errorf("keycloak %q: args are required (at least Realm and Clients)", name)
	}
	a := args.defaulted()
	if err := a.validate("keycloak"); err != nil {
		return nil, fmt.Errorf("keycloak %q: invalid args:\n%w", name, err)
	}
	comp := &Realm{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("keycloak %q: register component: %w", name, err)
	}
	parent := pulumi.Parent(comp)

	realm, err := kc.NewRealm(ctx, name+"-realm", realmInputs(&a), parent)
	if err != nil {
		return nil, fmt.Errorf("keycloak %q: create realm: %w", name, err)
	}
	realmID := realm.ID().ToStringOutput()

	e := a.Events
	if _, err := kc.NewRealmEvents(ctx, name+"-events", &kc.RealmEventsArgs{
		RealmId:                   realmID,
		EventsEnabled:             pulumi.Bool(true),
		EventsExpiration:          pulumi.Int(int(e.Expiration / time.Second)),
		EventsListeners:           pulumi.ToStringArray(e.Listeners),
		AdminEventsEnabled:        pulumi.Bool(true),
		AdminEventsDetailsEnabled: pulumi.Bool(*e.AdminDetails),
		// EnabledEventTypes left empty: every event type is saved.
	}, parent); err != nil {
		return nil, fmt.Errorf("keycloak %q: configure events: %w", name, err)
	}

	// New users get only the account console roles: no offline_access
	// (30-day offline tokens only for those granted it), no uma_authorization.
	// Least privilege, NIS2 Art. 21(2)(i).
	if _, err := kc.NewDefaultRoles(ctx, name+"-default-roles", &kc.DefaultRolesArgs{
		RealmId:      realmID,
		DefaultRoles: pulumi.ToStringArray(DefaultUserRoles),
	}, parent); err != nil {
		return nil, fmt.Errorf("keycloak %q: set default roles: %w", name, err)
	}

	// The authenticators of the MFA flow put users without a second factor
	// into these required actions; disabled actions would let the flow skip
	// the factor instead.
	var actions []pulumi.Resource
	for _, ra := range []struct{ role, alias, label string }{
		{"action-configure-totp", "CONFIGURE_TOTP", "Configure OTP"},
		{"action-webauthn-register", "webauthn-register", "Webauthn Register"},
	} {
		r, err := kc.NewRequiredAction(ctx, name+"-"+ra.role, &kc.RequiredActionArgs{
			RealmId: realmID,
			Alias:   pulumi.String(ra.alias),
			Name:    pulumi.String(ra.label),
			Enabled: pulumi.Bool(true),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("keycloak %q: enable required action %s: %w", name, ra.alias, err)
		}
		actions = append(actions, r)
	}

	roles, err := newRoles(ctx, name, realmID, parent)
	if err != nil {
		return nil, err
	}
	flowDone, err := newBrowserFlow(ctx, name, realmID, parent, roles[privilegeFloor])
	if err != nil {
		return nil, err
	}
	directDone, err := newDirectGrantFlow(ctx, name, realmID, parent)
	if err != nil {
		return nil, err
	}
	flowDone = append(append(flowDone, directDone...), actions...)
	if _, err := authentication.NewBindings(ctx, name+"-bindings", &authentication.BindingsArgs{
		RealmId:         realmID,
		BrowserFlow:     pulumi.String(BrowserFlowAlias),
		DirectGrantFlow: pulumi.String(DirectGrantFlowAlias),
	}, parent, pulumi.DependsOn(flowDone)); err != nil {
		return nil, fmt.Errorf("keycloak %q: bind authentication flows: %w", name, err)
	}

	secrets, err := newClients(ctx, name, &a, realmID, parent)
	if err != nil {
		return nil, err
	}

	comp.RealmID = realmID
	comp.BrowserFlow = pulumi.String(BrowserFlowAlias).ToStringOutput()
	comp.ClientSecrets = pulumi.ToSecret(secrets.ToStringMapOutput()).(pulumi.StringMapOutput)
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"realmId":       comp.RealmID,
		"browserFlow":   comp.BrowserFlow,
		"clientSecrets": comp.ClientSecrets,
	}); err != nil {
		return nil, fmt.Errorf("keycloak %q: register outputs: %w", name, err)
	}
	return comp, nil
}

// dur renders a lifespan the way the provider parses it (Go duration syntax).
func dur(d time.Duration) pulumi.StringInput { return pulumi.String(d.String()) }

func secs(d time.Duration) pulumi.IntInput { return pulumi.Int(int(d / time.Second)) }

func smtpInputs(m *SMTP) kc.RealmSmtpServerPtrInput {
	if m == nil {
		return nil
	}
	args := &kc.RealmSmtpServerArgs{
		Host:            pulumi.String(m.Host),
		Port:            pulumi.String(fmt.Sprint(m.Port)),
		From:            pulumi.String(m.From),
		FromDisplayName: pulumi.String(m.FromDisplayName),
		Ssl:             pulumi.Bool(m.ImplicitTLS),
		Starttls:        pulumi.Bool(!m.ImplicitTLS),
	}
	if m.Username != "" {
		args.Auth = &kc.RealmSmtpServerAuthArgs{
			Username: pulumi.String(m.Username),
			Password: pulumi.ToSecret(m.Password.ToStringOutput()).(pulumi.StringOutput),
		}
	}
	return args
}

func realmInputs(a *RealmArgs) *kc.RealmArgs {
	s, b, o, w := a.Sessions, a.BruteForce, a.OTP, a.WebAuthn
	f := false
	return &kc.RealmArgs{
		SmtpServer:  smtpInputs(a.SMTP),
		Realm:       pulumi.String(a.Realm),
		Enabled:     pulumi.Bool(true),
		DisplayName: pulumi.String(a.DisplayName),
		SslRequired: pulumi.String(string(a.SSLRequired)),

		// Accounts are provisioned (federation, admins), never self-registered.
		RegistrationAllowed:         pulumi.Bool(false),
		RegistrationEmailAsUsername: pulumi.Bool(false),
		EditUsernameAllowed:         pulumi.Bool(false),
		DuplicateEmailsAllowed:      pulumi.Bool(false),
		LoginWithEmailAllowed:       pulumi.Bool(true),
		VerifyEmail:                 pulumi.Bool(*a.VerifyEmail),
		// Self-service reset needs a proven mailbox; without e-mail verification
		// a reset link could go to an address nobody checked.
		ResetPasswordAllowed: pulumi.Bool(*a.VerifyEmail),
		// "Remember me" stretches sessions past SSOMax on shared machines.
		RememberMe:        pulumi.Bool(f),
		UserManagedAccess: pulumi.Bool(f),

		AccessTokenLifespan:                 dur(s.AccessToken),
		AccessTokenLifespanForImplicitFlow:  dur(s.AccessToken),
		SsoSessionIdleTimeout:               dur(s.SSOIdle),
		SsoSessionMaxLifespan:               dur(s.SSOMax),
		ClientSessionIdleTimeout:            dur(s.ClientIdle),
		ClientSessionMaxLifespan:            dur(s.ClientMax),
		OfflineSessionIdleTimeout:           dur(s.OfflineIdle),
		OfflineSessionMaxLifespanEnabled:    pulumi.Bool(true),
		OfflineSessionMaxLifespan:           dur(s.OfflineMax),
		AccessCodeLifespan:                  dur(s.AccessCode),
		AccessCodeLifespanLogin:             dur(s.LoginTimeout),
		AccessCodeLifespanUserAction:        dur(s.UserActionToken),
		ActionTokenGeneratedByUserLifespan:  dur(s.UserActionToken),
		ActionTokenGeneratedByAdminLifespan: dur(s.AdminActionToken),
		RevokeRefreshToken:                  pulumi.Bool(!s.AllowRefreshTokenReuse),
		RefreshTokenMaxReuse:                pulumi.Int(0),

		PasswordPolicy: pulumi.String(a.PasswordPolicy.String()),
		OtpPolicy: &kc.RealmOtpPolicyArgs{
			Type:            pulumi.String(string(o.Type)),
			Algorithm:       pulumi.String(string(o.Algorithm)),
			Digits:          pulumi.Int(o.Digits),
			Period:          secs(o.Period),
			LookAheadWindow: pulumi.Int(o.LookAheadWindow),
		},
		WebAuthnPolicy: &kc.RealmWebAuthnPolicyArgs{
			RelyingPartyEntityName:          pulumi.String(w.RelyingPartyName),
			RelyingPartyId:                  pulumi.String(w.RelyingPartyID),
			UserVerificationRequirement:     pulumi.String(string(w.UserVerification)),
			AuthenticatorAttachment:         pulumi.String(string(w.Attachment)),
			SignatureAlgorithms:             pulumi.ToStringArray(w.SignatureAlgorithms),
			AcceptableAaguids:               pulumi.ToStringArray(w.AcceptableAAGUIDs),
			AvoidSameAuthenticatorRegister:  pulumi.Bool(true),
			AttestationConveyancePreference: pulumi.String("direct"),
			RequireResidentKey:              pulumi.String("not specified"),
		},
		SecurityDefenses: &kc.RealmSecurityDefensesArgs{
			BruteForceDetection: &kc.RealmSecurityDefensesBruteForceDetectionArgs{
				PermanentLockout:             pulumi.Bool(b.PermanentLockout),
				MaxLoginFailures:             pulumi.Int(b.MaxLoginFailures),
				WaitIncrementSeconds:         secs(b.WaitIncrement),
				MaxFailureWaitSeconds:        secs(b.MaxFailureWait),
				QuickLoginCheckMilliSeconds:  pulumi.Int(int(b.QuickLoginCheck / time.Millisecond)),
				MinimumQuickLoginWaitSeconds: secs(b.MinimumQuickLoginWait),
				FailureResetTimeSeconds:      secs(b.FailureReset),
			},
			Headers: &kc.RealmSecurityDefensesHeadersArgs{
				XFrameOptions:           pulumi.String("DENY"),
				ContentSecurityPolicy:   pulumi.String("frame-src 'self'; frame-ancestors 'none'; object-src 'none';"),
				StrictTransportSecurity: pulumi.String("max-age=31536000; includeSubDomains"),
				XContentTypeOptions:     pulumi.String("nosniff"),
				XRobotsTag:              pulumi.String("none"),
				XXssProtection:          pulumi.String("0"),
			},
		},
	}
}

// newRoles creates the four roles as a composite chain, one group per role
// and the group's role mapping. It returns the roles by name.
func newRoles(ctx *pulumi.Context, name string, realmID pulumi.StringOutput, parent pulumi.ResourceOption) (map[string]*kc.Role, error) {
	roles := map[string]*kc.Role{}
	for _, r := range PlatformRoles() {
		args := &kc.RoleArgs{
			RealmId:     realmID,
			Name:        pulumi.String(r.Name),
			Description: pulumi.String(r.Description),
		}
		if r.Includes != "" {
			args.CompositeRoles = pulumi.StringArray{roles[r.Includes].ID().ToStringOutput()}
		}
		role, err := kc.NewRole(ctx, name+"-role-"+r.Name, args, parent)
		if err != nil {
			return nil, fmt.Errorf("keycloak %q: create role %s: %w", name, r.Name, err)
		}
		roles[r.Name] = role
		group, err := kc.NewGroup(ctx, name+"-group-"+r.Group, &kc.GroupArgs{
			RealmId: realmID,
			Name:    pulumi.String(r.Group),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("keycloak %q: create group %s: %w", name, r.Group, err)
		}
		if _, err := kc.NewGroupRoles(ctx, name+"-group-"+r.Group+"-roles", &kc.GroupRolesArgs{
			RealmId:    realmID,
			GroupId:    group.ID().ToStringOutput(),
			RoleIds:    pulumi.StringArray{role.ID().ToStringOutput()},
			Exhaustive: pulumi.Bool(true),
		}, parent); err != nil {
			return nil, fmt.Errorf("keycloak %q: map role %s to group %s: %w", name, r.Name, r.Group, err)
		}
	}
	return roles, nil
}

// newBrowserFlow builds the MFA browser flow:
//
//	rampart-browser-mfa
//	├─ auth-cookie                            ALTERNATIVE (existing SSO session)
//	└─ rampart-browser-mfa-forms              ALTERNATIVE
//	   ├─ auth-username-password-form         REQUIRED
//	   ├─ rampart-browser-mfa-hardware-key    CONDITIONAL
//	   │  ├─ conditional-user-role (tenant-admin)          REQUIRED
//	   │  └─ webauthn-authenticator           REQUIRED
//	   └─ rampart-browser-mfa-otp             CONDITIONAL
//	      ├─ conditional-user-role (not tenant-admin)      REQUIRED
//	      └─ auth-otp-form                    REQUIRED
//
// Every user needs a second factor: privileged roles (tenant-admin and,
// through the composite, platform-admin) a hardware key, everyone else TOTP.
// A user without one is sent into the register action before the login
// completes. Executions are appended in creation order, so each depends on
// its predecessor; the conditions name floor by name, so they wait for it.
// It returns the resources the binding must wait for.
func newBrowserFlow(ctx *pulumi.Context, name string, realmID pulumi.StringOutput, parent pulumi.ResourceOption, floor *kc.Role) ([]pulumi.Resource, error) {
	flow, err := authentication.NewFlow(ctx, name+"-browser-flow", &authentication.FlowArgs{
		RealmId:     realmID,
		Alias:       pulumi.String(BrowserFlowAlias),
		Description: pulumi.String("Browser login with a mandatory second factor: hardware key for privileged roles, TOTP otherwise"),
		ProviderId:  pulumi.String("basic-flow"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("keycloak %q: create browser flow: %w", name, err)
	}
	last := pulumi.Resource(flow)
	var all []pulumi.Resource
	step := func(role string, create func(after pulumi.ResourceOption) (pulumi.Resource, error)) error {
		r, err := create(pulumi.DependsOn([]pulumi.Resource{last}))
		if err != nil {
			return fmt.Errorf("keycloak %q: browser flow %s: %w", name, role, err)
		}
		last = r
		all = append(all, r)
		return nil
	}
	exec := func(role, parentAlias, authenticator, requirement string) error {
		return step(role, func(after pulumi.ResourceOption) (pulumi.Resource, error) {
			return authentication.NewExecution(ctx, name+"-browser-"+role, &authentication.ExecutionArgs{
				RealmId:         realmID,
				ParentFlowAlias: pulumi.String(parentAlias),
				Authenticator:   pulumi.String(authenticator),
				Requirement:     pulumi.String(requirement),
			}, parent, after)
		})
	}
	sub := func(role, parentAlias, alias, requirement, desc string) error {
		return step(role, func(after pulumi.ResourceOption) (pulumi.Resource, error) {
			return authentication.NewSubflow(ctx, name+"-browser-"+role, &authentication.SubflowArgs{
				RealmId:         realmID,
				ParentFlowAlias: pulumi.String(parentAlias),
				Alias:           pulumi.String(alias),
				ProviderId:      pulumi.String("basic-flow"),
				Requirement:     pulumi.String(requirement),
				Description:     pulumi.String(desc),
			}, parent, after)
		})
	}
	cond := func(role, parentAlias string, negate bool) error {
		if err := exec(role, parentAlias, "conditional-user-role", "REQUIRED"); err != nil {
			return err
		}
		execution := last.(*authentication.Execution)
		return step(role+"-config", func(after pulumi.ResourceOption) (pulumi.Resource, error) {
			return authentication.NewExecutionConfig(ctx, name+"-browser-"+role+"-config", &authentication.ExecutionConfigArgs{
				RealmId:     realmID,
				ExecutionId: execution.ID().ToStringOutput(),
				Alias:       pulumi.String(fmt.Sprintf("%s-%s", BrowserFlowAlias, role)),
				Config: pulumi.StringMap{
					"condUserRole": pulumi.String(privilegeFloor),
					"negate":       pulumi.String(fmt.Sprint(negate)),
				},
			}, parent, after, pulumi.DependsOn([]pulumi.Resource{floor}))
		})
	}
	forms := BrowserFlowAlias + "-forms"
	hw := BrowserFlowAlias + "-hardware-key"
	otp := BrowserFlowAlias + "-otp"
	for _, f := range []func() error{
		func() error { return exec("cookie", BrowserFlowAlias, "auth-cookie", "ALTERNATIVE") },
		func() error {
			return sub("forms", BrowserFlowAlias, forms, "ALTERNATIVE", "Username, password and a second factor")
		},
		func() error { return exec("password", forms, "auth-username-password-form", "REQUIRED") },
		func() error {
			return sub("hardware-key", forms, hw, "CONDITIONAL", "Privileged roles: FIDO2 hardware key with user verification")
		},
		func() error { return cond("hardware-key-condition", hw, false) },
		func() error { return exec("hardware-key-webauthn", hw, "webauthn-authenticator", "REQUIRED") },
		func() error { return sub("otp", forms, otp, "CONDITIONAL", "Other users: TOTP") },
		func() error { return cond("otp-condition", otp, true) },
		func() error { return exec("otp-form", otp, "auth-otp-form", "REQUIRED") },
	} {
		if err := f(); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// newDirectGrantFlow builds the flow behind the password grant:
//
//	rampart-direct-grant-mfa
//	├─ direct-grant-validate-username   REQUIRED
//	├─ direct-grant-validate-password   REQUIRED
//	└─ direct-grant-validate-otp        REQUIRED
//
// The platform's clients have direct grants off; this flow is the second
// line for any client enabled later: Keycloak's default direct grant flow
// asks for OTP only from users who already have one, so a password alone
// would be a login. Here every password grant needs a TOTP code.
func newDirectGrantFlow(ctx *pulumi.Context, name string, realmID pulumi.StringOutput, parent pulumi.ResourceOption) ([]pulumi.Resource, error) {
	flow, err := authentication.NewFlow(ctx, name+"-direct-grant-flow", &authentication.FlowArgs{
		RealmId:     realmID,
		Alias:       pulumi.String(DirectGrantFlowAlias),
		Description: pulumi.String("Password grant only with username, password and a TOTP code"),
		ProviderId:  pulumi.String("basic-flow"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("keycloak %q: create direct grant flow: %w", name, err)
	}
	last := pulumi.Resource(flow)
	all := []pulumi.Resource{flow}
	for _, e := range []struct{ role, authenticator string }{
		{"username", "direct-grant-validate-username"},
		{"password", "direct-grant-validate-password"},
		{"otp", "direct-grant-validate-otp"},
	} {
		r, err := authentication.NewExecution(ctx, name+"-direct-grant-"+e.role, &authentication.ExecutionArgs{
			RealmId:         realmID,
			ParentFlowAlias: pulumi.String(DirectGrantFlowAlias),
			Authenticator:   pulumi.String(e.authenticator),
			Requirement:     pulumi.String("REQUIRED"),
		}, parent, pulumi.DependsOn([]pulumi.Resource{last}))
		if err != nil {
			return nil, fmt.Errorf("keycloak %q: direct grant flow %s: %w", name, e.role, err)
		}
		last = r
		all = append(all, r)
	}
	return all, nil
}

// newClients creates the OIDC clients and returns client id → secret for
// the confidential ones.
func newClients(ctx *pulumi.Context, name string, a *RealmArgs, realmID pulumi.StringOutput, parent pulumi.ResourceOption) (pulumi.StringMap, error) {
	secrets := pulumi.StringMap{}
	clients := append([]Client(nil), a.Clients...)
	sort.SliceStable(clients, func(i, j int) bool { return clients[i].ClientID < clients[j].ClientID })
	for _, c := range clients {
		access := "PUBLIC"
		if c.Kind == ClientConfidential {
			access = "CONFIDENTIAL"
		}
		client, err := openid.NewClient(ctx, name+"-client-"+c.ClientID, &openid.ClientArgs{
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
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("keycloak %q: create client %s: %w", name, c.ClientID, err)
		}
		// Kubernetes (--oidc-groups-claim=groups) and the gateway authorise on
		// group names, see PlatformRoles.
		if _, err := openid.NewGroupMembershipProtocolMapper(ctx, name+"-client-"+c.ClientID+"-groups", &openid.GroupMembershipProtocolMapperArgs{
			RealmId:          realmID,
			ClientId:         client.ID().ToStringOutput(),
			Name:             pulumi.String("groups"),
			ClaimName:        pulumi.String("groups"),
			FullPath:         pulumi.Bool(false),
			AddToIdToken:     pulumi.Bool(true),
			AddToAccessToken: pulumi.Bool(true),
			AddToUserinfo:    pulumi.Bool(true),
		}, parent); err != nil {
			return nil, fmt.Errorf("keycloak %q: groups claim for client %s: %w", name, c.ClientID, err)
		}
		if c.Kind == ClientConfidential {
			secrets[c.ClientID] = client.ClientSecret
		}
	}
	return secrets, nil
}
