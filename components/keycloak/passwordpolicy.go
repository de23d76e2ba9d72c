package keycloak

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/helpers/verr"
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

// PasswordPolicy is a Keycloak password policy as a typed, validated value.
// NIS2 Art. 21(2)(i), ISM-0421/ISM-1557 (passphrase length), NIST SP 800-63B §5.1.1.
//
// Built in Go, its zero fields take the defaults below. Decoded from JSON
// (UnmarshalJSON), it starts from DefaultPasswordPolicy() for the hash
// given and only the keys present change, each kept as written: an
// explicit 0 is a value there (history: 0 turns history off), never
// replaced by a default, and refused where 0 is not valid.
type PasswordPolicy struct {
	// MinLength defaults to 15 (ISM-0421: at least 15 characters where a
	// password is the single factor; NIST asks ≥ 8); valid 8-128.
	MinLength int `json:"minLength,omitempty"`
	// MaxLength defaults to 128 (bounds hashing cost of a huge password); valid MinLength-4096.
	MaxLength int `json:"maxLength,omitempty"`
	// Digits, LowerCase, UpperCase, SpecialChars: minimum counts of each
	// class. Defaults 1 each (in Go: when all four are 0); valid 0-MinLength in total.
	Digits int `json:"digits,omitempty"`
	// LowerCase is the minimum count of lower-case letters; see Digits.
	LowerCase int `json:"lowerCase,omitempty"`
	// UpperCase is the minimum count of upper-case letters; see Digits.
	UpperCase int `json:"upperCase,omitempty"`
	// SpecialChars is the minimum count of special characters; see Digits.
	SpecialChars int `json:"specialChars,omitempty"`
	// AllowUsername lets the password equal the username. Default false
	// (notUsername is enforced).
	AllowUsername bool `json:"allowUsername,omitempty"`
	// AllowEmail lets the password equal the e-mail address. Default false
	// (notEmail is enforced).
	AllowEmail bool `json:"allowEmail,omitempty"`
	// History refuses the last N passwords. Default 12; valid 0-64.
	History int `json:"history,omitempty"`
	// Hash defaults to HashPBKDF2SHA512 (FIPS 140-compatible).
	Hash HashAlgorithm `json:"hash,omitempty"`
	// HashIterations defaults to the OWASP figure for Hash (210 000 for
	// PBKDF2-SHA512, 600 000 for PBKDF2-SHA256, 5 for argon2); lower values are refused.
	HashIterations int `json:"hashIterations,omitempty"`
	// ExpireDays forces a change after N days. Default 0 (off): NIST SP
	// 800-63B §5.1.1.2 advises against periodic expiry. Valid 0-3650.
	ExpireDays int `json:"expireDays,omitempty"`

	// exact is set by UnmarshalJSON: every field already holds its final
	// value, so withDefaults leaves the policy alone and zeros are the user's.
	exact bool
}

// DefaultPasswordPolicy returns the policy used when RealmArgs.PasswordPolicy is nil.
func DefaultPasswordPolicy() PasswordPolicy {
	p := PasswordPolicy{}
	p.withDefaults()
	return p
}

// defaultIterations is the HashIterations default for h.
func defaultIterations(h HashAlgorithm) int {
	switch h {
	case HashPBKDF2SHA256:
		return 600000
	case HashArgon2:
		return 5
	}
	return 210000
}

func (p *PasswordPolicy) withDefaults() {
	if p.exact {
		return
	}
	p.MinLength = cmp.Or(p.MinLength, 15)
	p.MaxLength = cmp.Or(p.MaxLength, 128)
	// All four together: a Go caller who sets one class count means the
	// others to be 0, which a zero field could not say otherwise.
	if p.Digits == 0 && p.LowerCase == 0 && p.UpperCase == 0 && p.SpecialChars == 0 {
		p.Digits, p.LowerCase, p.UpperCase, p.SpecialChars = 1, 1, 1, 1
	}
	p.History = cmp.Or(p.History, 12)
	p.Hash = cmp.Or(p.Hash, HashPBKDF2SHA512)
	p.HashIterations = cmp.Or(p.HashIterations, defaultIterations(p.Hash))
}

// policyKeys are PasswordPolicy's JSON keys, from its tags.
var policyKeys = func() []string {
	var keys []string
	t := reflect.TypeFor[PasswordPolicy]()
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}()

// Expected describes the accepted values for error messages.
func (*PasswordPolicy) Expected() string {
	return "an object with some of the keys " + strings.Join(policyKeys, ", ")
}

// UnmarshalJSON decodes a JSON object over DefaultPasswordPolicy() (for the
// hash given, so hash: pbkdf2-sha256 alone gets 600 000 iterations): only
// the keys present change, and they keep the value written, zero included.
// Keys must match exactly (case included); unknown keys are errors.
func (p *PasswordPolicy) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("expected " + p.Expected())
	}
	given := make([]string, 0, len(raw))
	for k := range raw {
		given = append(given, k)
	}
	sort.Strings(given)
	for _, k := range given {
		known := false
		for _, name := range policyKeys {
			known = known || k == name
		}
		if !known {
			return fmt.Errorf("unknown key %q: the keys are %s", k, strings.Join(policyKeys, ", "))
		}
	}
	q := PasswordPolicy{}
	if h, ok := raw["hash"]; ok {
		_ = json.Unmarshal(h, &q.Hash) // a malformed hash is reported below
	}
	q.withDefaults()
	type plain PasswordPolicy // without this method
	if err := json.Unmarshal(b, (*plain)(&q)); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: expected %s", te.Field, kindWords(te.Type.Kind()))
		}
		return err
	}
	q.exact = true
	*p = q
	return nil
}

// kindWords names a scalar kind in the words of a config file.
func kindWords(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return "a whole number"
}

// String renders the policy in Keycloak's syntax, e.g.
// "length(15) and maxLength(128) and digits(1) and … and hashIterations(210000)".
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

// ParsePasswordPolicy reads Keycloak's policy syntax ("length(15) and
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

// validate records the problems of a defaulted policy under path.
func (p PasswordPolicy) validate(path string, l *verr.List) {
	at := func(key string) string { return verr.Path(path, key) }
	// zero reports an explicit 0 (only an exact policy can hold one) where
	// 0 is not a valid value, naming the default the key would get if removed.
	zero := func(key string, v int, def int) bool {
		if !p.exact || v != 0 {
			return false
		}
		l.Add(at(key), 0, "0 is not \"unset\": a key given is kept as written, and 0 is not valid here", fmt.Sprintf("remove the key for the default %d", def))
		return true
	}
	minZero := zero("minLength", p.MinLength, 15)
	if !minZero && (p.MinLength < 8 || p.MinLength > 128) {
		l.Add(at("minLength"), p.MinLength, "passwords shorter than 8 characters are guessable (NIST SP 800-63B §5.1.1.2)", "use 15 or more (ISM-0421), at most 128")
	}
	if !zero("maxLength", p.MaxLength, 128) && (p.MaxLength < p.MinLength || p.MaxLength > 4096) {
		l.Add(at("maxLength"), p.MaxLength, fmt.Sprintf("must lie between minLength (%d) and 4096", p.MinLength), "use 128 (64 or more per NIST SP 800-63B)")
	}
	for _, c := range []struct {
		f string
		n int
	}{{"digits", p.Digits}, {"lowerCase", p.LowerCase}, {"upperCase", p.UpperCase}, {"specialChars", p.SpecialChars}} {
		if c.n < 0 {
			l.Add(at(c.f), c.n, "a minimum count cannot be negative", "use 0 (no requirement) or more")
		}
	}
	if sum := p.Digits + p.LowerCase + p.UpperCase + p.SpecialChars; !minZero && sum > p.MinLength {
		l.Add(at("minLength"), p.MinLength, fmt.Sprintf("the character-class minimums add up to %d, more than the minimum length", sum), "raise minLength or lower the class counts")
	}
	if p.History < 0 || p.History > 64 {
		l.Add(at("history"), p.History, "must be 0-64", "use 12")
	}
	floor, ok := minIterations[p.Hash]
	switch {
	case !ok:
		l.Add(at("hash"), string(p.Hash), "not a supported hash algorithm", "use pbkdf2-sha512, pbkdf2-sha256 or argon2")
	case zero("hashIterations", p.HashIterations, defaultIterations(p.Hash)):
	case p.HashIterations < floor || p.HashIterations > 10000000:
		l.Add(at("hashIterations"), p.HashIterations, fmt.Sprintf("%s needs at least %d iterations (OWASP Password Storage Cheat Sheet)", p.Hash, floor), fmt.Sprintf("use %d or more (at most 10 000 000)", floor))
	}
	if p.ExpireDays < 0 || p.ExpireDays > 3650 {
		l.Add(at("expireDays"), p.ExpireDays, "must be 0 (off) to 3650", "use 0: NIST SP 800-63B advises against periodic expiry")
	}
}
