package stacks_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const tCTP = "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy"

// tls12Reason is a written justification for a 1.2 floor under prod.
const tls12Reason = "The card scheme's payment terminals negotiate TLS 1.2 only until their 2027 firmware."

// withIngress is cfg with rampart:ingress on (one route to team-a) plus
// the given keys.
func withIngress(cfg map[string]string, keys map[string]any) map[string]string {
	in := map[string]any{"enabled": true, "routes": []any{map[string]any{
		"host": "app." + cfg["rampart:domain"], "namespace": "team-a", "backend": map[string]any{"service": "web", "port": 8080},
	}}}
	for k, v := range keys {
		in[k] = v
	}
	cfg["rampart:ingress"] = js(in)
	return cfg
}

// floorOf is the rendered ClientTrafficPolicy's spec.tls minVersion and
// ciphers.
func floorOf(t *testing.T, rec *recmock.Recorder) (string, any) {
	t.Helper()
	ctp := rec.MustGet(t, tCTP, "ingress-tls-floor").Plain()
	minV, _ := recmock.Path(ctp, "spec", "tls", "minVersion")
	ciphers, _ := recmock.Path(ctp, "spec", "tls", "ciphers")
	s, _ := minV.(string)
	return s, ciphers
}

// TestIngress_TLSFloorPerProfile: prod renders a 1.3 floor without ciphers
// by default (the sovereign-cloud hardening guide), and 1.2 with the ECDHE + AEAD suites only as a
// justified typed choice; local keeps the STOA security hardening checklist's 1.2 by default.
func TestIngress_TLSFloorPerProfile(t *testing.T) {
	aead := make([]any, len(ingress.DefaultCiphers))
	for i, c := range ingress.DefaultCiphers {
		aead[i] = c
	}
	local := validConfig()
	local["rampart:profile"], local["rampart:domain"] = "local", "platform.rampart.test"
	for _, tc := range []struct {
		name    string
		cfg     map[string]string
		min     string
		ciphers any
	}{
		{"prod default", withIngress(validConfig(), nil), "1.3", nil},
		{"prod 1.3 stated", withIngress(validConfig(), map[string]any{"tlsMinVersion": "1.3"}), "1.3", nil},
		{"prod 1.2 justified", withIngress(validConfig(), map[string]any{"tlsMinVersion": "1.2", "tls12Justification": tls12Reason}), "1.2", aead},
		{"local default", withIngress(local, nil), "1.2", aead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := recmock.New()
			if err := rec.Run(program, recmock.WithConfig(tc.cfg)); err != nil {
				t.Fatal(err)
			}
			minV, ciphers := floorOf(t, rec)
			if minV != tc.min || !reflect.DeepEqual(ciphers, tc.ciphers) {
				t.Errorf("spec.tls minVersion %q ciphers %v, want %q %v", minV, ciphers, tc.min, tc.ciphers)
			}
		})
	}
}

// TestIngress_ProdRejectsTLS12WithoutJustificationAtItsKey: a 1.2 floor
// under prod without its written reason is refused at
// rampart:ingress.tls12Justification, with the fix, and nothing is
// registered; a justification with a 1.3 floor is refused too.
func TestIngress_ProdRejectsTLS12WithoutJustificationAtItsKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys map[string]any
		want []string
	}{
		{"1.2 without justification", map[string]any{"tlsMinVersion": "1.2"}, []string{
			`rampart:ingress.tls12Justification: "": missing: the prod profile's TLS floor is 1.3 (the sovereign-cloud hardening guide)`,
			"say which clients cannot negotiate TLS 1.3", "remove rampart:ingress.tlsMinVersion",
		}},
		{"1.2 with a blank justification", map[string]any{"tlsMinVersion": "1.2", "tls12Justification": "   "}, []string{
			`rampart:ingress.tls12Justification: "   ": missing`,
		}},
		{"justification with the 1.3 default", map[string]any{"tls12Justification": tls12Reason}, []string{
			"rampart:ingress.tls12Justification: (set): justifies a 1.2 floor, but the floor is 1.3 — remove rampart:ingress.tls12Justification",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := recmock.New()
			err := rec.Run(program, recmock.WithConfig(withIngress(validConfig(), tc.keys)))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := rec.Len(); n != 0 {
				t.Errorf("%d resources registered for a bad config", n)
			}
		})
	}
}

// A chart from a local folder is the local profile's lab only: prod refuses
// it at its key and registers nothing; local takes it.
func TestIngress_LocalChartFolderOnlyInTheLocalProfile(t *testing.T) {
	chart := map[string]any{"enabled": true, "repository": "/var/cache/rampart/charts"}
	api := map[string]any{"cidrs": []any{"10.96.0.1/32"}}
	rec := recmock.New()
	err := rec.Run(program, recmock.WithConfig(withIngress(validConfig(), map[string]any{"chart": chart, "apiServer": api})))
	if err == nil || !strings.Contains(err.Error(), `rampart:ingress.chart.repository: "/var/cache/rampart/charts": a local chart folder is for the local profile's lab only`) {
		t.Fatalf("prod with a local chart folder: %v", err)
	}
	if n := rec.Len(); n != 0 {
		t.Errorf("%d resources registered for a bad config", n)
	}
	local := validConfig()
	local["rampart:profile"], local["rampart:domain"] = "local", "platform.rampart.test"
	rec = recmock.New()
	if err := rec.Run(program, recmock.WithConfig(withIngress(local, map[string]any{"chart": chart, "apiServer": api}))); err != nil {
		t.Fatalf("local with the lab's chart folder: %v", err)
	}
	ch := rec.ByType("kubernetes:helm.sh/v4:Chart")
	if len(ch) != 1 {
		t.Fatalf("charts = %d", len(ch))
	}
	if got, _ := recmock.Path(ch[0].Plain(), "chart"); got != "/var/cache/rampart/charts/gateway-helm" {
		t.Errorf("chart = %v", got)
	}
}
