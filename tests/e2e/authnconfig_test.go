package e2e_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/apiserver/authn"
	"github.com/rampart-dev/rampart/internal/labenv"
)

// TestE2E_AuthenticationConfig_LabAPIServerRunsTheRendering: the file the
// lab's kube-apiserver was started with (--authentication-config) is
// byte for byte authn.Render of the lab's issuer, audience and Keycloak CA,
// and no legacy --oidc-* flag is set beside it. The tokens it accepts and
// refuses are tests/keycloakserver's identity test.
func TestE2E_AuthenticationConfig_LabAPIServerRunsTheRendering(t *testing.T) {
	env := labenv.Require(t, "RAMPART_LAB_AUTHN_CONFIG", "RAMPART_LAB_OIDC_ISSUER", "KEYCLOAK_CA_FILE")
	loaded, err := os.ReadFile(env["RAMPART_LAB_AUTHN_CONFIG"])
	must(t, err)
	want, err := authn.Render(&authn.Args{IssuerURL: env["RAMPART_LAB_OIDC_ISSUER"], CAFile: env["KEYCLOAK_CA_FILE"], Audiences: []string{"kubernetes"}})
	must(t, err)
	if !bytes.Equal(loaded, want) {
		t.Errorf("the lab's authentication config differs from authn.Render: run `lab/lab.sh up keycloak kube`\n--- lab\n%s\n--- rendered\n%s", loaded, want)
	}
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(labenv.Path()), "kube-apiserver.pid"))
	must(t, err)
	pid := strings.Fields(string(raw))[0]
	cmdline, err := os.ReadFile("/proc/" + pid + "/cmdline")
	if err != nil {
		t.Fatalf("kube-apiserver (pid %s) not running: %v", pid, err)
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	found := false
	for i, a := range args {
		if a == "--authentication-config" && i+1 < len(args) && args[i+1] == env["RAMPART_LAB_AUTHN_CONFIG"] {
			found = true
		}
		if strings.HasPrefix(a, "--oidc-") {
			t.Errorf("kube-apiserver has the legacy flag %s beside --authentication-config", a)
		}
	}
	if !found {
		t.Errorf("kube-apiserver was not started with --authentication-config %s: %q", env["RAMPART_LAB_AUTHN_CONFIG"], args)
	}
}
