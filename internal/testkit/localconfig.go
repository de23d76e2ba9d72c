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
// the gateway) with every namespace name prefixed, so several test stacks
// share one cluster with `make up`'s local stack.
func PrefixedLocalConfig(prefix string) map[string]any {
	var nss []map[string]any
	for _, n := range config.DefaultPlatformNamespaces() {
		m := map[string]any{"name": prefix + n.Name}
		if n.Exemption != nil {
			m["exemption"] = n.Exemption
		}
		nss = append(nss, m)
	}
	return map[string]any{
		"rampart:profile":    "local",
		"rampart:namespaces": nss,
		"rampart:ingress":    map[string]any{"namespace": prefix + "rampart-ingress"},
		"rampart:tenants":    []any{map[string]any{"name": prefix + "team-a"}, map[string]any{"name": prefix + "team-b"}},
		"rampart:gateway": map[string]any{
			"namespace": prefix + "rampart-system", "podLabels": LocalGatewayLabels,
			"controlPlane": map[string]any{"podLabels": LocalControlPlaneLabels, "port": 8000},
		},
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
