package stacks_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/stacks"
)

// programWithKeys is program with the stack's key list, as an inline
// Automation API program passes it (the unknown-key check needs it).
func programWithKeys(cfg map[string]string) pulumi.RunFunc {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	return func(ctx *pulumi.Context) error {
		c, err := config.LoadFor(ctx, stubResolver, keys)
		if err != nil {
			return err
		}
		return stacks.Run(ctx, c)
	}
}

// TestProgram_ReportsEveryConfigProblemAtOnceAtItsExactPath: independent
// mistakes — an unknown top-level key, a nested type error, a nested unknown
// key, an object where a string belongs, a credential typed in the wrong
// place and plain validation errors — all come back from one run, each at
// its exact key path, with no object's JSON, no credential and no Go type
// name in any message, and nothing registered.
func TestProgram_ReportsEveryConfigProblemAtOnceAtItsExactPath(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:tennants"] = js([]any{map[string]any{"name": "x"}})
	cfg["rampart:domain"] = "not a domain"
	cfg["rampart:tenants"] = js([]any{
		map[string]any{"name": "Team_A"},
		map[string]any{"name": "team-b", "quota": map[string]any{"podz": 3}},
		map[string]any{"name": "team-c", "token": "s3cr3t-typed-here"},
		map[string]any{"name": "team-d", "quota": map[string]any{"requestsCpu": map[string]any{"x": "supersecret-obj"}}},
	})
	cfg["rampart:gateway"] = js(map[string]any{
		"namespace": "rampart-system", "podLabels": map[string]string{"app": "gateway"},
		"controlPlane": map[string]any{"podLabels": map[string]string{"app": "api"}, "port": "eighty"},
	})
	cfg["rampart:images"] = js(map[string]any{"overrides": map[string]string{
		"envoyproxy/gateway": "registry.example.org/envoyproxy/gateway:v1.9.1",
		"nginx/nginx":        "registry.example.org/nginx@sha256:" + strings.Repeat("ab", 32),
	}})
	cfg["rampart:ingress"] = js(map[string]any{"chart": map[string]any{"registry": "registry.example.org"}})
	rec := recmock.New()
	err := rec.Run(programWithKeys(cfg), recmock.WithConfig(cfg))
	if err == nil {
		t.Fatal("bad config accepted")
	}
	msg := err.Error()
	want := map[string]*regexp.Regexp{
		"unknown top-level key":       regexp.MustCompile(`rampart:tennants: \(value not shown\): unknown key — did you mean "tenants"\?`),
		"invalid domain":              regexp.MustCompile(`rampart:domain: "not a domain": not a DNS domain`),
		"invalid tenant name":         regexp.MustCompile(`rampart:tenants\[0\]\.name: "Team_A"`),
		"nested unknown key":          regexp.MustCompile(`rampart:tenants\[1\]\.quota\.podz: \(value not shown\): unknown key — did you mean "pods"\?`),
		"credential in the wrong key": regexp.MustCompile(`rampart:tenants\[2\]\.token: \(value not shown\): unknown key`),
		"object for a string":         regexp.MustCompile(`rampart:tenants\[3\]\.quota\.requestsCpu: \(an object\): expected a string`),
		"nested type error":           regexp.MustCompile(`rampart:gateway\.controlPlane\.port: "eighty": expected a whole number`),
		"image override by tag":       regexp.MustCompile(`rampart:images\.overrides\["envoyproxy/gateway"\]: "registry\.example\.org/envoyproxy/gateway:v1\.9\.1": not pinned by digest`),
		"override of no image":        regexp.MustCompile(`rampart:images\.overrides\["nginx/nginx"\]: ".*": names no image Rampart renders — key it by the upstream repository of one of: aquasec/trivy, .*envoyproxy/gateway`),
		"moved image key":             regexp.MustCompile(`rampart:ingress\.chart\.registry: "registry\.example\.org": moved: .* — set rampart:images\.registry`),
	}
	for what, re := range want {
		if !re.MatchString(msg) {
			t.Errorf("%s: no line matches %s", what, re)
		}
	}
	for _, leak := range []string{"s3cr3t-typed-here", "supersecret-obj", `{"`, "int64", "Go struct", "map[", "json:"} {
		if strings.Contains(msg, leak) {
			t.Errorf("message contains %q:\n%s", leak, msg)
		}
	}
	if n := rec.Len(); n != 0 {
		t.Errorf("%d resources registered for a bad config", n)
	}
	t.Logf("reported:\n%s", msg)
}

// TestProgram_TenantQuotaOverrideChangesOnlyTheNamedField: raising one
// quota field keeps the profile preset's other fields (it used to fall back
// to the component default for all of them: CPU 2 → 8 for a pods change).
func TestProgram_TenantQuotaOverrideChangesOnlyTheNamedField(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:profile"] = "local"
	cfg["rampart:tenants"] = js([]any{map[string]any{"name": "team-a", "quota": map[string]any{"pods": json.Number("20")}}})
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg)); err != nil {
		t.Fatal(err)
	}
	q, err := rec.Get("kubernetes:core/v1:ResourceQuota", "team-a-quota")
	if err != nil {
		t.Fatal(err)
	}
	hard := q.Inputs["spec"].ObjectValue()["hard"].ObjectValue()
	want := map[string]string{"pods": "20", "limits.cpu": "2", "limits.memory": "2Gi", "requests.cpu": "1", "requests.memory": "1Gi"}
	for k, v := range want {
		if got := hard[resource.PropertyKey(k)].StringValue(); got != v {
			t.Errorf("spec.hard[%s] = %q, want %q (local preset, pods overridden)", k, got, v)
		}
	}
}

// TestProgram_ExplicitZeroPodsIsRefusedNotDefaulted: an explicit 0 would be
// silently replaced by the preset; it is an error instead.
func TestProgram_ExplicitZeroPodsIsRefusedNotDefaulted(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:tenants"] = js([]any{map[string]any{"name": "team-a", "quota": map[string]any{"pods": 0}}})
	err := recmock.New().Run(program, recmock.WithConfig(cfg))
	if err == nil || !strings.Contains(err.Error(), "rampart:tenants[0].quota.pods: 0:") {
		t.Fatalf("explicit pods 0 not refused at its path: %v", err)
	}
}

// TestProgram_ExplicitEmptyDNSSelectorIsRefusedNotDefaulted: an empty DNS
// selector reaches validation and is refused at its key, where it used to
// become kube-dns's labels. Left out, it still takes that default
// (TestNetworkIntent_LocalStatesTheDeclaredTraffic).
func TestProgram_ExplicitEmptyDNSSelectorIsRefusedNotDefaulted(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:network"] = js(map[string]any{"dns": map[string]any{"podLabels": map[string]string{}}})
	rec := recmock.New()
	err := rec.Run(program, recmock.WithConfig(cfg))
	for _, want := range []string{
		`rampart:network.dns.podLabels: {}: {} is not "unset": an empty selector would open port 53 to every pod of the DNS namespace — remove the key for the default {k8s-app: kube-dns}`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant it to contain %q", err, want)
		}
	}
	if n := rec.Len(); n != 0 {
		t.Errorf("%d resources registered for a bad config", n)
	}
}

// TestConfigErrors_BadIngressNamespaceIsOneProblem: a namespace name that is
// not a DNS label is reported once at its key (the component's check), not
// again as "not one of rampart:namespaces".
func TestConfigErrors_BadIngressNamespaceIsOneProblem(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:ingress"] = js(map[string]any{"enabled": true, "namespace": "Bad_NS"})
	err := recmock.New().Run(programWithKeys(cfg), recmock.WithConfig(cfg))
	if err == nil {
		t.Fatal("a bad ingress namespace was accepted")
	}
	if n := strings.Count(err.Error(), "rampart:ingress.namespace: "); n != 1 {
		t.Errorf("rampart:ingress.namespace reported %d times, want once:\n%v", n, err)
	}
	if !strings.Contains(err.Error(), `rampart:ingress.namespace: "Bad_NS": not a valid namespace name`) {
		t.Errorf("error lacks the name check:\n%v", err)
	}
}
