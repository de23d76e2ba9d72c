package trivyscan

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/components/rbac"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

// livePrefix keeps this tier's stack apart from `make up`'s local stack and
// from the e2e tier's (which runs at the same time and destroys its own).
const livePrefix = "trivy-"

// localConfig is Pulumi.local.yaml's configuration with every namespace
// prefixed (the platform namespaces, the tenants, and every "namespace" key
// that names one of them), as the e2e tier does, so this stack lives beside
// `make up`'s and the e2e tier's on one lab.
func localConfig(t *testing.T) map[string]any {
	t.Helper()
	cfg := stackFileConfig(t, "Pulumi.local.yaml")
	known := map[string]bool{}
	if _, set := cfg["rampart:namespaces"]; !set {
		var nss []any
		for _, n := range config.DefaultPlatformNamespaces() {
			m := map[string]any{"name": n.Name}
			if n.Exemption != nil {
				m["exemption"] = n.Exemption
			}
			nss = append(nss, m)
		}
		cfg["rampart:namespaces"] = nss
	}
	if _, set := cfg["rampart:ingress"]; !set {
		cfg["rampart:ingress"] = map[string]any{"namespace": "rampart-ingress"}
	}
	for _, key := range []string{"rampart:namespaces", "rampart:tenants"} {
		list, _ := cfg[key].([]any)
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				name, _ := m["name"].(string)
				known[name] = true
				m["name"] = livePrefix + name
			}
		}
	}
	var prefix func(v any)
	prefix = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && known[s] && (k == "namespace" || strings.HasSuffix(k, "Namespace")) {
					x[k] = livePrefix + s
					continue
				}
				prefix(e)
			}
		case []any:
			for _, e := range x {
				prefix(e)
			}
		}
	}
	for k, v := range cfg {
		if k != "rampart:namespaces" && k != "rampart:tenants" {
			prefix(v)
		}
	}
	// The cluster-wide RBAC objects are named apart too (a stack deployed
	// by make up on the same lab owns the default names).
	if r, ok := cfg["rampart:rbac"].(map[string]any); ok {
		r["namePrefix"] = liveRBACPrefix
	}
	return cfg
}

// liveRBACPrefix names the live stack's ClusterRoles and bindings.
const liveRBACPrefix = livePrefix + rbac.DefaultNamePrefix

// upLocalStack deploys the prefixed local stack on the lab through the real
// pulumi CLI (Automation API, Rampart's program inline) and destroys it when
// the test ends.
func upLocalStack(t *testing.T) (auto.Stack, auto.UpResult) {
	t.Helper()
	work := t.TempDir()
	proj, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var kept []string // inline program: the project's `main:` is not needed
	for _, line := range strings.Split(string(proj), "\n") {
		if !strings.HasPrefix(line, "main:") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(filepath.Join(work, "Pulumi.yaml"), []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	stackFile, err := json.Marshal(map[string]any{"config": localConfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "Pulumi.trivyscan.yaml"), stackFile, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stk, err := auto.UpsertStackInlineSource(ctx, "trivyscan", "rampart", stacks.Program,
		auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert the trivyscan stack: %v", err)
	}
	log := logWriter{T: t}
	// A run that died half-way left resources behind: start from nothing.
	if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(log)); err != nil {
		t.Fatalf("clean up a previous run: %v", err)
	}
	t.Cleanup(func() {
		if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(log)); err != nil {
			t.Errorf("destroy the trivyscan stack: %v", err)
		}
	})
	up, err := stk.Up(ctx, optup.ProgressStreams(log))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	return stk, up
}

// logWriter sends CLI progress to the test log.
type logWriter = testkit.LogWriter

// liveRef is one Kubernetes object the stack's state says Rampart created.
type liveRef struct {
	GVK             schema.GroupVersionKind
	Namespace, Name string
}

// createdObjects lists every kubernetes:* custom resource in the stack's
// state (patches included: the live object they patched is read whole).
func createdObjects(t *testing.T, stk auto.Stack) []liveRef {
	t.Helper()
	exp, err := stk.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var dep apitype.DeploymentV3
	if err := json.Unmarshal(exp.Deployment, &dep); err != nil {
		t.Fatal(err)
	}
	var out []liveRef
	for _, r := range dep.Resources {
		typ := string(r.Type)
		if !r.Custom || !strings.HasPrefix(typ, "kubernetes:") {
			continue
		}
		av, _ := r.Outputs["apiVersion"].(string)
		kind, _ := r.Outputs["kind"].(string)
		meta, _ := r.Outputs["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		ns, _ := meta["namespace"].(string)
		if av == "" || kind == "" || name == "" {
			t.Fatalf("%s %s: state has no apiVersion/kind/name in its outputs", typ, r.URN)
		}
		out = append(out, liveRef{schema.FromAPIVersionAndKind(av, kind), ns, name})
	}
	return out
}

// serverFields are set by the API server, not by Rampart: they would only
// add noise (and no check reads them).
var serverFields = []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"}

// readLive reads each object from the API server with client-go's dynamic
// client and strips the server-populated fields.
func readLive(t *testing.T, kubeconfig string, refs []liveRef) []object {
	t.Helper()
	_, rc := testkit.KubeClient(t, kubeconfig)
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDiscoveryRESTMapper(groups)
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	var objs []object
	for _, r := range refs {
		m, err := mapper.RESTMapping(r.GVK.GroupKind(), r.GVK.Version)
		if err != nil {
			t.Fatalf("%s: %v", r.GVK, err)
		}
		var u *unstructured.Unstructured
		if r.Namespace != "" {
			u, err = dyn.Resource(m.Resource).Namespace(r.Namespace).Get(context.Background(), r.Name, metav1.GetOptions{})
		} else {
			u, err = dyn.Resource(m.Resource).Get(context.Background(), r.Name, metav1.GetOptions{})
		}
		if err != nil {
			t.Fatalf("read %s %s/%s from the lab: %v", r.GVK.Kind, r.Namespace, r.Name, err)
		}
		obj := u.UnstructuredContent()
		delete(obj, "status")
		if meta, ok := obj["metadata"].(map[string]any); ok {
			for _, f := range serverFields {
				delete(meta, f)
			}
			if ann, ok := meta["annotations"].(map[string]any); ok {
				delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
				if len(ann) == 0 {
					delete(meta, "annotations")
				}
			}
		}
		objs = append(objs, newObject(obj, r.Name))
	}
	return objs
}

// stackExemptions reads the namespace exemptions the stack itself exports
// (the `exemptions` output: config.Config.Exemptions of the deployed config).
func stackExemptions(t *testing.T, up auto.UpResult) []config.Exemption {
	t.Helper()
	raw, err := json.Marshal(up.Outputs["exemptions"].Value)
	if err != nil {
		t.Fatal(err)
	}
	var ex []config.Exemption
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatalf("exemptions output %s: %v", raw, err)
	}
	return ex
}

// TestTrivyConfig_LocalStackLiveObjects_NoUnexemptedHighFindings deploys the
// local stack (prefixed) on the lab's kube-apiserver with the real pulumi
// CLI, reads back every object its state lists, as the API server stored it
// (defaults and admission applied), and scans them.
func TestTrivyConfig_LocalStackLiveObjects_NoUnexemptedHighFindings(t *testing.T) {
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG")
	labenv.RequireCommand(t, "pulumi")
	requireTrivy(t)
	t.Setenv("KUBECONFIG", env["RAMPART_LAB_KUBECONFIG"])
	stk, up := upLocalStack(t)
	names, _ := up.Outputs["namespaces"].Value.([]any)
	if len(names) < len(config.DefaultPlatformNamespaces()) {
		t.Fatalf("namespaces output = %v: fewer than the platform's", names)
	}
	for _, n := range names {
		if s, _ := n.(string); !strings.HasPrefix(s, livePrefix) {
			t.Fatalf("namespace %v is not prefixed %q: this tier would share it with `make up`'s local stack", n, livePrefix)
		}
	}
	refs := createdObjects(t, stk)
	objs := readLive(t, env["RAMPART_LAB_KUBECONFIG"], refs)
	t.Logf("read %d live objects from the lab", len(objs))
	ex := exemptions{namespaces: stackExemptions(t, up), allow: allowList}
	if len(ex.namespaces) == 0 {
		t.Fatalf("the local stack exported no namespace exemption; it has Falco's")
	}
	if p := ex.problems(); len(p) > 0 {
		t.Fatalf("exemptions: %q", p)
	}
	for _, ns := range ex.namespaces {
		if !strings.HasPrefix(ns.Namespace, livePrefix) {
			t.Fatalf("exemption %s is not on this tier's prefixed namespaces", ns.Namespace)
		}
	}
	// 8 platform + 2 tenant namespaces, each with its quota, limit range,
	// default ServiceAccount and policies.
	scanAndGate(t, objs, ex, 60)
}
