package keycloak

import (
	"fmt"
	"regexp"
	"time"

	kc "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// Events configures Keycloak's event store. NIS2 Art. 21(2)(b) (incident
// handling needs the login trail), DORA Art. 12, ISM-0585.
type Events struct {
	// Expiration is how long login and admin events are kept in Keycloak's
	// database. Default 365 days; pass the audit retention preset's period
	// so Keycloak's own store matches the audit trail. Valid 1 day - 10 years.
	Expiration Duration `json:"expiration,omitzero"`
	// Listeners receive every event. Default ["jboss-logging"] (the server
	// log, shipped to the audit trail) when nil; an empty list is refused
	// (events would reach no log).
	Listeners []string `json:"listeners,omitempty"`
	// AdminDetails records representations of admin changes. Default true
	// (nil): an audit trail that says "realm updated" without what changed is
	// not evidence. Representations never contain credentials.
	AdminDetails *bool `json:"adminDetails,omitempty"`
}

func (e *Events) expiration() lifespan {
	return lifespan{"expiration", &e.Expiration, 365 * day, day, 3650 * day, time.Second, "use the audit retention preset's period"}
}

func (e *Events) withDefaults() {
	e.expiration().setDefault()
	if e.Listeners == nil {
		e.Listeners = []string{"jboss-logging"}
	}
	if e.AdminDetails == nil {
		t := true
		e.AdminDetails = &t
	}
}

var listener = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func (e *Events) validate(path string, l *verr.List) {
	e.expiration().check(l, path)
	if len(e.Listeners) == 0 {
		l.Add(verr.Path(path, "listeners"), verr.Raw("[]"), "an empty list is not \"unset\": events would reach no log and so not the audit trail", `remove the key for the default ["jboss-logging"], or list listeners`)
	}
	for i, n := range e.Listeners {
		if !listener.MatchString(n) {
			l.Add(verr.Path(path, fmt.Sprintf("listeners[%d]", i)), n, "not an event listener provider id", `use "jboss-logging"`)
		}
	}
}

// newEvents turns on login and admin event recording for the realm.
func newEvents(ctx *pulumi.Context, name string, e *Events, realmID pulumi.StringOutput, parent pulumi.ResourceOption) error {
	if _, err := kc.NewRealmEvents(ctx, name+"-events", &kc.RealmEventsArgs{
		RealmId:                   realmID,
		EventsEnabled:             pulumi.Bool(true),
		EventsExpiration:          secs(e.Expiration),
		EventsListeners:           pulumi.ToStringArray(e.Listeners),
		AdminEventsEnabled:        pulumi.Bool(true),
		AdminEventsDetailsEnabled: pulumi.Bool(*e.AdminDetails),
		// EnabledEventTypes left empty: every event type is saved.
	}, parent); err != nil {
		return fmt.Errorf("keycloak %q: configure events: %w", name, err)
	}
	return nil
}
