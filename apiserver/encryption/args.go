// Package encryption is the API server's EncryptionConfiguration
// (apiserver.config.k8s.io/v1, loaded with --encryption-provider-config):
// Secrets (and any further resource the args name) written through a KMS v2
// provider, the Rampart plugin (helpers/kmsplugin) wrapping every data key
// with an OpenBao transit key, and identity last so data written before
// encryption was turned on still reads (new writes are always encrypted:
// the first provider writes).
//
// Like the audit policy it is an API-server flag, not an API object: it is
// one of the files of the apiserver room, rendered by `rampart apiserver
// encryption-provider-config`.
//
// NIS2 Art. 21(2)(h) (cryptography and encryption); ITSG-33 SC-28.
package encryption

import (
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// Defaults that withDefaults fills in; exported so the CLI, the lab and the
// docs quote one source.
const (
	// DefaultProviderName is the KMS provider's name. The API server writes
	// it into every stored object's prefix (k8s:enc:kms:v2:NAME:), so it
	// must never change while data encrypted under it exists.
	DefaultProviderName = "rampart-openbao"
	// DefaultTimeout is the API server's own default for a KMS call (3 s),
	// written out so the file says what it does.
	DefaultTimeout = 3 * time.Second
	// DefaultConfigPath is where the file lives on a control-plane node,
	// beside the other files the API server loads.
	DefaultConfigPath = "/etc/kubernetes/encryption-config.yaml"
	// TalosConfigPath is the file's path on a Talos node: Talos writes
	// machine.files only under /var.
	TalosConfigPath = "/var/etc/kubernetes/encryption-config.yaml"
)

// DefaultResources are the resources encrypted when the args name none:
// Secrets, the one core resource meant to hold credentials.
var DefaultResources = []string{"secrets"}

// Timeout bounds: below a second a healthy plugin behind a remote OpenBao
// times out; above a minute every write waits that long when OpenBao is down.
const (
	minTimeout = time.Second
	maxTimeout = time.Minute
)

// Args configures the rendered EncryptionConfiguration. Its json keys are
// the config keys of the section that embeds it; unset fields take the
// defaults above, field by field.
type Args struct {
	// Endpoint is the KMS plugin's socket, unix:///ABSOLUTE/PATH (the
	// plugin's --listen, kmsplugin.DefaultListen for Rampart's static pod).
	// Required: the file is written only when it is set.
	Endpoint string `json:"endpoint,omitempty"`
	// ProviderName names the KMS provider: a DNS label. Default
	// DefaultProviderName. Never change it while encrypted data exists.
	ProviderName string `json:"providerName,omitempty"`
	// Timeout bounds each call to the plugin. Default DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Resources are encrypted through the plugin: resource or
	// resource.group, lower case (e.g. "secrets", "configmaps"). Default
	// DefaultResources.
	Resources []string `json:"resources,omitempty"`
	// ConfigPath is the absolute path of the file on the control-plane
	// nodes (kubeadm, RKE2). Default DefaultConfigPath; Talos always uses
	// TalosConfigPath.
	ConfigPath string `json:"configPath,omitempty"`
}

// WithDefaults returns a copy with every unset field filled in.
func (a Args) WithDefaults() Args {
	if a.ProviderName == "" {
		a.ProviderName = DefaultProviderName
	}
	if a.Timeout == 0 {
		a.Timeout = DefaultTimeout
	}
	if a.Resources == nil {
		a.Resources = append([]string(nil), DefaultResources...)
	}
	if a.ConfigPath == "" {
		a.ConfigPath = DefaultConfigPath
	}
	return a
}

// SocketDir is the directory of the plugin's socket (Endpoint), which the
// API server mounts; "" when Endpoint is not a unix socket path.
func (a Args) SocketDir() string {
	if p, ok := socketPath(a.Endpoint); ok {
		return path.Dir(p)
	}
	return ""
}

func socketPath(endpoint string) (string, bool) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "unix" || u.Host != "" || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" ||
		!path.IsAbs(u.Path) || path.Clean(u.Path) != u.Path || path.Dir(u.Path) == "/" {
		return "", false
	}
	return u.Path, true
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// resourceRE is resource or resource.group, lower case (the API
	// server's resource names); wildcards are not offered.
	resourceRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// notEncryptable are resources the API server refuses in an
// EncryptionConfiguration (they are not stored through the REST storage).
var notEncryptable = map[string]bool{"apiserveripinfo": true, "serviceipallocations": true, "servicenodeportallocations": true}

// Validate reports every problem of the args (defaults applied) at its key
// path under prefix.
func (a Args) Validate(prefix string) error {
	a = a.WithDefaults()
	var l verr.List
	switch _, ok := socketPath(a.Endpoint); {
	case a.Endpoint == "":
		l.Add(verr.Path(prefix, "endpoint"), a.Endpoint, "required: there is no default KMS plugin",
			"give the plugin's socket, e.g. unix:///var/run/kmsplugin/socket.sock (CLI: --kms-endpoint)")
	case !ok:
		l.Add(verr.Path(prefix, "endpoint"), a.Endpoint, "not unix:// and a clean absolute path in a directory of its own (the API server dials KMS plugins on a unix socket only)",
			"give unix:///ABSOLUTE/DIR/SOCKET, e.g. unix:///var/run/kmsplugin/socket.sock")
	}
	if !dnsLabel.MatchString(a.ProviderName) {
		l.Add(verr.Path(prefix, "providerName"), a.ProviderName, "not a DNS label (lower case letters, digits and -, at most 63)",
			"name the provider, e.g. "+DefaultProviderName+"; never rename it while encrypted data exists")
	}
	if a.Timeout < minTimeout || a.Timeout > maxTimeout {
		l.Add(verr.Path(prefix, "timeout"), verr.Raw(a.Timeout.String()), "outside "+minTimeout.String()+"–"+maxTimeout.String(),
			"give the bound of one KMS call, e.g. "+DefaultTimeout.String())
	}
	if len(a.Resources) == 0 {
		l.NotUnset(verr.Path(prefix, "resources"), verr.Raw("[]"), "nothing would be encrypted", DefaultResources, "name the resources to encrypt")
	}
	seen := map[string]bool{}
	for i, r := range a.Resources {
		p := verr.Path(prefix, "resources") + "[" + strconv.Itoa(i) + "]"
		group := ""
		if _, g, ok := strings.Cut(r, "."); ok {
			group = g
		}
		switch {
		case !resourceRE.MatchString(r):
			l.Add(p, r, "not a lower-case resource or resource.group (wildcards are not offered)", "give e.g. secrets or configmaps")
		case notEncryptable[r] || group == "events.k8s.io" || group == "extensions":
			l.Add(p, r, "refused by the API server in an encryption configuration", "remove it")
		case seen[r]:
			l.Add(p, r, "listed twice (the API server refuses a resource named twice)", "list each resource once")
		}
		seen[r] = true
	}
	if !path.IsAbs(a.ConfigPath) || path.Clean(a.ConfigPath) != a.ConfigPath || strings.HasSuffix(a.ConfigPath, "/") {
		l.Add(verr.Path(prefix, "configPath"), a.ConfigPath, "not a clean absolute file path", "give the absolute path of a file on the control-plane node, e.g. "+DefaultConfigPath)
	}
	return l.Err()
}
