package compliance

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/components/keycloak"
)

// Type tokens of the Keycloak provider's resources the evaluators read.
const (
	realmType        = "keycloak:index/realm:Realm"
	clientType       = "keycloak:openid/client:Client"
	defaultRolesType = "keycloak:index/defaultRoles:DefaultRoles"
)

// The STOA security hardening checklist's bounds.
const (
	// maxAccessToken is the STOA security hardening checklist's access token lifespan.
	maxAccessToken = 5 * time.Minute
	// maxSSOIdle is the STOA security hardening checklist's idle session timeout.
	maxSSOIdle = 15 * time.Minute
	// maxSSOSession is ISM-0428's longest overall session.
	maxSSOSession = 12 * time.Hour
	// maxLoginFailures is the most failures before lockout: ISM-1403's
	// five, the most the keycloak component accepts.
	maxLoginFailures = 5
)

// keycloakRealms returns the realms, whether the stack deploys Keycloak
// (the rampart:keycloak:Realm component or the keycloakRealm output), and
// a failing fact when it does and the realm is gone from the state.
func keycloakRealms(s *state) ([]*object, bool, []Evidence) {
	realms := s.byType(realmType)
	comp, deployed := s.component(keycloak.TypeToken, "keycloakRealm")
	if deployed && len(realms) == 0 {
		return nil, true, []Evidence{missing(comp, "a realm ("+realmType+")")}
	}
	return realms, deployed || len(realms) > 0, nil
}

// checkBruteForce: every realm has brute-force detection with a lockout
// after at most maxLoginFailures failures.
func checkBruteForce(s *state) (bool, []Evidence) {
	realms, deployed, ev := keycloakRealms(s)
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
	return deployed, ev
}

// checkTokenLifespans: access tokens live at most 5 minutes and idle
// sessions end after at most 15 (the STOA security hardening checklist),
// and a session after at most 12 hours (ISM-0428), in every realm and in every
// OpenID client that overrides the realm's access token lifespan (a client
// without the override inherits its realm's).
func checkTokenLifespans(s *state) (bool, []Evidence) {
	realms, deployed, ev := keycloakRealms(s)
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
				e.Note = "not a duration; Keycloak's default (access 5m, idle 30m) is not the STOA security hardening checklist's"
			case d <= 0 || d > f.max:
				e.Note = "want at most " + f.max.String()
			default:
				e.OK = true
			}
			ev = append(ev, e)
		}
		ev = append(ev, ssoSessionMax(r))
	}
	ev = append(ev, clientLifespans(s)...)
	return deployed || len(s.byType(clientType)) > 0, ev
}

// clientLifespans judges the clients' access token lifespan overrides.
func clientLifespans(s *state) []Evidence {
	var ev []Evidence
	for _, c := range s.byType(clientType) {
		const path = "accessTokenLifespan"
		v, ok := c.get(path)
		if str, _ := v.(string); !ok || str == "" {
			continue // inherits the realm's, judged below
		}
		e := Evidence{URN: c.URN, Field: path, Value: show(v)}
		d, ok := lifespan(v)
		switch {
		case !ok:
			e.Note = "not a duration"
		case d <= 0 || d > maxAccessToken:
			e.Note = "the client overrides the realm: want at most " + maxAccessToken.String()
		default:
			e.OK = true
		}
		ev = append(ev, e)
	}
	return ev
}

// lifespan reads a client lifespan: a Go duration ("5m0s", what the
// keycloak component renders) or whole seconds ("300", the provider's
// other spelling).
func lifespan(v any) (time.Duration, bool) {
	str, _ := v.(string)
	if d, err := time.ParseDuration(str); err == nil {
		return d, true
	}
	if n, err := strconv.Atoi(str); err == nil {
		return time.Duration(n) * time.Second, true
	}
	return 0, false
}

// checkDefaultRoles: every realm manages its default roles and grants new
// users none of the privileged platform roles nor any realm-management
// (admin console) role.
func checkDefaultRoles(s *state) (bool, []Evidence) {
	realms, deployed, missingRealm := keycloakRealms(s)
	defaults := s.byType(defaultRolesType)
	privileged := map[string]bool{"admin": true}
	for _, r := range keycloak.PlatformRoles() {
		if r.Privileged {
			privileged[r.Name] = true
		}
	}
	ev := missingRealm
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
	return deployed, ev
}

// ssoSessionMax judges a realm's overall session length: absent is
// Keycloak's default, 10 hours.
func ssoSessionMax(r *object) Evidence {
	const path = "ssoSessionMaxLifespan"
	v, _ := r.get(path)
	e := Evidence{URN: r.URN, Field: path, Value: show(v)}
	str, _ := v.(string)
	d, err := time.ParseDuration(str)
	switch {
	case str == "":
		e.OK, e.Note = true, "Keycloak's default, 10h"
	case err != nil:
		e.Note = "not a duration"
	case d <= 0 || d > maxSSOSession:
		e.Note = "want at most " + maxSSOSession.String() + " (ISM-0428: a session ends after at most 12 hours)"
	default:
		e.OK = true
	}
	return e
}
