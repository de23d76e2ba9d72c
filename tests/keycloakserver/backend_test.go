// Package keycloakserver_test runs components/keycloak under Pulumi mocks
// whose NewResource performs, against the lab's real Keycloak (Maven Central
// keycloak-quarkus-dist on JDK 17), the admin REST call the pulumi-keycloak
// provider (terraform-provider-keycloak) makes for each resource, with the
// official representation field names, and reads the result back. Keycloak
// therefore validates every value the component produces (password policy
// syntax, lifespans, flow structure, authenticator ids, client attributes),
// and the tests then drive the realm like a user would: a browser login
// through the realm's own flow, bad passwords, token issuance.
//
// These are "server-backed mocks", not provider end-to-end tests: the
// pulumi-keycloak plugin cannot be built here. What they prove is the realm
// the component describes, as Keycloak enforces it; what they do not prove
// is the provider's own field mapping, diffing and read-back (the mapping
// below is ours, written from the provider's documented behaviour).
package keycloakserver_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/internal/recmock"
)

// admin is a minimal Keycloak admin REST client (master realm admin-cli).
type admin struct {
	base, user, pass string
	hc               *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
	calls   []string
}

func labTLS(caFile string) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("lab CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("lab CA %s: no certificate", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

func newAdmin(env map[string]string) (*admin, error) {
	tc, err := labTLS(env["KEYCLOAK_CA_FILE"])
	if err != nil {
		return nil, err
	}
	a := &admin{
		base: strings.TrimRight(env["KEYCLOAK_URL"], "/"), user: env["KEYCLOAK_ADMIN_USER"], pass: env["KEYCLOAK_ADMIN_PASSWORD"],
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}},
	}
	if _, err := a.bearer(); err != nil {
		return nil, fmt.Errorf("lab Keycloak at %s: admin login: %w (is it up? `bash lab/lab.sh status keycloak`)", a.base, err)
	}
	return a, nil
}

func (a *admin) bearer() (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != "" && time.Now().Before(a.expires) {
		return a.token, nil
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {a.user}, "password": {a.pass}}
	resp, err := a.hc.PostForm(a.base+"/realms/master/protocol/openid-connect/token", form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("token endpoint: %s (%v)", resp.Status, err)
	}
	a.token, a.expires = tok.AccessToken, time.Now().Add(time.Duration(tok.ExpiresIn)*time.Second/2)
	return a.token, nil
}

// do calls /admin/realms/<p> and returns the status, the Location header's
// last segment (the id of a created object) and the body.
func (a *admin) do(method, p string, body any) (int, string, []byte, error) {
	tok, err := a.bearer()
	if err != nil {
		return 0, "", nil, err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, "", nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+"/admin/realms"+p, rd)
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	a.mu.Lock()
	a.calls = append(a.calls, method+" "+p)
	a.mu.Unlock()
	return resp.StatusCode, path.Base(resp.Header.Get("Location")), out, nil
}

// must calls do and fails on any status outside 2xx, decoding the body into out.
func (a *admin) must(method, p string, body, out any) (string, error) {
	st, loc, b, err := a.do(method, p, body)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", method, p, err)
	}
	if st < 200 || st > 299 {
		return "", fmt.Errorf("%s %s: HTTP %d: %s", method, p, st, b)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return "", fmt.Errorf("%s %s: decode: %w", method, p, err)
		}
	}
	return loc, nil
}

// backend serves the keycloak resource types of components/keycloak.
type backend struct {
	a *admin
	// seen records each served resource: type → name → the representation sent.
	mu   sync.Mutex
	sent map[string]map[string]any
}

func newBackend(a *admin) *backend { return &backend{a: a, sent: map[string]map[string]any{}} }

func (b *backend) record(name string, rep map[string]any) {
	b.mu.Lock()
	b.sent[name] = rep
	b.mu.Unlock()
}

func secsOf(v any) (int, error) {
	s, _ := v.(string)
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("lifespan %q: %w", s, err)
	}
	return int(d / time.Second), nil
}

func str(v any) string { s, _ := v.(string); return s }

func boolOf(v any) bool { b, _ := v.(bool); return b }

// hook is the recmock.NewResourceHook.
func (b *backend) hook(args pulumi.MockResourceArgs) (string, resource.PropertyMap, bool, error) {
	if !strings.HasPrefix(args.TypeToken, "keycloak:") {
		return "", nil, false, nil
	}
	in := recmock.Plain(args.Inputs)
	outs := args.Inputs.Copy()
	var id string
	var err error
	switch args.TypeToken {
	case "keycloak:index/realm:Realm":
		id, err = b.realm(args.Name, in)
	case "keycloak:index/realmEvents:RealmEvents":
		id, err = b.events(args.Name, in)
	case "keycloak:index/requiredAction:RequiredAction":
		id, err = b.requiredAction(args.Name, in)
	case "keycloak:index/role:Role":
		id, err = b.role(args.Name, in)
	case "keycloak:index/group:Group":
		id, err = b.group(args.Name, in)
	case "keycloak:index/groupRoles:GroupRoles":
		id, err = b.groupRoles(args.Name, in)
	case "keycloak:authentication/flow:Flow":
		id, err = b.flow(args.Name, in)
	case "keycloak:authentication/subflow:Subflow":
		id, err = b.subflow(args.Name, in)
	case "keycloak:authentication/execution:Execution":
		id, err = b.execution(args.Name, in)
	case "keycloak:authentication/executionConfig:ExecutionConfig":
		id, err = b.executionConfig(args.Name, in)
	case "keycloak:authentication/bindings:Bindings":
		id, err = b.bindings(args.Name, in)
	case "keycloak:openid/client:Client":
		var secret string
		id, secret, err = b.client(args.Name, in)
		if secret != "" {
			outs["clientSecret"] = resource.MakeSecret(resource.NewStringProperty(secret))
		}
	case "keycloak:index/defaultRoles:DefaultRoles":
		id, err = b.defaultRoles(args.Name, in)
	case "keycloak:openid/groupMembershipProtocolMapper:GroupMembershipProtocolMapper":
		id, err = b.groupMapper(args.Name, in)
	case "keycloak:openid/clientScope:ClientScope":
		id, err = b.clientScope(args.Name, in)
	case "keycloak:openid/clientDefaultScopes:ClientDefaultScopes":
		id, err = b.clientDefaultScopes(args.Name, in)
	default:
		err = fmt.Errorf("no server backing for %s: add it to the backend", args.TypeToken)
	}
	if err != nil {
		return "", nil, true, fmt.Errorf("%s %s: %w", args.TypeToken, args.Name, err)
	}
	return id, outs, true, nil
}

// realm creates the realm with the RealmRepresentation the provider sends
// and checks that Keycloak stored every value as sent.
func (b *backend) realm(name string, in map[string]any) (string, error) {
	rep := map[string]any{}
	for _, k := range []string{"realm", "enabled", "displayName", "sslRequired", "registrationAllowed", "registrationEmailAsUsername",
		"editUsernameAllowed", "duplicateEmailsAllowed", "loginWithEmailAllowed", "verifyEmail", "resetPasswordAllowed",
		"rememberMe", "revokeRefreshToken", "refreshTokenMaxReuse", "passwordPolicy", "offlineSessionMaxLifespanEnabled"} {
		if v, ok := in[k]; ok {
			rep[k] = v
		}
	}
	rep["userManagedAccessAllowed"] = in["userManagedAccess"]
	for _, k := range []string{"accessTokenLifespan", "accessTokenLifespanForImplicitFlow", "ssoSessionIdleTimeout", "ssoSessionMaxLifespan",
		"clientSessionIdleTimeout", "clientSessionMaxLifespan", "offlineSessionIdleTimeout", "offlineSessionMaxLifespan",
		"accessCodeLifespan", "accessCodeLifespanLogin", "accessCodeLifespanUserAction", "actionTokenGeneratedByUserLifespan",
		"actionTokenGeneratedByAdminLifespan"} {
		if v, ok := in[k]; ok {
			n, err := secsOf(v)
			if err != nil {
				return "", fmt.Errorf("%s: %w", k, err)
			}
			rep[k] = n
		}
	}
	if o, ok := in["otpPolicy"].(map[string]any); ok {
		rep["otpPolicyType"], rep["otpPolicyAlgorithm"], rep["otpPolicyDigits"] = o["type"], o["algorithm"], o["digits"]
		rep["otpPolicyPeriod"], rep["otpPolicyLookAheadWindow"] = o["period"], o["lookAheadWindow"]
	}
	if w, ok := in["webAuthnPolicy"].(map[string]any); ok {
		rep["webAuthnPolicyRpEntityName"] = w["relyingPartyEntityName"]
		rep["webAuthnPolicyRpId"] = w["relyingPartyId"]
		rep["webAuthnPolicyUserVerificationRequirement"] = w["userVerificationRequirement"]
		rep["webAuthnPolicyAuthenticatorAttachment"] = w["authenticatorAttachment"]
		rep["webAuthnPolicySignatureAlgorithms"] = w["signatureAlgorithms"]
		rep["webAuthnPolicyAvoidSameAuthenticatorRegister"] = w["avoidSameAuthenticatorRegister"]
		rep["webAuthnPolicyAttestationConveyancePreference"] = w["attestationConveyancePreference"]
		rep["webAuthnPolicyRequireResidentKey"] = w["requireResidentKey"]
		if ids, ok := w["acceptableAaguids"]; ok {
			rep["webAuthnPolicyAcceptableAaguids"] = ids
		} else {
			rep["webAuthnPolicyAcceptableAaguids"] = []any{}
		}
	}
	if sd, ok := in["securityDefenses"].(map[string]any); ok {
		if bf, ok := sd["bruteForceDetection"].(map[string]any); ok {
			// The provider turns the block's presence into bruteForceProtected.
			rep["bruteForceProtected"] = true
			rep["permanentLockout"] = bf["permanentLockout"]
			rep["failureFactor"] = bf["maxLoginFailures"]
			rep["waitIncrementSeconds"] = bf["waitIncrementSeconds"]
			rep["maxFailureWaitSeconds"] = bf["maxFailureWaitSeconds"]
			rep["quickLoginCheckMilliSeconds"] = bf["quickLoginCheckMilliSeconds"]
			rep["minimumQuickLoginWaitSeconds"] = bf["minimumQuickLoginWaitSeconds"]
			rep["maxDeltaTimeSeconds"] = bf["failureResetTimeSeconds"]
		}
		if h, ok := sd["headers"].(map[string]any); ok {
			rep["browserSecurityHeaders"] = map[string]any{
				"xFrameOptions": h["xFrameOptions"], "contentSecurityPolicy": h["contentSecurityPolicy"],
				"strictTransportSecurity": h["strictTransportSecurity"], "xContentTypeOptions": h["xContentTypeOptions"],
				"xRobotsTag": h["xRobotsTag"], "xXSSProtection": h["xXssProtection"],
			}
		}
	}
	if m, ok := in["smtpServer"].(map[string]any); ok {
		smtp := map[string]any{"host": m["host"], "port": m["port"], "from": m["from"], "fromDisplayName": m["fromDisplayName"],
			"ssl": fmt.Sprint(boolOf(m["ssl"])), "starttls": fmt.Sprint(boolOf(m["starttls"])), "auth": "false"}
		if a, ok := m["auth"].(map[string]any); ok {
			smtp["auth"], smtp["user"], smtp["password"] = "true", a["username"], a["password"]
		}
		rep["smtpServer"] = smtp
	}
	realm := str(in["realm"])
	if _, err := b.a.must("POST", "", rep, nil); err != nil {
		return "", err
	}
	b.record(name, rep)
	var got map[string]any
	if _, err := b.a.must("GET", "/"+realm, nil, &got); err != nil {
		return "", err
	}
	// Keycloak masks the stored SMTP password on read.
	if m, ok := rep["smtpServer"].(map[string]any); ok && m["password"] != nil {
		if gm, ok := got["smtpServer"].(map[string]any); ok && gm["password"] == "**********" {
			gm["password"] = m["password"]
		}
	}
	if err := sameAsSent(rep, got); err != nil {
		return "", fmt.Errorf("keycloak did not keep the realm settings: %w", err)
	}
	return realm, nil
}

// sameAsSent reports every field Keycloak stored differently from how it was sent.
func sameAsSent(sent, got map[string]any) error {
	var diffs []string
	for k, v := range sent {
		want, _ := json.Marshal(v)
		have, _ := json.Marshal(got[k])
		if sm, ok := v.(map[string]any); ok {
			gm, _ := got[k].(map[string]any)
			if err := sameAsSent(sm, gm); err != nil {
				diffs = append(diffs, k+": "+err.Error())
			}
			continue
		}
		if !reflect.DeepEqual(normalise(want), normalise(have)) {
			diffs = append(diffs, fmt.Sprintf("%s: sent %s, stored %s", k, want, have))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s", strings.Join(diffs, "; "))
	}
	return nil
}

func normalise(b []byte) any {
	var v any
	_ = json.Unmarshal(b, &v)
	if v == nil {
		return []any{} // null and [] mean "none" to Keycloak
	}
	return v
}

func (b *backend) events(name string, in map[string]any) (string, error) {
	realm := str(in["realmId"])
	rep := map[string]any{
		"eventsEnabled": in["eventsEnabled"], "eventsExpiration": in["eventsExpiration"], "eventsListeners": in["eventsListeners"],
		"adminEventsEnabled": in["adminEventsEnabled"], "adminEventsDetailsEnabled": in["adminEventsDetailsEnabled"],
	}
	if t, ok := in["enabledEventTypes"]; ok {
		rep["enabledEventTypes"] = t
	}
	if _, err := b.a.must("PUT", "/"+realm+"/events/config", rep, nil); err != nil {
		return "", err
	}
	b.record(name, rep)
	var got map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/events/config", nil, &got); err != nil {
		return "", err
	}
	delete(rep, "enabledEventTypes")
	return realm, sameAsSent(rep, got)
}

func (b *backend) requiredAction(name string, in map[string]any) (string, error) {
	realm, alias := str(in["realmId"]), str(in["alias"])
	var cur map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/authentication/required-actions/"+alias, nil, &cur); err != nil {
		return "", fmt.Errorf("required action %s is not registered on the server: %w", alias, err)
	}
	cur["enabled"], cur["defaultAction"] = boolOf(in["enabled"]), boolOf(in["defaultAction"])
	if n := str(in["name"]); n != "" {
		cur["name"] = n
	}
	if _, err := b.a.must("PUT", "/"+realm+"/authentication/required-actions/"+alias, cur, nil); err != nil {
		return "", err
	}
	b.record(name, cur)
	return realm + "/" + alias, nil
}

func (b *backend) role(name string, in map[string]any) (string, error) {
	realm, role := str(in["realmId"]), str(in["name"])
	rep := map[string]any{"name": role, "description": in["description"]}
	if _, err := b.a.must("POST", "/"+realm+"/roles", rep, nil); err != nil {
		return "", err
	}
	var got map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/roles/"+url.PathEscape(role), nil, &got); err != nil {
		return "", err
	}
	id := str(got["id"])
	if comps, ok := in["compositeRoles"].([]any); ok && len(comps) > 0 {
		var reps []map[string]any
		for _, c := range comps {
			reps = append(reps, map[string]any{"id": c})
		}
		if _, err := b.a.must("POST", "/"+realm+"/roles-by-id/"+id+"/composites", reps, nil); err != nil {
			return "", err
		}
	}
	b.record(name, rep)
	return id, nil
}

// group creates a top-level group, or with parentId a subgroup (POST to the
// parent's children, as the provider does).
func (b *backend) group(name string, in map[string]any) (string, error) {
	realm, parent := str(in["realmId"]), str(in["parentId"])
	rep := map[string]any{"name": in["name"]}
	if parent == "" {
		id, err := b.a.must("POST", "/"+realm+"/groups", rep, nil)
		b.record(name, rep)
		return id, err
	}
	if _, err := b.a.must("POST", "/"+realm+"/groups/"+parent+"/children", rep, nil); err != nil {
		return "", err
	}
	b.record(name, rep)
	var children []map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/groups/"+parent+"/children?exact=true&search="+url.QueryEscape(str(in["name"])), nil, &children); err != nil {
		return "", err
	}
	for _, c := range children {
		if c["name"] == in["name"] && c["parentId"] == parent {
			return str(c["id"]), nil
		}
	}
	return "", fmt.Errorf("subgroup %v not found under %s after creation: %v", in["name"], parent, children)
}

// clientScope creates an OIDC client scope with the ClientScopeRepresentation
// the provider sends (its settings travel as attributes) and reads it back.
func (b *backend) clientScope(name string, in map[string]any) (string, error) {
	realm := str(in["realmId"])
	attrs := map[string]any{
		"include.in.token.scope":    fmt.Sprint(boolOf(in["includeInTokenScope"])),
		"display.on.consent.screen": fmt.Sprint(str(in["consentScreenText"]) != ""),
	}
	if t := str(in["consentScreenText"]); t != "" {
		attrs["consent.screen.text"] = t
	}
	if o, ok := in["guiOrder"].(float64); ok {
		attrs["gui.order"] = fmt.Sprint(int(o))
	}
	rep := map[string]any{"name": in["name"], "description": in["description"], "protocol": "openid-connect", "attributes": attrs}
	id, err := b.a.must("POST", "/"+realm+"/client-scopes", rep, nil)
	if err != nil {
		return "", err
	}
	b.record(name, rep)
	var got map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/client-scopes/"+id, nil, &got); err != nil {
		return "", err
	}
	if err := sameAsSent(rep, got); err != nil {
		return "", fmt.Errorf("keycloak did not keep the client scope: %w", err)
	}
	return id, nil
}

// clientDefaultScopes makes the named scopes the client's default scopes,
// exactly (the provider detaches every other default scope), and reads the
// list back.
func (b *backend) clientDefaultScopes(name string, in map[string]any) (string, error) {
	realm, client := str(in["realmId"]), str(in["clientId"])
	var all []map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/client-scopes", nil, &all); err != nil {
		return "", err
	}
	ids := map[string]string{}
	for _, sc := range all {
		ids[str(sc["name"])] = str(sc["id"])
	}
	want := map[string]bool{}
	names, _ := in["defaultScopes"].([]any)
	for _, n := range names {
		if ids[str(n)] == "" {
			return "", fmt.Errorf("client scope %v does not exist in the realm", n)
		}
		want[str(n)] = true
	}
	base := "/" + realm + "/clients/" + client + "/default-client-scopes"
	var have []map[string]any
	if _, err := b.a.must("GET", base, nil, &have); err != nil {
		return "", err
	}
	for _, sc := range have {
		if !want[str(sc["name"])] {
			if _, err := b.a.must("DELETE", base+"/"+str(sc["id"]), nil, nil); err != nil {
				return "", err
			}
		}
	}
	for n := range want {
		if _, err := b.a.must("PUT", base+"/"+ids[n], nil, nil); err != nil {
			return "", err
		}
	}
	b.record(name, map[string]any{"defaultScopes": names})
	if _, err := b.a.must("GET", base, nil, &have); err != nil {
		return "", err
	}
	got := map[string]bool{}
	for _, sc := range have {
		got[str(sc["name"])] = true
	}
	if !reflect.DeepEqual(got, want) {
		return "", fmt.Errorf("default scopes: sent %v, stored %v", want, got)
	}
	return realm + "/" + client, nil
}

func (b *backend) groupRoles(name string, in map[string]any) (string, error) {
	realm, group := str(in["realmId"]), str(in["groupId"])
	var reps []map[string]any
	ids, _ := in["roleIds"].([]any)
	for _, id := range ids {
		var r map[string]any
		if _, err := b.a.must("GET", "/"+realm+"/roles-by-id/"+str(id), nil, &r); err != nil {
			return "", err
		}
		reps = append(reps, r)
	}
	if _, err := b.a.must("POST", "/"+realm+"/groups/"+group+"/role-mappings/realm", reps, nil); err != nil {
		return "", err
	}
	b.record(name, map[string]any{"roles": reps})
	return group, nil
}

func (b *backend) flowID(realm, alias string) (string, error) {
	var flows []map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/authentication/flows", nil, &flows); err != nil {
		return "", err
	}
	for _, f := range flows {
		if f["alias"] == alias {
			return str(f["id"]), nil
		}
	}
	return "", fmt.Errorf("flow %s not found after creation", alias)
}

func (b *backend) flow(name string, in map[string]any) (string, error) {
	realm := str(in["realmId"])
	rep := map[string]any{"alias": in["alias"], "description": in["description"], "providerId": in["providerId"], "topLevel": true, "builtIn": false}
	id, err := b.a.must("POST", "/"+realm+"/authentication/flows", rep, nil)
	if err != nil {
		return "", err
	}
	b.record(name, rep)
	if id == "" || id == "." {
		return b.flowID(realm, str(in["alias"]))
	}
	return id, nil
}

// executionOf finds the execution (or subflow) entry of parentAlias's tree.
func (b *backend) executionOf(realm, parentAlias string, match func(map[string]any) bool) (map[string]any, error) {
	var execs []map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/authentication/flows/"+url.PathEscape(parentAlias)+"/executions", nil, &execs); err != nil {
		return nil, err
	}
	for i := len(execs) - 1; i >= 0; i-- {
		if match(execs[i]) {
			return execs[i], nil
		}
	}
	return nil, fmt.Errorf("not found under %s after creation", parentAlias)
}

func (b *backend) setRequirement(realm, parentAlias string, exec map[string]any, req string) error {
	if req == "" {
		return nil
	}
	exec["requirement"] = req
	if _, err := b.a.must("PUT", "/"+realm+"/authentication/flows/"+url.PathEscape(parentAlias)+"/executions", exec, nil); err != nil {
		return err
	}
	return nil
}

func (b *backend) subflow(name string, in map[string]any) (string, error) {
	realm, parent, alias := str(in["realmId"]), str(in["parentFlowAlias"]), str(in["alias"])
	provider := str(in["authenticator"])
	if provider == "" {
		provider = "registration-page-form"
	}
	rep := map[string]any{"alias": alias, "type": in["providerId"], "provider": provider, "description": in["description"]}
	if _, err := b.a.must("POST", "/"+realm+"/authentication/flows/"+url.PathEscape(parent)+"/executions/flow", rep, nil); err != nil {
		return "", err
	}
	b.record(name, rep)
	exec, err := b.executionOf(realm, parent, func(e map[string]any) bool { return e["displayName"] == alias && boolOf(e["authenticationFlow"]) })
	if err != nil {
		return "", err
	}
	if err := b.setRequirement(realm, parent, exec, str(in["requirement"])); err != nil {
		return "", err
	}
	return str(exec["flowId"]), nil
}

func (b *backend) execution(name string, in map[string]any) (string, error) {
	realm, parent, auth := str(in["realmId"]), str(in["parentFlowAlias"]), str(in["authenticator"])
	rep := map[string]any{"provider": auth}
	id, err := b.a.must("POST", "/"+realm+"/authentication/flows/"+url.PathEscape(parent)+"/executions/execution", rep, nil)
	if err != nil {
		return "", err
	}
	b.record(name, rep)
	exec, err := b.executionOf(realm, parent, func(e map[string]any) bool { return e["id"] == id })
	if err != nil {
		return "", err
	}
	if err := b.setRequirement(realm, parent, exec, str(in["requirement"])); err != nil {
		return "", err
	}
	// Keycloak silently keeps the old requirement when the authenticator does
	// not offer the one asked for: read it back.
	exec, err = b.executionOf(realm, parent, func(e map[string]any) bool { return e["id"] == id })
	if err != nil {
		return "", err
	}
	if want := str(in["requirement"]); want != "" && exec["requirement"] != want {
		return "", fmt.Errorf("%s under %s: requirement %v stored, %s asked", auth, parent, exec["requirement"], want)
	}
	return id, nil
}

func (b *backend) executionConfig(name string, in map[string]any) (string, error) {
	realm, exec := str(in["realmId"]), str(in["executionId"])
	rep := map[string]any{"alias": in["alias"], "config": in["config"]}
	id, err := b.a.must("POST", "/"+realm+"/authentication/executions/"+exec+"/config", rep, nil)
	b.record(name, rep)
	return id, err
}

func (b *backend) bindings(name string, in map[string]any) (string, error) {
	realm := str(in["realmId"])
	rep := map[string]any{}
	for _, k := range []string{"browserFlow", "registrationFlow", "directGrantFlow", "resetCredentialsFlow", "clientAuthenticationFlow", "dockerAuthenticationFlow"} {
		if v, ok := in[k]; ok {
			rep[k] = v
		}
	}
	if _, err := b.a.must("PUT", "/"+realm, rep, nil); err != nil {
		return "", err
	}
	b.record(name, rep)
	var got map[string]any
	if _, err := b.a.must("GET", "/"+realm, nil, &got); err != nil {
		return "", err
	}
	return realm, sameAsSent(rep, got)
}

// client creates an OIDC client with the ClientRepresentation the provider
// sends (lifespans and PKCE travel as attributes) and returns the generated
// secret of a confidential client.
func (b *backend) client(name string, in map[string]any) (string, string, error) {
	realm := str(in["realmId"])
	attrs := map[string]any{
		"pkce.code.challenge.method":                str(in["pkceCodeChallengeMethod"]),
		"oauth2.device.authorization.grant.enabled": fmt.Sprint(boolOf(in["oauth2DeviceAuthorizationGrantEnabled"])),
		"backchannel.logout.session.required":       fmt.Sprint(boolOf(in["backchannelLogoutSessionRequired"])),
	}
	for k, attr := range map[string]string{"clientSessionIdleTimeout": "client.session.idle.timeout",
		"clientSessionMaxLifespan": "client.session.max.lifespan", "accessTokenLifespan": "access.token.lifespan"} {
		if v, ok := in[k]; ok {
			n, err := secsOf(v)
			if err != nil {
				return "", "", err
			}
			attrs[attr] = fmt.Sprint(n)
		}
	}
	// The provider sends absent lists as [] (Keycloak would otherwise derive
	// webOrigins from the redirect URIs).
	list := func(k string) any {
		if v, ok := in[k].([]any); ok && len(v) > 0 {
			return v
		}
		return []any{}
	}
	rep := map[string]any{
		"clientId": in["clientId"], "name": in["name"], "enabled": in["enabled"], "protocol": "openid-connect",
		"publicClient":        in["accessType"] == "PUBLIC",
		"standardFlowEnabled": in["standardFlowEnabled"], "implicitFlowEnabled": in["implicitFlowEnabled"],
		"directAccessGrantsEnabled": in["directAccessGrantsEnabled"], "serviceAccountsEnabled": in["serviceAccountsEnabled"],
		"redirectUris": list("validRedirectUris"), "webOrigins": list("webOrigins"), "consentRequired": in["consentRequired"],
		"fullScopeAllowed": in["fullScopeAllowed"], "frontchannelLogout": in["frontchannelLogoutEnabled"],
		"attributes": attrs,
	}
	id, err := b.a.must("POST", "/"+realm+"/clients", rep, nil)
	if err != nil {
		return "", "", err
	}
	b.record(name, rep)
	var got map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/clients/"+id, nil, &got); err != nil {
		return "", "", err
	}
	// Keycloak keeps both lists as sets (it returns them in its own order),
	// and the provider declares them sets (valid_redirect_uris and
	// web_origins are schema.TypeSet): compare them as sets.
	for _, k := range []string{"redirectUris", "webOrigins"} {
		rep[k], got[k] = sortedList(rep[k]), sortedList(got[k])
	}
	if err := sameAsSent(rep, got); err != nil {
		return "", "", fmt.Errorf("keycloak did not keep the client settings: %w", err)
	}
	if in["accessType"] != "CONFIDENTIAL" {
		return id, "", nil
	}
	var sec struct{ Value string }
	if _, err := b.a.must("GET", "/"+realm+"/clients/"+id+"/client-secret", nil, &sec); err != nil {
		return "", "", err
	}
	return id, sec.Value, nil
}

// sortedList returns a copy of a JSON list of strings, sorted.
func sortedList(v any) any {
	l, _ := v.([]any)
	out := append([]any{}, l...)
	sort.Slice(out, func(i, j int) bool { return str(out[i]) < str(out[j]) })
	return out
}

// groupMapper adds the group membership mapper to a client, or with
// clientScopeId to a client scope.
func (b *backend) groupMapper(name string, in map[string]any) (string, error) {
	realm, owner := str(in["realmId"]), "/clients/"+str(in["clientId"])
	if sc := str(in["clientScopeId"]); sc != "" {
		owner = "/client-scopes/" + sc
	}
	rep := map[string]any{
		"name": in["name"], "protocol": "openid-connect", "protocolMapper": "oidc-group-membership-mapper",
		"config": map[string]any{
			"claim.name": in["claimName"], "full.path": fmt.Sprint(boolOf(in["fullPath"])),
			"id.token.claim": fmt.Sprint(boolOf(in["addToIdToken"])), "access.token.claim": fmt.Sprint(boolOf(in["addToAccessToken"])),
			"userinfo.token.claim": fmt.Sprint(boolOf(in["addToUserinfo"])),
		},
	}
	id, err := b.a.must("POST", "/"+realm+owner+"/protocol-mappers/models", rep, nil)
	b.record(name, rep)
	return id, err
}

// defaultRoles makes the realm's default-roles-<realm> composite hold
// exactly the named roles ("role" for realm roles, "client/role" for client
// roles), as the provider does.
func (b *backend) defaultRoles(name string, in map[string]any) (string, error) {
	realm := str(in["realmId"])
	var def map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/roles/default-roles-"+realm, nil, &def); err != nil {
		return "", err
	}
	defID := str(def["id"])
	var want []map[string]any
	names, _ := in["defaultRoles"].([]any)
	for _, n := range names {
		var role map[string]any
		if client, r, ok := strings.Cut(str(n), "/"); ok {
			var cs []map[string]any
			if _, err := b.a.must("GET", "/"+realm+"/clients?clientId="+url.QueryEscape(client), nil, &cs); err != nil || len(cs) != 1 {
				return "", fmt.Errorf("client %s of default role %s: %v", client, n, err)
			}
			if _, err := b.a.must("GET", "/"+realm+"/clients/"+str(cs[0]["id"])+"/roles/"+url.PathEscape(r), nil, &role); err != nil {
				return "", err
			}
		} else if _, err := b.a.must("GET", "/"+realm+"/roles/"+url.PathEscape(str(n)), nil, &role); err != nil {
			return "", err
		}
		want = append(want, role)
	}
	var have []map[string]any
	if _, err := b.a.must("GET", "/"+realm+"/roles-by-id/"+defID+"/composites", nil, &have); err != nil {
		return "", err
	}
	keep := map[string]bool{}
	for _, r := range want {
		keep[str(r["id"])] = true
	}
	var drop []map[string]any
	for _, r := range have {
		if !keep[str(r["id"])] {
			drop = append(drop, r)
		}
	}
	if len(drop) > 0 {
		if _, err := b.a.must("DELETE", "/"+realm+"/roles-by-id/"+defID+"/composites", drop, nil); err != nil {
			return "", err
		}
	}
	if len(want) > 0 {
		if _, err := b.a.must("POST", "/"+realm+"/roles-by-id/"+defID+"/composites", want, nil); err != nil {
			return "", err
		}
	}
	b.record(name, map[string]any{"composites": want})
	return realm + "/" + defID, nil
}
