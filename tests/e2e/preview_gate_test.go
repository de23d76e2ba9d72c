package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/helpers/exemption"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// gatePrefix keeps this test's namespaces apart from the other e2e stacks'
// (e2e-, e2i-) and `make up`'s local stack on the same lab.
const gatePrefix = "gt-"

// gateStack is this test's stack, on the lab's state backend beside the
// other e2e stacks (project "rampart").
const gateStack = "e2e-gate"

// gateCN is an image on a registry that neither rampart:sovereignty.endpoints
// nor Rampart's table knows: its jurisdiction is unknown, so no allow-list
// admits it.
var gateCN = "registry.example.cn/envoyproxy/gateway:v1.9.1@sha256:" + strings.Repeat("ab", 32)

// TestE2E_LocalLab_PreviewGate drives the built rampart CLI (`rampart
// preview`, as the PR workflow runs it), the real pulumi CLI and the lab's
// kube-apiserver through the config gate that so far was proven only under
// mocks (stacks, infra/config): an exemption that ended yesterday fails the
// preview at its key and registers nothing, one ending in 10 days warns with
// its key and the days left, and an image override on an undeclared
// registry fails at its key with the host and the jurisdiction rule, while
// the same allow-list without the override previews cleanly. Previews only:
// nothing here runs up.
func TestE2E_LocalLab_PreviewGate(t *testing.T) {
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG")
	labenv.RequireCommand(t, "pulumi")
	t.Setenv("KUBECONFIG", env["RAMPART_LAB_KUBECONFIG"])
	kube, _ := testkit.KubeClient(t, env["RAMPART_LAB_KUBECONFIG"])
	ctx := context.Background()

	work := t.TempDir()
	testkit.WriteProject(t, "../..", work)
	writeGateConfig(t, work, testkit.PrefixedLocalConfig(gatePrefix))
	stk, err := auto.UpsertStackInlineSource(ctx, gateStack, "rampart", stacks.Program,
		auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert %s stack: %v", gateStack, err)
	}
	// A run that died half-way (or a gate that let an up through) left
	// resources behind: start from nothing.
	if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("clean up a previous run: %v", err)
	}
	t.Cleanup(func() {
		if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
			t.Errorf("destroy %s: %v", gateStack, err)
			return
		}
		if err := stk.Workspace().RemoveStack(ctx, gateStack); err != nil {
			t.Errorf("remove stack %s: %v", gateStack, err)
		}
	})
	rampart := testkit.BuildRampartOutputs(t, "../..")
	previewArgs := []string{"preview", "--stack", gateStack, "--dir", work, "-q"}

	t.Run("an exemption that ended yesterday fails preview and changes nothing", func(t *testing.T) {
		start := time.Now().UTC()
		expires := start.AddDate(0, 0, -1).Format(exemption.DateLayout)
		cfg, key := withFalcoApproval(t, expires)
		writeGateConfig(t, work, cfg)

		code, stdout, stderr := rampart(t, previewArgs...)
		if code == 0 {
			t.Fatalf("rampart preview with %s = %s: exit 0, want the gate to refuse it\n%s", key, expires, stdout)
		}
		// The date turning over between writing expires and the program
		// reading the clock makes it 2 days ago; still expired.
		want := fmt.Sprintf("%s.expires: %q: expired on %s (expired ", key, expires, expires)
		if !strings.Contains(stderr, want) {
			t.Errorf("output lacks %q:\n%s", want, stderr)
		}
		if !containsAny(stderr, agesSeen(start, -1)) {
			t.Errorf("output lacks how long ago it expired (%v):\n%s", agesSeen(start, -1), stderr)
		}
		requireOnlyTheStack(t, stderr)
		requireNothingRegistered(ctx, t, stk, kube)
	})

	t.Run("an exemption ending in 10 days warns with its key and the days left", func(t *testing.T) {
		start := time.Now().UTC()
		expires := start.AddDate(0, 0, 10).Format(exemption.DateLayout)
		cfg, key := withFalcoApproval(t, expires)
		writeGateConfig(t, work, cfg)

		code, stdout, stderr := rampart(t, previewArgs...)
		if code != 0 {
			t.Fatalf("rampart preview with %s = %s: exit %d, want 0 (a warning, not a failure)\n%s", key, expires, code, stderr)
		}
		// The comment (stdout) is what the PR shows: the warning is a line
		// of its warnings section, whole.
		_, warnings, ok := strings.Cut(stdout, "\n### ⚠ warnings\n")
		if !ok {
			t.Fatalf("the comment has no warnings section, so the warning at %s reaches no reviewer:\n%s", key, stdout)
		}
		warning, _, _ := strings.Cut(warnings, "\n")
		if !strings.HasPrefix(warning, "- `"+key+": exemption ") {
			t.Fatalf("the comment's first warning is %q, want the one at %s:\n%s", warning, key, stdout)
		}
		if !containsAny(warning, agesSeen(start, 10)) {
			t.Errorf("the warning lacks the days left (%v): %s", agesSeen(start, 10), warning)
		}
		if want := "(last day " + expires + ", owner platform-team, ticket SEC-4711): renew it"; !strings.Contains(warning, want) {
			t.Errorf("the warning lacks %q: %s", want, warning)
		}
		requireNothingRegistered(ctx, t, stk, kube)
	})

	// The local stack's config (PrefixedLocalConfig) depends on no external
	// endpoint: its charts are off and its gateway backend is an address, so
	// no image override would be judged. Envoy Gateway's chart makes its
	// images dependencies; with no mirror they come from docker.io, which
	// Rampart's table places in the US, so [US] is the allow-list this
	// config passes.
	rule := []string{"US"}
	chartDir := stubGatewayChart(t)

	t.Run("the allow-list alone previews cleanly", func(t *testing.T) {
		writeGateConfig(t, work, withSovereignty(chartDir, rule, nil))
		if code, _, stderr := rampart(t, previewArgs...); code != 0 {
			t.Fatalf("rampart preview under allowedJurisdictions %v: exit %d, want 0\n%s", rule, code, stderr)
		}
		requireNothingRegistered(ctx, t, stk, kube)
	})

	t.Run("an image from an undeclared registry fails preview with its key, host and the jurisdiction rule", func(t *testing.T) {
		repo := ingress.ControllerImage.Repository
		writeGateConfig(t, work, withSovereignty(chartDir, rule, map[string]string{repo: gateCN}))

		code, stdout, stderr := rampart(t, previewArgs...)
		if code == 0 {
			t.Fatalf("rampart preview with an image on registry.example.cn: exit 0, want the gate to refuse it\n%s", stdout)
		}
		for _, want := range []string{
			fmt.Sprintf(`rampart:images.overrides[%q]: %q: `, repo, gateCN),
			"the image's host registry.example.cn is run by unknown, jurisdiction unknown (unknown)",
			"rampart:sovereignty.allowedJurisdictions is [US]",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("output lacks %q:\n%s", want, stderr)
			}
		}
		if n := strings.Count(stderr, "allowedJurisdictions is"); n != 1 {
			t.Errorf("%d endpoints refused, want only the override:\n%s", n, stderr)
		}
		requireOnlyTheStack(t, stderr)
		requireNothingRegistered(ctx, t, stk, kube)
	})
}

// writeGateConfig writes cfg as the stack's Pulumi.<stack>.yaml, which
// `rampart preview --dir` reads.
func writeGateConfig(t *testing.T, work string, cfg map[string]any) {
	t.Helper()
	data, err := json.Marshal(map[string]any{"config": cfg})
	must(t, err)
	must(t, os.WriteFile(filepath.Join(work, "Pulumi."+gateStack+".yaml"), data, 0o600))
}

// withFalcoApproval is the local config with the Falco namespace's Pod
// Security exemption carrying a full approval ending on expires, and the
// exemption's key path (rampart:namespaces[N].exemption).
func withFalcoApproval(t *testing.T, expires string) (map[string]any, string) {
	t.Helper()
	cfg := testkit.PrefixedLocalConfig(gatePrefix)
	nss, _ := cfg["rampart:namespaces"].([]map[string]any)
	for i, n := range nss {
		if e, ok := n["exemption"].(*namespace.Exemption); ok && n["name"] == gatePrefix+"falco" {
			e.Approval = exemption.Approval{Owner: "platform-team", ApprovedBy: "CISO", Ticket: "SEC-4711", Expires: expires}
			return cfg, fmt.Sprintf("rampart:namespaces[%d].exemption", i)
		}
	}
	t.Fatalf("no exemption for %sfalco in rampart:namespaces: %v", gatePrefix, nss)
	return nil, ""
}

// withSovereignty is the local config with Envoy Gateway's chart (from
// chartDir) on, rampart:sovereignty.allowedJurisdictions set to rule and
// rampart:images.overrides set to overrides when not nil.
func withSovereignty(chartDir string, rule []string, overrides map[string]string) map[string]any {
	cfg := testkit.PrefixedLocalConfig(gatePrefix)
	cfg["rampart:ingress"] = map[string]any{
		"enabled": true, "namespace": gatePrefix + "rampart-ingress", "domain": "gate.rampart.test",
		"chart":     map[string]any{"enabled": true, "repository": chartDir, "crds": false},
		"apiServer": map[string]any{"cidrs": []string{"10.96.0.1/32"}},
		// One route, so the Gateway has an HTTPS listener (tls-ingress).
		"routes": []any{map[string]any{"host": "app.gate.rampart.test", "namespace": gatePrefix + "team-a",
			"backend": map[string]any{"service": "web", "port": 8080}}},
	}
	cfg["rampart:sovereignty"] = map[string]any{"allowedJurisdictions": rule}
	if overrides != nil {
		cfg["rampart:images"] = map[string]any{"overrides": overrides}
	}
	return cfg
}

// stubGatewayChart writes a gateway-helm chart with no templates and
// returns the folder holding it (a local chart source, which the local
// profile accepts). The lab has no node and no internet, so upstream's
// chart can be neither pulled nor run; the gate judges the config (the
// images the values name), not what the chart renders from them.
func stubGatewayChart(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	chart := filepath.Join(dir, ingress.ChartPin.Name)
	must(t, os.MkdirAll(chart, 0o750))
	meta := fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\ntype: application\n", ingress.ChartPin.Name, ingress.ChartVersion)
	must(t, os.WriteFile(filepath.Join(chart, "Chart.yaml"), []byte(meta), 0o600))
	return dir
}

// agesSeen is how the gate words an exemption whose last day is days after
// start's date (UTC): as of that date, and as of the next one too when the
// date turned over while the preview ran.
func agesSeen(start time.Time, days int) []string {
	age := func(n int) string {
		switch {
		case n == 1:
			return "expires in 1 day"
		case n > 1:
			return fmt.Sprintf("expires in %d days", n)
		case n == -1:
			return "expired 1 day ago"
		}
		return fmt.Sprintf("expired %d days ago", -n)
	}
	out := []string{age(days)}
	if time.Now().UTC().Format(exemption.DateLayout) != start.Format(exemption.DateLayout) {
		out = append(out, age(days-1))
	}
	return out
}

// containsAny reports whether s holds one of subs.
func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// stepURN is a resource of the preview's progress output, which the CLI's
// error carries after "stdout:".
var stepURN = regexp.MustCompile(`\[urn=([^\]]+)\]`)

// requireOnlyTheStack fails the test unless the refused preview's output
// names the stack itself and no other resource: the program failed before
// it registered anything.
func requireOnlyTheStack(t *testing.T, out string) {
	t.Helper()
	urns := stepURN.FindAllStringSubmatch(out, -1)
	if len(urns) == 0 {
		t.Errorf("the output names no resource, not even the stack: cannot tell what the program registered:\n%s", out)
	}
	for _, m := range urns {
		if !strings.Contains(m[1], "::pulumi:pulumi:Stack::") {
			t.Errorf("the refused preview registered %s", m[1])
		}
	}
}

// requireNothingRegistered fails the test when the stack's state holds a
// resource or a namespace of this test exists on the lab's API server. A
// preview writes neither, so this guards the CLI itself (`rampart preview`
// must never apply); requireOnlyTheStack is what shows the refused program
// registered nothing.
func requireNothingRegistered(ctx context.Context, t *testing.T, stk auto.Stack, kube kubernetes.Interface) {
	t.Helper()
	dep, err := stk.Export(ctx)
	if err != nil {
		t.Fatalf("export %s: %v", gateStack, err)
	}
	var state apitype.DeploymentV3
	if len(dep.Deployment) > 0 {
		must(t, json.Unmarshal(dep.Deployment, &state))
	}
	for _, r := range state.Resources {
		t.Errorf("%s holds %s after a preview", gateStack, r.URN)
	}
	nss, err := kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	must(t, err)
	for _, n := range nss.Items {
		if strings.HasPrefix(n.Name, gatePrefix) {
			t.Errorf("namespace %s exists on the lab's API server", n.Name)
		}
	}
}
