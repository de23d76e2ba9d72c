package egtranslate_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/recmock"
	sigsyaml "sigs.k8s.io/yaml"
)

// translate runs egctl over the input and returns its result: the Gateway
// API objects with the status the translator set, and the xDS per Gateway.
func translate(t *testing.T, in []byte, namespace string) map[string]any {
	t.Helper()
	egctl := labenv.RequireCommand(t, "egctl")
	dir := t.TempDir()
	f := filepath.Join(dir, "in.yaml")
	if err := os.WriteFile(f, in, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(egctl, "experimental", "translate", "--from", "gateway-api", "--to", "gateway-api,xds",
		"-t", "all", "-o", "yaml", "-f", f, "-n", namespace)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("egctl: %v\n%s", err, stderr.String())
	}
	if d := os.Getenv("RAMPART_EGTRANSLATE_DUMP"); d != "" {
		_ = os.WriteFile(filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_")+".in.yaml"), in, 0o600)
		_ = os.WriteFile(filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_")+".out.yaml"), stdout.Bytes(), 0o600)
	}
	var out map[string]any
	if err := sigsyaml.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("egctl output: %v", err)
	}
	return out
}

// walk calls f on every map in v, depth first.
func walk(v any, f func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(x)
		for _, c := range x {
			walk(c, f)
		}
	case []any:
		for _, c := range x {
			walk(c, f)
		}
	}
}

func str(v any, steps ...any) string {
	got, _ := recmock.Path(v, steps...)
	s, _ := got.(string)
	return s
}

// conditionsNotTrue lists every status condition egctl set to anything but
// True, on every object it reports (GatewayClass, Gateways and their
// listeners, routes, policies): a translation error shows up there.
func conditionsNotTrue(out map[string]any) []string {
	var bad []string
	walk(out, func(m map[string]any) {
		conds, ok := m["conditions"].([]any)
		if !ok {
			return
		}
		for _, c := range conds {
			if str(c, "status") != "True" {
				bad = append(bad, fmt.Sprintf("%s: %s (%s)", str(c, "type"), str(c, "reason"), str(c, "message")))
			}
		}
	})
	return bad
}

// filterChains are the Envoy listeners' filter chains by SNI server name.
func filterChains(out map[string]any) map[string]map[string]any {
	chains := map[string]map[string]any{}
	walk(out["xds"], func(m map[string]any) {
		names, ok := recmock.Path(m, "filterChainMatch", "serverNames")
		if !ok {
			return
		}
		for _, n := range names.([]any) {
			chains[n.(string)] = m
		}
	})
	return chains
}

// routeConfigs are the RouteConfigurations by name.
func routeConfigs(out map[string]any) map[string]map[string]any {
	rcs := map[string]map[string]any{}
	walk(out["xds"], func(m map[string]any) {
		if m["@type"] == "type.googleapis.com/envoy.config.route.v3.RouteConfiguration" {
			rcs[m["name"].(string)] = m
		}
	})
	return rcs
}

// routes lists every route of a RouteConfiguration.
func routes(rc map[string]any) []map[string]any {
	var out []map[string]any
	vhs, _ := rc["virtualHosts"].([]any)
	for _, vh := range vhs {
		rs, _ := recmock.Path(vh, "routes")
		for _, r := range rs.([]any) {
			out = append(out, r.(map[string]any))
		}
	}
	return out
}

var tlsVersion = map[ingress.TLSVersion]string{ingress.TLS12: "TLSv1_2", ingress.TLS13: "TLSv1_3"}

// The stack floors are local's 1.2 and prod's 1.3; prod's 1.2 is the typed
// choice (with its justification) and renders the AEAD suites.
func TestTranslator_RampartStacksBecomeTheEnvoyConfigurationSeed000Asks(t *testing.T) {
	for _, tc := range []struct {
		stack  string
		tlsMin ingress.TLSVersion
	}{
		{"local", ""},
		{"prod", ""},
		{"prod", ingress.TLS12},
	} {
		name := tc.stack + "/tls-" + string(tc.tlsMin)
		if tc.tlsMin == "" {
			name = tc.stack + "/stack-tls-floor"
		}
		t.Run(name, func(t *testing.T) {
			a := stackArgs(t, tc.stack)
			if tc.tlsMin != "" {
				a.TLSMinVersion, a.Ciphers = tc.tlsMin, nil
				if tc.tlsMin == ingress.TLS12 {
					a.TLS12Justification = "The card scheme's payment terminals negotiate TLS 1.2 only."
				}
			}
			if want := map[string]ingress.TLSVersion{"local": ingress.TLS12, "prod": ingress.TLS13}[tc.stack]; tc.tlsMin == "" && a.TLSMinVersion != want {
				t.Fatalf("Pulumi.%s.yaml floor = %q, want the profile's %q", tc.stack, a.TLSMinVersion, want)
			}
			objs, da := rendered(t, a)
			out := translate(t, input(t, objs, da, newSigner(t, da.Domain)), da.Namespace)

			t.Run("every object is accepted with no translation error", func(t *testing.T) {
				if bad := conditionsNotTrue(out); len(bad) > 0 {
					t.Errorf("conditions not True:\n%s", strings.Join(bad, "\n"))
				}
				for _, kind := range []string{"gateways", "httpRoutes", "clientTrafficPolicies"} {
					items, _ := out[kind].([]any)
					if len(items) == 0 {
						t.Errorf("egctl reports no %s", kind)
					}
					for _, it := range items {
						if _, ok := recmock.Path(it, "status"); !ok {
							t.Errorf("%s %s has no status", kind, str(it, "metadata", "name"))
						}
					}
				}
			})

			t.Run("every HTTPS listener has the TLS floor, ciphers and ALPN", func(t *testing.T) {
				chains := filterChains(out)
				for _, h := range da.ListenerHosts() {
					fc, ok := chains[h]
					if !ok {
						t.Errorf("no filter chain for %s", h)
						continue
					}
					ctx, _ := recmock.Path(fc, "transportSocket", "typedConfig", "commonTlsContext")
					p, _ := recmock.Path(ctx, "tlsParams")
					if str(p, "tlsMinimumProtocolVersion") != tlsVersion[da.TLSMinVersion] || str(p, "tlsMaximumProtocolVersion") != "TLSv1_3" {
						t.Errorf("%s tlsParams = %v, want %s..TLSv1_3", h, p, tlsVersion[da.TLSMinVersion])
					}
					got, _ := recmock.Path(p, "cipherSuites")
					var want any
					if da.TLSMinVersion == "1.2" {
						want = []any{"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256",
							"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"}
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s cipherSuites = %v, want %v", h, got, want)
					}
					if alpn, _ := recmock.Path(ctx, "alpnProtocols"); !reflect.DeepEqual(alpn, []any{"h2", "http/1.1"}) {
						t.Errorf("%s ALPN = %v", h, alpn)
					}
					if sds := str(ctx, "tlsCertificateSdsSecretConfigs", 0, "name"); sds != da.Namespace+"/"+ingress.SecretName(h) {
						t.Errorf("%s certificate = %q", h, sds)
					}
				}
				if len(chains) != len(da.ListenerHosts()) {
					t.Errorf("%d TLS filter chains, want one per host (%d)", len(chains), len(da.ListenerHosts()))
				}
			})

			gw := da.Namespace + "/ingress-gateway"
			rcs := routeConfigs(out)
			t.Run("the HTTP listener only redirects to https with a 301", func(t *testing.T) {
				rc, ok := rcs[gw+"/"+ingress.HTTPListener]
				if !ok {
					t.Fatalf("no route configuration for the HTTP listener: %v", keys(rcs))
				}
				rs := routes(rc)
				if len(rs) == 0 {
					t.Fatal("HTTP listener has no route")
				}
				for _, r := range rs {
					code := str(r, "redirect", "responseCode") // omitted = MOVED_PERMANENTLY (301)
					if str(r, "redirect", "schemeRedirect") != "https" || (code != "" && code != "MOVED_PERMANENTLY") || r["route"] != nil || r["directResponse"] != nil {
						t.Errorf("HTTP listener route %s = %v, want only a 301 scheme redirect", str(r, "name"), r)
					}
				}
			})

			t.Run("every HTTPS route sets HSTS and the five headers", func(t *testing.T) {
				// The STOA security hardening checklist's values, written out here rather than taken from
				// the component, so a change there fails this test.
				want := map[string]string{
					"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
					"X-Content-Type-Options":    "nosniff",
					"X-Frame-Options":           "DENY",
					"X-XSS-Protection":          "0",
					"Referrer-Policy":           "strict-origin-when-cross-origin",
					"Permissions-Policy":        "camera=(), microphone=(), geolocation=()",
				}
				n := 0
				for name, rc := range rcs {
					if !strings.HasPrefix(name, gw+"/https-") {
						continue
					}
					for _, r := range routes(rc) {
						n++
						got := map[string]string{}
						hs, _ := r["responseHeadersToAdd"].([]any)
						for _, h := range hs {
							if str(h, "appendAction") != "OVERWRITE_IF_EXISTS_OR_ADD" {
								t.Errorf("%s: %s appended, not overwritten", str(r, "name"), str(h, "header", "key"))
							}
							got[str(h, "header", "key")] = str(h, "header", "value")
						}
						if !reflect.DeepEqual(got, want) {
							t.Errorf("%s headers = %v, want %v", str(r, "name"), got, want)
						}
						if r["route"] == nil || r["redirect"] != nil {
							t.Errorf("%s does not forward to its backend: %v", str(r, "name"), r)
						}
					}
				}
				if n != len(da.Routes) {
					t.Errorf("%d HTTPS routes in the xDS, want %d", n, len(da.Routes))
				}
			})
		})
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
