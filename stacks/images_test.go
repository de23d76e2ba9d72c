package stacks_test

import (
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
)

// everyImageConfig is a prod stack that renders every image Rampart pins
// (but OpenBao's 2.4–2.5 server): Envoy Gateway's chart, cert-manager's,
// OpenBao's with its HSM client image and OCI seal plugin, Loki and its
// log agent, trivy-operator and Falco. images is rampart:images.
func everyImageConfig(images map[string]any) (map[string]string, []string) {
	cfg, secret := auditConfig(agentSection())
	withAgentNamespace(cfg, namespace.NamespaceArgs{Name: audit.DefaultAgentNamespace, Exemption: &config.AuditAgentExemption})
	ob := platformOpenBao()
	seal := ob["seal"].(map[string]any)
	seal["pluginImage"], seal["pluginVersion"] = "ghcr.io/openbao/openbao-plugin-kms-pkcs11", "v0.2.0"
	cfg["rampart:openbao"] = js(ob)
	cfg["rampart:pki"] = js(platformPKI())
	cfg["rampart:openbaoHsmPin"] = testPin
	cfg["rampart:openbaoDeployerPassword"] = testPassword
	cfg["rampart:certManager"] = certManagerSection(nil)
	cfg["rampart:ingress"] = js(map[string]any{"enabled": true, "chart": map[string]any{"enabled": true},
		"apiServer": map[string]any{"cidrs": []string{"10.96.0.1/32"}}})
	cfg["rampart:runtime"] = js(runtimeSection())
	if images != nil {
		cfg["rampart:images"] = js(images)
	}
	return cfg, append(secret, platformSecrets...)
}

var hclImage = regexp.MustCompile(`(?m)^\s*image\s*=\s*"([^"]+)"`)

// renderedImages scans every registered resource's inputs for the images
// they render: a string under an "image" key, an image object of a chart
// ({registry?, repository, tag?, digest?}) put together as the chart does,
// and the image attribute of rendered HCL (OpenBao's OCI seal plugin).
func renderedImages(rec *recmock.Recorder) map[string]bool {
	out := map[string]bool{}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case string:
			if key == "image" {
				out[x] = true
			}
			for _, m := range hclImage.FindAllStringSubmatch(x, -1) {
				out[m[1]] = true
			}
		case map[string]any:
			if repo, ok := x["repository"].(string); ok && key == "image" {
				ref := repo
				if reg, _ := x["registry"].(string); reg != "" {
					ref = reg + "/" + repo
				}
				if tag, _ := x["tag"].(string); tag != "" {
					ref += ":" + tag
				}
				if d, _ := x["digest"].(string); d != "" {
					ref += "@" + d
				}
				out[ref] = true
			}
			for k, e := range x {
				walk(k, e)
			}
		case []any:
			for _, e := range x {
				walk(key, e)
			}
		}
	}
	for _, r := range rec.All() {
		walk("", r.Plain())
	}
	return out
}

func sorted(m map[string]bool) []string {
	s := slices.Collect(maps.Keys(m))
	sort.Strings(s)
	return s
}

// pinned is what the stack renders without rampart:images: every pin but
// OpenBao's 2.4–2.5 server, and the images the OpenBao section names.
func pinned() map[string]bool {
	want := map[string]bool{
		"registry.example.gov.uk/hsm/luna-client@sha256:" + sum: true,
		"ghcr.io/openbao/openbao-plugin-kms-pkcs11":             true,
	}
	for _, p := range config.ImagePins() {
		if p.Repository != openbao.HSMServerImage.Repository {
			want[p.String()] = true
		}
	}
	return want
}

// TestImages_MirrorRewritesEveryRenderedImage: with rampart:images.registry
// set, every image any resource renders — chart values, init containers,
// the seal plugin in OpenBao's config — comes from the mirror with its
// repository, tag and digest unchanged; none is left on docker.io, quay.io,
// mirror.gcr.io, ghcr.io or the HSM vendor's registry.
func TestImages_MirrorRewritesEveryRenderedImage(t *testing.T) {
	const mirror = "registry.sovereign.example/mirror"
	cfg, secret := everyImageConfig(map[string]any{"registry": mirror})
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg, secret...)); err != nil {
		t.Fatal(err)
	}
	got := renderedImages(rec)
	want := map[string]bool{}
	for ref := range pinned() {
		_, rest, _ := strings.Cut(ref, "/")
		want[mirror+"/"+rest] = true
	}
	if !maps.Equal(got, want) {
		t.Errorf("rendered images:\n  %s\nwant:\n  %s", strings.Join(sorted(got), "\n  "), strings.Join(sorted(want), "\n  "))
	}
	for ref := range got {
		if !strings.HasPrefix(ref, mirror+"/") {
			t.Errorf("%s is not on the mirror", ref)
		}
	}
}

// TestImages_OverrideReplacesExactlyThatImage: an override of
// envoyproxy/gateway renders the given reference as it is (its own registry
// and digest); every other image stays its upstream pin.
func TestImages_OverrideReplacesExactlyThatImage(t *testing.T) {
	rebuilt := "registry.example.org/platform/envoy-gateway@sha256:" + strings.Repeat("ab", 32)
	cfg, secret := everyImageConfig(map[string]any{"overrides": map[string]string{ingress.ControllerImage.Repository: rebuilt}})
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg, secret...)); err != nil {
		t.Fatal(err)
	}
	want := pinned()
	delete(want, ingress.ControllerImage.String())
	want[rebuilt] = true
	if got := renderedImages(rec); !maps.Equal(got, want) {
		t.Errorf("rendered images:\n  %s\nwant:\n  %s", strings.Join(sorted(got), "\n  "), strings.Join(sorted(want), "\n  "))
	}
}

// TestImages_RefusesBadSectionsAtTheirKeyAndRegistersNothing: an override
// not pinned by digest, a key naming no image Rampart renders (the fix
// lists the known ones), a Trivy override on a compromised release, a
// mirror that is no registry, and the old per-section image keys, each at
// its exact path; nothing is registered.
func TestImages_RefusesBadSectionsAtTheirKeyAndRegistersNothing(t *testing.T) {
	d := "@sha256:" + strings.Repeat("ab", 32)
	cfg, secret := everyImageConfig(map[string]any{"registry": "https://registry.example.org", "overrides": map[string]string{
		"envoyproxy/gateway": "registry.example.org/envoyproxy/gateway:v1.9.1",
		"envoyproxy/gatewy":  "registry.example.org/envoyproxy/gateway" + d,
		"aquasec/trivy":      "registry.example.org/aquasec/trivy:0.69.4" + d,
	}})
	cfg["rampart:ingress"] = js(map[string]any{"enabled": true, "chart": map[string]any{"enabled": true, "registry": "registry.example.org"},
		"apiServer": map[string]any{"cidrs": []string{"10.96.0.1/32"}}})
	rt := runtimeSection()
	rt["falco"].(map[string]any)["image"] = map[string]any{"tag": "0.44.1"}
	cfg["rampart:runtime"] = js(rt)
	rec := recmock.New()
	err := rec.Run(program, recmock.WithConfig(cfg, secret...))
	if err == nil {
		t.Fatal("accepted")
	}
	keys := make([]string, 0)
	for _, p := range config.ImagePins() {
		keys = append(keys, p.Repository)
	}
	sort.Strings(keys)
	for _, want := range []string{
		`rampart:images.overrides["envoyproxy/gateway"]: "registry.example.org/envoyproxy/gateway:v1.9.1": not pinned by digest`,
		`rampart:images.overrides["envoyproxy/gatewy"]: "registry.example.org/envoyproxy/gateway` + d + `": names no image Rampart renders — key it by the upstream repository of one of: ` + strings.Join(keys, ", "),
		`rampart:images.overrides["aquasec/trivy"]: "registry.example.org/aquasec/trivy:0.69.4` + d + `": Trivy 0.69.4 is a compromised release (GHSA-69fq-xp46-6x23)`,
		`rampart:images.registry: "https://registry.example.org": not a registry host`,
		`rampart:ingress.chart.registry: "registry.example.org": moved: rampart:images obtains every image Rampart renders`,
		`— set rampart:images.registry (one mirror for every image Rampart renders)`,
		`rampart:runtime.falco.image: (an object): moved`,
		`set rampart:images.overrides["falcosecurity/falco"] to the full reference pinned by digest`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for _, leak := range []string{testPin, testPassword} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("error leaks a secret value")
		}
	}
	if n := rec.Len(); n != 0 {
		t.Errorf("%d resources registered for a bad config", n)
	}
}
