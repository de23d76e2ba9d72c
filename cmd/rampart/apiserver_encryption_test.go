package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/apiserver/encryption"
)

func TestAPIServerEncryption_OutIsTheRendering(t *testing.T) {
	dir := t.TempDir()
	a := encryption.Args{Endpoint: "unix:///var/run/kmsplugin/socket.sock", Resources: []string{"secrets", "configmaps"}}
	want, err := encryption.Render(&a)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "encryption-config.yaml")
	code, _, stderr := cli(t, "", "apiserver", "encryption-provider-config", "--kms-endpoint", a.Endpoint,
		"--encrypt-resource", "secrets", "--encrypt-resource", "configmaps", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
		t.Errorf("--out wrote %q (%v), want encryption.Render's bytes", got, err)
	}
}

func TestAPIServerRender_EncryptionOnlyWithAnEndpoint(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := cli(t, "", "apiserver", "render", "--out", dir); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "encryption-config.yaml")); !os.IsNotExist(err) {
		t.Errorf("render without --kms-endpoint wrote the encryption config (%v)", err)
	}
	code, _, stderr := cli(t, "", "apiserver", "encryption-provider-config")
	if code == exitOK || !strings.Contains(stderr, "endpoint") || !strings.Contains(stderr, "--kms-endpoint") {
		t.Errorf("exit %d, stderr %q; want a refusal naming the endpoint and the flag", code, stderr)
	}
}
