package verify

import (
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/internal/labenv"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var testOptions = Options{ProbeImage: "rampart.invalid/probe:lab", NodeName: "rampart-node"}.withDefaults()

// TestProbePods_PassPSSRestricted: every pod verify runs passes Kubernetes'
// own Pod Security evaluator at restricted (a server on a port below 1024
// included: the unprivileged-port sysctl is a safe one), carries the probe
// labels, is bounded and never mounts a token; the dry runs' pod is refused
// at restricted and baseline and admitted at privileged.
func TestProbePods_PassPSSRestricted(t *testing.T) {
	o := testOptions
	for _, pod := range []*corev1.Pod{
		serverPod(o, "team-a", "abc123", []int{ProbePort, 8080}, time.Minute),
		serverPod(o, "team-a", "abc123", []int{ProbePort, 443}, time.Minute),
		clientPod(o, "rampart-system", roleGateway, "abc123", map[string]string{"app": "rampart-gateway"}, []string{"tcp:10.0.0.1:443"}, time.Minute),
	} {
		t.Run(pod.Name+"/"+strings.Join(pod.Spec.Containers[0].Args, " "), func(t *testing.T) {
			if err := hardening.CheckRestricted(&pod.Spec); err != nil {
				t.Errorf("not restricted: %v", err)
			}
			if pod.Labels[LabelProbe] != ProbeValue || pod.Labels[LabelRun] != "abc123" || pod.Labels[LabelRole] == "" {
				t.Errorf("labels = %v", pod.Labels)
			}
			if !strings.HasPrefix(pod.Name, PodPrefix) || len(pod.Name) > 63 {
				t.Errorf("name %q", pod.Name)
			}
			s := pod.Spec
			if s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds != 60 || s.RestartPolicy != corev1.RestartPolicyNever {
				t.Errorf("not bounded: deadline %v, restart %s", s.ActiveDeadlineSeconds, s.RestartPolicy)
			}
			if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
				t.Error("the service-account token is mounted")
			}
			c := s.Containers[0]
			if c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem ||
				s.SecurityContext.RunAsUser == nil || *s.SecurityContext.RunAsUser != hardening.UID {
				t.Errorf("contexts %+v %+v", s.SecurityContext, c.SecurityContext)
			}
			if s.NodeName != "rampart-node" || c.Image != o.ProbeImage || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("node %q image %q resources %v", s.NodeName, c.Image, c.Resources)
			}
		})
	}
	low := serverPod(o, "team-a", "abc123", []int{443}, time.Minute)
	if sc := low.Spec.SecurityContext.Sysctls; len(sc) != 1 || sc[0].Name != unprivilegedPortSysctl {
		t.Errorf("a server on 443 has sysctls %v", sc)
	}
	if sc := serverPod(o, "team-a", "abc123", []int{8080}, time.Minute).Spec.SecurityContext.Sysctls; len(sc) != 0 {
		t.Errorf("a server on 8080 has sysctls %v", sc)
	}
	gw := clientPod(o, "rampart-system", roleGateway, "abc123", map[string]string{"app": "rampart-gateway"}, nil, time.Minute)
	if gw.Labels["app"] != "rampart-gateway" || gw.Spec.Containers[0].ReadinessProbe == nil {
		t.Errorf("gateway client: labels %v, readiness %v", gw.Labels, gw.Spec.Containers[0].ReadinessProbe)
	}
	priv := privilegedPod(o, "team-a", "abc123")
	for level, admitted := range map[string]bool{"restricted": false, "baseline": false, "privileged": true} {
		err := hardening.CheckPod(level, "latest", nil, &priv.Spec)
		if (err == nil) != admitted {
			t.Errorf("privileged pod at %s: %v, want admitted=%v", level, err, admitted)
		}
	}
	if priv.Spec.NodeName != "" || priv.Labels[LabelProbe] != ProbeValue {
		t.Errorf("privileged pod: node %q labels %v", priv.Spec.NodeName, priv.Labels)
	}
}

// TestBaselinePod_TellsRestrictedFromBaseline: the second dry runs' pod is
// admitted by Pod Security baseline (and privileged) and refused by
// restricted, for the three settings restricted adds, so its answer shows
// which of the two a namespace enforces.
func TestBaselinePod_TellsRestrictedFromBaseline(t *testing.T) {
	pod := baselinePod(testOptions, "team-a", "abc123")
	for level, admitted := range map[string]bool{"restricted": false, "baseline": true, "privileged": true} {
		err := hardening.CheckPod(level, "latest", nil, &pod.Spec)
		if (err == nil) != admitted {
			t.Errorf("baseline pod at %s: %v, want admitted=%v", level, err, admitted)
		}
		if err != nil {
			for _, why := range []string{"allowPrivilegeEscalation", "capabilities", "runAsNonRoot"} {
				if !strings.Contains(err.Error(), why) {
					t.Errorf("restricted refuses it but not for %s: %v", why, err)
				}
			}
		}
	}
	if pod.Spec.NodeName != "" || pod.Labels[LabelProbe] != ProbeValue || pod.Labels[LabelRole] != roleBaseline || pod.Name == privilegedPod(testOptions, "team-a", "abc123").Name {
		t.Errorf("baseline pod: name %q node %q labels %v", pod.Name, pod.Spec.NodeName, pod.Labels)
	}
	if c := pod.Spec.Containers[0].SecurityContext; c.Privileged != nil && *c.Privileged {
		t.Error("the baseline pod is privileged")
	}
}

func TestParseCheck(t *testing.T) {
	full := `probe: starting
{"target":"tcp:10.244.0.7:8080","verdict":"OK","detail":"connected from 10.244.0.9:4000","ms":1}
{"target":"tcp:10.244.0.8:8080","verdict":"TIMEOUT","detail":"i/o timeout","ms":2001}
{"target":"dns:udp:kubernetes.default.svc@10.96.0.10:53","verdict":"NXDOMAIN","ms":3}
{"target":"dns:tcp:kubernetes.default.svc@10.96.0.10:53","verdict":"TIMEOUT","ms":2000}
{"done":4}
`
	lines, err := parseCheck([]byte(full))
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{
		"tcp:10.244.0.7:8080": Open, "tcp:10.244.0.8:8080": Closed,
		"dns:udp:kubernetes.default.svc@10.96.0.10:53": Open, "dns:tcp:kubernetes.default.svc@10.96.0.10:53": Closed,
	} {
		l, ok := lines[target]
		if !ok {
			t.Errorf("no line for %s", target)
			continue
		}
		if got := observed(l, strings.HasPrefix(target, "dns:")); got != want {
			t.Errorf("%s: observed %s, want %s", target, got, want)
		}
	}
	if got := observed(probeLine{Verdict: "NXDOMAIN"}, false); got != Errored {
		t.Errorf("NXDOMAIN for a TCP target: %s, want %s", got, Errored)
	}
	if got := observed(probeLine{Verdict: "ERROR"}, false); got != Errored {
		t.Errorf("ERROR: %s", got)
	}
	if !strings.Contains(lines["tcp:10.244.0.8:8080"].detail(), "TIMEOUT in 2001 ms: i/o timeout") {
		t.Errorf("detail = %q", lines["tcp:10.244.0.8:8080"].detail())
	}
	cut := full[:strings.Index(full, `{"done"`)]
	if _, err := parseCheck([]byte(cut)); err == nil || !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("a log without its done line: %v", err)
	}
	if _, err := parseCheck([]byte(strings.Replace(full, `{"done":4}`, `{"done":5}`, 1))); err == nil {
		t.Error("a count that differs from the lines was accepted")
	}
}

// TestProbeCheck_TheProbeProgramSpeaksTheFormat builds the lab's probe
// program (its own module) and runs `probe check` against a listener and a
// closed port on this machine: what verify parses is what the probe prints.
func TestProbeCheck_TheProbeProgramSpeaksTheFormat(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "probe")
	build := exec.Command("go", "build", "-o", bin, "./cmd/probe")
	build.Dir = filepath.Join(labenv.RepoRoot(t), "lab", "tools", "probe")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the probe: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	_ = closed.Close()
	open := "tcp:" + ln.Addr().String()
	shut := "tcp:" + closedAddr
	dns := "dns:tcp:kubernetes.default.svc@" + closedAddr
	out, err := exec.Command(bin, "check", "-timeout", "1s", "-parallel", "2", open, shut, dns).Output()
	if err != nil {
		t.Fatalf("probe check: %v\n%s", err, out)
	}
	lines, err := parseCheck(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for target, want := range map[string]string{open: Open, shut: Closed, dns: Closed} {
		if got := observed(lines[target], strings.HasPrefix(target, "dns:")); got != want {
			t.Errorf("%s: %s (%+v), want %s", target, got, lines[target], want)
		}
	}
	if err := exec.Command(bin, "check", "udp:1.2.3.4:5").Run(); err == nil {
		t.Error("a bad target was accepted")
	} else if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() != 2 {
		t.Errorf("a bad target exits %d, want 2 (usage)", ee.ExitCode())
	}
}

func TestClassifyDryRun(t *testing.T) {
	gr := schema.GroupResource{Resource: "pods"}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, Admitted},
		{apierrors.NewForbidden(gr, "rampart-verify-privileged-abc123", errors.New(`violates PodSecurity "restricted:latest": privileged (container "probe" must not set securityContext.privileged=true)`)), Refused},
		{apierrors.NewForbidden(gr, "x", errors.New(`User "verifier" cannot create resource "pods"`)), notByPodSecurity},
		{apierrors.NewForbidden(gr, "x", errors.New(`exceeded quota: rampart-quota`)), notByPodSecurity},
		{errors.New("connection refused"), Errored},
	} {
		if got, detail := classifyDryRun(tc.err); got != tc.want {
			t.Errorf("%v: %s (%s), want %s", tc.err, got, detail, tc.want)
		}
	}
}

func TestClientDeadline_BoundsEveryRound(t *testing.T) {
	r := &run{o: testOptions}
	want := podStart + testOptions.Settle + time.Duration(3+1)*testOptions.ConnectTimeout
	if got := r.clientDeadline(2*probeParallel + 1); got != want {
		t.Errorf("deadline for %d targets = %s, want %s", 2*probeParallel+1, got, want)
	}
}
