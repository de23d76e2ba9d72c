package config

import (
	"cmp"
	"net/url"

	"github.com/rampart-dev/rampart/components/keycloak"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Keycloak is rampart:keycloak: whether the stack builds the realm (and the
// keycloak provider), how the provider reaches Keycloak, and the
// component's own args (keycloak.RealmArgs, decoded straight into; see it
// for every key's default and valid values; lifespans are durations such
// as "5m"). The SMTP password is not a key here: it comes only from the
// secret key rampart:keycloakSmtpPassword.
type Keycloak struct {
	// Enabled builds the realm and the keycloak provider; default false.
	Enabled bool `json:"enabled"`
	// Provider says how Pulumi reaches Keycloak's admin API.
	Provider KeycloakProvider `json:"provider"`
	keycloak.RealmArgs
}

// KeycloakProvider is the keycloak provider's connection. It authenticates
// with the client credentials grant: ClientID is a confidential client with
// a service account (realm-admin) in Realm, its secret is
// rampart:keycloakClientSecret. No admin password is ever configured (the
// STOA security hardening checklist: no default admin).
type KeycloakProvider struct {
	// URL is Keycloak's base URL (required); https, http only to the local lab.
	URL string `json:"url,omitempty"`
	// Realm holds the service-account client; default "master".
	Realm string `json:"realm,omitempty"`
	// ClientID of that client; default "rampart-deployer".
	ClientID string `json:"clientId,omitempty"`
	// RootCACertificate is the PEM CA of Keycloak's TLS certificate; default
	// "": the system roots.
	RootCACertificate string `json:"rootCaCertificate,omitempty"`
}

// keycloakDefaults fills the stack-level defaults only: the provider's
// service-account realm and client, and e-mail verification off in the
// local profile (the lab has no SMTP server). The realm's own defaults are
// the component's: RealmArgs leaves unset keys zero, and
// keycloak.RealmArgs.Validate and keycloak.NewRealm fill them.
func (c *Config) keycloakDefaults() {
	k := &c.Keycloak
	if !k.Enabled {
		return
	}
	k.Provider.Realm = cmp.Or(k.Provider.Realm, "master")
	k.Provider.ClientID = cmp.Or(k.Provider.ClientID, "rampart-deployer")
	if k.VerifyEmail == nil && c.Profile == ProfileLocal {
		f := false
		k.VerifyEmail = &f
	}
}

// RealmArgs is the component's args with the SMTP password and the
// stack's tenants (rampart:tenants, whose groups the realm creates)
// injected.
func (c *Config) RealmArgs() *keycloak.RealmArgs {
	a := c.Keycloak.RealmArgs
	a.Tenants = nil
	for _, t := range c.Tenants {
		a.Tenants = append(a.Tenants, t.Name)
	}
	if m := a.SMTP; m != nil {
		smtp := *m
		if s := c.Secrets.KeycloakSMTPPassword; s != nil {
			smtp.Password = s.Output()
		}
		a.SMTP = &smtp
	}
	return &a
}

func (c *Config) validateKeycloak(l *verr.List) {
	k := &c.Keycloak
	if !k.Enabled {
		return
	}
	p := func(s string) string { return Namespace + ":keycloak." + s }
	u, err := url.Parse(k.Provider.URL)
	switch {
	case k.Provider.URL == "":
		l.Add(p("provider.url"), "", "missing: the keycloak provider needs Keycloak's base URL", "set rampart:keycloak.provider.url, e.g. https://id.platform.example.gov.uk")
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		l.Add(p("provider.url"), k.Provider.URL, "not an absolute URL", "use https://host[:port]")
	case u.Scheme == "http" && !(c.Profile == ProfileLocal && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" || u.Hostname() == "::1")):
		l.Add(p("provider.url"), k.Provider.URL, "the client secret and admin tokens would cross the network in clear text", "use https (http only to the local lab on 127.0.0.1)")
	}
	checkSecret(l, c.Secrets.KeycloakClientSecret, "keycloakClientSecret", "the keycloak provider authenticates with its service-account client's secret")
	if s := c.Secrets.KeycloakSMTPPassword; s != nil && (k.SMTP == nil || k.SMTP.Username == "") {
		l.Add(s.Key, verr.Redacted, "set, but rampart:keycloak.smtp.username is not: the password would never be sent",
			"set rampart:keycloak.smtp.username, or pulumi config rm "+s.Key)
	}
	a := c.RealmArgs()
	// Tenant names are checked at their own keys, rampart:tenants[i].name
	// (a namespace name is a DNS label, as a tenant's group prefix must be);
	// the realm has no key of its own to report them under.
	a.Tenants = nil
	if m := k.SMTP; m != nil && m.Username != "" && requireSecret(l, c.Secrets.KeycloakSMTPPassword, "keycloakSmtpPassword",
		"rampart:keycloak.smtp.username is set, so the mail server expects a password", "<SMTP password>") {
		a.SMTP.Password = SecretOutput("") // reported once, at the key users set
	}
	l.Merge(a.Validate(Namespace + ":keycloak"))
}

// checkSecret reports a required secret that is missing (plaintext is
// reported by Validate's plaintext check).
func checkSecret(l *verr.List, s *Secret, key, why string) {
	requireSecret(l, s, key, why, "<value>")
}
