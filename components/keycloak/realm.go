package keycloak

import (
	"cmp"
	"regexp"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// SSLRequired is the realm's sslRequired setting.
type SSLRequired string

const (
	// SSLAll refuses every non-TLS request, loopback included. NIS2 Art. 21(2)(h), ISM-1139.
	SSLAll SSLRequired = "all"
	// SSLExternal allows plain HTTP from private addresses: weaker, for
	// clusters that terminate TLS in front of Keycloak on a trusted network.
	SSLExternal SSLRequired = "external"
)

// RealmArgs configures a hardened Keycloak realm. It is also the schema of
// the realm's config section: its json keys are the section's keys, and a
// config layer decodes straight into it. The zero value of every field
// except Realm and Clients means "the secure default" (see each field); a
// partial struct (only Sessions.AccessToken, say) keeps the defaults of the
// fields it leaves unset. SMTP.Password is not a key (`json:"-"`): it comes
// from a secret.
type RealmArgs struct {
	// Realm is the realm name (required): 1-36 lower-case letters, digits and
	// '-', not "master" (the admin realm is never used for platform users).
	Realm string `json:"realm,omitempty"`
	// DisplayName is shown on the login page. Default: Realm.
	DisplayName string `json:"displayName,omitempty"`
	// SSLRequired defaults to SSLAll: tokens and passwords never cross plain
	// HTTP, not even from private networks. NIS2 Art. 21(2)(h), ISM-1139.
	// Keycloak judges it by the scheme of its configured hostname URL, not
	// by the connection: with an https:// hostname, a plain-HTTP listener is
	// served anyway (seen on the lab server). The listener must be off too,
	// as NewServer and the lab do.
	SSLRequired SSLRequired `json:"sslRequired,omitempty"`
	// VerifyEmail makes users prove their address before first login.
	// Default true (nil): account recovery and notifications go to a proven
	// address. Turn it off only where there is no mail server (a lab).
	VerifyEmail *bool `json:"verifyEmail,omitempty"`
	// SMTP sends verification and password-reset e-mails. Required when
	// VerifyEmail is true (a realm that asks users to verify an address it
	// cannot write to locks every new user out). Default nil.
	SMTP *SMTP `json:"smtp,omitempty"`
	// BruteForce configures login-failure detection; it is always on.
	BruteForce BruteForce `json:"bruteForce,omitzero"`
	// Sessions holds token and session lifespans.
	Sessions Sessions `json:"sessions,omitzero"`
	// PasswordPolicy is the realm password policy. Default DefaultPasswordPolicy().
	PasswordPolicy *PasswordPolicy `json:"passwordPolicy,omitempty"`
	// OTP is the realm OTP policy. Defaults: TOTP, HmacSHA1, 6 digits, 30 s, look-ahead 1.
	OTP OTPPolicy `json:"otp,omitzero"`
	// WebAuthn is the realm WebAuthn (second-factor) policy used by the
	// privileged roles' hardware keys.
	WebAuthn WebAuthnPolicy `json:"webAuthn,omitzero"`
	// Events configures login and admin event recording.
	Events Events `json:"events,omitzero"`
	// Clients are the platform's OIDC clients (kube API server, gateway, …).
	Clients []Client `json:"clients,omitempty"`
	// KubernetesClient is the client kubectl logs in with (kubelogin,
	// `kubectl oidc-login`): public, code flow with PKCE S256 only, and a
	// "groups" claim naming the user's groups (a default client scope). On
	// by default.
	KubernetesClient KubernetesClient `json:"kubernetesClient,omitzero"`
	// Tenants are the platform's tenants (not a key: a config layer passes
	// the stack's tenants, rampart:tenants). Each gets one subgroup per
	// tenant role (identity.TenantGroup: "team-a-devops") under the role's
	// group, whose members inherit the role. Default none. Names are DNS
	// labels, unique.
	Tenants []string `json:"-"`
}

// defaulted returns a copy of a with every unset field set to the secure
// default documented on it; a itself is not modified.
func (a *RealmArgs) defaulted() RealmArgs {
	d := *a
	d.Clients = append([]Client(nil), a.Clients...)
	d.Tenants = append([]string(nil), a.Tenants...)
	d.withDefaults()
	return d
}

// withDefaults fills a's unset fields in place; it is idempotent. This (and
// the withDefaults of the parts it calls) is the only place the realm's
// defaults are written down.
func (a *RealmArgs) withDefaults() {
	a.DisplayName = cmp.Or(a.DisplayName, a.Realm)
	a.SSLRequired = cmp.Or(a.SSLRequired, SSLAll)
	if a.VerifyEmail == nil {
		t := true
		a.VerifyEmail = &t
	}
	if a.SMTP != nil {
		m := *a.SMTP
		m.withDefaults(a.DisplayName)
		a.SMTP = &m
	}
	a.BruteForce.withDefaults()
	a.Sessions.withDefaults()
	p := DefaultPasswordPolicy()
	if a.PasswordPolicy != nil {
		p = *a.PasswordPolicy
		p.withDefaults()
	}
	a.PasswordPolicy = &p
	a.OTP.withDefaults()
	a.WebAuthn.withDefaults(a.DisplayName)
	a.Events.withDefaults()
	for i := range a.Clients {
		a.Clients[i].withDefaults()
	}
	a.KubernetesClient.withDefaults()
}

var (
	realmName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,35}$`)
	hostName  = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)
)

// Validate reports every problem of a, after applying the defaults to a
// copy (a is not modified); nil when a is usable. Each problem is named by
// its key path under prefix: with prefix "" the paths are relative
// ("sessions.accessToken"), and a config layer passes its section's key so
// they read as the stack's keys. NewRealm checks the same defaulted args.
func (a *RealmArgs) Validate(prefix string) error {
	if a == nil {
		var l verr.List
		l.Add(prefix, "<nil>", "no realm arguments", "pass a *RealmArgs with at least Realm and Clients")
		return l.Err()
	}
	d := a.defaulted()
	return d.validate(prefix)
}

// validate checks a defaulted a.
func (a *RealmArgs) validate(prefix string) error {
	var l verr.List
	if !realmName.MatchString(a.Realm) || a.Realm == "master" {
		l.Add(verr.Path(prefix, "realm"), a.Realm, "a realm name is 1-36 lower-case letters, digits and '-', and not \"master\" (the admin realm)", `use e.g. "platform"`)
	}
	if a.SSLRequired != SSLAll && a.SSLRequired != SSLExternal {
		l.Add(verr.Path(prefix, "sslRequired"), string(a.SSLRequired), "must be all or external (none sends passwords in clear text)", `use "all"`)
	}
	a.SMTP.validate(verr.Path(prefix, "smtp"), *a.VerifyEmail, &l)
	a.BruteForce.validate(verr.Path(prefix, "bruteForce"), &l)
	a.Sessions.validate(verr.Path(prefix, "sessions"), &l)
	a.PasswordPolicy.validate(verr.Path(prefix, "passwordPolicy"), &l)
	a.OTP.validate(verr.Path(prefix, "otp"), &l)
	a.WebAuthn.validate(verr.Path(prefix, "webAuthn"), &l)
	a.Events.validate(verr.Path(prefix, "events"), &l)
	validateClients(a.Clients, verr.Path(prefix, "clients"), &l)
	a.KubernetesClient.validate(verr.Path(prefix, "kubernetesClient"), a.Clients, &l)
	validateTenants(a.Tenants, verr.Path(prefix, "tenants"), &l)
	return l.Err()
}
