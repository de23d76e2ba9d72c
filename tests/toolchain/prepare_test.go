// Package toolchain guards lab/toolchain.sh on a fresh machine: each tool's
// preparation (module download, file copies, version stamps) runs against
// an empty Go module cache and an empty toolchain cache, without the long
// compiles, and must leave every file the compile step reads. A warm module
// cache hid a broken preparation once (issue 15): these tests never share
// one.
package toolchain

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// prepare runs `lab/toolchain.sh prepare TOOL WORK` with fresh, empty caches
// and extra environment; it returns the work folder, the combined output
// and the error.
func prepare(t *testing.T, tool string, env ...string) (string, string, error) {
	t.Helper()
	tmp := t.TempDir()
	work := filepath.Join(tmp, "work")
	cmd := exec.Command("bash", filepath.Join(labenv.RepoRoot(t), "lab", "toolchain.sh"), "prepare", tool, work)
	cmd.Env = append(os.Environ(),
		"GOMODCACHE="+filepath.Join(tmp, "gomod"),
		"RAMPART_CACHE="+filepath.Join(tmp, "cache"),
		"GOFLAGS=-modcacherw", // lets t.TempDir remove the module cache
		"GOTOOLCHAIN=local",
	)
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return work, out.String(), err
}

// TestPrepare_EmptyCachesLeaveEveryFileTheCompileReads runs each tool's
// preparation on empty caches and checks the files its compile needs.
func TestPrepare_EmptyCachesLeaveEveryFileTheCompileReads(t *testing.T) {
	tools := map[string][]string{
		"pulumi":      {"go.mod", "go.sum", "tools.go"},
		"langhost":    {"go.mod", "go.sum", "tools.go"},
		"etcd":        {"go.mod", "go.sum", "tools.go"},
		"kube":        {"go.mod", "go.sum", "tools.go"},
		"k8sprovider": {"go.mod", "go.sum", "main.go", "schema.json", "terraform-mapping.json"},
		"versitygw":   {"go.mod", "go.sum", "tools.go"},
		"egctl":       {"go.mod", "go.sum", "tools.go"},
		// Built inside a copy of its own module, with its chart.
		"envoy-gateway": {"go.mod", "go.sum", "tools.go", "module/go.mod", "module/go.sum", "module/cmd/envoy-gateway/main.go",
			"module/charts/gateway-helm/values.tmpl.yaml"},
		"trivy":       {"go.mod", "go.sum", "tools.go"},
		"actionlint":  {"go.mod", "go.sum", "tools.go"},
		"kubelet":     {"go.mod", "go.sum", "tools.go"},
		"kube-router": {"go.mod", "go.sum", "tools.go"},
		"coredns":     {"go.mod", "go.sum", "tools.go"},
		"cyclonus":    {"go.mod", "go.sum", "tools.go"},
		"probe":       {"go.mod", "go.sum", "cmd/probe/main.go", "cmd/mkimage/main.go", "cmd/nsforward/main.go"},
	}
	for tool, files := range tools {
		t.Run(tool, func(t *testing.T) {
			t.Parallel()
			work, out, err := prepare(t, tool)
			if err != nil {
				t.Fatalf("prepare %s on empty caches failed: %v\n%s", tool, err, out)
			}
			for _, f := range files {
				st, err := os.Stat(filepath.Join(work, f))
				if err != nil || st.Size() == 0 {
					t.Errorf("prepare %s: %s missing or empty (%v)\n%s", tool, f, err, out)
				}
			}
			if tool != "k8sprovider" {
				return
			}
			// The copy must be upstream's schema for this provider, whole.
			schema, err := os.ReadFile(filepath.Join(work, "schema.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`"name": "kubernetes"`).Match(schema) || len(schema) < 1<<20 {
				t.Errorf("schema.json (%d bytes) is not the kubernetes provider's schema", len(schema))
			}
		})
	}
}

// TestPrepare_FailsLoudlyWhenTheModuleCannotBeHad: with the proxy off and
// an empty module cache, the kubernetes plugin's preparation must stop with
// a message naming the module, and write no embedded file (the old script
// went on to sed and cp from "/cmd/…" and only the compile failed, later).
func TestPrepare_FailsLoudlyWhenTheModuleCannotBeHad(t *testing.T) {
	work, out, err := prepare(t, "k8sprovider", "GOPROXY=off")
	if err == nil {
		t.Fatalf("prepare succeeded with GOPROXY=off and an empty module cache:\n%s", out)
	}
	if !strings.Contains(out, "github.com/pulumi/pulumi-kubernetes/provider/v4") {
		t.Errorf("the failure does not name the module:\n%s", out)
	}
	if strings.Contains(out, "can't read /cmd/") || strings.Contains(out, "cannot stat '/cmd/") {
		t.Errorf("a step ran after the failed download:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(work, "schema.json")); err == nil {
		t.Error("schema.json was written although the module never downloaded")
	}
}

// TestPrepare_WritesNothingIntoTheRepo: preparation works on a copy, so a
// build never dirties lab/tools (the old script wrote schema.json there).
func TestPrepare_WritesNothingIntoTheRepo(t *testing.T) {
	if _, out, err := prepare(t, "k8sprovider"); err != nil {
		t.Fatalf("prepare: %v\n%s", err, out)
	}
	for _, f := range []string{"schema.json", "terraform-mapping.json"} {
		if _, err := os.Stat(filepath.Join(labenv.RepoRoot(t), "lab", "tools", "k8sprovider", f)); err == nil {
			t.Errorf("lab/tools/k8sprovider/%s exists: preparation wrote into the repo", f)
		}
	}
}

// TestPluginVersion_IsTheProgramsSDKVersion: the kubernetes plugin is
// registered as the version the program's pulumi-kubernetes SDK asks for,
// and that is the version it is built from, so the state records the
// plugin that really ran.
func TestPluginVersion_IsTheProgramsSDKVersion(t *testing.T) {
	plugin := labenv.Versions(t)["KUBERNETES_PLUGIN_VERSION"]
	gomod, err := os.ReadFile(filepath.Join(labenv.RepoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`github.com/pulumi/pulumi-kubernetes/sdk/v4 v(\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod requires no github.com/pulumi/pulumi-kubernetes/sdk/v4")
	}
	if string(m[1]) != plugin {
		t.Errorf("go.mod's pulumi-kubernetes/sdk/v4 is v%s but lab/versions.env registers plugin %s", m[1], plugin)
	}
	tools, err := os.ReadFile(filepath.Join(labenv.RepoRoot(t), "lab", "tools", "k8sprovider", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tools), "github.com/pulumi/pulumi-kubernetes/sdk/v4 v"+plugin) {
		t.Errorf("lab/tools/k8sprovider/go.mod does not build the provider against sdk/v4 v%s", plugin)
	}
}

// TestNodeToolVersions_MatchVersionsEnv: the node's tool modules build the
// versions lab/versions.env names (kubelet and kube-proxy share the API
// server's KUBERNETES_VERSION and its staging replaces).
func TestNodeToolVersions_MatchVersionsEnv(t *testing.T) {
	v := labenv.Versions(t)
	want := map[string]string{
		"kubelet":     "k8s.io/kubernetes v" + v["KUBERNETES_VERSION"],
		"kube-router": "github.com/cloudnativelabs/kube-router/v2 v" + v["KUBE_ROUTER_VERSION"],
		"coredns":     "github.com/coredns/coredns v" + v["COREDNS_VERSION"],
		"cyclonus":    "github.com/mattfenwick/cyclonus v" + v["CYCLONUS_VERSION"],
		"probe":       "github.com/google/go-containerregistry v" + v["GO_CONTAINERREGISTRY_VERSION"],
		// The controller the node runs is the release whose chart and CRDs
		// Rampart pins (ingress.ChartVersion, lab/services/crds.sh).
		"envoy-gateway": "github.com/envoyproxy/gateway v" + v["ENVOY_GATEWAY_VERSION"],
		"egctl":         "github.com/envoyproxy/gateway v" + v["ENVOY_GATEWAY_VERSION"],
	}
	for tool, req := range want {
		gomod, err := os.ReadFile(filepath.Join(labenv.RepoRoot(t), "lab", "tools", tool, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`(?m)^\s*(require )?` + regexp.QuoteMeta(req) + `\s*$`).Match(gomod) {
			t.Errorf("lab/tools/%s/go.mod does not require %s (lab/versions.env)", tool, req)
		}
	}
	kube, err := os.ReadFile(filepath.Join(labenv.RepoRoot(t), "lab", "tools", "kube", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	kubelet, err := os.ReadFile(filepath.Join(labenv.RepoRoot(t), "lab", "tools", "kubelet", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	replaces := regexp.MustCompile(`(?m)^\s*k8s.io/\S+ => .*$`)
	if a, b := replaces.FindAllString(string(kube), -1), replaces.FindAllString(string(kubelet), -1); strings.Join(a, "\n") != strings.Join(b, "\n") || len(a) == 0 {
		t.Errorf("lab/tools/kubelet/go.mod's staging replaces (%d) differ from lab/tools/kube/go.mod's (%d)", len(b), len(a))
	}
}
