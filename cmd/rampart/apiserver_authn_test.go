package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/apiserver"
	"github.com/rampart-dev/rampart/apiserver/authn"
	"github.com/rampart-dev/rampart/internal/testca"
)

// writeCA writes a self-signed CA certificate to dir/ca.crt.
func writeCA(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(p, []byte(testca.PEM(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The lab's kube-apiserver loads exactly this output (lab/services/kube.sh),
// so --out writes authn.Render's bytes for the flags' args.
func TestAPIServerAuthn_OutIsTheRendering(t *testing.T) {
	dir := t.TempDir()
	a := authn.Args{IssuerURL: "https://127.0.0.1:8443/realms/rampart-oidc", CAFile: writeCA(t, dir), Audiences: []string{"kubernetes"}}
	want, err := authn.Render(&a)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "authentication-config.yaml")
	code, _, stderr := cli(t, "", "apiserver", "authentication-config", "--oidc-issuer", a.IssuerURL,
		"--oidc-ca-file", a.CAFile, "--oidc-audience", "kubernetes", "--out", out, "--snippets", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("--out wrote %q (%v), want authn.Render's bytes", got, err)
	}
	rke2, err := os.ReadFile(filepath.Join(dir, apiserver.RKE2File))
	if err != nil || !strings.Contains(string(rke2), "authentication-config="+authn.DefaultConfigPath) {
		t.Errorf("rke2 snippet lacks the flag: %s (%v)", rke2, err)
	}
}

func TestAPIServerAuthn_RefusesWithoutAnIssuer(t *testing.T) {
	code, _, stderr := cli(t, "", "apiserver", "authentication-config")
	if code == exitOK || !strings.Contains(stderr, "issuerURL") || !strings.Contains(stderr, "--oidc-issuer") {
		t.Errorf("exit %d, stderr %q; want a refusal naming the issuer and the flag", code, stderr)
	}
}

// render writes the authentication config only when an issuer is given.
func TestAPIServerRender_AuthnOnlyWithAnIssuer(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := cli(t, "", "apiserver", "render", "--out", dir); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "authentication-config.yaml")); !os.IsNotExist(err) {
		t.Errorf("render without --oidc-issuer wrote the authentication config (%v)", err)
	}
	if code, _, stderr := cli(t, "", "apiserver", "render", "--out", dir,
		"--oidc-issuer", "https://keycloak.example/realms/platform", "--oidc-ca-file", writeCA(t, dir)); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "authentication-config.yaml")); err != nil {
		t.Errorf("render with --oidc-issuer: %v", err)
	}
}
