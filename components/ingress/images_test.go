package ingress_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/helpers/image"
)

// TestIngress_ChartImagesResolveThroughTheMirrorAndOverrides: a mirror
// moves the controller, proxy and rate-limit images to its registry, tag
// and digest unchanged; an override replaces exactly its image, as given.
func TestIngress_ChartImagesResolveThroughTheMirrorAndOverrides(t *testing.T) {
	rebuilt := "registry.example.org/platform/envoy:distroless-v1.39.1@sha256:" + strings.Repeat("ab", 32)
	a := chartArgs()
	a.Images = image.Images{Registry: "harbor.example.org/hub", Overrides: map[string]string{"envoyproxy/envoy": rebuilt}}
	rec := mustRun(t, a)
	p := rec.ByType(tChart)[0].Plain()
	for key, want := range map[string]string{
		"envoyGateway": "harbor.example.org/hub/envoyproxy/gateway:v1.9.1@" + ingress.ControllerImage.Digest,
		"ratelimit":    "harbor.example.org/hub/envoyproxy/ratelimit:8fe6ea42@" + ingress.RateLimitImage.Digest,
		"envoyProxy":   rebuilt,
	} {
		if got := get(t, p, "values", "global", "images", key, "image"); got != want {
			t.Errorf("%s image = %v, want %s", key, got, want)
		}
	}
}

func TestIngress_RefusesAnOverrideWithoutDigest(t *testing.T) {
	a := chartArgs()
	a.Images.Overrides = map[string]string{"envoyproxy/gateway": "registry.example.org/envoyproxy/gateway:v1.9.1"}
	rec, err := run(t, a)
	if err == nil || !strings.Contains(err.Error(), `images.overrides["envoyproxy/gateway"]: "registry.example.org/envoyproxy/gateway:v1.9.1": not pinned by digest`) {
		t.Fatalf("an override by tag: %v", err)
	}
	if rec.Len() != 0 {
		t.Errorf("registered %v", rec.Names())
	}
}
