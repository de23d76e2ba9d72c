package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// stateVault is the few Vault HTTP API calls the sovereign-state test makes
// (transit mount, key, decrypt, child token). OpenBao serves the same paths.
type stateVault struct {
	addr, token string
	hc          *http.Client
}

// call sends one JSON request with token and decodes the answer's "data"
// (nil for 204); any status ≥ 300 is an error holding Vault's "errors".
func (v *stateVault) call(method, path, token string, body any) (map[string]any, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimRight(v.addr, "/")+"/v1/"+path, rd)
	if err != nil {
		return nil, fmt.Errorf("VAULT_ADDR %q: %w", v.addr, err)
	}
	req.Header.Set("X-Vault-Token", token)
	res, err := v.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = res.Body.Close() }()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data   map[string]any `json:"data"`
		Auth   map[string]any `json:"auth"`
		Errors []string       `json:"errors"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("vault %s %s: HTTP %d, not JSON", method, path, res.StatusCode)
		}
	}
	if res.StatusCode >= 300 {
		return nil, fmt.Errorf("vault %s %s: HTTP %d: %s", method, path, res.StatusCode, strings.Join(out.Errors, "; "))
	}
	if out.Auth != nil {
		return out.Auth, nil
	}
	return out.Data, nil
}

// mountTransit enables a transit engine at mount.
func (v *stateVault) mountTransit(mount string) error {
	_, err := v.call(http.MethodPost, "sys/mounts/"+mount, v.token, map[string]any{"type": "transit"})
	return err
}

// unmount disables the engine at mount (its keys go with it).
func (v *stateVault) unmount(mount string) error {
	_, err := v.call(http.MethodDelete, "sys/mounts/"+mount, v.token, nil)
	return err
}

// createKey makes a transit key (aes256-gcm96, Vault's default).
func (v *stateVault) createKey(mount, key string) error {
	_, err := v.call(http.MethodPost, mount+"/keys/"+key, v.token, map[string]any{})
	return err
}

// decrypt asks transit to decrypt a "vault:v…" ciphertext and returns the
// base64 plaintext Vault answers.
func (v *stateVault) decrypt(mount, key, ciphertext string) (string, error) {
	d, err := v.call(http.MethodPost, mount+"/decrypt/"+key, v.token, map[string]any{"ciphertext": ciphertext})
	if err != nil {
		return "", err
	}
	p, _ := d["plaintext"].(string)
	return p, nil
}

// childTokenWithoutTransit creates a short-lived child token holding only
// the "default" policy, which grants nothing on transit. (An empty policy
// list would inherit the parent's, here root.)
func (v *stateVault) childTokenWithoutTransit() (string, error) {
	a, err := v.call(http.MethodPost, "auth/token/create", v.token, map[string]any{
		"policies": []string{"default"}, "ttl": "15m", "display_name": "rampart-state-no-transit",
	})
	if err != nil {
		return "", err
	}
	tok, _ := a["client_token"].(string)
	if tok == "" {
		return "", fmt.Errorf("vault auth/token/create: no client_token in the answer")
	}
	return tok, nil
}

// revoke revokes a token (and its children).
func (v *stateVault) revoke(token string) error {
	_, err := v.call(http.MethodPost, "auth/token/revoke", v.token, map[string]any{"token": token})
	return err
}
