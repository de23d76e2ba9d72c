package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/helpers/hardening"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestPolicy_PrintsTheNarrowPolicy: `rampart-kms policy` prints exactly
// the three rules the token needs, for the key it names.
func TestPolicy_PrintsTheNarrowPolicy(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"policy", "--transit-mount", "kms", "--key-name", "etcd"}, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	got := out.String()
	for _, want := range []string{`path "kms/encrypt/etcd"`, `path "kms/decrypt/etcd"`, `path "kms/keys/etcd"`} {
		if !strings.Contains(got, want) {
			t.Errorf("policy lacks %s:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "path "); n != 3 {
		t.Errorf("%d rules, want 3:\n%s", n, got)
	}
	if strings.Contains(got, "create") || strings.Contains(got, "sudo") || strings.Contains(got, "*") {
		t.Errorf("policy grants more than update and read:\n%s", got)
	}
}

// TestStaticPod_RestrictedButForTheHostMounts: the static pod passes Pod
// Security restricted (the real evaluator) except for what a static KMS
// plugin cannot do without — the host network and hostPath volumes — and
// a missing image is refused at its flag.
func TestStaticPod_RestrictedButForTheHostMounts(t *testing.T) {
	var out, errs bytes.Buffer
	img := "registry.example.org/rampart/rampart-kms@sha256:" + strings.Repeat("ab", 32)
	args := []string{"static-pod", "--image", img, "--address", "https://openbao.example.org:8200", "--token-file", "/etc/rampart-kms/token"}
	if code := run(context.Background(), args, &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(out.Bytes(), &pod); err != nil {
		t.Fatalf("not a Pod: %v\n%s", err, out.String())
	}
	if pod.Spec.Containers[0].Image != img {
		t.Errorf("image = %s", pod.Spec.Containers[0].Image)
	}
	err := hardening.CheckRestricted(&pod.Spec)
	if err == nil {
		t.Fatal("a pod with hostPath volumes passed restricted: the evaluator is not looking")
	}
	t.Log(err)
	for _, part := range strings.Split(strings.TrimPrefix(err.Error(), "violates PodSecurity restricted:latest: "), "; ") {
		if !strings.Contains(part, "hostPath") && !strings.HasPrefix(part, "host namespaces") {
			t.Errorf("restricted violation beyond the host mounts and network: %s", part)
		}
	}
	// Without the host mounts and network, nothing else is left.
	spec := pod.Spec.DeepCopy()
	spec.HostNetwork, spec.Volumes = false, nil
	spec.Containers[0].VolumeMounts = nil
	if err := hardening.CheckRestricted(spec); err != nil {
		t.Errorf("the plugin's own settings are not restricted: %v", err)
	}

	out.Reset()
	errs.Reset()
	if code := run(context.Background(), []string{"static-pod", "--address", "https://openbao.example.org:8200", "--token-file", "/t"}, &out, &errs); code != 1 ||
		!strings.Contains(errs.String(), "image") {
		t.Errorf("without --image: exit %d, stderr %q; want 1 naming the image", code, errs.String())
	}
}
