package openbao

import (
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/verr"
)

const (
	// DefaultDeployerUsername is the userpass user the self-initialisation
	// creates for the vault provider when BootstrapArgs.DeployerUsername is
	// unset. The stack config layer uses it to default the provider's login.
	DefaultDeployerUsername = "rampart-deployer"
	// DeployerPasswordEnv carries the deployer's initial password to the
	// self-initialisation stanza.
	DeployerPasswordEnv = "BAO_DEPLOYER_PASSWORD"
	// defaultTokenTTL and defaultTokenMaxTTL bound the deployer's tokens.
	defaultTokenTTL    = "15m"
	defaultTokenMaxTTL = "1h"
	// maxDeployerTokenTTL is the longest TokenMaxTTL accepted.
	maxDeployerTokenTTL = 24 * time.Hour
)

// BootstrapArgs configures how a fresh cluster reaches an initialised,
// unsealed and usable state in one `pulumi up` (see the package documentation).
// The deployer password has no json key: it comes only from a Pulumi secret,
// which the caller sets after decoding.
type BootstrapArgs struct {
	// Disabled turns off self-initialisation (the operator then runs
	// `bao operator init` once); default false.
	Disabled bool `json:"disabled,omitempty"`
	// DeployerUsername is the userpass user the vault provider logs in as;
	// default DefaultDeployerUsername.
	DeployerUsername string `json:"deployerUsername,omitempty"`
	// DeployerPassword is that user's password, a Pulumi secret (required in
	// ModeChart when bootstrap is enabled); it reaches the server only through
	// a Kubernetes Secret read into BAO_DEPLOYER_PASSWORD. Not decoded from
	// config.
	DeployerPassword pulumi.StringOutput `json:"-"`
	// DeployerPasswordIsSecret must be true (see SealArgs.PinIsSecret). Not
	// decoded from config.
	DeployerPasswordIsSecret bool `json:"-"`
	// DeployerPolicy is the ACL policy (HCL) of the deployer; default a policy
	// limited to mounts, PKI, auth methods, ACL policies and child tokens.
	DeployerPolicy string `json:"deployerPolicy,omitempty"`
	// TokenTTL bounds the deployer's tokens (a Go duration); default "15m" —
	// short-lived instead of a root token. ISM-1590 (privileged credentials
	// are not long-lived).
	TokenTTL string `json:"tokenTtl,omitempty"`
	// TokenMaxTTL is the deployer tokens' maximum lifetime, renewals
	// included; default "1h", at most 24h and no shorter than TokenTTL.
	// ISM-1590.
	TokenMaxTTL string `json:"tokenMaxTtl,omitempty"`
}

func (a *OpenBaoArgs) validateBootstrap(l *verr.List, p func(string) string, withSecrets bool) {
	b := &a.Bootstrap
	if b.Disabled {
		return
	}
	if withSecrets && a.Mode == ModeChart && (!b.DeployerPasswordIsSecret || b.DeployerPassword.OutputState == nil) {
		l.Add(p("bootstrap.deployerPassword"), verr.Redacted, "the deployer password must be a Pulumi secret",
			"set it with `pulumi config set --secret` (or generate it with random.RandomPassword) and pass DeployerPasswordIsSecret=true")
	}
	if !userName.MatchString(b.DeployerUsername) {
		l.Add(p("bootstrap.deployerUsername"), b.DeployerUsername, "not a valid userpass name", "use lower-case letters, digits, - and _")
	}
	ttl, err1 := time.ParseDuration(b.TokenTTL)
	maxTTL, err2 := time.ParseDuration(b.TokenMaxTTL)
	switch {
	case err1 != nil || ttl <= 0:
		l.Add(p("bootstrap.tokenTtl"), b.TokenTTL, "not a positive duration", "use e.g. "+defaultTokenTTL)
	case err2 != nil || maxTTL < ttl:
		l.Add(p("bootstrap.tokenMaxTtl"), b.TokenMaxTTL, "must be a duration no shorter than tokenTtl", "use e.g. "+defaultTokenMaxTTL)
	case maxTTL > maxDeployerTokenTTL:
		l.Add(p("bootstrap.tokenMaxTtl"), b.TokenMaxTTL, "deployer tokens must stay short-lived (no longer than 24h)", "use "+defaultTokenMaxTTL)
	}
	switch {
	case strings.TrimSpace(b.DeployerPolicy) == "":
		l.Add(p("bootstrap.deployerPolicy"), b.DeployerPolicy, "empty policy", "leave it unset for the default deployer policy")
	case strings.Contains(b.DeployerPolicy, "${") || strings.Contains(b.DeployerPolicy, "%{") || strings.Contains(b.DeployerPolicy, "{{"):
		// HCL 2 escapes ${ and %{ where HCL 1 does not, and the chart runs the
		// config through Helm's tpl, which would expand {{ }}.
		l.Add(p("bootstrap.deployerPolicy"), "[policy]", "contains ${, %{ or {{, which the config file cannot carry unchanged",
			"drop templated paths from the bootstrap policy; manage templated policies with the vault provider after bootstrap")
	}
}
