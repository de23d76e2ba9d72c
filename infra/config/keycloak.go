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
// change.
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
	// Expiration defaults to the component's 8760h (365 days); set it to the
	// audit retention period so Keycloak's store matches the audit trail.
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

// keycloakDefaults fills the realm's defaults. They are the component's
// (RealmArgs.withDefaults), written out here because RealmArgs.Validate
// expects defaulted args and the component does not export its defaulting;
// NewRealm's own defaulting is then a no-op. The local profile turns
// e-mail verification off (the lab has no SMTP server).
func (c *Config) keycloakDefaults() {
	k := &c.Keycloak
	if !k.Enabled {
		return
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&k.Provider.Realm, "master")
	def(&k.Provider.ClientID, "rampart-deployer")
	def(&k.DisplayName, k.Realm)
	if k.SSLRequired == "" {
		k.SSLRequired = keycloak.SSLAll
	}
	if k.VerifyEmail == nil {
		v := c.Profile != ProfileLocal
		k.VerifyEmail = &v
	}
	if m := k.SMTP; m != nil {
		if m.Port == 0 {
			m.Port = 587
			if m.ImplicitTLS {
				m.Port = 465
			}
		}
		def(&m.FromDisplayName, k.DisplayName)
	}
	if k.BruteForce.MaxLoginFailures == 0 {
		k.BruteForce.MaxLoginFailures = 5
	}
	for _, d := range k.durations(nil) {
		def(d.src, d.def)
	}
	if k.PasswordPolicy == nil {
		k.PasswordPolicy = &PasswordPolicy{keycloak.DefaultPasswordPolicy()}
	}
	o := &k.OTP
	if o.Type == "" {
		o.Type = keycloak.OTPTotp
	}
	if o.Algorithm == "" {
		o.Algorithm = keycloak.OTPHmacSHA1
	}
	if o.Digits == 0 {
		o.Digits = 6
	}
	if o.LookAheadWindow == 0 {
		o.LookAheadWindow = 1
	}
	w := &k.WebAuthn
	def(&w.RelyingPartyName, k.DisplayName)
	if w.UserVerification == "" {
		w.UserVerification = keycloak.UVRequired
	}
	if w.Attachment == "" {
		w.Attachment = keycloak.AttachmentCrossPlatform
	}
	if len(w.SignatureAlgorithms) == 0 {
		w.SignatureAlgorithms = []string{"ES256", "RS256"}
	}
	e := &k.Events
	if len(e.Listeners) == 0 {
		e.Listeners = []string{"jboss-logging"}
	}
	if e.AdminDetails == nil {
		t := true
		e.AdminDetails = &t
	}
	for i := range k.Clients {
		if k.Clients[i].Kind == "" {
			k.Clients[i].Kind = keycloak.ClientPublic
		}
	}
}

// duration is one lifespan setting: its key under rampart:keycloak, the
// configured text, its default (the component's) and where it goes.
type duration struct {
	key string
	src *string
	def string
	dst *time.Duration
}

// durations lists every lifespan so defaulting, parsing and reporting share
// one table; dst points into a (nil: defaulting only).
func (k *Keycloak) durations(a *keycloak.RealmArgs) []duration {
	if a == nil {
		a = &keycloak.RealmArgs{}
	}
	b, s := &k.BruteForce, &k.Sessions
	return []duration{
		{"bruteForce.waitIncrement", &b.WaitIncrement, "1m", &a.BruteForce.WaitIncrement},
		{"bruteForce.maxFailureWait", &b.MaxFailureWait, "15m", &a.BruteForce.MaxFailureWait},
		{"bruteForce.quickLoginCheck", &b.QuickLoginCheck, "1s", &a.BruteForce.QuickLoginCheck},
		{"bruteForce.minimumQuickLoginWait", &b.MinimumQuickLoginWait, "1m", &a.BruteForce.MinimumQuickLoginWait},
		{"bruteForce.failureReset", &b.FailureReset, "12h", &a.BruteForce.FailureReset},
		{"sessions.accessToken", &s.AccessToken, "5m", &a.Sessions.AccessToken},
		{"sessions.ssoIdle", &s.SSOIdle, "15m", &a.Sessions.SSOIdle},
		{"sessions.ssoMax", &s.SSOMax, "10h", &a.Sessions.SSOMax},
		{"sessions.clientIdle", &s.ClientIdle, "15m", &a.Sessions.ClientIdle},
		{"sessions.clientMax", &s.ClientMax, "10h", &a.Sessions.ClientMax},
		{"sessions.offlineIdle", &s.OfflineIdle, "168h", &a.Sessions.OfflineIdle},
		{"sessions.offlineMax", &s.OfflineMax, "720h", &a.Sessions.OfflineMax},
		{"sessions.loginTimeout", &s.LoginTimeout, "10m", &a.Sessions.LoginTimeout},
		{"sessions.accessCode", &s.AccessCode, "1m", &a.Sessions.AccessCode},
		{"sessions.userActionToken", &s.UserActionToken, "5m", &a.Sessions.UserActionToken},
		{"sessions.adminActionToken", &s.AdminActionToken, "12h", &a.Sessions.AdminActionToken},
		{"otp.period", &k.OTP.Period, "30s", &a.OTP.Period},
		// 365 days; no audit retention preset exists yet to follow.
		{"events.expiration", &k.Events.Expiration, "8760h", &a.Events.Expiration},
	}
}

// RealmArgs maps rampart:keycloak (defaulted) to the component's args;
// durations that do not parse take their default (Validate reports them).
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
			a.SMTP.Password = secretOutput(s.Value)
		}
	}
	for _, d := range c.Keycloak.durations(a) {
		v, err := time.ParseDuration(*d.src)
		if err != nil {
			// Reported by Validate; the default keeps the range checks of
			// the other lifespans meaningful instead of cascading.
			v, _ = time.ParseDuration(d.def)
		}
		*d.dst = v
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
		a.SMTP.Password = secretOutput("") // reported once, at the key users set
	}
	for _, d := range k.durations(a) {
		if _, err := time.ParseDuration(*d.src); err != nil {
			l.Add(p(d.key), *d.src, "not a duration", "use Go duration syntax, e.g. 15m or 10h")
		}
	}
	l.Merge(a.Validate(Namespace + ":keycloak"))
}

// checkSecret reports a required secret that is missing (plaintext is
// reported by Validate's plaintext check).
func checkSecret(l *verr.List, s *Secret, key, why string) {
	requireSecret(l, s, key, why, "<value>")
}
