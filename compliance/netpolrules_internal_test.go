package compliance

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/rampart-dev/rampart/components/ingress"
)

// TestNetpol_PoliciesAddUp: NetworkPolicies are additive, so one extra
// policy or rule that admits everyone fails netpol (and, for egress,
// ssrf-blocklist) even though the named default-deny, DNS and isolation
// policies are intact.
func TestNetpol_PoliciesAddUp(t *testing.T) {
	verdictIs(t, tenantWith(t), "netpol", Pass)
	verdictIs(t, tenantWith(t), "ssrf-blocklist", Pass)
	for _, tc := range []struct {
		name, spec string
		ssrf       Verdict
	}{
		{"allow-all policy", `{"podSelector":{},"policyTypes":["Ingress","Egress"],"ingress":[{}],"egress":[{}]}`, Fail},
		{"extra {} egress rule beside DNS", `{"podSelector":{},"policyTypes":["Egress"],"egress":[{"ports":[{"port":53,"protocol":"UDP"},{"port":53,"protocol":"TCP"}]},{}]}`, Fail},
		{"egress to an empty peer", `{"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{}]}]}`, Fail},
		{"ingress from everyone on a port", `{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"ports":[{"port":8080}]}]}`, Pass},
		{"ingress from every namespace", `{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"from":[{"namespaceSelector":{}}]}]}`, Pass},
		{"egress to every namespace", `{"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{"namespaceSelector":{},"podSelector":{}}]}]}`, Pass},
		{"egress to 0.0.0.0/0", `{"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}]}`, Fail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := tenantWith(t, policy(t, "extra", tc.spec))
			r := verdictIs(t, a, "netpol", Fail)
			named := false
			for _, e := range r.Evidence {
				named = named || (!e.OK && strings.HasSuffix(e.URN, "::extra") && e.Note != "")
			}
			if !named {
				t.Errorf("no failing fact names the extra policy: %+v", r.Evidence)
			}
			verdictIs(t, a, "ssrf-blocklist", tc.ssrf)
		})
	}
	// Narrow selectors stay fine: a namespace narrowed by a pod selector.
	verdictIs(t, tenantWith(t, policy(t, "ok", `{"podSelector":{},"policyTypes":["Egress"],"egress":[{"to":[{"namespaceSelector":{},"podSelector":{"matchLabels":{"app":"x"}}}]}]}`)), "netpol", Pass)
}

// TestNetpol_GatewayIngressOpenOnlyAsRendered: the one rule Rampart renders
// open on purpose — ingress from anywhere to the gateway proxies on 80/443
// (and their unprivileged 10080/10443) in a policy of rampart:ingress —
// passes; the same rule on another port, or outside the component, fails.
func TestNetpol_GatewayIngressOpenOnlyAsRendered(t *testing.T) {
	gw := func(name, ports string) apitype.ResourceV3 {
		r := policy(t, name, `{"podSelector":{"matchLabels":{"app":"proxy"}},"policyTypes":["Ingress"],"ingress":[{"ports":`+ports+`}]}`)
		r.URN = resource.URN("urn:pulumi:s::p::" + ingress.TypeToken + "$" + networkPolicyType + "::" + name)
		return r
	}
	verdictIs(t, tenantWith(t, gw("edge", `[{"port":80,"protocol":"TCP"},{"port":443,"protocol":"TCP"},{"port":10443,"protocol":"TCP"}]`)), "netpol", Pass)
	verdictIs(t, tenantWith(t, gw("edge", `[{"port":22,"protocol":"TCP"}]`)), "netpol", Fail)
	verdictIs(t, tenantWith(t, gw("edge", `[{"port":443,"protocol":"UDP"}]`)), "netpol", Fail)
	verdictIs(t, tenantWith(t, policy(t, "edge", `{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"ports":[{"port":443,"protocol":"TCP"}]}]}`)), "netpol", Fail)
}

// TestNetpol_TenantIngressNamesOnlyAdmittedNamespaces: in a tenant, every
// ingress namespaceSelector of a declared policy names (by
// kubernetes.io/metadata.name) the tenant itself or a namespace its
// isolation policy admits (t1's admits gw); another tenant by name, a
// selector on another label, matchExpressions (Exists matches every
// namespace) or {} narrowed by a pod selector fail.
func TestNetpol_TenantIngressNamesOnlyAdmittedNamespaces(t *testing.T) {
	from := func(peer string) string {
		return `{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"from":[` + peer + `],"ports":[{"port":8080,"protocol":"TCP"}]}]}`
	}
	for _, tc := range []struct {
		name, peer string
		want       Verdict
	}{
		{"the gateway's namespace, which isolation admits", `{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"gw"}}}`, Pass},
		{"the tenant itself", `{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"t1"}},"podSelector":{"matchLabels":{"app":"a"}}}`, Pass},
		{"another tenant by name", `{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"t2"}}}`, Fail},
		{"a namespace label other than its name", `{"namespaceSelector":{"matchLabels":{"rampart.dev/tier":"tenant"}}}`, Fail},
		{"matchExpressions Exists", `{"namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"Exists"}]}}`, Fail},
		{"matchExpressions In the admitted namespace", `{"namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"In","values":["gw"]}]}}`, Fail},
		{"every namespace narrowed by a pod selector", `{"namespaceSelector":{},"podSelector":{"matchLabels":{"app":"x"}}}`, Fail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := verdictIs(t, tenantWith(t, policy(t, "extra", from(tc.peer))), "netpol", tc.want)
			if tc.want == Fail {
				named := false
				for _, e := range r.Evidence {
					named = named || !e.OK && strings.HasSuffix(e.URN, "::extra") && strings.Contains(e.Field, "namespaceSelector")
				}
				if !named {
					t.Errorf("no failing fact names the extra policy's namespaceSelector: %+v", r.Evidence)
				}
			}
		})
	}
}

// TestNetpol_IsolationAdmitsTheProxiesOnlyOnPorts (review F8): a tenant's
// isolation admits another namespace only as named pods on named ports,
// as Rampart renders the proxies' rule; the whole namespace, or every
// port, isolates nothing from it.
func TestNetpol_IsolationAdmitsTheProxiesOnlyOnPorts(t *testing.T) {
	for _, tc := range []struct{ name, from, ports, note string }{
		{"the whole namespace", `{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"gw"}}}`, `[{"port":8080,"protocol":"TCP"}]`,
			"the ingress peer gw admits every pod of that namespace"},
		{"an empty pod selector", `{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"gw"}},"podSelector":{}}`, `[{"port":8080,"protocol":"TCP"}]`,
			"the ingress peer gw admits every pod of that namespace"},
		{"every port", `{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"gw"}},"podSelector":{"matchLabels":{"app":"proxy"}}}`, `[]`,
			"the ingress rule from gw opens every port"},
		{"a selector of expressions only", `{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"gw"}},"podSelector":{"matchExpressions":[{"key":"x","operator":"DoesNotExist"}]}}`, `[{"port":8080,"protocol":"TCP"}]`,
			"the ingress peer gw admits every pod of that namespace"},
		{"every TCP port", `{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"gw"}},"podSelector":{"matchLabels":{"app":"proxy"}}}`, `[{"protocol":"TCP"}]`,
			"the ingress rule from gw opens every port"},
		{"a port range", `{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"gw"}},"podSelector":{"matchLabels":{"app":"proxy"}}}`, `[{"port":1,"endPort":65535,"protocol":"TCP"}]`,
			"the ingress rule from gw opens every port"},
	} {
		iso := `{"metadata":{"name":"tenant-isolation","namespace":"t1"},"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"],` +
			`"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"t1"}}}]},{"from":[` + tc.from + `],"ports":` + tc.ports + `}],` +
			`"egress":[{"to":[{"podSelector":{}}]}]}}`
		a := Assess("s", apitype.DeploymentV3{Resources: []apitype.ResourceV3{
			res(t, namespaceType, "t1", fxTenant), res(t, networkPolicyType, "deny", fxDeny),
			res(t, networkPolicyType, "dns", fxDNS), res(t, networkPolicyType, "iso", iso),
		}}, fixedNow)
		r := verdictIs(t, a, "netpol", Fail)
		found := false
		for _, e := range r.Evidence {
			found = found || (!e.OK && strings.Contains(e.Note, tc.note))
		}
		if !found {
			t.Errorf("%s: no failing fact says %q: %+v", tc.name, tc.note, r.Evidence)
		}
	}
	// Its own namespace on every port is the tenant talking to itself.
	verdictIs(t, tenantWith(t), "netpol", Pass)
}
