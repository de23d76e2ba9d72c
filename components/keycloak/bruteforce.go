package keycloak

import (
	"time"

	kc "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// BruteForce configures Keycloak's brute-force detector. Detection itself
// cannot be switched off. NIS2 Art. 21(2)(i), ISM-1403, CE+ (user access
// control). Each unset field takes its default on its own.
type BruteForce struct {
	// PermanentLockout disables the account after MaxLoginFailures until an
	// admin re-enables it. Default false: escalating temporary lockout, so an
	// attacker who knows a username cannot lock an administrator out for good
	// (permanent lockout turns brute force into denial of service).
	PermanentLockout bool `json:"permanentLockout,omitempty"`
	// MaxLoginFailures before lockout. Default 5 (nil, the key absent);
	// valid 3-5: ISM-1403 locks user accounts out after at most five
	// failed logon attempts, and fewer than 3 locks users out on typos. A
	// pointer because an explicit 0
	// is not "unset": a lockout after 0 failures is no lockout, so 0 is
	// refused at its key instead of silently becoming 5.
	MaxLoginFailures *int `json:"maxLoginFailures,omitempty"`
	// WaitIncrement is added to the lockout for every MaxLoginFailures more
	// failures (temporary lockout). Default 1 min; valid 1 s - MaxFailureWait.
	WaitIncrement Duration `json:"waitIncrement,omitzero"`
	// MaxFailureWait caps a temporary lockout. Default 15 min; valid 1 min - 24 h.
	MaxFailureWait Duration `json:"maxFailureWait,omitzero"`
	// QuickLoginCheck: two failures closer than this lock the user for
	// MinimumQuickLoginWait (scripted guessing). Default 1 s; valid 1 ms - 1 min.
	QuickLoginCheck Duration `json:"quickLoginCheck,omitzero"`
	// MinimumQuickLoginWait is the lockout after a quick-login hit. Default
	// 1 min; valid 1 s - MaxFailureWait.
	MinimumQuickLoginWait Duration `json:"minimumQuickLoginWait,omitzero"`
	// FailureReset forgets failures older than this. Default 12 h; valid
	// MaxFailureWait - 7 days.
	FailureReset Duration `json:"failureReset,omitzero"`
}

// defaultMaxLoginFailures is MaxLoginFailures when the key is absent.
const defaultMaxLoginFailures = 5

// lifespans lists b's durations with their defaults and ranges.
func (b *BruteForce) lifespans() []lifespan {
	sec := time.Second
	return []lifespan{
		{"waitIncrement", &b.WaitIncrement, time.Minute, time.Second, b.MaxFailureWait.Value(), sec, "use 1m, at most maxFailureWait"},
		{"maxFailureWait", &b.MaxFailureWait, 15 * time.Minute, time.Minute, day, sec, "use 15m"},
		{"quickLoginCheck", &b.QuickLoginCheck, time.Second, time.Millisecond, time.Minute, time.Millisecond, "use 1s"},
		{"minimumQuickLoginWait", &b.MinimumQuickLoginWait, time.Minute, time.Second, b.MaxFailureWait.Value(), sec, "use 1m, at most maxFailureWait"},
		{"failureReset", &b.FailureReset, 12 * time.Hour, b.MaxFailureWait.Value(), 7 * day, sec, "use 12h, at least maxFailureWait"},
	}
}

func (b *BruteForce) withDefaults() {
	if b.MaxLoginFailures == nil {
		b.MaxLoginFailures = new(defaultMaxLoginFailures)
	}
	for _, d := range b.lifespans() {
		d.setDefault()
	}
}

func (b *BruteForce) validate(path string, l *verr.List) {
	switch n, p := *b.MaxLoginFailures, verr.Path(path, "maxLoginFailures"); {
	case n == 0: // only an explicit 0: the default is 5
		l.NotUnset(p, 0, "a lockout after 0 failures is no lockout, and online guessing would go unchecked (ISM-1403)", defaultMaxLoginFailures, "use 3-5")
	case n < 3:
		l.Add(p, n, "fewer than 3 locks users out on typos", "use 3-5")
	case n > 5:
		l.Add(p, n, "more than 5 leaves online guessing cheaper than ISM-1403 allows (lockout after at most five failed logons)", "use 3-5")
	}
	for _, d := range b.lifespans() {
		d.check(l, path)
	}
}

// inputs is the realm's brute-force detection block.
func (b *BruteForce) inputs() *kc.RealmSecurityDefensesBruteForceDetectionArgs {
	return &kc.RealmSecurityDefensesBruteForceDetectionArgs{
		PermanentLockout:             pulumi.Bool(b.PermanentLockout),
		MaxLoginFailures:             pulumi.Int(*b.MaxLoginFailures),
		WaitIncrementSeconds:         secs(b.WaitIncrement),
		MaxFailureWaitSeconds:        secs(b.MaxFailureWait),
		QuickLoginCheckMilliSeconds:  pulumi.Int(int(b.QuickLoginCheck.Value() / time.Millisecond)),
		MinimumQuickLoginWaitSeconds: secs(b.MinimumQuickLoginWait),
		FailureResetTimeSeconds:      secs(b.FailureReset),
	}
}
