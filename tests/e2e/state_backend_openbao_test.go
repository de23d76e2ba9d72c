package e2e_test

import (
	"fmt"
	"time"

	bao "github.com/openbao/openbao/api/v2"
)

// stateOpenBao is the few calls the sovereign-state test makes to the lab's
// OpenBao (transit mount, key, decrypt, child token), on OpenBao's API
// client.
type stateOpenBao struct{ c *bao.Client }

// newStateOpenBao is a client for the lab's OpenBao at addr with token,
// trusting only caFile (the lab CA that signed its TLS 1.3 listener).
// Timeout 30 s, like the test's S3 client; no retries (the client's default
// is 2 on 5xx), so a failing call fails once, as it would by hand.
func newStateOpenBao(addr, token, caFile string) (*stateOpenBao, error) {
	cfg := bao.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("openbao client from the VAULT_*/BAO_* environment: %w", cfg.Error)
	}
	cfg.Address = addr
	cfg.Timeout = 30 * time.Second
	cfg.MaxRetries = 0
	if err := cfg.ConfigureTLS(&bao.TLSConfig{CACert: caFile}); err != nil {
		return nil, fmt.Errorf("VAULT_CACERT %q: %w", caFile, err)
	}
	c, err := bao.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("VAULT_ADDR %q: %w", addr, err)
	}
	c.SetToken(token)
	return &stateOpenBao{c: c}, nil
}

// mountTransit enables a transit engine at mount.
func (v *stateOpenBao) mountTransit(mount string) error {
	if err := v.c.Sys().Mount(mount, &bao.MountInput{Type: "transit"}); err != nil {
		return fmt.Errorf("openbao mount transit at %s: %w", mount, err)
	}
	return nil
}

// unmount disables the engine at mount (its keys go with it).
func (v *stateOpenBao) unmount(mount string) error {
	if err := v.c.Sys().Unmount(mount); err != nil {
		return fmt.Errorf("openbao unmount %s: %w", mount, err)
	}
	return nil
}

// createKey makes a transit key (aes256-gcm96, the engine's default).
func (v *stateOpenBao) createKey(mount, key string) error {
	if _, err := v.c.Logical().Write(mount+"/keys/"+key, map[string]any{}); err != nil {
		return fmt.Errorf("openbao create transit key %s/keys/%s: %w", mount, key, err)
	}
	return nil
}

// decrypt asks transit to decrypt a "vault:v…" ciphertext (OpenBao kept
// Vault's prefix) and returns the base64 plaintext it answers ("" when the
// answer has none, which the caller's length check reports).
func (v *stateOpenBao) decrypt(mount, key, ciphertext string) (string, error) {
	s, err := v.c.Logical().Write(mount+"/decrypt/"+key, map[string]any{"ciphertext": ciphertext})
	if err != nil {
		return "", fmt.Errorf("openbao %s/decrypt/%s: %w", mount, key, err)
	}
	if s == nil {
		return "", nil
	}
	p, _ := s.Data["plaintext"].(string)
	return p, nil
}

// childTokenWithoutTransit creates a short-lived child token holding only
// the "default" policy, which grants nothing on transit. (An empty policy
// list would inherit the parent's, here root.)
func (v *stateOpenBao) childTokenWithoutTransit() (string, error) {
	s, err := v.c.Auth().Token().Create(&bao.TokenCreateRequest{
		Policies: []string{"default"}, TTL: "15m", DisplayName: "rampart-state-no-transit",
	})
	if err != nil {
		return "", fmt.Errorf("openbao auth/token/create: %w", err)
	}
	if s == nil || s.Auth == nil || s.Auth.ClientToken == "" {
		return "", fmt.Errorf("openbao auth/token/create: no client_token in the answer")
	}
	return s.Auth.ClientToken, nil
}

// revoke revokes a token and its children (auth/token/revoke, with the
// parent's token).
func (v *stateOpenBao) revoke(token string) error {
	if err := v.c.Auth().Token().RevokeTree(token); err != nil {
		return fmt.Errorf("openbao auth/token/revoke: %w", err)
	}
	return nil
}
