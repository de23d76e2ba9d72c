package preview

import (
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// order compares a setting's old and new value: stronger reports whether
// the new one is the stricter, ok whether the two could be compared at all
// (an unknown, secret, added or removed value cannot).
type order func(was, now string) (stronger, ok bool)

// monotone is a setting whose strictness has a direction: a TLS floor or a
// retention period is stricter higher, a lockout threshold or a token
// lifespan lower.
type monotone struct {
	// leaf matches the property's last path element.
	leaf func(leaf, path string) bool
	cmp  order
}

// monotones are the settings strengthens knows. A change of any other
// property (or of a whole object holding one) stays a possible weakening.
var monotones = []monotone{
	// TLS floor: ClientTrafficPolicy spec.tls.minVersion ("1.2", "1.3"),
	// and the other spellings providers use (TLSv1.2, TLSv1_2).
	{leaf: func(l, _ string) bool {
		return strings.EqualFold(l, "minVersion") || strings.EqualFold(l, "minimumProtocolVersion")
	},
		cmp: higher(tlsVersion)},
	// Object Lock and log retention periods.
	{leaf: func(l, p string) bool {
		return (l == "days" || l == "years") && strings.Contains(strings.ToLower(p), "retention")
	}, cmp: higher(number)},
	{leaf: func(l, p string) bool { return l == "mode" && strings.Contains(strings.ToLower(p), "retention") },
		cmp: higher(rankOf("GOVERNANCE", "COMPLIANCE"))},
	// Keycloak brute-force detection and session lifetimes.
	{leaf: func(l, _ string) bool { return l == "failureFactor" }, cmp: lower(number)},
	{leaf: func(l, _ string) bool { return l == "permanentLockout" || l == "bruteForceProtected" },
		cmp: higher(rankOf("false", "true"))},
	{leaf: func(l, _ string) bool {
		return strings.HasSuffix(l, "Lifespan") || strings.HasSuffix(l, "IdleTimeout") || strings.HasSuffix(l, "MaxLifespan")
	}, cmp: lower(duration)},
	{leaf: func(l, _ string) bool { return l == "sslRequired" }, cmp: higher(rankOf("none", "external", "all"))},
}

// strengthens reports whether c only makes a setting stricter (see
// monotones): such a change is not listed as a weakening.
func strengthens(c Change) bool {
	leaf := lastElement(c.Path)
	for _, m := range monotones {
		if m.leaf(leaf, c.Path) {
			stronger, ok := m.cmp(c.Old, c.New)
			return ok && stronger
		}
	}
	return false
}

// lastElement is a property path's last key ("" for an index or a path
// that does not parse).
func lastElement(path string) string {
	p, err := resource.ParsePropertyPath(path)
	if err != nil || len(p) == 0 {
		return ""
	}
	s, _ := p[len(p)-1].(string)
	return s
}

// higher: the new value stronger when it ranks above the old one.
func higher(rank func(string) (float64, bool)) order {
	return func(was, now string) (bool, bool) {
		a, okA := rank(was)
		b, okB := rank(now)
		return b > a, okA && okB
	}
}

// lower: the new value stronger when it ranks below the old one.
func lower(rank func(string) (float64, bool)) order {
	return func(was, now string) (bool, bool) {
		a, okA := rank(was)
		b, okB := rank(now)
		return b < a, okA && okB
	}
}

// number reads a rendered number (a quoted one too).
func number(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.Trim(s, `"`), 64)
	return f, err == nil
}

// duration reads a lifespan: a Go duration ("5m", "1h0m0s") or a number of
// seconds.
func duration(s string) (float64, bool) {
	if f, ok := number(s); ok {
		return f, true
	}
	d, err := time.ParseDuration(strings.Trim(s, `"`))
	return d.Seconds(), err == nil
}

// tlsVersion reads "1.2", "TLSv1.3", "TLSv1_2", "TLS1.3" as 1.2, 1.3.
func tlsVersion(s string) (float64, bool) {
	v := strings.ToLower(strings.Trim(s, `"`))
	v = strings.TrimPrefix(strings.TrimPrefix(v, "tls"), "v")
	v = strings.ReplaceAll(v, "_", ".")
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil && f > 0
}

// rankOf ranks the given values, weakest first (case-insensitive).
func rankOf(values ...string) func(string) (float64, bool) {
	return func(s string) (float64, bool) {
		for i, v := range values {
			if strings.EqualFold(strings.Trim(s, `"`), v) {
				return float64(i), true
			}
		}
		return 0, false
	}
}
