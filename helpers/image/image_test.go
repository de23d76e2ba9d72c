package image_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/verr"
)

const (
	dA = "sha256:0049bcb384c591c6a6dd043fe5c9929ef6e74f230e12dd678d2d3701df9b301e"
	dB = "sha256:eb2c01c13125d1629637cb4e4cce7207009fb7cc2c8027f9742758549d15b6f4"
)

var gateway = image.Ref{Registry: "docker.io", Repository: "envoyproxy/gateway", Tag: "v1.9.1", Digest: dA}

func TestParse_SplitsEveryFormAsARuntimeReadsIt(t *testing.T) {
	cases := []struct {
		in   string
		want image.Ref
		str  string
	}{
		{"docker.io/envoyproxy/gateway:v1.9.1@" + dA, gateway, ""},
		{"envoyproxy/gateway:v1.9.1@" + dA, gateway, "docker.io/envoyproxy/gateway:v1.9.1@" + dA},
		{"alpine@" + dA, image.Ref{Registry: "docker.io", Repository: "library/alpine", Digest: dA}, "docker.io/library/alpine@" + dA},
		{"registry.example.org:5000/team/app@" + dA, image.Ref{Registry: "registry.example.org:5000", Repository: "team/app", Digest: dA}, ""},
		{"localhost/app:1", image.Ref{Registry: "localhost", Repository: "app", Tag: "1"}, ""},
		{"quay.io/openbao/openbao-ubi:2.6.2", image.Ref{Registry: "quay.io", Repository: "openbao/openbao-ubi", Tag: "2.6.2"}, ""},
	}
	for _, tc := range cases {
		got, err := image.Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		str := tc.str
		if str == "" {
			str = tc.in
		}
		if got.String() != str {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got.String(), str)
		}
	}
}

func TestParse_RefusesWhatIsNoReference(t *testing.T) {
	for _, in := range []string{"", " docker.io/a", "docker.io/A/b@" + dA, "docker.io/a@sha256:abc", "docker.io/a@sha512:" + strings.Repeat("0", 128),
		"docker.io/a:-bad", "docker.io/a b", "bad_host.example/a", "reg.example.org/", "docker.io/a@" + strings.ToUpper(dA)} {
		if r, err := image.Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted: %+v", in, r)
		}
	}
}

// The one digest rule: sha256 and 64 lower-case hex digits.
func TestValidDigest_IsTheOneRule(t *testing.T) {
	for d, want := range map[string]bool{dA: true, "sha256:" + strings.Repeat("a", 63): false, strings.TrimPrefix(dA, "sha256:"): false,
		"sha256:" + strings.Repeat("A", 64): false, "": false} {
		if image.ValidDigest(d) != want {
			t.Errorf("ValidDigest(%q) = %v", d, !want)
		}
	}
	var l verr.List
	image.Ref{Registry: "quay.io", Repository: "openbao/openbao-ubi", Tag: "2.6.2"}.Validate(&l, "x")
	if l.Len() != 1 || !strings.Contains(l.Err().Error(), "x: \"quay.io/openbao/openbao-ubi:2.6.2\": not pinned by digest") {
		t.Errorf("a tag-only reference: %v", l.Err())
	}
}

func TestRef_ChartTagAndValuesCarryTheDigestInTheTag(t *testing.T) {
	if got := gateway.ChartTag(); got != "v1.9.1@"+dA {
		t.Errorf("ChartTag %q", got)
	}
	v := gateway.Values()
	if v["registry"] != "docker.io" || v["repository"] != "envoyproxy/gateway" || v["tag"] != "v1.9.1@"+dA {
		t.Errorf("Values %v", v)
	}
}

func TestResolve_OverrideElseMirror(t *testing.T) {
	im := image.Images{Registry: "harbor.example.org/hub", Overrides: map[string]string{"envoyproxy/envoy": "registry.example.org/resigned/envoy@" + dB}}
	if got := im.Resolve(gateway).String(); got != "harbor.example.org/hub/envoyproxy/gateway:v1.9.1@"+dA {
		t.Errorf("mirrored %q", got)
	}
	proxy := image.Ref{Registry: "docker.io", Repository: "envoyproxy/envoy", Tag: "distroless-v1.39.1", Digest: dA}
	if got := im.Resolve(proxy).String(); got != "registry.example.org/resigned/envoy@"+dB {
		t.Errorf("overridden %q: the override is used as it is, never mirrored, never given the upstream tag or digest", got)
	}
	if got := (image.Images{}).Resolve(gateway); got != gateway {
		t.Errorf("zero Images changed the pin: %v", got)
	}
}

func TestValidate_ReportsEveryProblemAtItsKeyPath(t *testing.T) {
	known := []image.Pin{{Ref: gateway}, {Ref: image.Ref{Registry: "docker.io", Repository: "aquasec/trivy", Tag: "0.72.0", Digest: dA},
		Check: func(l *verr.List, path string, r image.Ref) {
			if r.Tag == "0.69.4" {
				l.Add(path, r.String(), "compromised", "another release")
			}
		}}}
	im := image.Images{Registry: "not a host", Overrides: map[string]string{
		"envoyproxy/gateway": "registry.example.org/envoyproxy/gateway:v1.9.1",
		"aquasec/trivy":      "registry.example.org/aquasec/trivy:0.69.4@" + dB,
		"grafana/lokki":      "registry.example.org/grafana/loki:3.7.7@" + dB,
	}}
	var l verr.List
	im.Validate(&l, "rampart:images", known)
	msg := l.Err().Error()
	for _, want := range []string{
		`rampart:images.registry: "not a host": not a registry host`,
		`rampart:images.overrides["envoyproxy/gateway"]: "registry.example.org/envoyproxy/gateway:v1.9.1": not pinned by digest`,
		`rampart:images.overrides["aquasec/trivy"]: "registry.example.org/aquasec/trivy:0.69.4@` + dB + `": compromised`,
		`rampart:images.overrides["grafana/lokki"]: "registry.example.org/grafana/loki:3.7.7@` + dB + `": names no image Rampart renders — key it by the upstream repository of one of: aquasec/trivy, envoyproxy/gateway`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if l.Len() != 4 {
		t.Errorf("%d problems, want 4:\n%s", l.Len(), msg)
	}
	// A component checks only its own pins: another component's key is not its problem.
	var own verr.List
	im.ValidateFor(&own, "images", known[:1])
	if own.Len() != 2 || strings.Contains(own.Err().Error(), "lokki") {
		t.Errorf("ValidateFor: %v", own.Err())
	}
	for _, reg := range []string{"registry.example.org/", "registry.example.org/Mirror", "registry.example.org//hub"} {
		var bad verr.List
		(image.Images{Registry: reg}).Validate(&bad, "rampart:images", known)
		if bad.Len() != 1 {
			t.Errorf("mirror %q: %v", reg, bad.Err())
		}
	}
	var ok verr.List
	(image.Images{Registry: "registry.example.org:5000/mirror", Overrides: map[string]string{"envoyproxy/gateway": "registry.example.org/gw@" + dB}}).Validate(&ok, "rampart:images", known)
	if ok.Len() != 0 {
		t.Errorf("a valid section refused: %v", ok.Err())
	}
}
