package keycloak

import (
	"time"

	kc "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// Sessions holds lifespans. The STOA security hardening checklist: 5 min access tokens, 15 min idle
// sessions. Each unset lifespan takes its default on its own, so setting
// one keeps the defaults of the others.
type Sessions struct {
	// AccessToken lifespan. Default 5 min (a stolen token is useful for 5
	// minutes); valid 1 min - 15 min. NIS2 Art. 21(2)(i).
	AccessToken Duration `json:"accessToken,omitzero"`
	// SSOIdle ends a browser session after this much inactivity. Default 15
	// min; valid AccessToken - SSOMax. ISM-0428 (session lock after at most
	// 15 minutes of inactivity).
	SSOIdle Duration `json:"ssoIdle,omitzero"`
	// SSOMax ends a browser session regardless of activity. Default 10 h (a
	// working day); valid SSOIdle - 12 h (ISM-0428: a session locks after at
	// most 12 hours overall).
	SSOMax Duration `json:"ssoMax,omitzero"`
	// ClientIdle bounds a client's idle session (and so its refresh tokens).
	// Default 15 min; valid 1 min - SSOIdle.
	ClientIdle Duration `json:"clientIdle,omitzero"`
	// ClientMax bounds a client's session. Default 10 h; valid ClientIdle - SSOMax.
	ClientMax Duration `json:"clientMax,omitzero"`
	// OfflineIdle is how long an unused offline token stays valid. Default 7
	// days; valid 1 h - OfflineMax.
	OfflineIdle Duration `json:"offlineIdle,omitzero"`
	// OfflineMax caps offline sessions (always enforced). Default 30 days;
	// valid OfflineIdle - 90 days.
	OfflineMax Duration `json:"offlineMax,omitzero"`
	// LoginTimeout is how long a user may take on the login page (access code
	// lifespan for login). Default 10 min; valid 1 min - 30 min.
	LoginTimeout Duration `json:"loginTimeout,omitzero"`
	// AccessCode is the authorization code lifespan. Default 1 min (RFC 6749
	// §4.1.2 recommends ≤ 10 min); valid 10 s - 5 min.
	AccessCode Duration `json:"accessCode,omitzero"`
	// UserActionToken (e-mail links a user asks for, and the time to finish a
	// required action such as OTP enrolment during login) defaults to 5 min;
	// valid 1 min - 7 days.
	UserActionToken Duration `json:"userActionToken,omitzero"`
	// AdminActionToken (links an admin sends) defaults to 12 h; valid 1 min - 7 days.
	AdminActionToken Duration `json:"adminActionToken,omitzero"`
	// AllowRefreshTokenReuse disables refresh token revocation. Default false:
	// each refresh token is single-use, so a replayed (stolen) refresh token
	// fails and ends the session. OAuth 2.0 Security BCP §4.14.
	AllowRefreshTokenReuse bool `json:"allowRefreshTokenReuse,omitempty"`
}

const day = 24 * time.Hour

// lifespans lists s's durations with their defaults and ranges; the ranges
// that depend on other fields read them when called (after withDefaults).
func (s *Sessions) lifespans() []lifespan {
	sec := time.Second
	return []lifespan{
		{"accessToken", &s.AccessToken, 5 * time.Minute, time.Minute, 15 * time.Minute, sec, "use 5m (the STOA security hardening checklist)"},
		{"ssoIdle", &s.SSOIdle, 15 * time.Minute, s.AccessToken.Value(), s.SSOMax.Value(), sec, "use 15m (the STOA security hardening checklist): at least accessToken, at most ssoMax"},
		{"ssoMax", &s.SSOMax, 10 * time.Hour, s.SSOIdle.Value(), 12 * time.Hour, sec, "use 10h: at least ssoIdle, at most 12h (ISM-0428)"},
		{"clientIdle", &s.ClientIdle, 15 * time.Minute, time.Minute, s.SSOIdle.Value(), sec, "use 15m, at most ssoIdle (Keycloak ends the client session with the SSO session anyway)"},
		{"clientMax", &s.ClientMax, 10 * time.Hour, s.ClientIdle.Value(), s.SSOMax.Value(), sec, "use 10h: at least clientIdle, at most ssoMax"},
		{"offlineIdle", &s.OfflineIdle, 7 * day, time.Hour, s.OfflineMax.Value(), sec, "use 168h, at most offlineMax"},
		{"offlineMax", &s.OfflineMax, 30 * day, s.OfflineIdle.Value(), 90 * day, sec, "use 720h (30 days), at most 90 days"},
		{"loginTimeout", &s.LoginTimeout, 10 * time.Minute, time.Minute, 30 * time.Minute, sec, "use 10m"},
		{"accessCode", &s.AccessCode, time.Minute, 10 * time.Second, 5 * time.Minute, sec, "use 1m"},
		{"userActionToken", &s.UserActionToken, 5 * time.Minute, time.Minute, 7 * day, sec, "use 5m"},
		{"adminActionToken", &s.AdminActionToken, 12 * time.Hour, time.Minute, 7 * day, sec, "use 12h"},
	}
}

func (s *Sessions) withDefaults() {
	for _, d := range s.lifespans() {
		d.setDefault()
	}
}

func (s *Sessions) validate(path string, l *verr.List) {
	for _, d := range s.lifespans() {
		d.check(l, path)
	}
}

// apply sets the realm's token and session lifespans.
func (s *Sessions) apply(r *kc.RealmArgs) {
	r.AccessTokenLifespan = dur(s.AccessToken)
	r.AccessTokenLifespanForImplicitFlow = dur(s.AccessToken)
	r.SsoSessionIdleTimeout = dur(s.SSOIdle)
	r.SsoSessionMaxLifespan = dur(s.SSOMax)
	r.ClientSessionIdleTimeout = dur(s.ClientIdle)
	r.ClientSessionMaxLifespan = dur(s.ClientMax)
	r.OfflineSessionIdleTimeout = dur(s.OfflineIdle)
	r.OfflineSessionMaxLifespanEnabled = pulumi.Bool(true)
	r.OfflineSessionMaxLifespan = dur(s.OfflineMax)
	r.AccessCodeLifespan = dur(s.AccessCode)
	r.AccessCodeLifespanLogin = dur(s.LoginTimeout)
	r.AccessCodeLifespanUserAction = dur(s.UserActionToken)
	r.ActionTokenGeneratedByUserLifespan = dur(s.UserActionToken)
	r.ActionTokenGeneratedByAdminLifespan = dur(s.AdminActionToken)
	r.RevokeRefreshToken = pulumi.Bool(!s.AllowRefreshTokenReuse)
	r.RefreshTokenMaxReuse = pulumi.Int(0)
}
