// Package kmsplugin is Rampart's KMS v2 plugin for kube-apiserver: it wraps
// the data-encryption keys the API server generates for Secrets (and any
// further resource the EncryptionConfiguration names) with an OpenBao
// transit key, so the key that protects etcd never leaves OpenBao.
//
// The plugin speaks the KMS v2 gRPC API through k8s.io/kms's service
// adapter on a unix socket and OpenBao's HTTP API through net/http (the
// OpenBao Go client reads BAO_TOKEN and friends from the environment; a
// token here comes from a file only). Beside the plugin it renders what
// the plugin needs: the narrow OpenBao policy (Policy) and its static pod
// on a control-plane node (StaticPod). cmd/rampart-kms is its entry point.
//
// Key ID: the transit key's version ("1", "2", …). The API server asks
// Status about once a minute and starts a new data key when the ID changes,
// so `bao write -f transit/keys/KEY/rotate` rotates what new writes use;
// older ciphertext names its version ("vault:v1:…") and still decrypts.
//
// NIS2 Art. 21(2)(h) (cryptography and encryption); ITSG-33 SC-12/SC-28.
package kmsplugin

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// Defaults that withDefaults fills in; exported so the CLI, the static pod,
// the OpenBao component and the docs quote one source.
const (
	// DefaultTransitMount is the path the transit secrets engine is mounted
	// at: OpenBao's own default for `bao secrets enable transit`.
	DefaultTransitMount = "transit"
	// DefaultKeyName is the transit key that wraps the API server's data
	// keys: one key for this purpose only, so the policy can name it alone.
	DefaultKeyName = "kubernetes-kms"
	// DefaultListen is the socket kube-apiserver dials (the endpoint of the
	// EncryptionConfiguration's kms provider), in the directory the
	// Kubernetes documentation uses for KMS plugins.
	DefaultListen = "unix:///var/run/kmsplugin/socket.sock"
	// DefaultTimeout bounds each call to OpenBao. It stays below the API
	// server's default KMS timeout (3 s), so the API server receives
	// OpenBao's error rather than a deadline of its own.
	DefaultTimeout = 2 * time.Second
	// DefaultKeyRefresh is how long the transit key's latest version is
	// trusted before Status reads it again. The API server polls Status
	// about once a minute, so a rotation reaches new writes within about
	// two minutes; every Encrypt also learns the version from its
	// ciphertext.
	DefaultKeyRefresh = time.Minute
)

// Limits of the durations: a timeout under 100 ms fails on any real network,
// one above the API server's longest sensible KMS timeout only delays the
// error; a refresh under a second reads the key on every Status.
const (
	minTimeout    = 100 * time.Millisecond
	maxTimeout    = 30 * time.Second
	minKeyRefresh = time.Second
	maxKeyRefresh = time.Hour
)

// Options configures the plugin; every field is one flag of
// cmd/rampart-kms (Args writes them back as flags).
type Options struct {
	// Address is OpenBao's URL, e.g. https://openbao.example:8200.
	// Required; https only: the API server's data keys travel in the
	// request body.
	Address string
	// TransitMount is the transit engine's mount path. Default
	// DefaultTransitMount.
	TransitMount string
	// KeyName is the transit key (aes256-gcm96, not exportable). Default
	// DefaultKeyName.
	KeyName string
	// TokenFile holds the OpenBao token, re-read whenever the file changes
	// (so a renewal agent can replace it). Required: the token is never
	// taken from an environment variable, which a pod manifest would show.
	TokenFile string
	// CAFile is a PEM bundle of the CA that signs OpenBao's TLS
	// certificate. Empty: the system roots.
	CAFile string
	// Listen is the unix socket the plugin serves, unix:///ABSOLUTE/PATH.
	// Default DefaultListen.
	Listen string
	// Timeout bounds each call to OpenBao and each gRPC connection's
	// handshake. Default DefaultTimeout.
	Timeout time.Duration
	// KeyRefresh is how long the key's latest version is cached. Default
	// DefaultKeyRefresh.
	KeyRefresh time.Duration
}

// WithDefaults returns a copy with every unset field filled in.
func (o Options) WithDefaults() Options {
	if o.TransitMount == "" {
		o.TransitMount = DefaultTransitMount
	}
	if o.KeyName == "" {
		o.KeyName = DefaultKeyName
	}
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.KeyRefresh == 0 {
		o.KeyRefresh = DefaultKeyRefresh
	}
	return o
}

// keyNameRE and mountSegmentRE keep the names inside one OpenBao path
// segment each: no "/", "..", spaces or query characters that would let a
// name reach another path than the policy grants.
var (
	keyNameRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
	mountSegmentRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// Validate reports every problem of the options (defaults applied), each at
// its flag's name.
func (o Options) Validate() error {
	o = o.WithDefaults()
	var l verr.List
	validateAddress(&l, o.Address)
	if !ValidMount(o.TransitMount) {
		l.Add("--transit-mount", o.TransitMount, "not a mount path (segments of letters, digits, _ . -, no leading or trailing /)",
			"give the transit engine's mount path, e.g. "+DefaultTransitMount)
	}
	if !ValidKeyName(o.KeyName) {
		l.Add("--key-name", o.KeyName, "not a transit key name (letters, digits, _ . -, at most 128, no ..)", "name the transit key, e.g. "+DefaultKeyName)
	}
	if o.TokenFile == "" {
		l.Add("--token-file", o.TokenFile, "required: the plugin reads its OpenBao token only from a file", "give the path of the file holding the token, e.g. /etc/rampart-kms/token")
	} else if !path.IsAbs(o.TokenFile) {
		l.Add("--token-file", o.TokenFile, "not an absolute path", "give the token file's absolute path")
	}
	if o.CAFile != "" && !path.IsAbs(o.CAFile) {
		l.Add("--ca-file", o.CAFile, "not an absolute path", "give the CA bundle's absolute path, or leave it empty for the system roots")
	}
	if _, err := SocketPath(o.Listen); err != nil {
		l.Add("--listen", o.Listen, err.Error(), "give unix:// and an absolute path, e.g. "+DefaultListen)
	}
	if o.Timeout < minTimeout || o.Timeout > maxTimeout {
		l.Add("--timeout", o.Timeout.String(), fmt.Sprintf("outside %v–%v", minTimeout, maxTimeout),
			"give a timeout below the API server's KMS timeout, e.g. "+DefaultTimeout.String())
	}
	if o.KeyRefresh < minKeyRefresh || o.KeyRefresh > maxKeyRefresh {
		l.Add("--key-refresh", o.KeyRefresh.String(), fmt.Sprintf("outside %v–%v", minKeyRefresh, maxKeyRefresh),
			"give how long the key version may be cached, e.g. "+DefaultKeyRefresh.String())
	}
	return l.Err()
}

func validateAddress(l *verr.List, addr string) {
	if addr == "" {
		l.Add("--address", addr, "required: there is no default OpenBao", "give OpenBao's https URL, e.g. https://openbao.example:8200")
		return
	}
	u, err := url.Parse(addr)
	switch {
	case err != nil:
		l.Add("--address", addr, "not a URL: "+err.Error(), "give OpenBao's https URL, e.g. https://openbao.example:8200")
	case u.Scheme != "https" || u.Host == "":
		l.Add("--address", addr, "not an https URL (the API server's data keys travel in the request body)", "give OpenBao's https URL, e.g. https://openbao.example:8200")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Trim(u.Path, "/") != "":
		l.Add("--address", addr, "carries credentials, a path, a query or a fragment", "give only scheme, host and port, e.g. https://openbao.example:8200")
	}
}

// ValidMount reports whether mount is a transit mount path the plugin and
// its policy accept: segments of letters, digits, _ . - (no "..", no
// leading or trailing /), so the policy's paths stay under that mount.
func ValidMount(mount string) bool {
	for _, seg := range strings.Split(mount, "/") {
		if !mountSegmentRE.MatchString(seg) || seg == ".." {
			return false
		}
	}
	return true
}

// ValidKeyName reports whether name is a transit key name the plugin and its
// policy accept: one path segment of letters, digits, _ . -, at most 128
// characters, no "..".
func ValidKeyName(name string) bool {
	return keyNameRE.MatchString(name) && !strings.Contains(name, "..")
}

// SocketPath returns the file path of a unix:// endpoint, or why it is not
// one: the form kube-apiserver's kms endpoint takes.
func SocketPath(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return "", fmt.Errorf("not a URL: %w", err)
	case u.Scheme != "unix":
		return "", fmt.Errorf("not a unix:// endpoint (kube-apiserver dials KMS plugins on a unix socket only)")
	case u.Host != "" || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("not unix:// followed by an absolute path (unix:///var/run/…, three slashes)")
	case !path.IsAbs(u.Path) || path.Clean(u.Path) != u.Path:
		return "", fmt.Errorf("the socket path is not a clean absolute path")
	}
	return u.Path, nil
}

// Args returns the options as cmd/rampart-kms flags (defaults applied),
// in a fixed order: the static pod's container arguments.
func (o Options) Args() []string {
	o = o.WithDefaults()
	args := []string{
		"--address=" + o.Address,
		"--transit-mount=" + o.TransitMount,
		"--key-name=" + o.KeyName,
		"--token-file=" + o.TokenFile,
	}
	if o.CAFile != "" {
		args = append(args, "--ca-file="+o.CAFile)
	}
	return append(args,
		"--listen="+o.Listen,
		"--timeout="+o.Timeout.String(),
		"--key-refresh="+o.KeyRefresh.String(),
	)
}
