package kms

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/helpers/kmsplugin"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Defaults that withDefaults fills in; exported so the config layer, the
// compliance report and the docs quote one source. The names are the
// plugin's own defaults (helpers/kmsplugin), so a plugin started without
// --transit-mount, --key-name or a policy of another name finds exactly
// what this component created.
const (
	// DefaultMount is the transit engine's mount path: OpenBao's own
	// default for `bao secrets enable transit` and the plugin's
	// --transit-mount default. A stack whose OpenBao already has a transit
	// engine there (for other keys) names another mount: this component
	// owns and protects the mount it creates.
	DefaultMount = kmsplugin.DefaultTransitMount
	// DefaultKeyName is the transit key that wraps the API server's data
	// keys, the plugin's --key-name default: one key for this purpose only,
	// so the policy can name it alone.
	DefaultKeyName = kmsplugin.DefaultKeyName
	// DefaultPolicyName is the OpenBao policy the plugin's token carries.
	DefaultPolicyName = kmsplugin.PolicyName
	// DefaultAutoRotatePeriod is 90 days. A rotation costs nothing here:
	// older versions still decrypt (min_decryption_version stays 1), the
	// plugin reports the new version as the KMS key ID and the API server
	// starts a new data key within about two minutes. Quarterly keeps each
	// version's share of wrapped data keys small, well inside the two-year
	// originator-usage period NIST SP 800-57 Pt 1 gives a symmetric
	// key-wrapping key, which the key-management controls (ITSG-33 SC-12,
	// the ISM's cryptographic key management) point to.
	DefaultAutoRotatePeriod = "2160h"
)

// Limits of AutoRotatePeriod: OpenBao refuses a period under an hour; past
// two years a version outlives NIST SP 800-57's cryptoperiod for a
// symmetric key-wrapping key.
const (
	minAutoRotate = time.Hour
	maxAutoRotate = 2 * 8760 * time.Hour
)

// SecretsEncryptionArgs configures the transit key the KMS v2 plugin
// (cmd/rampart-kms) wraps the API server's data keys with, and the policy
// of the plugin's token. It is also the schema of the stack config section
// rampart:kms: the json keys below are the config keys, and the config
// layer decodes straight into it. Unset fields take the defaults field by
// field (withDefaults).
//
// Providers: every child is an OpenBao resource; the caller passes the
// vault provider in NewSecretsEncryption's opts (pulumi.Providers or
// pulumi.Provider). Args carry no provider.
type SecretsEncryptionArgs struct {
	// Mount is the transit engine's mount path, created by this component.
	// Default DefaultMount ("transit"). Segments of letters, digits, _ . -;
	// not a path OpenBao reserves (sys, auth, identity, cubbyhole).
	Mount string `json:"mount,omitempty"`
	// KeyName is the transit key: aes256-gcm96, never exportable, no
	// plaintext backup, deletion refused by OpenBao (fixed, not options: a
	// key that can leave OpenBao or be deleted puts every Secret in etcd at
	// its mercy). Default DefaultKeyName ("kubernetes-kms"). NIS2 Art.
	// 21(2)(h); ITSG-33 SC-12, SC-28.
	KeyName string `json:"keyName,omitempty"`
	// PolicyName is the OpenBao policy for the plugin's token: update on
	// <mount>/encrypt/<key> and <mount>/decrypt/<key>, read on
	// <mount>/keys/<key>, nothing else (kmsplugin.Policy). Default
	// DefaultPolicyName ("rampart-kms"). Lower case (OpenBao stores policy
	// names so); never "default" (attached to every token) or "root".
	PolicyName string `json:"policyName,omitempty"`
	// AutoRotatePeriod is how often OpenBao rotates the key by itself, a Go
	// duration in hours between 1h and 17520h (two years). Default
	// DefaultAutoRotatePeriod ("2160h", 90 days). "0" turns automatic
	// rotation off, for a stack that rotates by its own procedure (`bao
	// write -f <mount>/keys/<key>/rotate`).
	AutoRotatePeriod string `json:"autoRotatePeriod,omitempty"`

	// AllowDestroy drops pulumi.Protect and RetainOnDelete from the mount
	// and the key (OpenBao still refuses to delete the key itself; removing
	// the mount removes it). Default false: every
	// Secret in etcd is wrapped by this key, and a deleted key cannot be
	// recreated, so its loss makes them unreadable. Not a config key (json
	// "-"): the stack derives it from its profile (the throwaway lab only).
	AllowDestroy bool `json:"-"`
}

// withDefaults returns a copy with every unset field filled in.
func (a *SecretsEncryptionArgs) withDefaults() *SecretsEncryptionArgs {
	out := *a
	out.Mount = cmp.Or(out.Mount, DefaultMount)
	out.KeyName = cmp.Or(out.KeyName, DefaultKeyName)
	out.PolicyName = cmp.Or(out.PolicyName, DefaultPolicyName)
	out.AutoRotatePeriod = cmp.Or(out.AutoRotatePeriod, DefaultAutoRotatePeriod)
	return &out
}

// policyNameRE: OpenBao lower-cases policy names on write, so an upper-case
// name would differ between the state and the server.
var policyNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,127}$`)

// reservedMounts are the paths OpenBao mounts itself and refuses to mount on.
var reservedMounts = map[string]bool{"sys": true, "auth": true, "identity": true, "cubbyhole": true}

// Validate checks the args after filling defaults and returns every
// problem, each as "<path>: <value>: <why> — <fix>". path is the caller's
// key prefix: the config layer passes "rampart:kms"; NewSecretsEncryption
// passes "".
func (a *SecretsEncryptionArgs) Validate(path string) error {
	var l verr.List
	if a == nil {
		l.Add(verr.Path(path, "SecretsEncryptionArgs"), "<nil>", "no KMS arguments", "pass a *SecretsEncryptionArgs")
		return l.Err()
	}
	a = a.withDefaults()
	p := func(sub string) string { return verr.Path(path, sub) }

	switch first, _, _ := strings.Cut(a.Mount, "/"); {
	case !kmsplugin.ValidMount(a.Mount):
		l.Add(p("mount"), a.Mount, "not a mount path (segments of letters, digits, _ . -, no leading or trailing /)",
			"name the transit mount, e.g. "+DefaultMount)
	case reservedMounts[first]:
		l.Add(p("mount"), a.Mount, "under a path OpenBao reserves for itself", "name another mount, e.g. "+DefaultMount)
	}
	if !kmsplugin.ValidKeyName(a.KeyName) {
		l.Add(p("keyName"), a.KeyName, "not a transit key name (letters, digits, _ . -, at most 128, no ..)",
			"name the transit key, e.g. "+DefaultKeyName)
	}
	switch {
	case a.PolicyName == "default" || a.PolicyName == "root":
		l.Add(p("policyName"), a.PolicyName, "a built-in policy: \"default\" is attached to every token, \"root\" cannot be written",
			"name the plugin's own policy, e.g. "+DefaultPolicyName)
	case !policyNameRE.MatchString(a.PolicyName) || strings.Contains(a.PolicyName, ".."):
		l.Add(p("policyName"), a.PolicyName, "not a policy name (lower-case letters, digits, _ . -, at most 128; OpenBao stores names in lower case)",
			"name the policy, e.g. "+DefaultPolicyName)
	}
	if _, err := rotateSeconds(a.AutoRotatePeriod); err != nil {
		l.Add(p("autoRotatePeriod"), a.AutoRotatePeriod, err.Error(),
			fmt.Sprintf("give a Go duration between %s and %s, e.g. %s (90 days), or \"0\" to rotate by hand only", fmtHours(minAutoRotate), fmtHours(maxAutoRotate), DefaultAutoRotatePeriod))
	}
	return l.Err()
}

// rotateSeconds is the key's auto_rotate_period in seconds (0: off).
func rotateSeconds(s string) (int, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("not a Go duration (days are not a unit)")
	case d == 0:
		return 0, nil
	case d < 0:
		return 0, fmt.Errorf("negative")
	case d < minAutoRotate:
		return 0, fmt.Errorf("shorter than %s: OpenBao refuses it", fmtHours(minAutoRotate))
	case d > maxAutoRotate:
		return 0, fmt.Errorf("longer than %s: past the two-year cryptoperiod of a key-wrapping key (NIST SP 800-57 Pt 1)", fmtHours(maxAutoRotate))
	case d%time.Second != 0:
		return 0, fmt.Errorf("not a whole number of seconds")
	}
	return int(d / time.Second), nil
}

func fmtHours(d time.Duration) string { return fmt.Sprintf("%dh", int(d/time.Hour)) }
