package keycloakserver_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// softKey is a software stand-in for a FIDO2 security key: an ES256 key
// pair that answers WebAuthn create/get ceremonies the way a browser and a
// roaming authenticator would, with "none" attestation. It lets the tests
// show what Keycloak accepts from a key, not only what page it shows.
type softKey struct {
	priv   *ecdsa.PrivateKey
	credID []byte
	count  uint32
	// uv is the authenticator's "user verified" flag (PIN or biometric given).
	uv bool
}

func newSoftKey(t *testing.T, uv bool) *softKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	return &softKey{priv: priv, credID: id, uv: uv}
}

var b64 = base64.RawURLEncoding

// cbor head: major type and argument (RFC 8949 §3).
func cborHead(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n < 1<<8:
		return []byte{major<<5 | 24, byte(n)}
	default:
		return []byte{major<<5 | 25, byte(n >> 8), byte(n)}
	}
}

func cborInt(v int) []byte {
	if v >= 0 {
		return cborHead(0, uint64(v))
	}
	return cborHead(1, uint64(-1-v))
}

func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }
func cborText(s string) []byte  { return append(cborHead(3, uint64(len(s))), s...) }

// coseKey is the credential public key as a COSE_Key (EC2, ES256, P-256).
func (k *softKey) coseKey() []byte {
	x, y := make([]byte, 32), make([]byte, 32)
	k.priv.X.FillBytes(x)
	k.priv.Y.FillBytes(y)
	out := cborHead(5, 5)
	for _, kv := range [][2][]byte{
		{cborInt(1), cborInt(2)}, {cborInt(3), cborInt(-7)}, {cborInt(-1), cborInt(1)},
		{cborInt(-2), cborBytes(x)}, {cborInt(-3), cborBytes(y)},
	} {
		out = append(append(out, kv[0]...), kv[1]...)
	}
	return out
}

// authData builds authenticator data; attested adds the credential.
func (k *softKey) authData(rpID string, attested bool) []byte {
	h := sha256.Sum256([]byte(rpID))
	flags := byte(0x01) // user present
	if k.uv {
		flags |= 0x04
	}
	if attested {
		flags |= 0x40
	}
	k.count++
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, k.count)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID: none given
		out = binary.BigEndian.AppendUint16(out, uint16(len(k.credID)))
		out = append(append(out, k.credID...), k.coseKey()...)
	}
	return out
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

var jsVar = regexp.MustCompile(`(\w+)\s*:\s*'([^']*)'`)

// ceremony reads the JavaScript input Keycloak hands to navigator.credentials.
func ceremony(p page) map[string]string {
	out := map[string]string{}
	for _, m := range jsVar.FindAllStringSubmatch(p.body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// register answers the webauthn-register page p as the browser would after
// navigator.credentials.create().
func (b *browser) register(k *softKey, p page) page {
	b.t.Helper()
	action, in := p.form("register"), ceremony(p)
	if action == "" || in["challenge"] == "" || in["rpId"] == "" {
		b.t.Fatalf("no WebAuthn registration ceremony on %v", p)
	}
	att := cborHead(5, 3)
	att = append(append(att, cborText("fmt")...), cborText("none")...)
	att = append(append(att, cborText("attStmt")...), cborHead(5, 0)...)
	att = append(append(att, cborText("authData")...), cborBytes(k.authData(in["rpId"], true))...)
	return b.post(action, url.Values{
		"clientDataJSON":        {b64.EncodeToString(clientData("webauthn.create", in["challenge"], b.origin()))},
		"attestationObject":     {b64.EncodeToString(att)},
		"publicKeyCredentialId": {b64.EncodeToString(k.credID)},
		"authenticatorLabel":    {"lab security key"},
		"transports":            {"usb"},
		"error":                 {""},
	})
}

// assert answers the webauthn-authenticate page p (navigator.credentials.get()).
func (b *browser) assert(k *softKey, p page) page {
	b.t.Helper()
	action, in := p.form("webauth"), ceremony(p)
	if action == "" || in["challenge"] == "" {
		b.t.Fatalf("no WebAuthn authentication ceremony on %v", p)
	}
	rpID := in["rpId"]
	cd := clientData("webauthn.get", in["challenge"], b.origin())
	ad := k.authData(rpID, false)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		b.t.Fatal(err)
	}
	return b.post(action, url.Values{
		"clientDataJSON": {b64.EncodeToString(cd)}, "authenticatorData": {b64.EncodeToString(ad)},
		"signature": {b64.EncodeToString(sig)}, "credentialId": {b64.EncodeToString(k.credID)},
		"userHandle": {""}, "error": {""},
	})
}

func (b *browser) origin() string {
	u, _ := url.Parse(b.d.env["KEYCLOAK_URL"])
	return u.Scheme + "://" + u.Host
}

func webauthnCredentials(t *testing.T, d *deployed, u user) int {
	t.Helper()
	var creds []map[string]any
	if _, err := d.adm.must("GET", "/"+d.realm+"/users/"+u.id+"/credentials", nil, &creds); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range creds {
		if strings.HasPrefix(str(c["type"]), "webauthn") {
			n++
		}
	}
	return n
}

func TestRealm_ServerBacked_AdminLogsInOnlyWithAUserVerifyingHardwareKey(t *testing.T) {
	d := deploy(t)
	u := newUser(t, d, "platform-admins")

	// A key that cannot verify the user (no PIN/biometric) is refused.
	b := newBrowser(t, d)
	weak := newSoftKey(t, false)
	p := b.register(weak, b.password(b.authorize(nil), u.name, u.password))
	if strings.HasPrefix(p.location, redirect) || webauthnCredentials(t, d, u) != 0 {
		t.Fatalf("a key without user verification was registered for a platform admin: %v", p)
	}
	t.Logf("key without user verification: %v", p)

	// A user-verifying key is registered and completes the login.
	b = newBrowser(t, d)
	key := newSoftKey(t, true)
	p = b.register(key, b.password(b.authorize(nil), u.name, u.password))
	if n := webauthnCredentials(t, d, u); n != 1 {
		t.Fatalf("registration with a user-verifying key: %d WebAuthn credentials stored; page %v", n, p)
	}
	b.exchange(b.code(p))

	// The next login demands the key: the password alone stops at the
	// WebAuthn prompt, and a signed assertion from the key completes it.
	b = newBrowser(t, d)
	p = b.password(b.authorize(nil), u.name, u.password)
	if strings.HasPrefix(p.location, redirect) || p.form("webauth") == "" {
		t.Fatalf("second admin login: want the WebAuthn prompt after the password, got %v", p)
	}
	tk := b.exchange(b.code(b.assert(key, p)))
	if groups, _ := claims(t, tk.IDToken)["groups"].([]any); len(groups) != 1 || groups[0] != "platform-admins" {
		t.Errorf("admin ID token groups = %v", groups)
	}

	// An assertion from the same key without user verification is refused.
	b = newBrowser(t, d)
	p = b.password(b.authorize(nil), u.name, u.password)
	key.uv = false
	if p = b.assert(key, p); strings.HasPrefix(p.location, redirect) {
		t.Fatalf("an assertion without user verification completed an admin login")
	}
	t.Logf("assertion without user verification: %v", p)
}
