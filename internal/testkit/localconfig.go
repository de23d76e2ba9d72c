package testkit

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/infra/config"
)

// Pod labels of Pulumi.local.yaml's rampart:gateway: the API gateway and the
// control-plane API it may reach.
var (
	LocalGatewayLabels      = map[string]string{"app": "rampart-gateway"}
	LocalControlPlaneLabels = map[string]string{"app": "control-plane-api"}
)

// PrefixedLocalConfig is Pulumi.local.yaml's configuration (the platform
// namespaces with their exemptions, two tenants, the ingress namespace and
// the gateway with its backend) without the tenants' apps, so each tenant
// is isolated as a whole (the node tests' plain probe pods are no app),
// with every namespace name prefixed, so several test stacks share one
// cluster with `make up`'s local stack.
func PrefixedLocalConfig(prefix string) map[string]any {
	var nss []map[string]any
	for _, n := range config.DefaultPlatformNamespaces() {
		m := map[string]any{"name": prefix + n.Name}
		if n.Exemption != nil {
			m["exemption"] = n.Exemption
		}
		nss = append(nss, m)
	}
	gw := LocalGatewaySection()
	gw["namespace"] = prefix + "rampart-system"
	return map[string]any{
		"rampart:profile":    "local",
		"rampart:namespaces": nss,
		"rampart:ingress":    map[string]any{"namespace": prefix + "rampart-ingress"},
		"rampart:tenants":    []any{map[string]any{"name": prefix + "team-a"}, map[string]any{"name": prefix + "team-b"}},
		"rampart:gateway":    gw,
	}
}

// LogWriter sends the pulumi CLI's progress to the test log (shown with -v
// or on failure), without blank lines and the CLI's "from $PATH" notices.
type LogWriter struct{ T testing.TB }

func (w LogWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if strings.TrimSpace(line) != "" && !strings.Contains(line, "from $PATH") {
			w.T.Log(line)
		}
	}
	return len(p), nil
}

// LocalGatewaySection is Pulumi.local.yaml's rampart:gateway as an object,
// for a test that changes one of its keys.
func LocalGatewaySection() map[string]any {
	return map[string]any{
		"namespace": "rampart-system", "podLabels": LocalGatewayLabels,
		"controlPlane": map[string]any{"podLabels": LocalControlPlaneLabels, "port": 8000},
		"backends":     []any{map[string]any{"name": "public-api", "url": "https://203.0.113.10/"}},
	}
}
