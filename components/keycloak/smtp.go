package keycloak

import (
	"cmp"
	"fmt"
	"regexp"

	kc "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// SMTP is the realm's mail server. Mail always travels over TLS: STARTTLS
// on the submission port, or implicit TLS when ImplicitTLS is set. NIS2 Art. 21(2)(h).
type SMTP struct {
	// Host (required) of the mail server.
	Host string `json:"host,omitempty"`
	// Port defaults to 587 (submission, STARTTLS), 465 with ImplicitTLS
	// (nil, the key absent). A pointer because an explicit 0 is not
	// "unset": it is no port, and is refused at its key rather than
	// silently replaced.
	Port *int `json:"port,omitempty"`
	// ImplicitTLS uses SMTPS instead of STARTTLS. Default false.
	ImplicitTLS bool `json:"implicitTls,omitempty"`
	// From (required) is the sender address, e.g. no-reply@example.org.
	From string `json:"from,omitempty"`
	// FromDisplayName defaults to the realm's display name.
	FromDisplayName string `json:"fromDisplayName,omitempty"`
	// Username for SMTP AUTH. Default "" (no authentication, relay by address).
	Username string `json:"username,omitempty"`
	// Password for SMTP AUTH (required with Username); stored as a Pulumi
	// secret. Not a config key: the caller passes it from a secret.
	Password pulumi.StringInput `json:"-"`
}

// defaultPort is Port when the key is absent: 587 (submission,
// STARTTLS), 465 with ImplicitTLS.
func (m *SMTP) defaultPort() int {
	if m.ImplicitTLS {
		return 465
	}
	return 587
}

func (m *SMTP) withDefaults(displayName string) {
	if m.Port == nil {
		m.Port = new(m.defaultPort())
	}
	m.FromDisplayName = cmp.Or(m.FromDisplayName, displayName)
}

var email = regexp.MustCompile(`^[^@\s]+@[a-z0-9]([a-z0-9.-]*[a-z0-9])?\.[a-z]{2,}$`)

// validate checks a defaulted m (nil: no mail server) under path.
func (m *SMTP) validate(path string, verifyEmail bool, l *verr.List) {
	if m == nil {
		if verifyEmail {
			l.Add(path, "none", "verifyEmail is on but the realm has no mail server: every new user would be stuck at e-mail verification", "configure smtp, or set verifyEmail false (only where no mail server exists, such as a lab)")
		}
		return
	}
	if !hostName.MatchString(m.Host) {
		l.Add(verr.Path(path, "host"), m.Host, "not a host name", "give the mail server's DNS name")
	}
	switch p := *m.Port; {
	case p == 0: // only an explicit 0: the default is 587 or 465
		l.NotUnset(verr.Path(path, "port"), 0, "no mail server listens on port 0", m.defaultPort(), "give the mail server's submission port")
	case p < 1 || p > 65535 || p == 25:
		l.Add(verr.Path(path, "port"), p, "must be a TCP port other than 25 (server-to-server relay, usually without TLS)", "use 587 (STARTTLS) or 465 (implicit TLS)")
	}
	if !email.MatchString(m.From) {
		l.Add(verr.Path(path, "from"), m.From, "not an e-mail address", "use e.g. no-reply@example.org")
	}
	if m.Username != "" && m.Password == nil {
		l.Add(verr.Path(path, "password"), verr.Redacted, "a username needs a password", "pass the SMTP password as a secret")
	}
	if m.Username == "" && m.Password != nil {
		l.Add(verr.Path(path, "username"), "", "a password without a username is never sent", "set username or drop password")
	}
}

// inputs is the realm's smtpServer block; nil without a mail server.
func (m *SMTP) inputs() kc.RealmSmtpServerPtrInput {
	if m == nil {
		return nil
	}
	args := &kc.RealmSmtpServerArgs{
		Host:            pulumi.String(m.Host),
		Port:            pulumi.String(fmt.Sprint(*m.Port)),
		From:            pulumi.String(m.From),
		FromDisplayName: pulumi.String(m.FromDisplayName),
		Ssl:             pulumi.Bool(m.ImplicitTLS),
		Starttls:        pulumi.Bool(!m.ImplicitTLS),
	}
	if m.Username != "" {
		args.Auth = &kc.RealmSmtpServerAuthArgs{
			Username: pulumi.String(m.Username),
			Password: pulumi.ToSecret(m.Password.ToStringOutput()).(pulumi.StringOutput),
		}
	}
	return args
}
