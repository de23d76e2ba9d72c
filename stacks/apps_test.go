package stacks_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/recmock"
)

const networkPolicy = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

// appsConfig is a prod stack with the entry point on and three tenants:
// team-a's web (exposed on 8080, also serving 9090) reaches its api on
// 9090, one public address and team-b's store, which admits it; team-c
// declares no apps and owns one plain route.
func appsConfig() map[string]any {
	return map[string]any{
		"rampart:ingress": map[string]any{"enabled": true, "routes": []any{
			map[string]any{"host": "c.platform.example.gov.uk", "namespace": "team-c", "backend": map[string]any{"service": "c", "port": 8443, "targetPort": 8444}},
		}},
		"rampart:tenants": []any{
			map[string]any{"name": "team-a", "apps": []any{
				map[string]any{"name": "web", "podLabels": map[string]any{"app": "web"}, "ports": []any{8080, 9090},
					"expose": []any{map[string]any{"host": "web.platform.example.gov.uk", "port": 8080}},
					"allow": map[string]any{"to": []any{
						map[string]any{"app": "api", "ports": []any{9090}},
						map[string]any{"cidr": "203.0.113.10/32", "ports": []any{443}},
						map[string]any{"namespace": "team-b", "podLabels": map[string]any{"app": "store"}, "ports": []any{5432}},
					}}},
				map[string]any{"name": "api", "podLabels": map[string]any{"app": "api"}, "ports": []any{9090}},
			}},
			map[string]any{"name": "team-b", "apps": []any{
				map[string]any{"name": "store", "podLabels": map[string]any{"app": "store"}, "ports": []any{5432},
					"allow": map[string]any{"from": []any{map[string]any{"namespace": "team-a", "podLabels": map[string]any{"app": "web"}}}}},
			}},
			map[string]any{"name": "team-c"},
		},
	}
}

// appsStack is validConfig with appsConfig's sections, edited by mut (on
// the decoded sections, keyed like appsConfig), as the engine hands them
// over.
func appsStack(t *testing.T, mut func(s map[string]any)) map[string]string {
	t.Helper()
	s := appsConfig()
	if mut != nil {
		mut(s)
	}
	cfg := validConfig()
	for k, v := range s {
		if v == nil {
			delete(cfg, k)
			continue
		}
		cfg[k] = js(v)
	}
	return cfg
}

// app is tenant i's app j in sections s.
func app(s map[string]any, i, j int) map[string]any {
	return s["rampart:tenants"].([]any)[i].(map[string]any)["apps"].([]any)[j].(map[string]any)
}

func allow(s map[string]any, i, j int, dir string) []any {
	return app(s, i, j)["allow"].(map[string]any)[dir].([]any)
}

func setAllow(s map[string]any, i, j int, dir string, v []any) {
	app(s, i, j)["allow"].(map[string]any)[dir] = v
}

// TestApps_RenderOnePolicyPerAppAndRoutePortsOnly: each app gets app-<name>
// with exactly its peers and ports, no tenant-isolation where apps are
// declared, and team-c (no apps) admits the proxies on its route's
// targetPort only.
func TestApps_RenderOnePolicyPerAppAndRoutePortsOnly(t *testing.T) {
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(appsStack(t, nil))); err != nil {
		t.Fatal(err)
	}
	spec := func(name string) string {
		r := rec.MustGet(t, networkPolicy, name)
		v, _ := recmock.Path(r.Plain(), "spec")
		b, _ := json.Marshal(v)
		return string(b)
	}
	for name, want := range map[string][]string{
		"team-a-policies-app-web": {`"podSelector":{"matchLabels":{"app":"web"}}`,
			`{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"rampart-ingress"}},"podSelector":{"matchLabels":{"app.kubernetes.io/component":"proxy","app.kubernetes.io/name":"envoy"}}}],"ports":[{"port":8080,"protocol":"TCP"}]}`,
			`{"ports":[{"port":9090,"protocol":"TCP"}],"to":[{"podSelector":{"matchLabels":{"app":"api"}}}]}`,
			`{"ports":[{"port":443,"protocol":"TCP"}],"to":[{"ipBlock":{"cidr":"203.0.113.10/32"}}]}`,
			`{"ports":[{"port":5432,"protocol":"TCP"}],"to":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"team-b"}},"podSelector":{"matchLabels":{"app":"store"}}}]}`},
		"team-a-policies-app-api": {`"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"web"}}}],"ports":[{"port":9090,"protocol":"TCP"}]}]`,
			`"policyTypes":["Ingress","Egress"]`},
		"team-b-policies-app-store":        {`"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"team-a"}},"podSelector":{"matchLabels":{"app":"web"}}}],"ports":[{"port":5432,"protocol":"TCP"}]}]`},
		"team-c-policies-tenant-isolation": {`{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"rampart-ingress"}},"podSelector":{"matchLabels":{"app.kubernetes.io/component":"proxy","app.kubernetes.io/name":"envoy"}}}],"ports":[{"port":8444,"protocol":"TCP"}]}`},
	} {
		got := spec(name)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s spec lacks %s\n got %s", name, w, got)
			}
		}
	}
	if s := spec("team-a-policies-app-api"); strings.Contains(s, `"egress"`) {
		t.Errorf("api declares no egress, yet its policy has rules: %s", s)
	}
	for _, n := range rec.Names() {
		if strings.HasSuffix(n, "/team-a-policies-tenant-isolation") || strings.HasSuffix(n, "/team-b-policies-tenant-isolation") {
			t.Errorf("%s rendered for a tenant with apps", n)
		}
	}
	if !slices.Contains(rec.Names(), "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute/ingress-route-ingress-web-platform-example-gov-uk") {
		t.Errorf("web's expose rendered no HTTPRoute: %v", rec.Names())
	}
}

// TestApps_BadDeclarationsAreRefusedAtTheirKeyAndRegisterNothing: every
// kind of mistake in an app declaration, and in the gateway's backends,
// comes back at its exact key, and nothing is registered.
func TestApps_BadDeclarationsAreRefusedAtTheirKeyAndRegisterNothing(t *testing.T) {
	const p = "rampart:tenants[0].apps"
	long := "the database of the payments system on the private network"
	for _, tc := range []struct {
		name string
		mut  func(s map[string]any)
		want string
	}{
		{"name not a DNS label", func(s map[string]any) { app(s, 0, 0)["name"] = "Web" }, p + `[0].name: "Web": not a DNS label`},
		{"duplicate name", func(s map[string]any) { app(s, 0, 1)["name"] = "web" }, p + `[1].name: "web": duplicate of ` + p + "[0]"},
		{"empty selector", func(s map[string]any) { app(s, 0, 1)["podLabels"] = map[string]any{} }, p + `[1].podLabels: {}: an empty selector`},
		{"overlapping selectors", func(s map[string]any) { app(s, 0, 1)["podLabels"] = map[string]any{"app": "web", "tier": "x"} },
			p + "[1].podLabels: {app: web, tier: x}: not disjoint from " + p + "[0] (web)"},
		{"selectors on different keys", func(s map[string]any) { app(s, 0, 1)["podLabels"] = map[string]any{"tier": "back"} },
			p + "[1].podLabels: {tier: back}: not disjoint from " + p + "[0] (web): a pod carrying both apps' labels would take both apps' traffic"},
		{"a wide public range", func(s map[string]any) {
			allow(s, 0, 0, "to")[1] = map[string]any{"cidr": "32.0.0.0/3", "ports": []any{443}}
		}, p + `[0].allow.to[1].cidr: "32.0.0.0/3": wider than /16 (IPv4) or /32 (IPv6): public egress in all but name`},
		{"a wide IPv6 allowed target", func(s map[string]any) {
			s["rampart:gateway"] = map[string]any{"namespace": "rampart-system", "podLabels": map[string]any{"app": "gateway"},
				"allowedTargets": []any{map[string]any{"name": "v6", "cidr": "2000::/3", "ports": []any{443}}}}
		}, `rampart:gateway.allowedTargets[0].cidr: "2000::/3": wider than /16 (IPv4) or /32 (IPv6)`},
		{"port out of range", func(s map[string]any) { app(s, 0, 0)["ports"] = []any{8080, 9090, 70000} }, p + "[0].ports[2]: 70000"},
		{"port twice", func(s map[string]any) { app(s, 0, 1)["ports"] = []any{9090, 9090} }, p + "[1].ports[1]: 9090: listed twice"},
		{"exposed port not served", func(s map[string]any) {
			app(s, 0, 0)["expose"] = []any{map[string]any{"host": "web.platform.example.gov.uk", "port": 8443}}
		}, p + "[0].expose[0].port: 8443: not a port of app web"},
		{"exposed host outside the domain", func(s map[string]any) {
			app(s, 0, 0)["expose"] = []any{map[string]any{"host": "web.example.com", "port": 8080}}
		}, p + `[0].expose[0].host: "web.example.com"`},
		{"expose bad service port", func(s map[string]any) {
			app(s, 0, 0)["expose"] = []any{map[string]any{"host": "web.platform.example.gov.uk", "port": 8080, "servicePort": 70000}}
		}, p + "[0].expose[0].servicePort: 70000"},
		{"expose of an app whose name is no Service name", func(s map[string]any) { app(s, 0, 0)["name"] = "1web" },
			p + "[0].expose[0].service: (unset): defaults to the app's name \"1web\", which is no Service name"},
		{"backend port out of range", func(s map[string]any) {
			s["rampart:gateway"] = map[string]any{"namespace": "rampart-system", "podLabels": map[string]any{"app": "gateway"},
				"backends": []any{map[string]any{"name": "b", "url": "https://203.0.113.7:99999/"}}}
		}, `rampart:gateway.backends[0].url: "https://203.0.113.7:99999/"`},
		{"a blocklisted backend on a port its target does not open", func(s map[string]any) {
			s["rampart:gateway"] = map[string]any{"namespace": "rampart-system", "podLabels": map[string]any{"app": "gateway"},
				"allowedTargets": []any{map[string]any{"name": "core", "cidr": "10.40.12.0/24", "ports": []any{8443}, "justification": long}},
				"backends":       []any{map[string]any{"name": "core", "url": "https://10.40.12.15:9999/"}}}
		}, `rampart:gateway.backends[0].url: "https://10.40.12.15:9999/": 10.40.12.15 is inside the SSRF blocklist entry 10.0.0.0/8 as written, and no allowed target opens it on port 9999`},
		{"a NAT64 literal backend", func(s map[string]any) {
			s["rampart:gateway"] = map[string]any{"namespace": "rampart-system", "podLabels": map[string]any{"app": "gateway"},
				"backends": []any{map[string]any{"name": "b", "url": "https://[64:ff9b::808:808]/"}}}
		}, `rampart:gateway.backends[0].url: "https://[64:ff9b::808:808]/": 64:ff9b::808:808 is inside the SSRF blocklist entry 64:ff9b::/96 as written`},
		{"two backends of one name", func(s map[string]any) {
			s["rampart:gateway"] = map[string]any{"namespace": "rampart-system", "podLabels": map[string]any{"app": "gateway"},
				"backends": []any{map[string]any{"name": "b", "url": "https://203.0.113.7/"}, map[string]any{"name": "b", "url": "https://203.0.113.8/"}}}
		}, `rampart:gateway.backends[1].name: "b": duplicate of rampart:gateway.backends[0].name`},
		{"expose with the entry point off", func(s map[string]any) { s["rampart:ingress"] = map[string]any{"enabled": false} },
			p + "[0].expose[0]: (a route): rampart:ingress is off"},
		{"expose clashing with a route", func(s map[string]any) {
			r := s["rampart:ingress"].(map[string]any)["routes"].([]any)[0].(map[string]any)
			r["host"] = "web.platform.example.gov.uk"
		}, p + `[0].expose[0].path: "/": same host and path as rampart:ingress.routes[0]`},
		{"a route without a backend beside the apps", func(s map[string]any) {
			delete(s["rampart:ingress"].(map[string]any)["routes"].([]any)[0].(map[string]any), "backend")
		}, "rampart:ingress.routes[0].backend: (none): a route without a backend"},
		{"a route into a tenant with apps", func(s map[string]any) {
			s["rampart:ingress"].(map[string]any)["routes"].([]any)[0].(map[string]any)["namespace"] = "team-a"
		}, `rampart:ingress.routes[0].backend.namespace: "team-a": tenant team-a declares apps`},
		{"unknown app", func(s map[string]any) { allow(s, 0, 0, "to")[0] = map[string]any{"app": "db", "ports": []any{5432}} },
			p + `[0].allow.to[0].app: "db": no app of this tenant has this name — use one of api, web`},
		{"a port the target does not serve", func(s map[string]any) { allow(s, 0, 0, "to")[0] = map[string]any{"app": "api", "ports": []any{9091}} },
			p + "[0].allow.to[0].ports[0]: 9091: not a port app api serves"},
		{"to without ports", func(s map[string]any) { allow(s, 0, 0, "to")[0] = map[string]any{"app": "api"} },
			p + "[0].allow.to[0].ports: []: no ports"},
		{"to naming no peer", func(s map[string]any) { allow(s, 0, 0, "to")[0] = map[string]any{"ports": []any{443}} },
			p + "[0].allow.to[0]: {}: names no peer"},
		{"to naming two peers", func(s map[string]any) {
			allow(s, 0, 0, "to")[0] = map[string]any{"app": "api", "cidr": "203.0.113.0/24", "ports": []any{9090}}
		}, p + "[0].allow.to[0]: (several): app, namespace and cidr are alternatives"},
		{"justification on a pod peer", func(s map[string]any) {
			allow(s, 0, 0, "to")[0] = map[string]any{"app": "api", "ports": []any{9090}, "justification": long}
		}, p + "[0].allow.to[0].justification: (set): justifies an address range"},
		{"range in the blocklist without a justification", func(s map[string]any) {
			allow(s, 0, 0, "to")[1] = map[string]any{"cidr": "10.20.0.0/24", "ports": []any{5432}}
		}, p + `[0].allow.to[1].justification: "": 10.20.0.0/24 overlaps the SSRF blocklist entry 10.0.0.0/8`},
		{"the metadata address", func(s map[string]any) {
			allow(s, 0, 0, "to")[1] = map[string]any{"cidr": "169.254.169.254/32", "ports": []any{80}, "justification": long}
		}, p + `[0].allow.to[1].cidr: "169.254.169.254/32": contains the cloud metadata address 169.254.169.254`},
		{"every address", func(s map[string]any) {
			allow(s, 0, 0, "to")[1] = map[string]any{"cidr": "0.0.0.0/0", "ports": []any{443}, "justification": long}
		}, p + `[0].allow.to[1].cidr: "0.0.0.0/0": contains the cloud metadata address`},
		{"not a CIDR", func(s map[string]any) {
			allow(s, 0, 0, "to")[1] = map[string]any{"cidr": "203.0.113.10", "ports": []any{443}}
		},
			p + `[0].allow.to[1].cidr: "203.0.113.10": not a CIDR`},
		{"another tenant without its consent", func(s map[string]any) { setAllow(s, 1, 0, "from", nil) },
			p + "[0].allow.to[2]: team-b/store: app store of tenant team-b does not declare allow.from naming team-a/web on these ports"},
		{"another tenant on a port it does not admit", func(s map[string]any) {
			allow(s, 1, 0, "from")[0].(map[string]any)["ports"] = []any{5432}
			app(s, 1, 0)["ports"] = []any{5432, 5433}
			allow(s, 0, 0, "to")[2].(map[string]any)["ports"] = []any{5432, 5433}
		}, p + "[0].allow.to[2]: team-b/store: app store of tenant team-b does not declare allow.from naming team-a/web on these ports"},
		{"another tenant's app on a port it does not serve", func(s map[string]any) {
			allow(s, 0, 0, "to")[2].(map[string]any)["ports"] = []any{5433}
		}, p + "[0].allow.to[2].ports[0]: 5433: not a port app store of tenant team-b serves (ports [5432])"},
		{"a selector matching no app of the other tenant", func(s map[string]any) {
			allow(s, 0, 0, "to")[2].(map[string]any)["podLabels"] = map[string]any{"app": "cache"}
		}, p + "[0].allow.to[2].podLabels: map[app:cache]: selects no app declared in tenant team-b"},
		{"a tenant without apps", func(s map[string]any) {
			allow(s, 0, 0, "to")[2].(map[string]any)["namespace"] = "team-c"
		}, p + `[0].allow.to[2].namespace: "team-c": tenant team-c declares no apps`},
		{"a platform namespace", func(s map[string]any) {
			allow(s, 0, 0, "to")[2].(map[string]any)["namespace"] = "openbao"
		}, p + `[0].allow.to[2].namespace: "openbao": a platform namespace`},
		{"the gateway's namespace", func(s map[string]any) {
			allow(s, 0, 0, "to")[2].(map[string]any)["namespace"] = "rampart-system"
		}, p + `[0].allow.to[2].namespace: "rampart-system": the gateway's namespace: rampart:gateway's own policy decides its traffic`},
		{"the ingress namespace", func(s map[string]any) {
			allow(s, 0, 0, "to")[2].(map[string]any)["namespace"] = "rampart-ingress"
		}, p + `[0].allow.to[2].namespace: "rampart-ingress": the ingress namespace`},
		{"the app's own tenant by namespace", func(s map[string]any) {
			allow(s, 0, 0, "to")[2] = map[string]any{"namespace": "team-a", "podLabels": map[string]any{"app": "api"}, "ports": []any{9090}}
		}, p + `[0].allow.to[2].namespace: "team-a": the app's own tenant`},
		{"a namespace peer without pods", func(s map[string]any) {
			allow(s, 0, 0, "to")[2] = map[string]any{"namespace": "shared-db", "ports": []any{5432}}
		}, p + "[0].allow.to[2].podLabels: {}: a peer is never every pod of a namespace"},
		{"from on a port the app does not serve", func(s map[string]any) {
			allow(s, 1, 0, "from")[0].(map[string]any)["ports"] = []any{5433}
		}, "rampart:tenants[1].apps[0].allow.from[0].ports[0]: 5433: not a port of app store"},
		{"from another tenant that does not reach out", func(s map[string]any) {
			to := allow(s, 0, 0, "to")
			setAllow(s, 0, 0, "to", to[:2])
		}, "rampart:tenants[1].apps[0].allow.from[0]: team-a/web: app web of tenant team-a does not declare allow.to naming team-b/store on these ports"},
		{"from an app that serves no port", func(s map[string]any) {
			a := app(s, 1, 0)
			a["ports"] = []any{}
		}, "rampart:tenants[1].apps[0].allow.from[0]: (a peer): app store serves no port, so it accepts nothing"},
		{"backend host name that does not resolve", func(s map[string]any) {
			s["rampart:gateway"] = map[string]any{"namespace": "rampart-system", "podLabels": map[string]any{"app": "gateway"},
				"backends": []any{map[string]any{"name": "pay", "url": "https://pay.example.net/"}}}
		}, `rampart:gateway.backends[0].url: "https://pay.example.net/": pay.example.net does not resolve here, and no allowed target named pay declares its addresses on port 443`},
		{"backend host name resolving outside every allowed target", func(s map[string]any) {
			s["rampart:gateway"] = map[string]any{"namespace": "rampart-system", "podLabels": map[string]any{"app": "gateway"},
				"backends":       []any{map[string]any{"name": "api", "url": "https://api.example.com:8443/"}},
				"allowedTargets": []any{map[string]any{"name": "api", "cidr": "93.184.216.0/24", "ports": []any{443}}}}
		}, `rampart:gateway.backends[0].url: "https://api.example.com:8443/": api.example.com resolves to 93.184.216.34, which no allowed target opens on port 8443`},
		{"public egress with a short justification", func(s map[string]any) {
			s["rampart:gateway"] = map[string]any{"namespace": "rampart-system", "podLabels": map[string]any{"app": "gateway"},
				"publicEgress": map[string]any{"ports": []any{443}, "justification": "SaaS"}}
		}, `rampart:gateway.publicEgress.justification: "SaaS": egress to any public address is a written decision`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := recmock.New()
			err := rec.Run(program, recmock.WithConfig(appsStack(t, tc.mut)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if rec.Len() != 0 {
				t.Fatalf("registered %v despite invalid config", rec.Names())
			}
		})
	}
}

// TestApps_BackendsDeclaredOrDecidedAreAccepted: a host name whose
// addresses an allowed target opens, one that does not resolve but has an
// allowed target of its name, and one under publicEgress are accepted; a
// literal address is opened as exactly itself.
func TestApps_BackendsDeclaredOrDecidedAreAccepted(t *testing.T) {
	cfg := appsStack(t, func(s map[string]any) {
		s["rampart:gateway"] = map[string]any{"namespace": "rampart-system", "podLabels": map[string]any{"app": "gateway"},
			"backends": []any{
				map[string]any{"name": "api", "url": "https://api.example.com/"},
				map[string]any{"name": "pay", "url": "https://pay.example.net:8443/"},
				map[string]any{"name": "saas", "url": "https://saas.example.org/"},
				map[string]any{"name": "direct", "url": "https://[2001:db8::7]:9443/"},
			},
			"allowedTargets": []any{
				map[string]any{"name": "api", "cidr": "93.184.216.0/24", "ports": []any{443}},
				map[string]any{"name": "pay", "cidr": "198.51.100.0/28", "ports": []any{8443}},
			},
			"publicEgress": map[string]any{"ports": []any{443}, "justification": "saas.example.org is served from a CDN whose addresses rotate hourly.",
				"owner": "platform-team", "approvedBy": "CISO", "ticket": "SEC-42", "expires": inDays(180)}}
	})
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec.MustGet(t, networkPolicy, "rampart-system-policies-gateway-egress").Plain())
	for _, want := range []string{`{"ports":[{"port":9443,"protocol":"TCP"}],"to":[{"ipBlock":{"cidr":"2001:db8::7/128"}}]}`, `"cidr":"0.0.0.0/0"`, `"cidr":"198.51.100.0/28"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("gateway egress lacks %s:\n%s", want, b)
		}
	}
}
