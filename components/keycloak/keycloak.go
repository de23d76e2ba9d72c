// Package keycloak configures a hardened Keycloak realm for the platform with
// the pulumi-keycloak provider: brute-force detection, short tokens and
// sessions, a validated password policy, MFA enforced by the browser flow
// (hardware keys for privileged roles, TOTP for the others), login and admin
// events, the four platform roles with their groups and the tenants'
// subgroups, and OIDC clients that can only use the authorization code flow
// with PKCE, among them the kubernetes client kubectl logs in with, whose
// tokens carry the user's groups.
//
// The component never builds a provider: pass pulumi.Provider(...) for the
// Keycloak server (an operator-managed one, a managed service or the lab's).
// It never reads stack config either: RealmArgs is json-tagged so a config
// layer decodes its section straight into it.
package keycloak

import (
	"fmt"

	kc "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:keycloak:Realm"

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
	// KubernetesClientID is the kubernetes client's id, the aud of the ID
	// tokens kubectl sends to the API server; "" when the client is off.
	KubernetesClientID pulumi.StringOutput `pulumi:"kubernetesClientId"`
}

// NewRealm registers the realm and its children. opts must carry the
// Keycloak provider (pulumi.Provider) unless a default provider is allowed.
// Invalid args fail before anything is registered, with every problem named
// by its path relative to args ("sessions.accessToken").
func NewRealm(ctx *pulumi.Context, name string, args *RealmArgs, opts ...pulumi.ResourceOption) (*Realm, error) {
	if args == nil {
		return nil, fmt.Errorf("keycloak %q: args are required (at least Realm and Clients)", name)
	}
	a := args.defaulted()
	if err := a.validate(""); err != nil {
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

	if err := newEvents(ctx, name, &a.Events, realmID, parent); err != nil {
		return nil, err
	}
	if err := newDefaultRoles(ctx, name, realmID, parent); err != nil {
		return nil, err
	}
	roles, err := newRoles(ctx, name, realmID, a.Tenants, parent)
	if err != nil {
		return nil, err
	}
	if err := newAuthentication(ctx, name, realmID, parent, roles[privilegeFloor]); err != nil {
		return nil, err
	}
	secrets, err := newClients(ctx, name, &a, realmID, parent)
	if err != nil {
		return nil, err
	}
	kubeClient, err := newKubernetesClient(ctx, name, &a, realmID, parent)
	if err != nil {
		return nil, err
	}

	comp.RealmID = realmID
	comp.BrowserFlow = pulumi.String(BrowserFlowAlias).ToStringOutput()
	comp.ClientSecrets = pulumi.ToSecret(secrets.ToStringMapOutput()).(pulumi.StringMapOutput)
	comp.KubernetesClientID = pulumi.String(kubeClient).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"realmId":            comp.RealmID,
		"browserFlow":        comp.BrowserFlow,
		"clientSecrets":      comp.ClientSecrets,
		"kubernetesClientId": comp.KubernetesClientID,
	}); err != nil {
		return nil, fmt.Errorf("keycloak %q: register outputs: %w", name, err)
	}
	return comp, nil
}

// realmInputs is the realm resource for defaulted args: account settings
// here, each part's block from its own file.
func realmInputs(a *RealmArgs) *kc.RealmArgs {
	f := false
	r := &kc.RealmArgs{
		SmtpServer:  a.SMTP.inputs(),
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

		PasswordPolicy: pulumi.String(a.PasswordPolicy.String()),
		OtpPolicy:      a.OTP.inputs(),
		WebAuthnPolicy: a.WebAuthn.inputs(),
		SecurityDefenses: &kc.RealmSecurityDefensesArgs{
			BruteForceDetection: a.BruteForce.inputs(),
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
	a.Sessions.apply(r)
	return r
}
