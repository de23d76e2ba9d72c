package nodetraffic_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/tests/nodetraffic"
)

const pssNS = "nt-pss"

// renderRestricted renders, under the recording mock, a Rampart namespace
// (namespace component: restricted Pod Security labels, quota, limits) and
// a Pod from Rampart's restricted template (hardening.RestrictedPodSpec)
// running the probe image idle. Two lab-only changes are made to the
// rendered pod: spec.nodeName (the lab node has no scheduler) and
// imagePullPolicy Never (the image exists only in the node's containerd).
func renderRestricted(t *testing.T, n *nodetraffic.Node) []string {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		if _, err := namespace.NewNamespace(ctx, pssNS, &namespace.NamespaceArgs{Name: pssNS}); err != nil {
			return err
		}
		_, err := corev1.NewPod(ctx, "restricted", &corev1.PodArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("restricted"), Namespace: pulumi.String(pssNS)},
			Spec:     hardening.RestrictedPodSpec("probe", n.Image, pulumi.ToStringArray([]string{"pause"}), nil),
		})
		return err
	})
	if err != nil {
		t.Fatalf("rendering the restricted namespace and pod under mocks: %v", err)
	}
	var docs []string
	for _, r := range rec.All() {
		if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") {
			continue
		}
		m := r.Plain()
		if r.Type == "kubernetes:core/v1:Pod" {
			spec := m["spec"].(map[string]any)
			spec["nodeName"] = n.Name
			spec["containers"].([]any)[0].(map[string]any)["imagePullPolicy"] = "Never"
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		// The namespace first: the other objects live in it.
		if r.Type == "kubernetes:core/v1:Namespace" {
			docs = append([]string{string(b)}, docs...)
		} else {
			docs = append(docs, string(b))
		}
	}
	return docs
}

// TestNodePodSecurity_RestrictedTemplateAtRunTime_RealNode runs Rampart's
// restricted pod template on the lab's real node, in a namespace rendered
// by Rampart's namespace component, and reads what the kernel enforces:
// uid/gid 10000, no capability at all, no_new_privs, a seccomp filter
// (RuntimeDefault), a root filesystem that refuses a write even where the
// image lets uid 10000 write, and the template's scratch /tmp writable. A
// privileged pod is still refused by admission there.
func TestNodePodSecurity_RestrictedTemplateAtRunTime_RealNode(t *testing.T) {
	n := nodetraffic.RequireNode(t)
	docs := renderRestricted(t, n)
	t.Cleanup(func() { _, _ = n.Kubectl("", "delete", "namespace", pssNS, "--wait=false", "--ignore-not-found") })
	if _, err := n.Kubectl("", "delete", "namespace", pssNS, "--ignore-not-found", "--timeout=120s"); err != nil {
		t.Fatalf("removing a previous run's namespace: %v", err)
	}
	start := time.Now()
	n.Apply(t, docs[0])
	n.Apply(t, docs[1:]...)
	if _, err := n.Kubectl("", "wait", "-n", pssNS, "--for=condition=Ready", "pod/restricted", "--timeout=90s"); err != nil {
		t.Fatalf("Rampart's restricted pod does not run on the node: %v", err)
	}
	t.Logf("restricted pod Ready in %s", time.Since(start).Round(time.Millisecond))

	out, err := n.Kubectl("", "exec", "-n", pssNS, "restricted", "--", "/probe", "status")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("/proc/self/status of the restricted container:\n%s", out)
	status := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			status[k] = v
		}
	}
	for field, want := range map[string]string{
		"Uid":        "10000 10000 10000 10000",
		"Gid":        "10000 10000 10000 10000",
		"CapEff":     "0000000000000000",
		"CapPrm":     "0000000000000000",
		"CapBnd":     "0000000000000000",
		"NoNewPrivs": "1",
		"Seccomp":    "2", // SECCOMP_MODE_FILTER: the runtime's default profile is loaded
	} {
		if status[field] != want {
			t.Errorf("%s = %q, want %q", field, status[field], want)
		}
	}

	// /home/probe belongs to uid 10000 in the image: only the read-only
	// root filesystem can refuse this write.
	if line, ok := n.Exec(t, pssNS, "restricted", "write-test", "/home/probe/write-test"); ok || !strings.Contains(line, "read-only file system") {
		t.Errorf("write to the root filesystem: %q, want READ-ONLY with EROFS", line)
	}
	if line, ok := n.Exec(t, pssNS, "restricted", "write-test", "/tmp/write-test"); !ok {
		t.Errorf("write to the template's scratch /tmp: %q, want WRITABLE", line)
	}

	privileged := `apiVersion: v1
kind: Pod
metadata: {name: privileged, namespace: ` + pssNS + `}
spec:
  nodeName: ` + n.Name + `
  containers:
  - name: probe
    image: ` + n.Image + `
    imagePullPolicy: Never
    args: [pause]
    securityContext: {privileged: true}`
	_, err = n.Kubectl(privileged, "apply", "-f", "-")
	if err == nil {
		t.Fatal("a privileged pod was admitted into a Rampart namespace")
	}
	if !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Errorf("privileged pod refused, but not by Pod Security admission: %v", err)
	}
}
