package kmsplugin

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/helpers/baoapi"
)

// ciphertextPrefix starts every transit ciphertext, followed by the key
// version and a colon ("vault:v3:…"); OpenBao kept Vault's prefix.
const ciphertextPrefix = "vault:v"

// transit calls one transit key of one OpenBao over its HTTP API.
type transit struct {
	base  string // https://host:port/v1/<mount>
	key   string
	token *tokenFile
	http  *http.Client
}

// newTransit builds the client for validated options: TLS 1.3 (OpenBao
// speaks it; Rampart's OpenBao refuses less), CAFile's roots when set.
func newTransit(o Options) (*transit, error) {
	c, err := baoapi.NewClient(o.CAFile, tls.VersionTLS13, o.Timeout)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w: give the CA that signs OpenBao's TLS certificate", err)
	}
	return &transit{
		base:  strings.TrimRight(o.Address, "/") + "/v1/" + o.TransitMount,
		key:   o.KeyName,
		token: &tokenFile{path: o.TokenFile},
		http:  c,
	}, nil
}

// keyInfo is what the plugin reads of the transit key.
type keyInfo struct {
	LatestVersion        int  `json:"latest_version"`
	Exportable           bool `json:"exportable"`
	AllowPlaintextBackup bool `json:"allow_plaintext_backup"`
	SupportsEncryption   bool `json:"supports_encryption"`
}

// readKey reads the key's metadata (GET <mount>/keys/<key>).
func (c *transit) readKey(ctx context.Context) (keyInfo, error) {
	var k keyInfo
	err := c.call(ctx, http.MethodGet, "keys/"+c.key, nil, &k)
	if err == nil && k.LatestVersion < 1 {
		err = fmt.Errorf("openbao: transit key %q reports latest_version %d", c.key, k.LatestVersion)
	}
	return k, err
}

// encrypt wraps plaintext; it returns the ciphertext and the key version
// that made it.
func (c *transit) encrypt(ctx context.Context, plaintext []byte) (string, int, error) {
	var out struct {
		Ciphertext string `json:"ciphertext"`
	}
	body := map[string]string{"plaintext": base64.StdEncoding.EncodeToString(plaintext)}
	if err := c.call(ctx, http.MethodPost, "encrypt/"+c.key, body, &out); err != nil {
		return "", 0, err
	}
	v, err := ciphertextVersion(out.Ciphertext)
	if err != nil {
		return "", 0, fmt.Errorf("openbao: encrypt answered %w", err)
	}
	return out.Ciphertext, v, nil
}

// decrypt unwraps a ciphertext made by encrypt.
func (c *transit) decrypt(ctx context.Context, ciphertext string) ([]byte, error) {
	var out struct {
		Plaintext string `json:"plaintext"`
	}
	if err := c.call(ctx, http.MethodPost, "decrypt/"+c.key, map[string]string{"ciphertext": ciphertext}, &out); err != nil {
		return nil, err
	}
	pt, err := base64.StdEncoding.DecodeString(out.Plaintext)
	if err != nil {
		return nil, fmt.Errorf("openbao: decrypt answered a plaintext that is not base64: %w", err)
	}
	return pt, nil
}

// ciphertextVersion reads the key version from "vault:vN:…".
func ciphertextVersion(ct string) (int, error) {
	rest, ok := strings.CutPrefix(ct, ciphertextPrefix)
	num, _, found := strings.Cut(rest, ":")
	v, err := strconv.Atoi(num)
	if !ok || !found || err != nil || v < 1 {
		return 0, errors.New("a ciphertext without a vault:vN: prefix")
	}
	return v, nil
}

// call sends one request to <base>/<sub> and decodes the answer's data into
// out. Errors carry OpenBao's own messages and what to check; never the
// request body, which holds key material.
func (c *transit) call(ctx context.Context, method, sub string, body, out any) error {
	tok, err := c.token.get()
	if err != nil {
		return err
	}
	if err := baoapi.Call(ctx, c.http, method, c.base+"/"+sub, tok, body, out); err != nil {
		return fmt.Errorf("openbao %w%s", err, hint(baoapi.StatusOf(err)))
	}
	return nil
}

// hint says what to check for the status codes an operator can fix.
func hint(code int) string {
	switch code {
	case 0:
		return " (is OpenBao up and --address right?)"
	case http.StatusForbidden:
		return " (the token expired or lacks the plugin's policy: attach kmsplugin.Policy for this mount and key)"
	case http.StatusNotFound, http.StatusBadRequest:
		return " (check --transit-mount and --key-name: the transit key must exist)"
	case http.StatusServiceUnavailable:
		return " (OpenBao is sealed or in standby without forwarding)"
	}
	return ""
}
