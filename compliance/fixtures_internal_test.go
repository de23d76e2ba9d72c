package compliance

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// fixedNow is the generation time of the hand-built assessments.
var fixedNow = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

// res is a resource of type typ named name with outputs given as JSON.
func res(t *testing.T, typ, name, outputs string) apitype.ResourceV3 {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(outputs), &m); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return apitype.ResourceV3{URN: resource.URN("urn:pulumi:s::p::" + typ + "::" + name), Type: tokens.Type(typ), Outputs: m}
}

// Tenant t1 with the policies Rampart renders for it (default-deny, DNS to
// kube-dns, isolation admitting the gateway's namespace).
const (
	fxTenant = `{"metadata":{"name":"t1","labels":{"rampart.dev/tier":"tenant","pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/audit":"restricted","pod-security.kubernetes.io/warn":"restricted"}}}`
	fxDeny   = `{"metadata":{"name":"default-deny-all","namespace":"t1"},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}}`
	fxDNS    = `{"metadata":{"name":"allow-dns","namespace":"t1"},"spec":{"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"kube-system"}},"podSelector":{"matchLabels":{"k8s-app":"kube-dns"}}}],"ports":[{"port":53,"protocol":"UDP"},{"port":53,"protocol":"TCP"}]}]}}`
	fxIso    = `{"metadata":{"name":"tenant-isolation","namespace":"t1"},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"],"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"gw"}},"podSelector":{"matchLabels":{"app":"proxy"}}}],"ports":[{"port":8080,"protocol":"TCP"}]}],"egress":[{"to":[{"podSelector":{}}]}]}}`
)

// tenantWith assesses tenant t1 with its rendered policies plus extra.
func tenantWith(t *testing.T, extra ...apitype.ResourceV3) *Assessment {
	t.Helper()
	rs := []apitype.ResourceV3{
		res(t, namespaceType, "t1", fxTenant),
		res(t, networkPolicyType, "deny", fxDeny),
		res(t, networkPolicyType, "dns", fxDNS),
		res(t, networkPolicyType, "iso", fxIso),
	}
	return Assess("s", apitype.DeploymentV3{Resources: append(rs, extra...)}, fixedNow)
}

// policy is a NetworkPolicy in t1 with the given spec (JSON).
func policy(t *testing.T, name, spec string) apitype.ResourceV3 {
	t.Helper()
	return res(t, networkPolicyType, name, `{"metadata":{"name":"`+name+`","namespace":"t1"},"spec":`+spec+`}`)
}

// egressTo is a policy in t1 whose one egress rule reaches ipBlock ib (JSON).
func egressTo(t *testing.T, name, ib string) apitype.ResourceV3 {
	t.Helper()
	return policy(t, name, `{"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{"ipBlock":`+ib+`}],"ports":[{"port":443,"protocol":"TCP"}]}]}`)
}

func verdictIs(t *testing.T, a *Assessment, id string, want Verdict) Result {
	t.Helper()
	r, ok := a.Result(id)
	if !ok {
		t.Fatalf("no result for %s", id)
	}
	if r.Verdict != want {
		t.Errorf("%s = %s, want %s; evidence %+v", id, r.Verdict, want, r.Evidence)
	}
	return r
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}
