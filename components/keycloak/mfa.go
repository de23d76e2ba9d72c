package keycloak

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
	"time"

	kc "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// The realm's second factors: the OTP policy (TOTP for non-privileged
// users) and the WebAuthn policy (hardware keys for privileged roles). The
// flows that demand them are in flows.go.

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

// OTPPolicy is the realm OTP policy.
type OTPPolicy struct {
	// Type defaults to OTPTotp.
	Type OTPType `json:"type,omitempty"`
	// Algorithm defaults to OTPHmacSHA1 (every authenticator app supports it;
	// HMAC-SHA1 is not weakened by SHA-1 collisions).
	Algorithm OTPAlgorithm `json:"algorithm,omitempty"`
	// Digits defaults to 6 (nil, the key absent); valid 6 or 8. A pointer
	// because an explicit 0 is not "unset": it is refused at its key, not
	// silently replaced by 6.
	Digits *int `json:"digits,omitempty"`
	// Period (TOTP) defaults to 30 s; valid 15-60 s.
	Period Duration `json:"period,omitzero"`
	// LookAheadWindow defaults to 1 (nil: accept one step of clock skew);
	// valid 0-2. A pointer because 0 (no skew accepted) is a valid choice
	// that must not turn into the default.
	LookAheadWindow *int `json:"lookAheadWindow,omitempty"`
}

// defaultOTPDigits is OTPPolicy.Digits when the key is absent.
const defaultOTPDigits = 6

func (o *OTPPolicy) period() lifespan {
	return lifespan{"period", &o.Period, 30 * time.Second, 15 * time.Second, 60 * time.Second, time.Second, "use 30s (RFC 6238)"}
}

func (o *OTPPolicy) withDefaults() {
	o.Type = cmp.Or(o.Type, OTPTotp)
	o.Algorithm = cmp.Or(o.Algorithm, OTPHmacSHA1)
	if o.Digits == nil {
		o.Digits = new(defaultOTPDigits)
	}
	o.period().setDefault()
	if o.LookAheadWindow == nil {
		w := 1
		o.LookAheadWindow = &w
	}
}

func (o *OTPPolicy) validate(path string, l *verr.List) {
	if o.Type != OTPTotp && o.Type != OTPHotp {
		l.Add(verr.Path(path, "type"), string(o.Type), "must be totp or hotp", `use "totp"`)
	}
	if o.Algorithm != OTPHmacSHA1 && o.Algorithm != OTPHmacSHA256 && o.Algorithm != OTPHmacSHA512 {
		l.Add(verr.Path(path, "algorithm"), string(o.Algorithm), "must be HmacSHA1, HmacSHA256 or HmacSHA512", `use "HmacSHA1" (every authenticator app supports it)`)
	}
	switch d := *o.Digits; {
	case d == 0: // only an explicit 0: the default is 6
		l.NotUnset(verr.Path(path, "digits"), 0, "a code of no digits is no second factor", defaultOTPDigits, "use 8")
	case d != 6 && d != 8:
		l.Add(verr.Path(path, "digits"), d, "authenticator apps show 6 or 8 digits", "use 6")
	}
	o.period().check(l, path)
	if w := *o.LookAheadWindow; w < 0 || w > 2 {
		l.Add(verr.Path(path, "lookAheadWindow"), w, "a wider window accepts more guessed codes", "use 1")
	}
}

// inputs is the realm's OTP policy block.
func (o *OTPPolicy) inputs() *kc.RealmOtpPolicyArgs {
	return &kc.RealmOtpPolicyArgs{
		Type:            pulumi.String(string(o.Type)),
		Algorithm:       pulumi.String(string(o.Algorithm)),
		Digits:          pulumi.Int(*o.Digits),
		Period:          secs(o.Period),
		LookAheadWindow: pulumi.Int(*o.LookAheadWindow),
	}
}

// WebAuthnPolicy is the realm WebAuthn policy, used as the hardware key
// factor of privileged roles (the sovereign-cloud hardening guide: hardware MFA with FIDO2).
type WebAuthnPolicy struct {
	// RelyingPartyName defaults to the display name.
	RelyingPartyName string `json:"relyingPartyName,omitempty"`
	// RelyingPartyID is the WebAuthn RP ID (the login host's registrable
	// domain). Default "" (Keycloak uses the request host).
	RelyingPartyID string `json:"relyingPartyId,omitempty"`
	// UserVerification defaults to UVRequired (PIN or biometric on the key). ISM-1173.
	UserVerification UserVerification `json:"userVerification,omitempty"`
	// Attachment defaults to AttachmentCrossPlatform (a roaming hardware key).
	Attachment Attachment `json:"attachment,omitempty"`
	// SignatureAlgorithms default to ES256 and RS256 (what FIDO2 keys
	// implement) when nil; an empty list is refused (no key could register).
	SignatureAlgorithms []string `json:"signatureAlgorithms,omitempty"`
	// AcceptableAAGUIDs restricts registration to these authenticator models.
	// Default none (any model); set it to your organisation's issued keys.
	AcceptableAAGUIDs []string `json:"acceptableAAGUIDs,omitempty"`
}

func (w *WebAuthnPolicy) withDefaults(displayName string) {
	w.RelyingPartyName = cmp.Or(w.RelyingPartyName, displayName)
	w.UserVerification = cmp.Or(w.UserVerification, UVRequired)
	w.Attachment = cmp.Or(w.Attachment, AttachmentCrossPlatform)
	if w.SignatureAlgorithms == nil {
		w.SignatureAlgorithms = []string{"ES256", "RS256"}
	}
}

var (
	aaguid       = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	webAuthnAlgs = map[string]bool{"ES256": true, "ES384": true, "ES512": true, "RS256": true, "RS384": true, "RS512": true, "EdDSA": true}
)

func (w *WebAuthnPolicy) validate(path string, l *verr.List) {
	if w.UserVerification != UVRequired {
		l.Add(verr.Path(path, "userVerification"), string(w.UserVerification), "privileged roles log in with the hardware key: without user verification a stolen key alone is a login (ISM-1173)", `use "required"`)
	}
	if w.Attachment != AttachmentCrossPlatform && w.Attachment != AttachmentPlatform && w.Attachment != AttachmentAny {
		l.Add(verr.Path(path, "attachment"), string(w.Attachment), "must be cross-platform, platform or not specified", `use "cross-platform" (a FIDO2 hardware key, the sovereign-cloud hardening guide)`)
	}
	if w.RelyingPartyID != "" && (!hostName.MatchString(w.RelyingPartyID) || strings.Contains(w.RelyingPartyID, "..")) {
		l.Add(verr.Path(path, "relyingPartyId"), w.RelyingPartyID, "a WebAuthn RP ID is the login host's domain, without scheme, port or path", `use e.g. "id.example.org" or leave it empty`)
	}
	if len(w.SignatureAlgorithms) == 0 {
		l.Add(verr.Path(path, "signatureAlgorithms"), verr.Raw("[]"), "an empty list is not \"unset\": no hardware key could register", "remove the key for the default [ES256, RS256], or list algorithms")
	}
	for i, alg := range w.SignatureAlgorithms {
		if !webAuthnAlgs[alg] {
			l.Add(verr.Path(path, fmt.Sprintf("signatureAlgorithms[%d]", i)), alg, "not a WebAuthn (COSE) algorithm Keycloak supports", "use ES256, ES384, ES512, RS256, RS384, RS512 or EdDSA")
		}
	}
	for i, id := range w.AcceptableAAGUIDs {
		if !aaguid.MatchString(id) {
			l.Add(verr.Path(path, fmt.Sprintf("acceptableAAGUIDs[%d]", i)), id, "an AAGUID is a lower-case UUID", "copy it from the FIDO metadata of your keys")
		}
	}
}

// inputs is the realm's WebAuthn policy block.
func (w *WebAuthnPolicy) inputs() *kc.RealmWebAuthnPolicyArgs {
	return &kc.RealmWebAuthnPolicyArgs{
		RelyingPartyEntityName:          pulumi.String(w.RelyingPartyName),
		RelyingPartyId:                  pulumi.String(w.RelyingPartyID),
		UserVerificationRequirement:     pulumi.String(string(w.UserVerification)),
		AuthenticatorAttachment:         pulumi.String(string(w.Attachment)),
		SignatureAlgorithms:             pulumi.ToStringArray(w.SignatureAlgorithms),
		AcceptableAaguids:               pulumi.ToStringArray(w.AcceptableAAGUIDs),
		AvoidSameAuthenticatorRegister:  pulumi.Bool(true),
		AttestationConveyancePreference: pulumi.String("direct"),
		RequireResidentKey:              pulumi.String("not specified"),
	}
}
