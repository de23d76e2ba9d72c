package config

import (
	"bytes"
	"encoding/json"
	"net/url"
	"time"

	"github.com/rampart-dev/rampart/components/keycloak"
	"github.com/rampart-dev/rampart/components/verr"
)

// Keycloak is rampart:keycloak: the keycloak provider's connection and the
// platform realm. Lifespans are Go durations ("5m", "10h"). webAuthn and
// clients decode straight into the component's types; passwordPolicy
// decodes over keycloak.DefaultPasswordPolicy(), so only the fields set
// change. Realm keys left unset take the component's defaults (see
// keycloak.RealmArgs), applied when the args are validated and built.
type Keycloak struct {
	// Enabled builds the realm and the keycloak provider; default false.
	Enabled bool `json:"enabled"`
	// Provider says how Pulumi reaches Keycloak's admin API.
	Provider KeycloakProvider `json:"provider"`

	Realm          string                  `json:"realm,omitempty"`
	DisplayName    string                  `json:"displayName,omitempty"`
	SSLRequired    keycloak.SSLRequired    `json:"sslRequired,omitempty"`
	VerifyEmail    *bool                   `json:"verifyEmail,omitempty"`
	SMTP           *KeycloakSMTP           `json:"smtp,omitempty"`
	BruteForce     KeycloakBruteForce      `json:"bruteForce"`
	Sessions       KeycloakSessions        `json:"sessions"`
	PasswordPolicy *PasswordPolicy         `json:"passwordPolicy,omitempty"`
	OTP            KeycloakOTP             `json:"otp"`
	WebAuthn       keycloak.WebAuthnPolicy `json:"webAuthn"`
	Events         KeycloakEvents          `json:"events"`
	Clients        []keycloak.Client       `json:"clients,omitempty"`
}

// KeycloakProvider is the keycloak provider's connection. It authenticates
// with the client credentials grant: ClientID is a confidential client with
// a service account (realm-admin) in Realm, its secret is
// rampart:keycloakClientSecret. No admin password is ever configured (seed
// 000: no default admin).
type KeycloakProvider struct {
	// URL is Keycloak's base URL (required); https, http only to the local lab.
	URL string `json:"url,omitempty"`
	// Realm holds the service-account client; default "master".
	Realm string `json:"realm,omitempty"`
	// ClientID of that client; default "rampart-deployer".
	ClientID string `json:"clientId,omitempty"`
	// RootCACertificate is the PEM CA of Keycloak's TLS certificate; default
	// "": the system roots.
	RootCACertificate string `json:"rootCaCertificate,omitempty"`
}

// KeycloakSMTP is keycloak.SMTP without the password
// (rampart:keycloakSmtpPassword).
type KeycloakSMTP struct {
	Host            string `json:"host,omitempty"`
	Port            int    `json:"port,omitempty"`
	ImplicitTLS     bool   `json:"implicitTls,omitempty"`
	From            string `json:"from,omitempty"`
	FromDisplayName string `json:"fromDisplayName,omitempty"`
	Username        string `json:"username,omitempty"`
}

// KeycloakBruteForce is keycloak.BruteForce with durations as strings.
type KeycloakBruteForce struct {
	PermanentLockout      bool   `json:"permanentLockout,omitempty"`
	MaxLoginFailures      int    `json:"maxLoginFailures,omitempty"`
	WaitIncrement         string `json:"waitIncrement,omitempty"`
	MaxFailureWait        string `json:"maxFailureWait,omitempty"`
	QuickLoginCheck       string `json:"quickLoginCheck,omitempty"`
	MinimumQuickLoginWait string `json:"minimumQuickLoginWait,omitempty"`
	FailureReset          string `json:"failureReset,omitempty"`
}

// KeycloakSessions is keycloak.Sessions with durations as strings.
type KeycloakSessions struct {
	AccessToken            string `json:"accessToken,omitempty"`
	SSOIdle                string `json:"ssoIdle,omitempty"`
	SSOMax                 string `json:"ssoMax,omitempty"`
	ClientIdle             string `json:"clientIdle,omitempty"`
	ClientMax              string `json:"clientMax,omitempty"`
	OfflineIdle            string `json:"offlineIdle,omitempty"`
	OfflineMax             string `json:"offlineMax,omitempty"`
	LoginTimeout           string `json:"loginTimeout,omitempty"`
	AccessCode             string `json:"accessCode,omitempty"`
	UserActionToken        string `json:"userActionToken,omitempty"`
	AdminActionToken       string `json:"adminActionToken,omitempty"`
	AllowRefreshTokenReuse bool   `json:"allowRefreshTokenReuse,omitempty"`
}

// KeycloakOTP is keycloak.OTPPolicy with the period as a string.
type KeycloakOTP struct {
	Type            keycloak.OTPType      `json:"type,omitempty"`
	Algorithm       keycloak.OTPAlgorithm `json:"algorithm,omitempty"`
	Digits          int                   `json:"digits,omitempty"`
	Period          string                `json:"period,omitempty"`
	LookAheadWindow int                   `json:"lookAheadWindow,omitempty"`
}

// KeycloakEvents is keycloak.Events with the expiration as a string.
type KeycloakEvents struct {
	// Expiration unset takes the component's default (keycloak.Events); set
	// it to the audit retention period so Keycloak's store matches the audit trail.
	Expiration   string   `json:"expiration,omitempty"`
	Listeners    []string `json:"listeners,omitempty"`
	AdminDetails *bool    `json:"adminDetails,omitempty"`
}

// PasswordPolicy is keycloak.PasswordPolicy decoded over its defaults.
type PasswordPolicy struct{ keycloak.PasswordPolicy }

// UnmarshalJSON starts from keycloak.DefaultPasswordPolicy() and applies
// the fields present, rejecting unknown ones.
func (p *PasswordPolicy) UnmarshalJSON(b []byte) error {
	p.PasswordPolicy = keycloak.DefaultPasswordPolicy()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(&p.PasswordPolicy)
}

// keycloakDefaults fills the stack-level defaults only: the provider's
// service-account realm and client, and e-mail verification off in the
// local profile (the lab has no SMTP server). The realm's own defaults are
// the component's: RealmArgs leaves unset keys zero, and
// keycloak.RealmArgs.Validate and keycloak.NewRealm fill them.
func (c *Config) keycloakDefaults() {
	k := &c.Keycloak
	if !k.Enabled {
		return
	}
	if k.Provider.Realm == "" {
		k.Provider.Realm = "master"
	}
	if k.Provider.ClientID == "" {
		k.Provider.ClientID = "rampart-deployer"
	}
	if k.VerifyEmail == nil && c.Profile == ProfileLocal {
		f := false
		k.VerifyEmail = &f
	}
}

// duration is one lifespan setting: its key under rampart:keycloak, the
// configured text ("" when unset) and where it goes.
type duration struct {
	key string
	src *string
	dst *time.Duration
}

// durations lists every lifespan so parsing and reporting share one table;
// dst points into a.
func (k *Keycloak) durations(a *keycloak.RealmArgs) []duration {
	b, s := &k.BruteForce, &k.Sessions
	return []duration{
		{"bruteForce.waitIncrement", &b.WaitIncrement, &a.BruteForce.WaitIncrement},
		{"bruteForce.maxFailureWait", &b.MaxFailureWait, &a.BruteForce.MaxFailureWait},
		{"bruteForce.quickLoginCheck", &b.QuickLoginCheck, &a.BruteForce.QuickLoginCheck},
		{"bruteForce.minimumQuickLoginWait", &b.MinimumQuickLoginWait, &a.BruteForce.MinimumQuickLoginWait},
		{"bruteForce.failureReset", &b.FailureReset, &a.BruteForce.FailureReset},
		{"sessions.accessToken", &s.AccessToken, &a.Sessions.AccessToken},
		{"sessions.ssoIdle", &s.SSOIdle, &a.Sessions.SSOIdle},
		{"sessions.ssoMax", &s.SSOMax, &a.Sessions.SSOMax},
		{"sessions.clientIdle", &s.ClientIdle, &a.Sessions.ClientIdle},
		{"sessions.clientMax", &s.ClientMax, &a.Sessions.ClientMax},
		{"sessions.offlineIdle", &s.OfflineIdle, &a.Sessions.OfflineIdle},
		{"sessions.offlineMax", &s.OfflineMax, &a.Sessions.OfflineMax},
		{"sessions.loginTimeout", &s.LoginTimeout, &a.Sessions.LoginTimeout},
		{"sessions.accessCode", &s.AccessCode, &a.Sessions.AccessCode},
		{"sessions.userActionToken", &s.UserActionToken, &a.Sessions.UserActionToken},
		{"sessions.adminActionToken", &s.AdminActionToken, &a.Sessions.AdminActionToken},
		{"otp.period", &k.OTP.Period, &a.OTP.Period},
		{"events.expiration", &k.Events.Expiration, &a.Events.Expiration},
	}
}

// RealmArgs maps rampart:keycloak to the component's args. Unset keys stay
// zero, so the component's defaults apply (keycloak.NewRealm and
// RealmArgs.Validate fill them); so do durations that do not parse
// (validateKeycloak reports them), which keeps the range checks of the other
// lifespans meaningful instead of cascading.
func (c *Config) RealmArgs() *keycloak.RealmArgs {
	k := c.Keycloak
	a := &keycloak.RealmArgs{
		Realm: k.Realm, DisplayName: k.DisplayName, SSLRequired: k.SSLRequired, VerifyEmail: k.VerifyEmail,
		BruteForce: keycloak.BruteForce{PermanentLockout: k.BruteForce.PermanentLockout, MaxLoginFailures: k.BruteForce.MaxLoginFailures},
		Sessions:   keycloak.Sessions{AllowRefreshTokenReuse: k.Sessions.AllowRefreshTokenReuse},
		OTP:        keycloak.OTPPolicy{Type: k.OTP.Type, Algorithm: k.OTP.Algorithm, Digits: k.OTP.Digits, LookAheadWindow: k.OTP.LookAheadWindow},
		WebAuthn:   k.WebAuthn,
		Events:     keycloak.Events{Listeners: k.Events.Listeners, AdminDetails: k.Events.AdminDetails},
		Clients:    append([]keycloak.Client(nil), k.Clients...),
	}
	if k.PasswordPolicy != nil {
		p := k.PasswordPolicy.PasswordPolicy
		a.PasswordPolicy = &p
	}
	if m := k.SMTP; m != nil {
		a.SMTP = &keycloak.SMTP{Host: m.Host, Port: m.Port, ImplicitTLS: m.ImplicitTLS, From: m.From,
			FromDisplayName: m.FromDisplayName, Username: m.Username}
		if s := c.Secrets.KeycloakSMTPPassword; s != nil {
			a.SMTP.Password = s.Output()
		}
	}
	for _, d := range c.Keycloak.durations(a) {
		if *d.src == "" {
			continue
		}
		if v, err := time.ParseDuration(*d.src); err == nil {
			*d.dst = v
		}
	}
	return a
}

func (c *Config) validateKeycloak(l *verr.List) {
	k := &c.Keycloak
	if !k.Enabled {
		return
	}
	p := func(s string) string { return Namespace + ":keycloak." + s }
	u, err := url.Parse(k.Provider.URL)
	switch {
	case k.Provider.URL == "":
		l.Add(p("provider.url"), "", "missing: the keycloak provider needs Keycloak's base URL", "set rampart:keycloak.provider.url, e.g. https://id.platform.example.gov.uk")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		l.Add(p("provider.url"), k.Provider.URL, "not an absolute URL", "use https://host[:port]")
	case u.Scheme == "http" && !(c.Profile == ProfileLocal && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" || u.Hostname() == "::1")):
		l.Add(p("provider.url"), k.Provider.URL, "the client secret and admin tokens would cross the network in clear text", "use https (http only to the local lab on 127.0.0.1)")
	}
	checkSecret(l, c.Secrets.KeycloakClientSecret, "keycloakClientSecret", "the keycloak provider authenticates with its service-account client's secret")
	if s := c.Secrets.KeycloakSMTPPassword; s != nil && (k.SMTP == nil || k.SMTP.Username == "") {
		l.Add(s.Key, verr.Redacted, "set, but rampart:keycloak.smtp.username is not: the password would never be sent",
			"set rampart:keycloak.smtp.username, or pulumi config rm "+s.Key)
	}
	a := c.RealmArgs()
	if m := k.SMTP; m != nil && m.Username != "" && requireSecret(l, c.Secrets.KeycloakSMTPPassword, "keycloakSmtpPassword",
		"rampart:keycloak.smtp.username is set, so the mail server expects a password", "<SMTP password>") {
		a.SMTP.Password = SecretOutput("") // reported once, at the key users set
	}
	for _, d := range k.durations(a) {
		if *d.src == "" {
			continue
		}
		v, err := time.ParseDuration(*d.src)
		switch {
		case err != nil:
			l.Add(p(d.key), *d.src, "not a duration", "use Go duration syntax, e.g. 15m or 10h")
		case v <= 0:
			// An explicit zero would otherwise silently take the default.
			l.Add(p(d.key), *d.src, "a lifespan must be positive", "set a positive duration, or remove the key for the secure default")
		}
	}
	l.Merge(a.Validate(Namespace + ":keycloak"))
}

// checkSecret reports a required secret that is missing (plaintext is
// reported by Validate's plaintext check).
func checkSecret(l *verr.List, s *Secret, key, why string) {
	requireSecret(l, s, key, why, "<value>")
}
