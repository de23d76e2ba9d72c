package stacks_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/internal/recmock"
)

// sovereignConfig is a prod stack rendering Envoy Gateway's chart from a
// declared UK mirror, under the rule [GB]; mut edits rampart:images and
// rampart:sovereignty.
func sovereignConfig(images, sov map[string]any) map[string]string {
	cfg := withIngress(validConfig(), map[string]any{
		"chart":     map[string]any{"enabled": true, "repository": "oci://registry.sovereign.example.gov.uk/envoyproxy"},
		"apiServer": map[string]any{"cidrs": []string{"10.96.0.1/32"}},
	})
	cfg["rampart:images"] = js(images)
	cfg["rampart:sovereignty"] = js(sov)
	return cfg
}

func sovereignPolicy(exceptions ...any) map[string]any {
	p := map[string]any{
		"allowedJurisdictions": []string{"GB"},
		"endpoints": []any{map[string]any{"host": "registry.sovereign.example.gov.uk",
			"operator": "Sovereign Example Platform", "jurisdiction": "GB"}},
	}
	if len(exceptions) > 0 {
		p["exceptions"] = exceptions
	}
	return p
}

// TestSovereignty_ImageFromAnUndeclaredRegistryFailsWithTheKeyAndTheRule:
// an override on a registry neither declared nor in Rampart's table fails
// preview at its key, naming the host, its unknown jurisdiction and the
// rule; nothing is registered. The same image under a typed exception
// passes.
func TestSovereignty_ImageFromAnUndeclaredRegistryFailsWithTheKeyAndTheRule(t *testing.T) {
	ref := "registry.example.cn/envoyproxy/gateway:v1.9.1@sha256:" + strings.Repeat("ab", 32)
	images := map[string]any{"registry": "registry.sovereign.example.gov.uk",
		"overrides": map[string]string{ingress.ControllerImage.Repository: ref}}

	rec := recmock.New()
	err := rec.Run(program, recmock.WithConfig(sovereignConfig(images, sovereignPolicy())))
	if err == nil {
		t.Fatal("an image from an undeclared registry was accepted")
	}
	re := regexp.MustCompile(`rampart:images\.overrides\["envoyproxy/gateway"\]: "registry\.example\.cn/[^"]+": the image's host registry\.example\.cn is run by unknown, jurisdiction unknown \(unknown\): rampart:sovereignty\.allowedJurisdictions is \[GB\] — .*rampart:sovereignty\.exceptions`)
	if !re.MatchString(err.Error()) {
		t.Errorf("error does not name the key, host, jurisdiction and rule:\n%v", err)
	}
	if strings.Count(err.Error(), "allowedJurisdictions is") != 1 {
		t.Errorf("only the override is outside the rule (mirror and chart are declared GB):\n%v", err)
	}
	if n := rec.Len(); n != 0 {
		t.Errorf("%d resources registered for a refused endpoint", n)
	}

	rec = recmock.New()
	exc := map[string]any{"host": "registry.example.cn", "justification": "vendor-rebuilt gateway until the UK mirror carries it", "control": "NIS2 Art. 21(2)(d)"}
	// Outside the local profile an exception, like every exemption, needs
	// its owner, approver, ticket and last day.
	if err := rec.Run(program, recmock.WithConfig(sovereignConfig(images, sovereignPolicy(exc)))); err == nil ||
		!strings.Contains(err.Error(), "rampart:sovereignty.exceptions[0].owner") {
		t.Fatalf("an exception without its approval: %v, want it refused at rampart:sovereignty.exceptions[0].owner", err)
	}
	exc["owner"], exc["approvedBy"], exc["ticket"] = "platform-team", "CISO", "SEC-42"
	exc["expires"] = time.Now().UTC().AddDate(0, 3, 0).Format(time.DateOnly)
	rec = recmock.New()
	if err := rec.Run(program, recmock.WithConfig(sovereignConfig(images, sovereignPolicy(exc)))); err != nil {
		t.Fatalf("an excepted host was refused: %v", err)
	}
}

// TestSovereignty_UpstreamDefaultsFailUnderAUKRule: without a mirror the
// upstream pins (Docker Hub, US) fail at rampart:images.registry, the key
// that would move them, and the upstream chart repository at its key.
func TestSovereignty_UpstreamDefaultsFailUnderAUKRule(t *testing.T) {
	cfg := withIngress(validConfig(), map[string]any{
		"chart": map[string]any{"enabled": true}, "apiServer": map[string]any{"cidrs": []string{"10.96.0.1/32"}},
	})
	cfg["rampart:sovereignty"] = js(map[string]any{"allowedJurisdictions": []string{"GB", "EU"}})
	rec := recmock.New()
	err := rec.Run(program, recmock.WithConfig(cfg))
	if err == nil {
		t.Fatal("upstream registries accepted under [GB EU]")
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`rampart:images\.registry: "docker\.io/envoyproxy/gateway:[^"]+": the image's host docker\.io is run by Docker, Inc\., jurisdiction US \(table\): rampart:sovereignty\.allowedJurisdictions is \[GB EU\]`),
		regexp.MustCompile(`rampart:ingress\.chart\.repository: "oci://docker\.io/envoyproxy": the chart repository's host docker\.io`),
	} {
		if !re.MatchString(err.Error()) {
			t.Errorf("no line matches %s:\n%v", re, err)
		}
	}
	if n := rec.Len(); n != 0 {
		t.Errorf("%d resources registered", n)
	}
}
