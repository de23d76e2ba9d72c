package compliance

import (
	"fmt"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/components/keycloak"
)

// Type tokens of the Keycloak provider's resources the evaluators read.
const (
	realmType        = "keycloak:index/realm:Realm"
	defaultRolesType = "keycloak:index/defaultRoles:DefaultRoles"
)

// Seed 000's bounds.
const (
	// maxAccessToken is seed 000's access token lifespan.
	maxAccessToken = 5 * time.Minute
	// maxSSOIdle is seed 000's idle session timeout.
	maxSSOIdle = 15 * time.Minute
	// maxLoginFailures is the most failures before lockout the keycloak
	// component accepts (ISM-1403).
	maxLoginFailures = 10
)

// checkBruteForce: every realm has brute-force detection with a lockout
// after at most maxLoginFailures failures.
func checkBruteForce(s *state) (bool, []Evidence) {
	realms := s.byType(realmType)
	var ev []Evidence
	for _, r := range realms {
		const path = "securityDefenses.bruteForceDetection"
		v, _ := r.get(path)
		bf := asMap(v)
		if bf == nil {
			ev = append(ev, Evidence{URN: r.URN, Field: path, Value: show(v), Note: "brute-force detection is off: online password guessing is unlimited"})
			continue
		}
		n, ok := num(bf["maxLoginFailures"])
		e := Evidence{URN: r.URN, Field: path + ".maxLoginFailures", Value: show(bf["maxLoginFailures"]), OK: ok && n >= 1 && n <= maxLoginFailures}
		if !e.OK {
			e.Note = fmt.Sprintf("lockout must come after 1-%d failures", maxLoginFailures)
		}
		ev = append(ev, e)
	}
	return len(realms) > 0, ev
}

// checkTokenLifespans: access tokens live at most 5 minutes and idle
// sessions end after at most 15 (seed 000).
func checkTokenLifespans(s *state) (bool, []Evidence) {
	realms := s.byType(realmType)
	var ev []Evidence
	for _, r := range realms {
		for _, f := range []struct {
			path string
			max  time.Duration
		}{{"accessTokenLifespan", maxAccessToken}, {"ssoSessionIdleTimeout", maxSSOIdle}} {
			v, _ := r.get(f.path)
			e := Evidence{URN: r.URN, Field: f.path, Value: show(v)}
			str, _ := v.(string)
			d, err := time.ParseDuration(str)
			switch {
			case err != nil:
				e.Note = "not a duration; Keycloak's default (access 5m, idle 30m) is not seed 000's"
			case d <= 0 || d > f.max:
				e.Note = "want at most " + f.max.String()
			default:
				e.OK = true
			}
			ev = append(ev, e)
		}
	}
	return len(realms) > 0, ev
}

// checkDefaultRoles: every realm manages its default roles and grants new
// users none of the privileged platform roles nor any realm-management
// (admin console) role.
func checkDefaultRoles(s *state) (bool, []Evidence) {
	realms := s.byType(realmType)
	defaults := s.byType(defaultRolesType)
	privileged := map[string]bool{"admin": true}
	for _, r := range keycloak.PlatformRoles() {
		if r.Privileged {
			privileged[r.Name] = true
		}
	}
	var ev []Evidence
	for _, d := range defaults {
		var bad []string
		for _, x := range listOf(d, "defaultRoles") {
			role, _ := x.(string)
			if privileged[role] || strings.HasPrefix(role, "realm-management/") {
				bad = append(bad, role)
			}
		}
		v, _ := d.get("defaultRoles")
		e := Evidence{URN: d.URN, Field: "defaultRoles", Value: show(v), OK: len(bad) == 0}
		if !e.OK {
			e.Note = "new users get admin access: " + strings.Join(bad, ", ")
		}
		ev = append(ev, e)
	}
	if len(realms) > 0 && len(defaults) == 0 {
		ev = append(ev, Evidence{URN: realms[0].URN, Field: "default roles", Value: "unmanaged",
			Note: "the realm's default roles are Keycloak's (offline_access, uma_authorization), not the least-privilege set"})
	}
	return len(realms) > 0, ev
}
