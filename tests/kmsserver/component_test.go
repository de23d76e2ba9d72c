package kmsserver_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	vault "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/kms"
	"github.com/rampart-dev/rampart/helpers/kmsplugin"
	"github.com/rampart-dev/rampart/internal/baodev"
	"github.com/rampart-dev/rampart/internal/baomock"
	"github.com/rampart-dev/rampart/internal/labenv"
)

// TestKMSComponent_ServerBacked_CreatesTheKeyAndNarrowPolicy: components/kms
// under Pulumi mocks whose vault resources are applied to a real OpenBao
// (internal/baomock: the calls the pulumi-vault provider makes), with the
// component's defaults. On the server: the transit key is aes256-gcm96, not
// exportable, without plaintext backup, rotated every 90 days, and OpenBao
// refuses to delete it even for root; a token holding only the component's
// policy encrypts and decrypts with the key and gets 403 on another key, on
// rotate and on sys/mounts; and the rampart-kms plugin, given that token and
// the component's outputs as its flags, reports healthy with key ID 1.
// Server-backed mocks, not the provider end to end: the provider's diffing
// and read-back are not exercised.
func TestKMSComponent_ServerBacked_CreatesTheKeyAndNarrowPolicy(t *testing.T) {
	s := baodev.Start(t, labenv.OpenBao(t))
	b := baomock.New(t, s.Addr, s.RootToken, s.CAFile)
	rec := b.Recorder()
	out := map[string]string{}
	var mu sync.Mutex
	err := rec.Run(func(ctx *pulumi.Context) error {
		vp, err := vault.NewProvider(ctx, "openbao", &vault.ProviderArgs{Address: pulumi.String(s.Addr), CaCertFile: pulumi.String(s.CAFile),
			Token: pulumi.ToSecret(pulumi.String(s.RootToken)).(pulumi.StringOutput)})
		if err != nil {
			return err
		}
		c, err := kms.NewSecretsEncryption(ctx, "kms", &kms.SecretsEncryptionArgs{}, pulumi.Providers(vp))
		if err != nil {
			return err
		}
		for k, o := range map[string]pulumi.StringOutput{"mount": c.Mount, "keyName": c.KeyName, "policyName": c.PolicyName} {
			o.ApplyT(func(v string) string { mu.Lock(); out[k] = v; mu.Unlock(); return v })
		}
		return nil
	})
	if err != nil {
		t.Fatalf("component on the server: %v\ncalls:\n%s", err, strings.Join(b.Calls(), "\n"))
	}
	mount, keyName, policyName := out["mount"], out["keyName"], out["policyName"]
	if mount != kmsplugin.DefaultTransitMount || keyName != kmsplugin.DefaultKeyName || policyName != kmsplugin.PolicyName {
		t.Fatalf("outputs %v, want the plugin's defaults", out)
	}
	calls := b.Calls()
	order := []string{"PUT sys/mounts/" + mount, "PUT " + mount + "/keys/" + keyName, "PUT sys/policies/acl/" + policyName}
	for i := 1; i < len(order); i++ {
		if a, z := slices.Index(calls, order[i-1]), slices.Index(calls, order[i]); a < 0 || z < 0 || a > z {
			t.Errorf("%q must come before %q; calls:\n%s", order[i-1], order[i], strings.Join(calls, "\n"))
		}
	}

	// The key as OpenBao holds it.
	k, err := b.Read(mount + "/keys/" + keyName)
	if err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{"type": kms.KeyType, "exportable": "false", "allow_plaintext_backup": "false",
		"deletion_allowed": "false", "auto_rotate_period": fmt.Sprint(int((90 * 24 * time.Hour).Seconds())), "latest_version": "1"} {
		if got := fmt.Sprint(k[f]); got != want {
			t.Errorf("key %s = %s, want %s", f, got, want)
		}
	}
	if code, res := s.Call(t, s.RootToken, http.MethodDelete, mount+"/keys/"+keyName, nil); code != http.StatusBadRequest {
		t.Errorf("root deleting the key: HTTP %d %v, want 400 (deletion_allowed false)", code, res["errors"])
	}
	pol, err := b.Read("sys/policies/acl/" + policyName)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := kmsplugin.Policy(mount, keyName); pol["policy"] != string(want) {
		t.Errorf("policy on the server:\n%v\nwant kmsplugin.Policy:\n%s", pol["policy"], want)
	}

	// A token holding only the policy.
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	s.Token(t, tokenFile, policyName)
	raw, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(raw))
	plaintext := base64.StdEncoding.EncodeToString([]byte("a data key, as the API server sends it"))
	code, enc := s.Call(t, tok, http.MethodPost, mount+"/encrypt/"+keyName, map[string]any{"plaintext": plaintext})
	data, _ := enc["data"].(map[string]any)
	ct, _ := data["ciphertext"].(string)
	if code != http.StatusOK || !strings.HasPrefix(ct, "vault:v1:") {
		t.Fatalf("encrypt with the policy's token: HTTP %d %v, want a vault:v1: ciphertext", code, enc)
	}
	code, dec := s.Call(t, tok, http.MethodPost, mount+"/decrypt/"+keyName, map[string]any{"ciphertext": ct})
	data, _ = dec["data"].(map[string]any)
	if code != http.StatusOK || data["plaintext"] != plaintext {
		t.Errorf("decrypt with the policy's token: HTTP %d %v, want the plaintext back", code, dec)
	}
	for _, req := range []struct{ method, path string }{
		{http.MethodPost, mount + "/encrypt/other-key"},
		{http.MethodGet, mount + "/keys/other-key"},
		{http.MethodPost, mount + "/keys/" + keyName + "/rotate"},
		{http.MethodPost, mount + "/keys/" + keyName + "/config"},
		{http.MethodGet, mount + "/export/encryption-key/" + keyName},
		{http.MethodGet, "sys/mounts"},
	} {
		if code, _ := s.Call(t, tok, req.method, req.path, map[string]any{"plaintext": plaintext}); code != http.StatusForbidden {
			t.Errorf("policy's token: %s %s = HTTP %d, want 403", req.method, req.path, code)
		}
	}

	// The plugin, in-process, on that token and the component's outputs.
	p, err := kmsplugin.New(kmsplugin.Options{Address: s.Addr, TransitMount: mount, KeyName: keyName, TokenFile: tokenFile, CAFile: s.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := p.Status(ctx)
	if err != nil || st.Healthz != kmsplugin.Healthy || st.KeyID != "1" || st.Version != kmsplugin.APIVersion {
		t.Errorf("plugin Status = %+v, %v; want healthy, key ID 1, %s", st, err, kmsplugin.APIVersion)
	}
}
