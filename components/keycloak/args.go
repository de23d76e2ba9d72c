package keycloak

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/verr"
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

// OTPType is the realm's one-time-password kind.
type OTPType string

const (
	// OTPTotp is time-based OTP (RFC 6238); counters cannot drift out of sync.
	OTPTotp OTPType = "totp"
	// OTPHotp is counter-based OTP (RFC 4226).
	OTPHotp OTPType = "hotp"
)

// OTPAlgorithm is the HMAC used for OTP codes.
type OTPAlgorithm string

const (
	// OTPHmacSHA1 is the algorithm every authenticator app supports (RFC 6238 default).
	OTPHmacSHA1 OTPAlgorithm = "HmacSHA1"
	// OTPHmacSHA256 is supported by fewer authenticator apps.
	OTPHmacSHA256 OTPAlgorithm = "HmacSHA256"
	// OTPHmacSHA512 is supported by fewer authenticator apps.
	OTPHmacSHA512 OTPAlgorithm = "HmacSHA512"
)

// UserVerification is the WebAuthn userVerificationRequirement.
type UserVerification string

const (
	// UVRequired makes the authenticator verify the user (PIN or biometric):
	// the key alone is not enough. ISM-1173 (phishing-resistant MFA), NIS2 Art. 21(2)(j).
	UVRequired UserVerification = "required"
	// UVPreferred asks for user verification but accepts keys that cannot.
	UVPreferred UserVerification = "preferred"
	// UVDiscouraged does not ask for user verification.
	UVDiscouraged UserVerification = "discouraged"
)

// Attachment is the WebAuthn authenticatorAttachment.
type Attachment string

const (
	// AttachmentCrossPlatform accepts roaming hardware keys (FIDO2 security keys) only.
	AttachmentCrossPlatform Attachment = "cross-platform"
	// AttachmentPlatform accepts authenticators built into the device.
	AttachmentPlatform Attachment = "platform"
	// AttachmentAny accepts both.
	AttachmentAny Attachment = "not specified"
)

// HashAlgorithm is the password hashing provider.
type HashAlgorithm string

const (
	// HashPBKDF2SHA512 is FIPS 140-compatible; OWASP asks for ≥ 210 000 iterations.
	HashPBKDF2SHA512 HashAlgorithm = "pbkdf2-sha512"
	// HashPBKDF2SHA256 is FIPS 140-compatible; OWASP asks for ≥ 600 000 iterations.
	HashPBKDF2SHA256 HashAlgorithm = "pbkdf2-sha256"
	// HashArgon2 is memory-hard (Keycloak's default outside FIPS mode); not FIPS-approved.
	HashArgon2 HashAlgorithm = "argon2"
)

// minIterations is the OWASP Password Storage Cheat Sheet floor per algorithm.
var minIterations = map[HashAlgorithm]int{HashPBKDF2SHA512: 210000, HashPBKDF2SHA256: 600000, HashArgon2: 1}

// RealmArgs configures a hardened Keycloak realm. The zero value of every
// field except Realm and Clients means "the secure default" (see each field).
type RealmArgs struct {
	// Realm is the realm name (required): 1-36 lower-case letters, digits and
	// '-', not "master" (the admin realm is never used for platform users).
	Realm string
	// DisplayName is shown on the login page. Default: Realm.
	DisplayName string
	// SSLRequired defaults to SSLAll: tokens and passwords never cross plain
	// HTTP, not even from private networks. NIS2 Art. 21(2)(h), ISM-1139.
	// Keycloak judges it by the scheme of its configured hostname URL, not
	// by the connection: with an https:// hostname, a plain-HTTP listener is
	// served anyway (seen on the lab server). The listener must be off too,
	// as NewServer and the lab do.
	SSLRequired SSLRequired
	// VerifyEmail makes users prove their address before first login.
	// Default true (nil): account recovery and notifications go to a proven
	// address. The local profile sets it false (the lab has no SMTP server).
	VerifyEmail *bool
	// SMTP sends verification and password-reset e-mails. Required when
	// VerifyEmail is true (a realm that asks users to verify an address it
	// cannot write to locks every new user out). Default nil.
	SMTP *SMTP
	// BruteForce configures login-failure detection; it is always on.
	BruteForce BruteForce
	// Sessions holds token and session lifespans.
	Sessions Sessions
	// PasswordPolicy is the realm password policy. Default DefaultPasswordPolicy().
	PasswordPolicy *PasswordPolicy
	// OTP is the realm OTP policy. Defaults: TOTP, HmacSHA1, 6 digits, 30 s, look-ahead 1.
	OTP OTPPolicy
	// WebAuthn is the realm WebAuthn (second-factor) policy used by the
	// privileged roles' hardware keys.
	WebAuthn WebAuthnPolicy
	// Events configures login and admin event recording.
	Events Events
	// Clients are the platform's OIDC clients (kube API server, gateway, …).
	Clients []Client
}

// SMTP is the realm's mail server. Mail always travels over TLS: STARTTLS
// on the submission port, or implicit TLS when ImplicitTLS is set. NIS2 Art. 21(2)(h).
type SMTP struct {
	// Host (required) of the mail server.
	Host string
	// Port defaults to 587 (submission, STARTTLS), 465 with ImplicitTLS.
	Port int
	// ImplicitTLS uses SMTPS instead of STARTTLS. Default false.
	ImplicitTLS bool
	// From (required) is the sender address, e.g. no-reply@example.org.
	From string
	// FromDisplayName defaults to the realm's display name.
	FromDisplayName string
	// Username for SMTP AUTH. Default "" (no authentication, relay by address).
	Username string
	// Password for SMTP AUTH (required with Username); stored as a Pulumi secret.
	Password pulumi.StringInput
}

// BruteForce configures Keycloak's brute-force detector. Detection itself
// cannot be switched off. NIS2 Art. 21(2)(i), ISM-1403, CE+ (user access control).
type BruteForce struct {
	// PermanentLockout disables the account after MaxLoginFailures until an
	// admin re-enables it. Default false: escalating temporary lockout, so an
	// attacker who knows a username cannot lock an administrator out for good
	// (permanent lockout turns brute force into denial of service).
	PermanentLockout bool
	// MaxLoginFailures before lockout. Default 5; valid 3-10 (ISM-1403: at most 5
	// for privileged users is the usual reading; > 10 makes guessing cheap).
	MaxLoginFailures int
	// WaitIncrement is added to the lockout for every MaxLoginFailures more
	// failures (temporary lockout). Default 1 min; valid 1 s - MaxFailureWait.
	WaitIncrement time.Duration
	// MaxFailureWait caps a temporary lockout. Default 15 min; valid WaitIncrement - 24 h.
	MaxFailureWait time.Duration
	// QuickLoginCheck: two failures closer than this lock the user for
	// MinimumQuickLoginWait (scripted guessing). Default 1 s; valid 1 ms - 1 min.
	QuickLoginCheck time.Duration
	// MinimumQuickLoginWait is the lockout after a quick-login hit. Default 1 min.
	MinimumQuickLoginWait time.Duration
	// FailureReset forgets failures older than this. Default 12 h; valid ≥ MaxFailureWait, ≤ 7 days.
	FailureReset time.Duration
}

// Sessions holds lifespans. Seed 000: 5 min access tokens, 15 min idle sessions.
type Sessions struct {
	// AccessToken lifespan. Default 5 min (a stolen token is useful for 5
	// minutes); valid 1 min - 15 min. NIS2 Art. 21(2)(i).
	AccessToken time.Duration
	// SSOIdle ends a browser session after this much inactivity. Default 15
	// min; valid AccessToken - SSOMax. ISM-0853 (session lock).
	SSOIdle time.Duration
	// SSOMax ends a browser session regardless of activity. Default 10 h (a
	// working day); valid SSOIdle - 24 h.
	SSOMax time.Duration
	// ClientIdle and ClientMax bound a client's session (and so its refresh
	// tokens). Defaults 15 min and 10 h; valid ClientIdle ≤ SSOIdle, ClientMax ≤ SSOMax.
	ClientIdle, ClientMax time.Duration
	// OfflineIdle is how long an unused offline token stays valid. Default 7
	// days; OfflineMax caps offline sessions (always enforced). Default 30 days.
	OfflineIdle, OfflineMax time.Duration
	// LoginTimeout is how long a user may take on the login page (access code
	// lifespan for login). Default 10 min; valid 1 min - 30 min.
	LoginTimeout time.Duration
	// AccessCode is the authorization code lifespan. Default 1 min (RFC 6749
	// §4.1.2 recommends ≤ 10 min); valid 10 s - 5 min.
	AccessCode time.Duration
	// UserActionToken (e-mail links a user asks for, and the time to finish a
	// required action such as OTP enrolment during login) defaults to 5 min;
	// AdminActionToken (links an admin sends) to 12 h. Valid 1 min - 7 days.
	UserActionToken, AdminActionToken time.Duration
	// AllowRefreshTokenReuse disables refresh token revocation. Default false:
	// each refresh token is single-use, so a replayed (stolen) refresh token
	// fails and ends the session. OAuth 2.0 Security BCP §4.14.
	AllowRefreshTokenReuse bool
}

// OTPPolicy is the realm OTP policy.
type OTPPolicy struct {
	// Type defaults to OTPTotp.
	Type OTPType
	// Algorithm defaults to OTPHmacSHA1 (every authenticator app supports it;
	// HMAC-SHA1 is not weakened by SHA-1 collisions).
	Algorithm OTPAlgorithm
	// Digits defaults to 6; valid 6 or 8.
	Digits int
	// Period (TOTP) defaults to 30 s; valid 15-60 s.
	Period time.Duration
	// LookAheadWindow defaults to 1 (accept one step of clock skew); valid 0-2.
	LookAheadWindow int
}

// WebAuthnPolicy is the realm WebAuthn policy, used as the hardware key
// factor of privileged roles (seed 004: hardware MFA with FIDO2).
type WebAuthnPolicy struct {
	// RelyingPartyName defaults to the display name.
	RelyingPartyName string
	// RelyingPartyID is the WebAuthn RP ID (the login host's registrable
	// domain). Default "" (Keycloak uses the request host).
	RelyingPartyID string
	// UserVerification defaults to UVRequired (PIN or biometric on the key). ISM-1173.
	UserVerification UserVerification
	// Attachment defaults to AttachmentCrossPlatform (a roaming hardware key).
	Attachment Attachment
	// SignatureAlgorithms default to ES256 and RS256 (what FIDO2 keys implement).
	SignatureAlgorithms []string
	// AcceptableAAGUIDs restricts registration to these authenticator models.
	// Default none (any model); set it to your organisation's issued keys.
	AcceptableAAGUIDs []string
}

// Events configures Keycloak's event store. NIS2 Art. 21(2)(b) (incident
// handling needs the login trail), DORA Art. 12, ISM-0585.
type Events struct {
	// Expiration is how long login and admin events are kept in Keycloak's
	// database. Default 365 days; pass the audit retention preset's period
	// so Keycloak's own store matches the audit trail. Valid 1 day - 10 years.
	Expiration time.Duration
	// Listeners receive every event. Default ["jboss-logging"] (the server log,
	// shipped to the audit trail).
	Listeners []string
	// AdminDetails records representations of admin changes. Default true
	// (nil): an audit trail that says "realm updated" without what changed is
	// not evidence. Representations never contain credentials.
	AdminDetails *bool
}

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
	ClientID string
	// Kind defaults to ClientPublic.
	Kind ClientKind
	// RedirectURIs are matched exactly (required): https://, or http://
	// only on localhost/127.0.0.1 (native apps, RFC 8252 §7.3). No '*'.
	RedirectURIs []string
	// WebOrigins allowed for CORS; exact origins only. Default none.
	WebOrigins []string
	// ServiceAccount enables the client credentials grant (confidential
	// clients only). Default false.
	ServiceAccount bool
}

// PasswordPolicy is a Keycloak password policy as a typed, validated value.
// NIS2 Art. 21(2)(i), ISM-0421/ISM-1557 (passphrase length), NIST SP 800-63B §5.1.1.
type PasswordPolicy struct {
	// MinLength defaults to 14 (ISM-0421 for single-factor; NIST asks ≥ 8); valid 8-128.
	MinLength int
	// MaxLength defaults to 128 (bounds hashing cost of a huge password); valid MinLength-4096.
	MaxLength int
	// Digits, LowerCase, UpperCase, SpecialChars: minimum counts of each
	// class. Defaults 1 each; valid 0-MinLength in total.
	Digits, LowerCase, UpperCase, SpecialChars int
	// AllowUsername / AllowEmail let the password equal the username or
	// e-mail. Default false (notUsername, notEmail are enforced).
	AllowUsername, AllowEmail bool
	// History refuses the last N passwords. Default 12; valid 0-64.
	History int
	// Hash defaults to HashPBKDF2SHA512 (FIPS 140-compatible).
	Hash HashAlgorithm
	// HashIterations defaults to the OWASP figure for Hash (210 000 for
	// PBKDF2-SHA512, 600 000 for PBKDF2-SHA256, 5 for argon2); lower values are refused.
	HashIterations int
	// ExpireDays forces a change after N days. Default 0 (off): NIST SP
	// 800-63B §5.1.1.2 advises against periodic expiry. Valid 0-3650.
	ExpireDays int
}

// DefaultPasswordPolicy returns the policy used when RealmArgs.PasswordPolicy is nil.
func DefaultPasswordPolicy() PasswordPolicy {
	p := PasswordPolicy{}
	p.withDefaults()
	return p
}

func (p *PasswordPolicy) withDefaults() {
	if p.MinLength == 0 {
		p.MinLength = 14
	}
	if p.MaxLength == 0 {
		p.MaxLength = 128
	}
	if p.Digits == 0 && p.LowerCase == 0 && p.UpperCase == 0 && p.SpecialChars == 0 {
		p.Digits, p.LowerCase, p.UpperCase, p.SpecialChars = 1, 1, 1, 1
	}
	if p.History == 0 {
		p.History = 12
	}
	if p.Hash == "" {
		p.Hash = HashPBKDF2SHA512
	}
	if p.HashIterations == 0 {
		switch p.Hash {
		case HashPBKDF2SHA256:
			p.HashIterations = 600000
		case HashArgon2:
			p.HashIterations = 5
		default:
			p.HashIterations = 210000
		}
	}
}

// String renders the policy in Keycloak's syntax, e.g.
// "length(14) and maxLength(128) and digits(1) and … and hashIterations(210000)".
func (p PasswordPolicy) String() string {
	var parts []string
	add := func(id string, n int) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s(%d)", id, n))
		}
	}
	add("length", p.MinLength)
	add("maxLength", p.MaxLength)
	add("digits", p.Digits)
	add("lowerCase", p.LowerCase)
	add("upperCase", p.UpperCase)
	add("specialChars", p.SpecialChars)
	if !p.AllowUsername {
		parts = append(parts, "notUsername")
	}
	if !p.AllowEmail {
		parts = append(parts, "notEmail")
	}
	add("passwordHistory", p.History)
	if p.Hash != "" {
		parts = append(parts, "hashAlgorithm("+string(p.Hash)+")")
	}
	add("hashIterations", p.HashIterations)
	add("forceExpiredPasswordChange", p.ExpireDays)
	return strings.Join(parts, " and ")
}

var policyTerm = regexp.MustCompile(`^([A-Za-z]+)(?:\(([^()]*)\))?$`)

// ParsePasswordPolicy reads Keycloak's policy syntax ("length(14) and
// notUsername and …") for the policies PasswordPolicy models, so a stack
// config string is checked when the program runs, not when Keycloak refuses
// it mid-update. Unknown or malformed terms are errors; the result is not
// defaulted here (RealmArgs.Validate and NewRealm fill its zero fields) and
// still has to pass Validate.
func ParsePasswordPolicy(s string) (PasswordPolicy, error) {
	p := PasswordPolicy{AllowUsername: true, AllowEmail: true}
	seen := map[string]bool{}
	for _, raw := range strings.Split(s, " and ") {
		term := strings.TrimSpace(raw)
		m := policyTerm.FindStringSubmatch(term)
		if m == nil {
			return PasswordPolicy{}, fmt.Errorf("password policy term %q: want name or name(value), terms joined by \" and \"", term)
		}
		id, val := m[1], m[2]
		if seen[id] {
			return PasswordPolicy{}, fmt.Errorf("password policy term %q appears twice", id)
		}
		seen[id] = true
		num := func(dst *int) error {
			var n int
			if _, err := fmt.Sscanf(val, "%d", &n); err != nil || fmt.Sprint(n) != val {
				return fmt.Errorf("password policy %s(%s): want a whole number", id, val)
			}
			*dst = n
			return nil
		}
		var err error
		switch id {
		case "length":
			err = num(&p.MinLength)
		case "maxLength":
			err = num(&p.MaxLength)
		case "digits":
			err = num(&p.Digits)
		case "lowerCase":
			err = num(&p.LowerCase)
		case "upperCase":
			err = num(&p.UpperCase)
		case "specialChars":
			err = num(&p.SpecialChars)
		case "passwordHistory":
			err = num(&p.History)
		case "hashIterations":
			err = num(&p.HashIterations)
		case "forceExpiredPasswordChange":
			err = num(&p.ExpireDays)
		case "notUsername":
			p.AllowUsername = false
		case "notEmail":
			p.AllowEmail = false
		case "hashAlgorithm":
			p.Hash = HashAlgorithm(val)
		default:
			return PasswordPolicy{}, fmt.Errorf("password policy term %q: not one of length, maxLength, digits, lowerCase, upperCase, specialChars, notUsername, notEmail, passwordHistory, hashAlgorithm, hashIterations, forceExpiredPasswordChange", id)
		}
		if err != nil {
			return PasswordPolicy{}, err
		}
	}
	return p, nil
}

// validate records the policy's problems under path.
func (p PasswordPolicy) validate(path string, l *verr.List) {
	if p.MinLength < 8 || p.MinLength > 128 {
		l.Add(path+".minLength", p.MinLength, "passwords shorter than 8 characters are guessable (NIST SP 800-63B §5.1.1.2)", "use 14 or more (ISM-0421), at most 128")
	}
	if p.MaxLength < p.MinLength || p.MaxLength > 4096 {
		l.Add(path+".maxLength", p.MaxLength, fmt.Sprintf("must lie between minLength (%d) and 4096", p.MinLength), "use 128 (64 or more per NIST SP 800-63B)")
	}
	for _, c := range []struct {
		f string
		n int
	}{{"digits", p.Digits}, {"lowerCase", p.LowerCase}, {"upperCase", p.UpperCase}, {"specialChars", p.SpecialChars}} {
		if c.n < 0 {
			l.Add(path+"."+c.f, c.n, "a minimum count cannot be negative", "use 0 (no requirement) or more")
		}
	}
	if sum := p.Digits + p.LowerCase + p.UpperCase + p.SpecialChars; sum > p.MinLength {
		l.Add(path+".minLength", p.MinLength, fmt.Sprintf("the character-class minimums add up to %d, more than the minimum length", sum), "raise minLength or lower the class counts")
	}
	if p.History < 0 || p.History > 64 {
		l.Add(path+".history", p.History, "must be 0-64", "use 12")
	}
	floor, ok := minIterations[p.Hash]
	if !ok {
		l.Add(path+".hash", string(p.Hash), "not a supported hash algorithm", "use pbkdf2-sha512, pbkdf2-sha256 or argon2")
	} else if p.HashIterations < floor || p.HashIterations > 10000000 {
		l.Add(path+".hashIterations", p.HashIterations, fmt.Sprintf("%s needs at least %d iterations (OWASP Password Storage Cheat Sheet)", p.Hash, floor), fmt.Sprintf("use %d or more (at most 10 000 000)", floor))
	}
	if p.ExpireDays < 0 || p.ExpireDays > 3650 {
		l.Add(path+".expireDays", p.ExpireDays, "must be 0 (off) to 3650", "use 0: NIST SP 800-63B advises against periodic expiry")
	}
}

// defaulted returns a copy of a with every unset field set to the secure
// default documented on it; a itself is not modified. The stack config maps
// its keys onto RealmArgs and leaves unset ones zero, so these defaults are
// written down only here.
func (a *RealmArgs) defaulted() RealmArgs {
	d := *a
	d.Clients = append([]Client(nil), a.Clients...)
	d.withDefaults()
	return d
}

// withDefaults fills a's unset fields in place; it is idempotent.
func (a *RealmArgs) withDefaults() {
	if a.DisplayName == "" {
		a.DisplayName = a.Realm
	}
	if a.SSLRequired == "" {
		a.SSLRequired = SSLAll
	}
	if a.VerifyEmail == nil {
		t := true
		a.VerifyEmail = &t
	}
	if a.SMTP != nil {
		m := *a.SMTP
		if m.Port == 0 {
			m.Port = 587
			if m.ImplicitTLS {
				m.Port = 465
			}
		}
		if m.FromDisplayName == "" {
			m.FromDisplayName = a.DisplayName
		}
		a.SMTP = &m
	}
	b := &a.BruteForce
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if b.MaxLoginFailures == 0 {
		b.MaxLoginFailures = 5
	}
	def(&b.WaitIncrement, time.Minute)
	def(&b.MaxFailureWait, 15*time.Minute)
	def(&b.QuickLoginCheck, time.Second)
	def(&b.MinimumQuickLoginWait, time.Minute)
	def(&b.FailureReset, 12*time.Hour)
	s := &a.Sessions
	def(&s.AccessToken, 5*time.Minute)
	def(&s.SSOIdle, 15*time.Minute)
	def(&s.SSOMax, 10*time.Hour)
	def(&s.ClientIdle, 15*time.Minute)
	def(&s.ClientMax, 10*time.Hour)
	def(&s.OfflineIdle, 7*24*time.Hour)
	def(&s.OfflineMax, 30*24*time.Hour)
	def(&s.LoginTimeout, 10*time.Minute)
	def(&s.AccessCode, time.Minute)
	def(&s.UserActionToken, 5*time.Minute)
	def(&s.AdminActionToken, 12*time.Hour)
	if a.PasswordPolicy == nil {
		p := DefaultPasswordPolicy()
		a.PasswordPolicy = &p
	} else {
		p := *a.PasswordPolicy
		p.withDefaults()
		a.PasswordPolicy = &p
	}
	o := &a.OTP
	if o.Type == "" {
		o.Type = OTPTotp
	}
	if o.Algorithm == "" {
		o.Algorithm = OTPHmacSHA1
	}
	if o.Digits == 0 {
		o.Digits = 6
	}
	def(&o.Period, 30*time.Second)
	if o.LookAheadWindow == 0 {
		o.LookAheadWindow = 1
	}
	w := &a.WebAuthn
	if w.RelyingPartyName == "" {
		w.RelyingPartyName = a.DisplayName
	}
	if w.UserVerification == "" {
		w.UserVerification = UVRequired
	}
	if w.Attachment == "" {
		w.Attachment = AttachmentCrossPlatform
	}
	if len(w.SignatureAlgorithms) == 0 {
		w.SignatureAlgorithms = []string{"ES256", "RS256"}
	}
	e := &a.Events
	def(&e.Expiration, 365*24*time.Hour)
	if len(e.Listeners) == 0 {
		e.Listeners = []string{"jboss-logging"}
	}
	if e.AdminDetails == nil {
		t := true
		e.AdminDetails = &t
	}
	for i := range a.Clients {
		if a.Clients[i].Kind == "" {
			a.Clients[i].Kind = ClientPublic
		}
	}
}

var (
	realmName  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,35}$`)
	clientName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	listener   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	rpID       = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)
	aaguid     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

var webAuthnAlgs = map[string]bool{"ES256": true, "ES384": true, "ES512": true, "RS256": true, "RS384": true, "RS512": true, "EdDSA": true}

// Validate reports every problem of a, after applying the defaults to a
// copy (a is not modified), under path, e.g.
// "rampart:keycloak.sessions.accessToken: …"; nil when a is usable. The
// stack config calls it to fail before any resource; NewRealm checks the
// same defaulted args.
func (a *RealmArgs) Validate(path string) error {
	if a == nil {
		var l verr.List
		l.Add(path, "<nil>", "no realm arguments", "pass a *RealmArgs with at least Realm and Clients")
		return l.Err()
	}
	d := a.defaulted()
	return d.validate(path)
}

// validate checks a defaulted a.
func (a *RealmArgs) validate(path string) error {
	var l verr.List
	if !realmName.MatchString(a.Realm) || a.Realm == "master" {
		l.Add(path+".realm", a.Realm, "a realm name is 1-36 lower-case letters, digits and '-', and not \"master\" (the admin realm)", `use e.g. "platform"`)
	}
	if a.SSLRequired != SSLAll && a.SSLRequired != SSLExternal {
		l.Add(path+".sslRequired", string(a.SSLRequired), "must be all or external (none sends passwords in clear text)", `use "all"`)
	}
	a.validateSMTP(path+".smtp", &l)
	a.validateBruteForce(path+".bruteForce", &l)
	a.validateSessions(path+".sessions", &l)
	a.PasswordPolicy.validate(path+".passwordPolicy", &l)
	a.validateMFA(path, &l)
	a.validateEvents(path+".events", &l)
	a.validateClients(path+".clients", &l)
	return l.Err()
}

// between records a problem when d is outside [lo, hi].
func between(l *verr.List, path string, d, lo, hi time.Duration, fix string) {
	if d < lo || d > hi {
		l.Add(path, d.String(), fmt.Sprintf("must lie between %s and %s", lo, hi), fix)
	}
}

var email = regexp.MustCompile(`^[^@\s]+@[a-z0-9]([a-z0-9.-]*[a-z0-9])?\.[a-z]{2,}$`)

func (a *RealmArgs) validateSMTP(path string, l *verr.List) {
	m := a.SMTP
	if m == nil {
		if *a.VerifyEmail {
			l.Add(path, "none", "verifyEmail is on but the realm has no mail server: every new user would be stuck at e-mail verification", "configure smtp, or set verifyEmail false (local profile only)")
		}
		return
	}
	if !rpID.MatchString(m.Host) {
		l.Add(path+".host", m.Host, "not a host name", "give the mail server's DNS name")
	}
	if m.Port < 1 || m.Port > 65535 || m.Port == 25 {
		l.Add(path+".port", m.Port, "must be a TCP port other than 25 (server-to-server relay, usually without TLS)", "use 587 (STARTTLS) or 465 (implicit TLS)")
	}
	if !email.MatchString(m.From) {
		l.Add(path+".from", m.From, "not an e-mail address", "use e.g. no-reply@example.org")
	}
	if m.Username != "" && m.Password == nil {
		l.Add(path+".password", verr.Redacted, "a username needs a password", "pass the SMTP password as a secret")
	}
	if m.Username == "" && m.Password != nil {
		l.Add(path+".username", "", "a password without a username is never sent", "set username or drop password")
	}
}

func (a *RealmArgs) validateBruteForce(path string, l *verr.List) {
	b := a.BruteForce
	if b.MaxLoginFailures < 3 || b.MaxLoginFailures > 10 {
		l.Add(path+".maxLoginFailures", b.MaxLoginFailures, "fewer than 3 locks users out on typos; more than 10 makes online guessing cheap (ISM-1403)", "use 5")
	}
	between(l, path+".waitIncrement", b.WaitIncrement, time.Second, b.MaxFailureWait, "use 1m, at most maxFailureWait")
	between(l, path+".maxFailureWait", b.MaxFailureWait, time.Minute, 24*time.Hour, "use 15m")
	between(l, path+".quickLoginCheck", b.QuickLoginCheck, time.Millisecond, time.Minute, "use 1s")
	between(l, path+".minimumQuickLoginWait", b.MinimumQuickLoginWait, time.Second, b.MaxFailureWait, "use 1m, at most maxFailureWait")
	between(l, path+".failureReset", b.FailureReset, b.MaxFailureWait, 7*24*time.Hour, "use 12h, at least maxFailureWait")
	for _, d := range []struct {
		f string
		v time.Duration
	}{{"waitIncrement", b.WaitIncrement}, {"maxFailureWait", b.MaxFailureWait}, {"minimumQuickLoginWait", b.MinimumQuickLoginWait}, {"failureReset", b.FailureReset}} {
		if d.v%time.Second != 0 {
			l.Add(path+"."+d.f, d.v.String(), "Keycloak stores this in whole seconds", "use a whole number of seconds")
		}
	}
	if b.QuickLoginCheck%time.Millisecond != 0 {
		l.Add(path+".quickLoginCheck", b.QuickLoginCheck.String(), "Keycloak stores this in whole milliseconds", "use a whole number of milliseconds")
	}
}

func (a *RealmArgs) validateSessions(path string, l *verr.List) {
	s := a.Sessions
	between(l, path+".accessToken", s.AccessToken, time.Minute, 15*time.Minute, "use 5m (seed 000)")
	between(l, path+".ssoIdle", s.SSOIdle, s.AccessToken, s.SSOMax, "use 15m (seed 000): at least accessToken, at most ssoMax")
	between(l, path+".ssoMax", s.SSOMax, s.SSOIdle, 24*time.Hour, "use 10h: at least ssoIdle, at most 24h")
	between(l, path+".clientIdle", s.ClientIdle, time.Minute, s.SSOIdle, "use 15m, at most ssoIdle (Keycloak ends the client session with the SSO session anyway)")
	between(l, path+".clientMax", s.ClientMax, s.ClientIdle, s.SSOMax, "use 10h: at least clientIdle, at most ssoMax")
	between(l, path+".offlineIdle", s.OfflineIdle, time.Hour, s.OfflineMax, "use 168h, at most offlineMax")
	between(l, path+".offlineMax", s.OfflineMax, s.OfflineIdle, 90*24*time.Hour, "use 720h (30 days), at most 90 days")
	between(l, path+".loginTimeout", s.LoginTimeout, time.Minute, 30*time.Minute, "use 10m")
	between(l, path+".accessCode", s.AccessCode, 10*time.Second, 5*time.Minute, "use 1m")
	between(l, path+".userActionToken", s.UserActionToken, time.Minute, 7*24*time.Hour, "use 5m")
	between(l, path+".adminActionToken", s.AdminActionToken, time.Minute, 7*24*time.Hour, "use 12h")
	for _, d := range []struct {
		f string
		v time.Duration
	}{{"accessToken", s.AccessToken}, {"ssoIdle", s.SSOIdle}, {"ssoMax", s.SSOMax}, {"clientIdle", s.ClientIdle}, {"clientMax", s.ClientMax},
		{"offlineIdle", s.OfflineIdle}, {"offlineMax", s.OfflineMax}, {"loginTimeout", s.LoginTimeout}, {"accessCode", s.AccessCode},
		{"userActionToken", s.UserActionToken}, {"adminActionToken", s.AdminActionToken}} {
		if d.v%time.Second != 0 {
			l.Add(path+"."+d.f, d.v.String(), "Keycloak stores lifespans in whole seconds", "use a whole number of seconds")
		}
	}
}

func (a *RealmArgs) validateMFA(path string, l *verr.List) {
	o := a.OTP
	if o.Type != OTPTotp && o.Type != OTPHotp {
		l.Add(path+".otp.type", string(o.Type), "must be totp or hotp", `use "totp"`)
	}
	if o.Algorithm != OTPHmacSHA1 && o.Algorithm != OTPHmacSHA256 && o.Algorithm != OTPHmacSHA512 {
		l.Add(path+".otp.algorithm", string(o.Algorithm), "must be HmacSHA1, HmacSHA256 or HmacSHA512", `use "HmacSHA1" (every authenticator app supports it)`)
	}
	if o.Digits != 6 && o.Digits != 8 {
		l.Add(path+".otp.digits", o.Digits, "authenticator apps show 6 or 8 digits", "use 6")
	}
	if o.Period < 15*time.Second || o.Period > 60*time.Second || o.Period%time.Second != 0 {
		l.Add(path+".otp.period", o.Period.String(), "must be whole seconds between 15s and 60s", "use 30s (RFC 6238)")
	}
	if o.LookAheadWindow < 0 || o.LookAheadWindow > 2 {
		l.Add(path+".otp.lookAheadWindow", o.LookAheadWindow, "a wider window accepts more guessed codes", "use 1")
	}
	w := a.WebAuthn
	if w.UserVerification != UVRequired {
		l.Add(path+".webAuthn.userVerification", string(w.UserVerification), "privileged roles log in with the hardware key: without user verification a stolen key alone is a login (ISM-1173)", `use "required"`)
	}
	if w.Attachment != AttachmentCrossPlatform && w.Attachment != AttachmentPlatform && w.Attachment != AttachmentAny {
		l.Add(path+".webAuthn.attachment", string(w.Attachment), "must be cross-platform, platform or not specified", `use "cross-platform" (a FIDO2 hardware key, seed 004)`)
	}
	if w.RelyingPartyID != "" && (!rpID.MatchString(w.RelyingPartyID) || strings.Contains(w.RelyingPartyID, "..")) {
		l.Add(path+".webAuthn.relyingPartyId", w.RelyingPartyID, "a WebAuthn RP ID is the login host's domain, without scheme, port or path", `use e.g. "id.example.org" or leave it empty`)
	}
	for i, alg := range w.SignatureAlgorithms {
		if !webAuthnAlgs[alg] {
			l.Add(fmt.Sprintf("%s.webAuthn.signatureAlgorithms[%d]", path, i), alg, "not a WebAuthn (COSE) algorithm Keycloak supports", "use ES256, ES384, ES512, RS256, RS384, RS512 or EdDSA")
		}
	}
	for i, id := range w.AcceptableAAGUIDs {
		if !aaguid.MatchString(id) {
			l.Add(fmt.Sprintf("%s.webAuthn.acceptableAAGUIDs[%d]", path, i), id, "an AAGUID is a lower-case UUID", "copy it from the FIDO metadata of your keys")
		}
	}
}

func (a *RealmArgs) validateEvents(path string, l *verr.List) {
	e := a.Events
	between(l, path+".expiration", e.Expiration, 24*time.Hour, 3650*24*time.Hour, "use the audit retention preset's period")
	if e.Expiration%time.Second != 0 {
		l.Add(path+".expiration", e.Expiration.String(), "Keycloak stores this in whole seconds", "use a whole number of seconds")
	}
	for i, n := range e.Listeners {
		if !listener.MatchString(n) {
			l.Add(fmt.Sprintf("%s.listeners[%d]", path, i), n, "not an event listener provider id", `use "jboss-logging"`)
		}
	}
}

func (a *RealmArgs) validateClients(path string, l *verr.List) {
	seen := map[string]bool{}
	for i, c := range a.Clients {
		p := fmt.Sprintf("%s[%d]", path, i)
		if !clientName.MatchString(c.ClientID) {
			l.Add(p+".clientId", c.ClientID, "a client id is 1-64 lower-case letters, digits, '.', '_' or '-'", `use e.g. "kube-apiserver"`)
		} else if seen[c.ClientID] {
			l.Add(p+".clientId", c.ClientID, "client ids must be unique in the realm", "rename one of the clients")
		}
		seen[c.ClientID] = true
		if c.Kind != ClientPublic && c.Kind != ClientConfidential {
			l.Add(p+".kind", string(c.Kind), "must be public or confidential", `use "public" for kubectl, "confidential" for a server-side gateway`)
		}
		if c.ServiceAccount && c.Kind != ClientConfidential {
			l.Add(p+".serviceAccount", c.ServiceAccount, "a public client has no secret to authenticate a service account with", `set kind "confidential" or drop serviceAccount`)
		}
		if len(c.RedirectURIs) == 0 {
			l.Add(p+".redirectUris", "[]", "the authorization code flow needs at least one exact redirect URI", "list the callback URLs")
		}
		for j, u := range c.RedirectURIs {
			if why := checkRedirect(u); why != "" {
				l.Add(fmt.Sprintf("%s.redirectUris[%d]", p, j), u, why, "give the exact https:// callback URL (http:// only for localhost)")
			}
		}
		for j, o := range c.WebOrigins {
			if why := checkOrigin(o); why != "" {
				l.Add(fmt.Sprintf("%s.webOrigins[%d]", p, j), o, why, "give an exact origin such as https://app.example.org")
			}
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
