package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	corev1api "k8s.io/api/core/v1"
	rbacv1api "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// These tests need only the lab's kube-apiserver (no Pulumi stack): the lab
// starts it on the policy `rampart apiserver audit-policy` renders
// (lab/services/kube.sh), and the tests prove that this file is what the
// server runs and that real requests land in the audit log at the levels the
// policy promises.

// apEvent is the part of an audit.k8s.io/v1 Event these tests read.
type apEvent struct {
	Level      string `json:"level"`
	Verb       string `json:"verb"`
	Stage      string `json:"stage"`
	RequestURI string `json:"requestURI"`
	ObjectRef  struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	RequestObject  json.RawMessage `json:"requestObject"`
	ResponseObject json.RawMessage `json:"responseObject"`
}

// apLog reads the lab's audit log from the size it had when the test began,
// so events of earlier runs (and of an API server that ran an older policy)
// are never taken for this run's.
type apLog struct {
	path  string
	start int64
}

func newAPLog(t *testing.T, path string) *apLog {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return &apLog{path: path, start: fi.Size()}
}

// events returns every ResponseComplete event written since the test began.
func (l *apLog) events(t *testing.T) []apEvent {
	t.Helper()
	f, err := os.Open(l.path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if fi, err := f.Stat(); err == nil && fi.Size() >= l.start { // else rotated: read it all
		if _, err := f.Seek(l.start, io.SeekStart); err != nil {
			t.Fatal(err)
		}
	}
	var out []apEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev apEvent
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Stage == "ResponseComplete" {
			out = append(out, ev)
		}
	}
	return out
}

// wait polls until an event matches.
func (l *apLog) wait(t *testing.T, what string, match func(apEvent) bool) apEvent {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range l.events(t) {
			if match(ev) {
				return ev
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("no audit event for %s in %s", what, l.path)
	return apEvent{}
}

func apObject(verb, resource, sub, ns, name string) func(apEvent) bool {
	return func(ev apEvent) bool {
		return ev.Verb == verb && ev.ObjectRef.Resource == resource && ev.ObjectRef.Subresource == sub &&
			ev.ObjectRef.Namespace == ns && ev.ObjectRef.Name == name
	}
}

// TestE2E_AuditPolicy_LabAPIServerRunsTheRenderedPolicy proves one source of
// truth: the file the lab's kube-apiserver was started with (its own command
// line, read from /proc) is byte-identical to what `rampart apiserver
// audit-policy` renders now, and was not rewritten after the server started.
func TestE2E_AuditPolicy_LabAPIServerRunsTheRenderedPolicy(t *testing.T) {
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG", "RAMPART_LAB_AUDIT_LOG", "RAMPART_LAB_AUDIT_POLICY")
	policyPath, logPath := env["RAMPART_LAB_AUDIT_POLICY"], env["RAMPART_LAB_AUDIT_LOG"]
	loaded, err := os.ReadFile(policyPath)
	must(t, err)

	want, err := auditpolicy.Render(nil)
	must(t, err)
	if !bytes.Equal(loaded, want) {
		t.Errorf("the lab's policy %s differs from auditpolicy.Render: run `lab/lab.sh up kube` (it re-renders and restarts kube-apiserver)\n--- lab\n%s\n--- rendered\n%s",
			policyPath, loaded, want)
	}
	gobin := labenv.RequireCommand(t, "go")
	cmd := exec.Command(gobin, "run", "./cmd/rampart", "apiserver", "audit-policy")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cli, err := cmd.Output()
	if err != nil {
		t.Fatalf("rampart apiserver audit-policy: %v\n%s", err, stderr.String())
	}
	if !bytes.Equal(loaded, cli) {
		t.Errorf("the lab's policy differs from `rampart apiserver audit-policy`'s output")
	}

	pidFile := filepath.Join(filepath.Dir(labenv.Path()), "kube-apiserver.pid")
	raw, err := os.ReadFile(pidFile)
	must(t, err)
	pid := strings.Fields(string(raw))[0]
	cmdline, err := os.ReadFile("/proc/" + pid + "/cmdline")
	if err != nil {
		t.Fatalf("kube-apiserver (pid %s from %s) not running: %v", pid, pidFile, err)
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	flag := func(name string) string {
		for i, a := range args {
			if a == name && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, name+"="); ok {
				return v
			}
		}
		return ""
	}
	if got := flag("--audit-policy-file"); got != policyPath {
		t.Errorf("kube-apiserver --audit-policy-file = %q, want the rendered %q", got, policyPath)
	}
	if got := flag("--audit-log-path"); got != logPath {
		t.Errorf("kube-apiserver --audit-log-path = %q, want %q", got, logPath)
	}
	started := apProcessStart(t, pid)
	fi, err := os.Stat(policyPath)
	must(t, err)
	if fi.ModTime().After(started.Add(time.Second)) {
		t.Errorf("policy written at %s, after kube-apiserver started at %s: the server runs an older file", fi.ModTime(), started)
	}
}

// apProcessStart is the wall-clock start of a process: boot time (btime in
// /proc/stat) plus its start in clock ticks (field 22 of /proc/PID/stat, at
// the kernel's USER_HZ of 100).
func apProcessStart(t *testing.T, pid string) time.Time {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	must(t, err)
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	must(t, err)
	sys, err := os.ReadFile("/proc/stat")
	must(t, err)
	for _, line := range strings.Split(string(sys), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			boot, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			must(t, err)
			return time.Unix(boot, 0).Add(time.Duration(ticks) * 10 * time.Millisecond)
		}
	}
	t.Fatal("no btime in /proc/stat")
	return time.Time{}
}

// TestE2E_AuditPolicy_RealRequestsAreLoggedAtThePolicysLevels drives the
// lab's kube-apiserver and reads its audit log: a Secret read at Metadata
// without payload, an RBAC change at RequestResponse with both bodies, a pod
// exec at RequestResponse (the lab has no node, so the exec fails after the
// audit filter has seen it), the catch-all at Metadata, probes not at all.
func TestE2E_AuditPolicy_RealRequestsAreLoggedAtThePolicysLevels(t *testing.T) {
	env := labenv.Require(t, "RAMPART_LAB_KUBECONFIG", "RAMPART_LAB_AUDIT_LOG")
	kube, _ := testkit.KubeClient(t, env["RAMPART_LAB_KUBECONFIG"])
	log := newAPLog(t, env["RAMPART_LAB_AUDIT_LOG"])
	ctx := context.Background()
	ns := prefix + "auditpolicy-" + testkit.RandHex(4)
	_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1api.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	must(t, err)
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })

	t.Run("secret read and write at Metadata, never the payload", func(t *testing.T) {
		const payload = "rampart-audit-canary"
		_, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1api.Secret{ObjectMeta: metav1.ObjectMeta{Name: "probe"},
			StringData: map[string]string{"password": payload}}, metav1.CreateOptions{})
		must(t, err)
		_, err = kube.CoreV1().Secrets(ns).Get(ctx, "probe", metav1.GetOptions{})
		must(t, err)
		for _, verb := range []string{"create", "get"} {
			ev := log.wait(t, verb+" secret", apObject(verb, "secrets", "", ns, "probe"))
			if ev.Level != "Metadata" || ev.RequestObject != nil || ev.ResponseObject != nil {
				t.Errorf("secret %s logged at %s (request body %t, response body %t): want Metadata without payload",
					verb, ev.Level, ev.RequestObject != nil, ev.ResponseObject != nil)
			}
		}
		for _, ev := range log.events(t) {
			if bytes.Contains(ev.RequestObject, []byte(payload)) || bytes.Contains(ev.ResponseObject, []byte(payload)) {
				t.Errorf("the secret's value reached the audit log in %s %s", ev.Verb, ev.RequestURI)
			}
		}
	})

	t.Run("RBAC change at RequestResponse with both bodies", func(t *testing.T) {
		_, err := kube.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1api.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "grant"},
			RoleRef:  rbacv1api.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1api.Subject{{Kind: "User", Name: "audited-grantee"}}}, metav1.CreateOptions{})
		must(t, err)
		ev := log.wait(t, "create rolebinding", apObject("create", "rolebindings", "", ns, "grant"))
		if ev.Level != "RequestResponse" || !bytes.Contains(ev.RequestObject, []byte("audited-grantee")) ||
			!bytes.Contains(ev.ResponseObject, []byte("audited-grantee")) {
			t.Errorf("rolebinding create logged at %s with request %s / response %s: want RequestResponse, both bodies naming the subject",
				ev.Level, ev.RequestObject, ev.ResponseObject)
		}
	})

	t.Run("pod exec at RequestResponse although the lab has no node", func(t *testing.T) {
		pod := apCreatePod(ctx, t, kube, ns)
		res := kube.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name(pod).SubResource("exec").
			Param("container", "app").Param("command", "id").Param("stdout", "true").Do(ctx)
		if err := res.Error(); err == nil {
			t.Fatal("exec succeeded on a pod with no node: the lab changed, revisit this test")
		}
		ev := log.wait(t, "create pods/exec", apObject("create", "pods", "exec", ns, pod))
		if ev.Level != "RequestResponse" {
			t.Errorf("pod exec logged at %s: want RequestResponse", ev.Level)
		}
		if !strings.Contains(ev.RequestURI, "command=id") {
			t.Errorf("exec event's requestURI %q lacks the command", ev.RequestURI)
		}
		t.Logf("exec refused with %d, audited at %s", ev.ResponseStatus.Code, ev.Level)
	})

	t.Run("everything else at Metadata, probes not at all", func(t *testing.T) {
		ev := log.wait(t, "create namespace", apObject("create", "namespaces", "", "", ns))
		if ev.Level != "Metadata" || ev.RequestObject != nil {
			t.Errorf("namespace create logged at %s (body %t): want the Metadata catch-all", ev.Level, ev.RequestObject != nil)
		}
		_, err := kube.CoreV1().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		must(t, err)
		// The log backend runs in blocking mode (the default): a request's
		// event is written before its response, so once this later read is in
		// the log, the probe's event would be too.
		_, err = kube.CoreV1().ConfigMaps(ns).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		_ = err // found or not, the read is audited
		log.wait(t, "get configmap", apObject("get", "configmaps", "", ns, "kube-root-ca.crt"))
		for _, ev := range log.events(t) {
			for _, p := range []string{"/readyz", "/livez", "/healthz"} {
				if strings.HasPrefix(ev.RequestURI, p) {
					t.Errorf("health probe %s logged at %s: want None", ev.RequestURI, ev.Level)
				}
			}
		}
	})
}

// apCreatePod creates a restricted pod that stays Pending (no scheduler, no
// node), retrying while the controller manager creates the namespace's
// default ServiceAccount.
func apCreatePod(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns string) string {
	t.Helper()
	yes, no, uid := true, false, int64(65532)
	pod := &corev1api.Pod{ObjectMeta: metav1.ObjectMeta{Name: "exec-target"}, Spec: corev1api.PodSpec{
		AutomountServiceAccountToken: &no,
		SecurityContext: &corev1api.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid,
			SeccompProfile: &corev1api.SeccompProfile{Type: corev1api.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1api.Container{{Name: "app", Image: "registry.example/app@sha256:" + strings.Repeat("0", 64),
			SecurityContext: &corev1api.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
				Capabilities: &corev1api.Capabilities{Drop: []corev1api.Capability{"ALL"}}}}},
	}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		if err == nil {
			return pod.Name
		}
		if time.Now().After(deadline) {
			t.Fatalf("create pod in %s: %v", ns, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
