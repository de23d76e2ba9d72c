package keycloakserver_test

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // RFC 6238 TOTP with the realm's HmacSHA1 policy
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/testkit"
)

// browser drives the realm's login pages like a user agent: it keeps
// cookies and follows Keycloak's own redirects, and stops at the redirect to
// the client (where the authorization code is).
type browser struct {
	t      *testing.T
	d      *deployed
	hc     *http.Client
	client string
	// verifier is the PKCE code verifier of the login in progress.
	verifier string
	// otpSecret is the TOTP secret enrolOTP registered.
	otpSecret string
}

func newBrowser(t *testing.T, d *deployed) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	kc, _ := url.Parse(d.env["KEYCLOAK_URL"])
	tc, err := labTLS(d.env["KEYCLOAK_CA_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, d: d, client: "kube-apiserver", hc: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tc},
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if req.URL.Host != kc.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}}
}

// page is one response: the status, the final URL's redirect target (when
// Keycloak sent the browser back to the client) and the HTML.
type page struct {
	status   int
	location string
	body     string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
}

func (b *browser) get(u string) page {
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) realmURL(p string) string {
	return strings.TrimRight(b.d.env["KEYCLOAK_URL"], "/") + "/realms/" + b.d.realm + p
}

// authorize opens the client's authorization request (code flow, PKCE S256
// unless extra overrides it) and returns the first page.
func (b *browser) authorize(extra url.Values) page {
	b.verifier = testkit.RandHex(32)
	sum := sha256.Sum256([]byte(b.verifier))
	q := url.Values{
		"client_id": {b.client}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"openid"},
		"state": {testkit.RandHex(8)}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	for k, v := range extra {
		if len(v) == 1 && v[0] == "" {
			q.Del(k)
		} else {
			q[k] = v
		}
	}
	return b.get(b.realmURL("/protocol/openid-connect/auth?" + q.Encode()))
}

var formTag = regexp.MustCompile(`<form\b[^>]*>`)
var attr = regexp.MustCompile(`\b(id|action)="([^"]*)"`)

// form returns the action URL of the form with that id on p ("" if none).
func (p page) form(id string) string {
	for _, tag := range formTag.FindAllString(p.body, -1) {
		var fid, action string
		for _, m := range attr.FindAllStringSubmatch(tag, -1) {
			if m[1] == "id" {
				fid = m[2]
			} else {
				action = html.UnescapeString(m[2])
			}
		}
		if fid == id {
			return action
		}
	}
	return ""
}

// hidden returns the value of the named input on p.
func (p page) input(name string) string {
	m := regexp.MustCompile(`<input\b[^>]*\bname="` + regexp.QuoteMeta(name) + `"[^>]*>`).FindString(p.body)
	if v := regexp.MustCompile(`\bvalue="([^"]*)"`).FindStringSubmatch(m); v != nil {
		return html.UnescapeString(v[1])
	}
	return ""
}

func (p page) String() string {
	title := regexp.MustCompile(`(?s)<title>(.*?)</title>`).FindStringSubmatch(p.body)
	var forms []string
	for _, tag := range formTag.FindAllString(p.body, -1) {
		if m := regexp.MustCompile(`\bid="([^"]*)"`).FindStringSubmatch(tag); m != nil {
			forms = append(forms, m[1])
		}
	}
	msg := regexp.MustCompile(`(?s)id="input-error[^"]*"[^>]*>(.*?)<`).FindStringSubmatch(p.body)
	s := fmt.Sprintf("HTTP %d", p.status)
	if p.location != "" {
		s += " → " + p.location
	}
	if title != nil {
		s += fmt.Sprintf(" title=%q", strings.TrimSpace(title[1]))
	}
	if msg != nil {
		s += fmt.Sprintf(" error=%q", strings.TrimSpace(html.UnescapeString(msg[1])))
	}
	return s + fmt.Sprintf(" forms=%v", forms)
}

// password submits the username/password form of p.
func (b *browser) password(p page, user, pass string) page {
	b.t.Helper()
	action := p.form("kc-form-login")
	if action == "" {
		b.t.Fatalf("no login form: %v", p)
	}
	return b.post(action, url.Values{"username": {user}, "password": {pass}, "credentialId": {""}})
}

// code returns the authorization code of a redirect back to the client.
func (b *browser) code(p page) string {
	b.t.Helper()
	if !strings.HasPrefix(p.location, redirect) {
		b.t.Fatalf("login did not complete with a redirect to the client: %v", p)
	}
	u, _ := url.Parse(p.location)
	if e := u.Query().Get("error"); e != "" {
		b.t.Fatalf("authorization error %s: %s", e, u.Query().Get("error_description"))
	}
	return u.Query().Get("code")
}

// tokens is a token endpoint response.
type tokens struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	IDToken          string `json:"id_token"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func (b *browser) token(form url.Values) (int, tokens) {
	b.t.Helper()
	form.Set("client_id", b.client)
	p := b.post(b.realmURL("/protocol/openid-connect/token"), form)
	var tk tokens
	if err := json.Unmarshal([]byte(p.body), &tk); err != nil {
		b.t.Fatalf("token endpoint: HTTP %d: %s", p.status, p.body)
	}
	return p.status, tk
}

func (b *browser) exchange(code string) tokens {
	b.t.Helper()
	st, tk := b.token(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {b.verifier}})
	if st != 200 {
		b.t.Fatalf("code exchange: HTTP %d %s: %s", st, tk.Error, tk.ErrorDescription)
	}
	return tk
}

// claims decodes a JWT's payload (the tests check what Keycloak issued, not
// the signature).
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.40q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	return c
}

// totp computes an RFC 6238 code (HmacSHA1, 6 digits, 30 s: the realm's OTP
// policy) from the raw secret Keycloak puts in the enrolment form.
func totp(secret string, at time.Time) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1000000)
}

// enrolOTP completes the CONFIGURE_TOTP required action shown on p with a
// correct code, as an authenticator app would.
func (b *browser) enrolOTP(p page) page {
	b.t.Helper()
	action := p.form("kc-totp-settings-form")
	secret := p.input("totpSecret")
	if action == "" || secret == "" {
		b.t.Fatalf("no OTP enrolment form: %v", p)
	}
	b.otpSecret = secret
	return b.post(action, url.Values{"totp": {totp(secret, time.Now())}, "totpSecret": {secret}, "userLabel": {"lab authenticator"}})
}

// user is a realm user created for one test.
type user struct{ id, name, password string }

// strongPassword satisfies the default policy (14+ chars, every class).
func strongPassword() string { return "Kc-" + testkit.RandHex(8) + "!Zq7" }

// newUser creates an enabled user with a profile complete enough that
// Keycloak does not ask for it, in the given groups, with a password.
func newUser(t *testing.T, d *deployed, groups ...string) user {
	t.Helper()
	return newNamedUser(t, d, "u-"+testkit.RandHex(5), groups...)
}

// newNamedUser is newUser with the username given.
func newNamedUser(t *testing.T, d *deployed, name string, groups ...string) user {
	t.Helper()
	u := user{name: name, password: strongPassword()}
	var paths []string
	for _, g := range groups {
		paths = append(paths, "/"+g)
	}
	id, err := d.adm.must("POST", "/"+d.realm+"/users", map[string]any{
		"username": u.name, "email": u.name + "@rampart.test", "firstName": "Lab", "lastName": "User",
		"enabled": true, "emailVerified": true, "groups": paths,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	u.id = id
	if _, err := d.adm.must("PUT", "/"+d.realm+"/users/"+id+"/reset-password",
		map[string]any{"type": "password", "value": u.password, "temporary": false}, nil); err != nil {
		t.Fatalf("set password: %v", err)
	}
	return u
}
