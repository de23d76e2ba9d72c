package keycloak

import (
	"fmt"

	kc "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	"github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak/authentication"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BrowserFlowAlias is the alias of the realm's MFA browser flow.
const BrowserFlowAlias = "rampart-browser-mfa"

// DirectGrantFlowAlias is the alias of the realm's direct grant flow.
const DirectGrantFlowAlias = "rampart-direct-grant-mfa"

// newAuthentication enables the second-factor register actions, builds the
// browser and direct grant flows and binds them to the realm once every
// step exists. floor is the lowest privileged role (the browser flow's
// condition names it).
func newAuthentication(ctx *pulumi.Context, name string, realmID pulumi.StringOutput, parent pulumi.ResourceOption, floor *kc.Role) error {
	// The authenticators of the MFA flow put users without a second factor
	// into these required actions; disabled actions would let the flow skip
	// the factor instead.
	var done []pulumi.Resource
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
			return fmt.Errorf("keycloak %q: enable required action %s: %w", name, ra.alias, err)
		}
		done = append(done, r)
	}
	browser, err := newBrowserFlow(ctx, name, realmID, parent, floor)
	if err != nil {
		return err
	}
	direct, err := newDirectGrantFlow(ctx, name, realmID, parent)
	if err != nil {
		return err
	}
	done = append(append(browser, direct...), done...)
	if _, err := authentication.NewBindings(ctx, name+"-bindings", &authentication.BindingsArgs{
		RealmId:         realmID,
		BrowserFlow:     pulumi.String(BrowserFlowAlias),
		DirectGrantFlow: pulumi.String(DirectGrantFlowAlias),
	}, parent, pulumi.DependsOn(done)); err != nil {
		return fmt.Errorf("keycloak %q: bind authentication flows: %w", name, err)
	}
	return nil
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
