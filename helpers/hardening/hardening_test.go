package hardening_test

import (
	"strings"
	"testing"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/internal/recmock"
)

// recordedSpec registers a Pod with spec under mocks and decodes the spec
// the provider would receive.
func recordedSpec(t *testing.T, spec *corev1.PodSpecArgs) map[string]any {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := corev1.NewPod(ctx, "p", &corev1.PodArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("p")}, Spec: spec})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pod, err := rec.Get("kubernetes:core/v1:Pod", "p")
	if err != nil {
		t.Fatal(err)
	}
	return pod.Plain()["spec"].(map[string]any)
}

func TestRestrictedPodSpec_PassesPSSRestrictedEvaluator(t *testing.T) {
	raw := recordedSpec(t, hardening.RestrictedPodSpec("app", "registry.example/app@sha256:0000", nil, nil))
	spec, err := hardening.PodSpecFromMap(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := hardening.CheckRestricted(spec); err != nil {
		t.Fatalf("restricted pod spec rejected: %v", err)
	}
	c := spec.Containers[0]
	if *c.SecurityContext.ReadOnlyRootFilesystem != true || *c.SecurityContext.AllowPrivilegeEscalation != false {
		t.Errorf("container context not hardened: %+v", c.SecurityContext)
	}
	if *spec.SecurityContext.RunAsUser != hardening.UID || *spec.SecurityContext.FSGroup != hardening.GID {
		t.Errorf("pod identity = %d/%d, want %d/%d", *spec.SecurityContext.RunAsUser, *spec.SecurityContext.FSGroup, hardening.UID, hardening.GID)
	}
	if len(spec.Volumes) != 2 || spec.Volumes[0].EmptyDir == nil || len(c.VolumeMounts) != 2 {
		t.Errorf("scratch volumes missing: %+v %+v", spec.Volumes, c.VolumeMounts)
	}
	if c.Resources.Limits.Memory().String() != "512Mi" || c.Resources.Requests.Cpu().String() != "250m" {
		t.Errorf("resources = %+v", c.Resources)
	}
}

func TestCheckPod_RejectsEachWeakening(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(spec map[string]any)
		want   string
	}{
		{"privileged", func(s map[string]any) { container(s)["securityContext"].(map[string]any)["privileged"] = true }, "privileged"},
		{"privilege escalation", func(s map[string]any) {
			container(s)["securityContext"].(map[string]any)["allowPrivilegeEscalation"] = true
		}, "allowPrivilegeEscalation"},
		{"added capability", func(s map[string]any) {
			container(s)["securityContext"].(map[string]any)["capabilities"] = map[string]any{"add": []any{"NET_ADMIN"}, "drop": []any{"ALL"}}
		}, "capabilities"},
		{"host network", func(s map[string]any) { s["hostNetwork"] = true }, "host namespaces"},
		{"hostPath volume", func(s map[string]any) {
			s["volumes"] = []any{map[string]any{"name": "h", "hostPath": map[string]any{"path": "/"}}}
		}, "hostPath"},
		{"root user", func(s map[string]any) { s["securityContext"].(map[string]any)["runAsUser"] = 0 }, "runAsUser"},
		{"unconfined seccomp", func(s map[string]any) {
			s["securityContext"].(map[string]any)["seccompProfile"] = map[string]any{"type": "Unconfined"}
		}, "seccompProfile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := recordedSpec(t, hardening.RestrictedPodSpec("app", "img", nil, nil))
			tc.mutate(raw)
			spec, err := hardening.PodSpecFromMap(raw)
			if err != nil {
				t.Fatal(err)
			}
			err = hardening.CheckRestricted(spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckRestricted = %v, want a violation naming %q", err, tc.want)
			}
		})
	}
}

func TestCheckPod_PrivilegedLevelAdmitsPrivilegedPod(t *testing.T) {
	raw := recordedSpec(t, hardening.RestrictedPodSpec("app", "img", nil, nil))
	container(raw)["securityContext"].(map[string]any)["privileged"] = true
	spec, _ := hardening.PodSpecFromMap(raw)
	if err := hardening.CheckPod("privileged", "latest", nil, spec); err != nil {
		t.Fatalf("privileged level rejected a privileged pod: %v", err)
	}
	if err := hardening.CheckPod("baseline", "v1.34", nil, spec); err == nil {
		t.Fatal("baseline admitted a privileged pod")
	}
	if _, err := hardening.ParseLevelVersion("strict", "latest"); err == nil {
		t.Fatal("unknown level accepted")
	}
}

func container(spec map[string]any) map[string]any {
	return spec["containers"].([]any)[0].(map[string]any)
}
