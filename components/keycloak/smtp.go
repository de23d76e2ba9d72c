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
	// Port defaults to 587 (submission, STARTTLS), 465 with ImplicitTLS (0
	// means the default).
	Port int `json:"port,omitempty"`
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

func (m *SMTP) withDefaults(displayName string) {
	if m.Port == 0 {
		m.Port = 587
		if m.ImplicitTLS {
			m.Port = 465
		}
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
	if m.Port < 1 || m.Port > 65535 || m.Port == 25 {
		l.Add(verr.Path(path, "port"), m.Port, "must be a TCP port other than 25 (server-to-server relay, usually without TLS)", "use 587 (STARTTLS) or 465 (implicit TLS)")
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
		Port:            pulumi.String(fmt.Sprint(m.Port)),
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
