package compliance

import (
	"fmt"

	psaapi "k8s.io/pod-security-admission/api"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// TestPodSecurity_PinnedEnforceVersionFails: restricted pinned before the
// newest check revision the evaluator knows lacks the checks added since; an
// absent label, "latest" or a pin at or after that revision passes.
func TestPodSecurity_PinnedEnforceVersionFails(t *testing.T) {
	ns := func(version string) *Assessment {
		labels := `"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/audit":"restricted","pod-security.kubernetes.io/warn":"restricted"`
		if version != "" {
			labels += `,"pod-security.kubernetes.io/enforce-version":"` + version + `"`
		}
		return Assess("s", apitype.DeploymentV3{Resources: []apitype.ResourceV3{res(t, namespaceType, "t1", `{"metadata":{"name":"t1","labels":{`+labels+`}}}`)}}, fixedNow)
	}
	verdictIs(t, ns(""), "pss-restricted", Pass)
	verdictIs(t, ns("latest"), "pss-restricted", Pass)
	floor := fullProfileVersion()
	if floor.Older(psaapi.MajorMinorVersion(1, 25)) {
		t.Fatalf("the evaluator's newest check revision is %s; restricted changed after v1.25", floor.String())
	}
	verdictIs(t, ns(floor.String()), "pss-restricted", Pass)
	verdictIs(t, ns(fmt.Sprintf("v%d.%d", floor.Major(), floor.Minor()+1)), "pss-restricted", Pass)
	before := fmt.Sprintf("v%d.%d", floor.Major(), floor.Minor()-1)
	for _, v := range []string{"v1.0", "v1.22", before, "Latest", " "} {
		r := verdictIs(t, ns(v), "pss-restricted", Fail)
		named := false
		for _, e := range r.Evidence {
			named = named || (!e.OK && strings.Contains(e.Field, "enforce-version"))
		}
		if !named {
			t.Errorf("%q: no failing enforce-version fact: %+v", v, r.Evidence)
		}
	}
}

// TestTLSIngress_FloorIsExactlyTLS12OrTLS13: the floor is compared as a
// token, not a float ("1.20" is not 1.2, "1.10" is not 1.1).
func TestTLSIngress_FloorIsExactlyTLS12OrTLS13(t *testing.T) {
	floor := func(v string) Result {
		a := Assess("s", apitype.DeploymentV3{Resources: []apitype.ResourceV3{
			res(t, gatewayType, "gw", `{"metadata":{"name":"gw","namespace":"n"},"spec":{"listeners":[{"name":"https","protocol":"HTTPS","tls":{"mode":"Terminate","certificateRefs":[{"name":"c"}]}}]}}`),
			res(t, trafficPolicyType, "floor", `{"spec":{"tls":{"minVersion":"`+v+`"}}}`),
		}}, fixedNow)
		r, _ := a.Result("tls-ingress")
		return r
	}
	for _, v := range []string{"1.2", "1.3"} {
		if r := floor(v); r.Verdict != Pass {
			t.Errorf("%q = %s, want pass: %+v", v, r.Verdict, r.Evidence)
		}
	}
	for _, v := range []string{"1.20", "1.10", "1.1", "v1.3", "Auto", "2", "1.30", ""} {
		r := floor(v)
		if r.Verdict != Fail {
			t.Errorf("%q = %s, want fail", v, r.Verdict)
			continue
		}
		for _, e := range r.Evidence {
			if e.Field == "spec.tls.minVersion" && !strings.Contains(e.Note, `"1.2" or "1.3"`) {
				t.Errorf("%q: note does not name the accepted values: %q", v, e.Note)
			}
		}
	}
}

// TestTokenLifespans_ClientOverrideJudged: a client's own access token
// lifespan overrides its realm's, so one over 5 minutes fails even when the
// realm is within bounds; a client without the override inherits the
// realm's.
func TestTokenLifespans_ClientOverrideJudged(t *testing.T) {
	realm := res(t, realmType, "realm", `{"accessTokenLifespan":"5m0s","ssoSessionIdleTimeout":"15m0s"}`)
	client := func(v string) *Assessment {
		return Assess("s", apitype.DeploymentV3{Resources: []apitype.ResourceV3{realm, res(t, clientType, "app", `{"clientId":"app","accessTokenLifespan":"`+v+`"}`)}}, fixedNow)
	}
	verdictIs(t, client("5m0s"), "token-lifespans", Pass)
	verdictIs(t, client("300"), "token-lifespans", Pass)
	verdictIs(t, client(""), "token-lifespans", Pass)
	for _, v := range []string{"1h0m0s", "301", "forever"} {
		r := verdictIs(t, client(v), "token-lifespans", Fail)
		named := false
		for _, e := range r.Evidence {
			named = named || (!e.OK && strings.HasSuffix(e.URN, "::app"))
		}
		if !named {
			t.Errorf("%q: no failing fact names the client: %+v", v, r.Evidence)
		}
	}
}

// TestTokenLifespans_SessionEndsWithin12Hours: ISM-0428's overall session
// bound; absent is Keycloak's default (10h).
func TestTokenLifespans_SessionEndsWithin12Hours(t *testing.T) {
	realm := func(max string) *Assessment {
		return Assess("s", apitype.DeploymentV3{Resources: []apitype.ResourceV3{res(t, realmType, "realm",
			`{"accessTokenLifespan":"5m0s","ssoSessionIdleTimeout":"15m0s"`+max+`}`)}}, fixedNow)
	}
	verdictIs(t, realm(""), "token-lifespans", Pass)
	verdictIs(t, realm(`,"ssoSessionMaxLifespan":"10h0m0s"`), "token-lifespans", Pass)
	r := verdictIs(t, realm(`,"ssoSessionMaxLifespan":"24h0m0s"`), "token-lifespans", Fail)
	if !strings.Contains(fmt.Sprint(r.Evidence), "ISM-0428") {
		t.Errorf("the failing fact does not name ISM-0428: %+v", r.Evidence)
	}
}
