package evidence

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/helpers/baoapi"
)

// DefaultTransitMount is the transit engine's mount path when none is
// given (OpenBao's and Vault's own default).
const DefaultTransitMount = "transit"

// Transit signs with an OpenBao/Vault transit key (`<mount>/sign/<key>`)
// and reads its public half from `<mount>/keys/<key>`. The key is
// ed25519 or ecdsa-p256 and never leaves the server.
type Transit struct {
	// Addr is the server's URL (https only), e.g. $VAULT_ADDR.
	Addr string
	// Mount is the transit mount; empty means DefaultTransitMount.
	Mount string
	// Key is the signing key's name.
	Key string
	// Token is the token; TokenFile, when set, is read instead (and wins).
	// The token needs only `update` on <mount>/sign/<key> and `read` on
	// <mount>/keys/<key> (TransitPolicy).
	Token, TokenFile string
	// CAFile is a PEM bundle of the CA signing the server's certificate;
	// empty means the system roots.
	CAFile string
	// Timeout bounds each call; zero means 30 s.
	Timeout time.Duration
}

// TransitPolicy is the least policy (HCL) for a token that signs packs
// with mount/key: sign, and read the key's public half.
func TransitPolicy(mount, key string) string {
	return fmt.Sprintf("path %q {\n  capabilities = [\"update\"]\n}\npath %q {\n  capabilities = [\"read\"]\n}\n",
		mount+"/sign/"+key, mount+"/keys/"+key)
}

var transitNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// Validate reports every missing or malformed setting, by what sets it.
func (t *Transit) Validate() error {
	var errs []error
	if u, err := url.Parse(t.Addr); t.Addr == "" || err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("--sign-transit-addr %q: want the server's https:// URL (default $VAULT_ADDR)", t.Addr))
	}
	for _, seg := range strings.Split(t.mount(), "/") {
		if !transitNameRE.MatchString(seg) {
			errs = append(errs, fmt.Errorf("--sign-transit-mount %q: want a mount path of plain segments", t.Mount))
			break
		}
	}
	if !transitNameRE.MatchString(t.Key) {
		errs = append(errs, fmt.Errorf("--sign-key %q: want the transit key's name", t.Key))
	}
	if t.TokenFile == "" && t.Token == "" {
		errs = append(errs, errors.New("no token: give --sign-token-file or set $VAULT_TOKEN"))
	}
	return errors.Join(errs...)
}

func (t *Transit) mount() string { return strings.Trim(cmpOr(t.Mount, DefaultTransitMount), "/") }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Sign signs manifest with the key's latest version and returns the
// signature and that version's public key as PKIX PEM.
func (t *Transit) Sign(ctx context.Context, manifest []byte) (*Signature, []byte, error) {
	c, err := t.client()
	if err != nil {
		return nil, nil, err
	}
	var key struct {
		Type          string                     `json:"type"`
		LatestVersion int                        `json:"latest_version"`
		Keys          map[string]json.RawMessage `json:"keys"`
	}
	if err := t.call(ctx, c, http.MethodGet, "keys/"+t.Key, nil, &key); err != nil {
		return nil, nil, err
	}
	alg := map[string]string{"ed25519": AlgEd25519, "ecdsa-p256": AlgECDSAP256}[key.Type]
	if alg == "" {
		return nil, nil, fmt.Errorf("transit key %s/keys/%s is of type %q: create an ed25519 or ecdsa-p256 key for evidence", t.mount(), t.Key, key.Type)
	}
	var ver struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal(key.Keys[strconv.Itoa(key.LatestVersion)], &ver); err != nil || ver.PublicKey == "" {
		return nil, nil, fmt.Errorf("transit key %s/keys/%s: no public key for its latest version %d", t.mount(), t.Key, key.LatestVersion)
	}
	pub, err := transitPublicKey(key.Type, ver.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("transit key %s/keys/%s: %w", t.mount(), t.Key, err)
	}
	_, der, err := ParsePublicKey(pub)
	if err != nil {
		return nil, nil, fmt.Errorf("transit key %s/keys/%s: %w", t.mount(), t.Key, err)
	}
	req := map[string]any{"input": base64.StdEncoding.EncodeToString(manifest), "key_version": key.LatestVersion}
	if alg == AlgECDSAP256 {
		req["hash_algorithm"], req["marshaling_algorithm"] = "sha2-256", "asn1"
	}
	var out struct {
		Signature  string `json:"signature"`
		KeyVersion int    `json:"key_version"`
	}
	if err := t.call(ctx, c, http.MethodPost, "sign/"+t.Key, req, &out); err != nil {
		return nil, nil, err
	}
	prefix := "vault:v" + strconv.Itoa(key.LatestVersion) + ":"
	val, ok := strings.CutPrefix(out.Signature, prefix)
	if !ok {
		return nil, nil, fmt.Errorf("transit sign/%s answered a signature without the %q prefix", t.Key, prefix)
	}
	return &Signature{Algorithm: alg, Signer: strings.TrimRight(t.Addr, "/") + "/v1/" + t.mount() + "/keys/" + t.Key,
		KeyVersion: key.LatestVersion, Value: val, Transit: out.Signature, PublicKeySHA256: Digest(der)}, pub, nil
}

// transitPublicKey turns transit's public_key (base64 raw for ed25519,
// PEM for ECDSA) into PKIX PEM.
func transitPublicKey(typ, s string) ([]byte, error) {
	if typ == "ed25519" {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, errors.New("the ed25519 public key is not 32 bytes of base64")
		}
		return EncodePublicKey(ed25519.PublicKey(raw))
	}
	return []byte(s), nil
}

func (t *Transit) client() (*http.Client, error) {
	c, err := baoapi.NewClient(t.CAFile, tls.VersionTLS12, cmpDur(t.Timeout, 30*time.Second))
	if err != nil {
		return nil, fmt.Errorf("--sign-ca-file: %w", err)
	}
	return c, nil
}

func cmpDur(a, b time.Duration) time.Duration {
	if a > 0 {
		return a
	}
	return b
}

func (t *Transit) token() (string, error) {
	if t.TokenFile == "" {
		return t.Token, nil
	}
	b, err := os.ReadFile(t.TokenFile)
	if err != nil {
		return "", fmt.Errorf("--sign-token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("--sign-token-file %s is empty", t.TokenFile)
	}
	return tok, nil
}

// call sends one request to <addr>/v1/<mount>/<sub> and decodes data
// into out; errors carry the server's messages, never the token.
func (t *Transit) call(ctx context.Context, c *http.Client, method, sub string, body, out any) error {
	tok, err := t.token()
	if err != nil {
		return err
	}
	u := strings.TrimRight(t.Addr, "/") + "/v1/" + t.mount() + "/" + sub
	if err := baoapi.Call(ctx, c, method, u, tok, body, out); err != nil {
		hint := ""
		switch baoapi.StatusOf(err) {
		case 0:
			hint = " (is the server up and --sign-transit-addr right?)"
		case http.StatusForbidden:
			hint = " (the token lacks update on " + t.mount() + "/sign/" + t.Key + " or read on " + t.mount() + "/keys/" + t.Key + ")"
		}
		return fmt.Errorf("transit %w%s", err, hint)
	}
	return nil
}
