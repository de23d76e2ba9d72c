package keycloak

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// Duration is a lifespan as the user wrote it ("5m", "1h30m"), parsed once
// when it is decoded or built. It keeps its text, so errors and serialised
// args show "5m", not "5m0s". The zero Duration is unset: the field takes
// its documented default. A set Duration of zero or less is not unset: it is
// refused, so a typo never silently becomes the default.
type Duration struct {
	d    time.Duration
	text string
}

// expectedDuration is what a Duration accepts, in the words of a config file.
const expectedDuration = `a duration such as "5m" or "1h30m"`

// errNotDuration is returned for a value that is not a duration.
var errNotDuration = errors.New("expected " + expectedDuration)

// ParseDuration reads Go duration syntax ("90s", "5m", "1h30m") and keeps
// the text as given.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return Duration{}, fmt.Errorf("%q is not a duration: %w", s, errNotDuration)
	}
	return Duration{d: d, text: s}, nil
}

// DurationOf is d as a set Duration; its text is d.String() ("5m0s").
func DurationOf(d time.Duration) Duration { return Duration{d: d, text: d.String()} }

// IsSet reports whether d was given (decoded or built), as opposed to left
// zero for the default.
func (d Duration) IsSet() bool { return d.text != "" }

// Value is the parsed duration; 0 when unset.
func (d Duration) Value() time.Duration { return d.d }

// Seconds is the duration in whole seconds (Keycloak's unit; validation
// refuses fractions).
func (d Duration) Seconds() int { return int(d.d / time.Second) }

// String is the text as given, "" when unset.
func (d Duration) String() string { return d.text }

// Expected describes the accepted values for error messages.
func (Duration) Expected() string { return expectedDuration }

// MarshalJSON writes the text as given; an unset Duration is null.
func (d Duration) MarshalJSON() ([]byte, error) {
	if !d.IsSet() {
		return []byte("null"), nil
	}
	return json.Marshal(d.text)
}

// UnmarshalJSON parses a JSON string; null leaves d unchanged. Numbers are
// refused: a bare 300 has no unit.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errNotDuration
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// lifespan is one Duration field: its key (relative to its struct), its
// default, its valid range and the resolution Keycloak stores it in. One
// table per struct drives both withDefaults and validation, so a default
// and the range it must lie in are written down once.
type lifespan struct {
	key    string
	d      *Duration
	def    time.Duration
	lo, hi time.Duration
	unit   time.Duration
	fix    string
}

// setDefault fills an unset lifespan.
func (s lifespan) setDefault() {
	if !s.d.IsSet() {
		*s.d = DurationOf(s.def)
	}
}

// check records at most one problem of a defaulted lifespan under prefix.
// Zero or negative values can only be explicit (unset ones hold the
// default by now) and are named as such.
func (s lifespan) check(l *verr.List, prefix string) {
	p, v := verr.Path(prefix, s.key), s.d.Value()
	switch {
	case v <= 0:
		l.Add(p, s.d.String(), fmt.Sprintf("must lie between %s and %s; zero or less is not \"unset\" and would not take the default", s.lo, s.hi),
			fmt.Sprintf("remove the key for the default %s, or %s", s.def, s.fix))
	case v < s.lo || v > s.hi:
		l.Add(p, s.d.String(), fmt.Sprintf("must lie between %s and %s", s.lo, s.hi), s.fix)
	case v%s.unit != 0:
		unit := "seconds"
		if s.unit == time.Millisecond {
			unit = "milliseconds"
		}
		l.Add(p, s.d.String(), "Keycloak stores this in whole "+unit, "use a whole number of "+unit)
	}
}

// dur renders a lifespan the way the provider parses it: the canonical form
// of the parsed value ("5m0s"), which is also what the provider reads back
// from Keycloak, so state never differs from the server by spelling.
func dur(d Duration) pulumi.StringInput { return pulumi.String(d.Value().String()) }

// secs is a lifespan in whole seconds.
func secs(d Duration) pulumi.IntInput { return pulumi.Int(d.Seconds()) }
