package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/inventory"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// dataplane decides what a probe observes: the verdict of target from the
// client pod.
type dataplane func(client *corev1.Pod, server *corev1.Pod, target string) string

// fakeCluster is a fake API server that plays the kubelet: a pod created
// runs at once (servers serve with an address, clients end), a client's log
// is `probe check`'s output with the verdicts dp gives, and a dry run is
// judged at the namespace's level in levels by Kubernetes' own Pod Security
// evaluator (what Pod Security admission does).
type fakeCluster struct {
	*fake.Clientset
	mu     sync.Mutex
	byIP   map[string]*corev1.Pod
	nextIP int
	// levels are the Pod Security levels the cluster enforces, by
	// namespace (a test may lower one before the run).
	levels map[string]string
}

func newFakeCluster(t *testing.T, levels map[string]string, dp dataplane) *fakeCluster {
	t.Helper()
	f := &fakeCluster{Clientset: fake.NewClientset(), byIP: map[string]*corev1.Pod{}, levels: levels}
	if _, err := f.CoreV1().Services("kube-system").Create(context.Background(), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: "kube-system"},
		Spec:       corev1.ServiceSpec{ClusterIP: "10.96.0.10"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		if o, ok := a.(interface{ GetCreateOptions() metav1.CreateOptions }); ok && len(o.GetCreateOptions().DryRun) > 0 {
			if l := f.levels[pod.Namespace]; l == "restricted" || l == "baseline" {
				if err := hardening.CheckPod(l, "latest", nil, &pod.Spec); err != nil {
					return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, pod.Name, err)
				}
			}
			return true, pod, nil
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.nextIP++
		pod.Status.PodIP = fmt.Sprintf("10.244.0.%d", f.nextIP)
		f.byIP[pod.Status.PodIP] = pod.DeepCopy()
		if pod.Labels[LabelRole] == roleServer {
			pod.Status.Phase = corev1.PodRunning
			pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: containerName, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
		} else {
			pod.Status.Phase = corev1.PodSucceeded
		}
		return false, nil, nil
	})
	f.PrependReactor("get", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "log" {
			return false, nil, nil
		}
		// The fake's log action names no pod: the namespace's client
		// created last is the one (the clients run one at a time here).
		name, _ := lastClient.Load(a.GetNamespace())
		obj, err := f.Tracker().Get(schema.GroupVersionResource{Version: "v1", Resource: "pods"}, a.GetNamespace(), fmt.Sprint(name))
		if err != nil {
			return true, nil, err
		}
		client := obj.(*corev1.Pod)
		var out strings.Builder
		args := client.Spec.Containers[0].Args
		targets := 0
		for _, t := range args {
			if !strings.HasPrefix(t, "tcp:") && !strings.HasPrefix(t, "dns:") {
				continue
			}
			targets++
			f.mu.Lock()
			var server *corev1.Pod
			if strings.HasPrefix(t, "tcp:") {
				host, _, _ := net.SplitHostPort(strings.TrimPrefix(t, "tcp:"))
				server = f.byIP[host]
			}
			f.mu.Unlock()
			line, _ := json.Marshal(probeLine{Target: t, Verdict: dp(client, server, t), Millis: 1})
			out.Write(append(line, '\n'))
		}
		fmt.Fprintf(&out, "{\"done\":%d}\n", targets)
		return true, &runtime.Unknown{Raw: []byte(out.String())}, nil
	})
	return f
}

// lastClient is each namespace's client pod created last.
var lastClient sync.Map

// localDataplane is the local stack's semantics written by hand (as
// tests/nodetraffic's expectLocal): within a namespace open; the ingress
// proxies reach the tenants' 8080; a namespace the stack does not manage
// reaches everything but the stack's namespaces; DNS answers everyone; the
// gateway reaches the public address on 443; the outside answers the
// unmanaged namespace; everything else is dropped.
func localDataplane(client, server *corev1.Pod, target string) string {
	cns := client.Namespace
	unmanaged := strings.HasPrefix(cns, NamespacePrefix)
	switch {
	case strings.HasPrefix(target, "dns:"):
		return "OK"
	case server == nil: // outside
		if unmanaged || (client.Labels["app"] == "rampart-gateway" && target == "tcp:203.0.113.10:443") {
			return "OK"
		}
		return "TIMEOUT"
	case unmanaged:
		if strings.HasPrefix(server.Namespace, NamespacePrefix) {
			return "OK"
		}
		return "TIMEOUT"
	case server.Namespace == cns:
		return "OK"
	case client.Labels["app.kubernetes.io/component"] == "proxy" && cns == "rampart-ingress" &&
		(server.Namespace == "team-a" || server.Namespace == "team-b") && strings.HasSuffix(target, ":8080"):
		return "OK"
	}
	return "TIMEOUT"
}

// tenantWideIntent is the local stack's intent with its tenants' apps
// left out: each tenant isolated as a whole and admitting the proxies on
// its route port 8080, the shape localDataplane implements. The
// orchestration tests exercise the run (pods, controls, notes, cleanup),
// not the apps' rules, which TestExpect_LocalStack covers.
func tenantWideIntent(t *testing.T) *Intent {
	t.Helper()
	in := localIntent(t)
	for i := range in.Namespaces {
		if n := &in.Namespaces[i]; len(n.Apps) > 0 {
			n.Apps, n.ProxyPorts = nil, []int{8080}
		}
	}
	return in
}

func levelsOf(in *Intent) map[string]string {
	out := map[string]string{}
	for _, n := range in.Namespaces {
		out[n.Name] = n.PodSecurity
	}
	return out
}

func runFake(ctx context.Context, t *testing.T, dp dataplane) (*compliance.Behaviour, *fakeCluster, error) {
	t.Helper()
	res, f, err := runFakeWith(ctx, t, dp, Options{})
	return res.Behaviour, f, err
}

// runFakeWith runs verify on a fake cluster with dataplane dp, after each
// setup has prepared the cluster. The private address defaults to the
// lab's (10.200.0.10, which its outside hosts answer).
func runFakeWith(ctx context.Context, t *testing.T, dp dataplane, o Options, setup ...func(*fakeCluster)) (*Result, *fakeCluster, error) {
	t.Helper()
	in := tenantWideIntent(t)
	f := newFakeCluster(t, levelsOf(in), dp)
	// Remember each namespace's client pods as they are created, for the
	// log reactor.
	f.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		if r := pod.Labels[LabelRole]; r == roleClient || r == roleGateway || r == roleProxy {
			lastClient.Store(pod.Namespace, pod.Name)
		}
		return false, nil, nil
	})
	for _, s := range setup {
		s(f)
	}
	o.ProbeImage, o.NodeName, o.PublicAddress, o.RunID = "rampart.invalid/probe:lab", "rampart-node", "203.0.113.10:443", "abc123"
	if o.PrivateAddresses == nil {
		o.PrivateAddresses = []string{"10.200.0.10"}
	}
	o.Parallel = 1 // one client at a time: the log reactor finds a namespace's client by its last creation
	res, err := Run(ctx, &inventory.Client{Kube: f, Host: "https://127.0.0.1:6443"}, in, o)
	if res == nil {
		t.Fatalf("no result: %v", err)
	}
	return res, f, err
}

func failed(b *compliance.Behaviour) []string {
	var out []string
	for _, c := range b.Checks {
		if !c.OK {
			out = append(out, fmt.Sprintf("%s [%s]: expected %s, observed %s (%s; %s)", c.Name, c.Item, c.Expected, c.Observed, c.Why, c.Detail))
		}
	}
	return out
}

// leftovers are the probe objects still in the fake cluster.
func leftovers(t *testing.T, f *fakeCluster) []string {
	t.Helper()
	var out []string
	pods, err := f.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		out = append(out, "pod "+p.Namespace+"/"+p.Name)
	}
	nss, err := f.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		out = append(out, "namespace "+n.Name)
	}
	return out
}

// TestRun_LocalStackOnAFakeCluster: on a cluster whose dataplane behaves as
// the local stack declares, every check passes, each kind of check is
// there, and nothing is left behind.
func TestRun_LocalStackOrchestration_FakeClientset(t *testing.T) {
	b, f, err := runFake(context.Background(), t, localDataplane)
	if err != nil {
		t.Fatal(err)
	}
	if fails := failed(b); len(fails) > 0 {
		t.Errorf("%d of %d checks fail on a cluster that behaves as declared:\n%s", len(fails), len(b.Checks), strings.Join(fails, "\n"))
	}
	names := map[string]compliance.Check{}
	for _, c := range b.Checks {
		names[c.Name] = c
	}
	for name, want := range map[string]string{
		"team-a → team-b :8080/TCP":                                     Closed,
		"team-a → team-a :8080/TCP":                                     Open,
		"rampart-ingress ingress proxy pod → team-a :8080/TCP":          Open,
		"rampart-ingress ingress proxy pod → team-a :18080/TCP":         Closed,
		"unmanaged namespace → team-a :8080/TCP":                        Closed,
		"unmanaged namespace → unmanaged namespace :18080/TCP":          Open,
		"team-a → DNS kube-system/kube-dns 53/UDP":                      Open,
		"team-a → DNS kube-system/kube-dns 53/TCP":                      Open,
		"rampart-system gateway pod → metadata 169.254.169.254:80/TCP":  Closed,
		"rampart-system gateway pod → metadata 169.254.169.254:443/TCP": Closed,
		"rampart-system gateway pod → private 10.200.0.10:443/TCP":      Closed,
		"rampart-system gateway pod → public 203.0.113.10:443/TCP":      Open,
		"rampart-system → public 203.0.113.10:443/TCP":                  Closed,
		"privileged pod in team-a (server-side dry run)":                Refused,
		"privileged pod in falco (server-side dry run)":                 Admitted,
		"baseline pod (not restricted) in team-a (server-side dry run)": Refused,
		"baseline pod (not restricted) in falco (server-side dry run)":  Admitted,
	} {
		c, ok := names[name]
		if !ok {
			t.Errorf("no check %q", name)
			continue
		}
		if c.Expected != want || !c.OK || c.Why == "" || c.Item == "" {
			t.Errorf("%s: %+v, want expected %s and ok", name, c, want)
		}
	}
	if c := names["team-a → DNS kube-system/kube-dns 53/UDP"]; !strings.Contains(c.Detail, "@10.96.0.10:53") {
		t.Errorf("the DNS check did not go to the kube-dns Service: %s", c.Detail)
	}
	if b.Server != "https://127.0.0.1:6443" || b.ProbeImage == "" || b.Finished.Before(b.Started) || b.Readyz == "" {
		t.Errorf("behaviour header: %+v", b)
	}
	if left := leftovers(t, f); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestRun_APolicyHoleIsAFailedCheck: a dataplane that lets team-a into
// team-b (a policy bug, or a policy deleted out of band) fails exactly the
// team-a → team-b checks.
func TestRun_APolicyHoleIsAFailedCheck_FakeClientset(t *testing.T) {
	hole := func(client, server *corev1.Pod, target string) string {
		if server != nil && client.Namespace == "team-a" && server.Namespace == "team-b" {
			return "OK"
		}
		return localDataplane(client, server, target)
	}
	b, _, err := runFake(context.Background(), t, hole)
	if err != nil {
		t.Fatal(err)
	}
	fails := failed(b)
	if len(fails) != 2 || b.Failed() != 2 {
		t.Fatalf("want the two team-a → team-b checks to fail, got %d:\n%s", len(fails), strings.Join(fails, "\n"))
	}
	for _, f := range fails {
		if !strings.HasPrefix(f, "team-a → team-b :") || !strings.Contains(f, "observed open") {
			t.Errorf("unexpected failure: %s", f)
		}
	}
}

// TestRun_CancelledStillCleansUp: a run stopped at once (Ctrl-C) reports
// it, leaves no object behind, and every check it could not make is a
// failure, not a pass.
func TestRun_CancelledStillCleansUp_FakeClientset(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, f, err := runFake(ctx, t, localDataplane)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the cancellation", err)
	}
	if b == nil || len(b.Checks) == 0 {
		t.Fatal("no behaviour returned")
	}
	for _, c := range b.Checks {
		if c.OK && c.Expected != c.Observed {
			t.Errorf("%s passes without its observation", c.Name)
		}
	}
	if left := leftovers(t, f); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestOptions_OutsideTargets(t *testing.T) {
	x, err := newExpecter(localIntent(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Options{}.withDefaults().outsideTargets(x)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, o := range got {
		s = append(s, o.what+" "+o.addr.String())
	}
	// No private address is guessed: 10.0.0.1 is the kubernetes Service on
	// AKS, and an address nothing answers proves nothing.
	want := "metadata 169.254.169.254:80,metadata 169.254.169.254:443"
	if strings.Join(s, ",") != want {
		t.Errorf("outside targets = %s, want %s", strings.Join(s, ","), want)
	}
	for _, bad := range []Options{
		{PublicAddress: "10.1.2.3:443"},    // in the blocklist
		{PublicAddress: "example.com:443"}, // a name
		{PrivateAddresses: []string{"10.0.0.1:0"}},
		{MetadataAddress: "metadata.google.internal:80"},
	} {
		if _, err := bad.withDefaults().outsideTargets(x); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestRun_BindsTheProbeRoleInTheThrowawayNamespace: with the stack's
// verifier, the throwaway namespace gets the labelled RoleBinding of the
// probe role to exactly the verifier's subjects, before any pod there.
func TestRun_BindsTheProbeRoleInTheThrowawayNamespace_FakeClientset(t *testing.T) {
	subjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "rampart-verifier", Namespace: "rampart-system"}}
	var mu sync.Mutex
	var order []string
	in := localIntent(t)
	f := newFakeCluster(t, levelsOf(in), localDataplane)
	f.PrependReactor("create", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetNamespace() == NamespacePrefix+"abc123" {
			mu.Lock()
			order = append(order, a.GetResource().Resource)
			mu.Unlock()
		}
		return false, nil, nil
	})
	o := Options{ProbeImage: "x", RunID: "abc123", Parallel: 1, ProbeRole: "rampart-checkers-verifier-probes", ProbeSubjects: subjects}
	var rb *rbacv1.RoleBinding
	f.PrependReactor("create", "rolebindings", func(a k8stesting.Action) (bool, runtime.Object, error) {
		rb = a.(k8stesting.CreateAction).GetObject().(*rbacv1.RoleBinding).DeepCopy()
		return false, nil, nil
	})
	if _, err := Run(context.Background(), &inventory.Client{Kube: f}, in, o); err != nil {
		t.Fatal(err)
	}
	if rb == nil {
		t.Fatal("no RoleBinding created")
	}
	if rb.Namespace != NamespacePrefix+"abc123" || rb.RoleRef.Kind != "ClusterRole" || rb.RoleRef.Name != o.ProbeRole ||
		len(rb.Subjects) != 1 || rb.Subjects[0] != subjects[0] || rb.Labels[LabelProbe] != ProbeValue {
		t.Errorf("RoleBinding = %+v", rb)
	}
	if len(order) == 0 || order[0] != "rolebindings" {
		t.Errorf("creates in the throwaway namespace: %v, want the RoleBinding first", order)
	}
}

// checkNamed is the check called name, if any.
func checkNamed(b *compliance.Behaviour, name string) (compliance.Check, bool) {
	for _, c := range b.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return compliance.Check{}, false
}

// TestRun_AClosedOutsideTargetNothingAnswersIsInconclusive_FakeClientset:
// where the private and metadata hosts answer nobody, the unmanaged
// namespace's client (the control, which no Rampart policy restricts) is
// refused too, so a "closed" from a managed pod proves nothing: those checks
// are inconclusive failures whose Why names the flag to pass. The metadata
// address on the gateway's HTTPS port (added, not given) is left out with a
// note, but an open to it still fails. The public address, which answers,
// keeps its conclusive checks.
func TestRun_AClosedOutsideTargetNothingAnswersIsInconclusive_FakeClientset(t *testing.T) {
	silent := map[string]bool{"tcp:10.200.0.10:443": true, "tcp:169.254.169.254:80": true, "tcp:169.254.169.254:443": true}
	dp := func(client, server *corev1.Pod, target string) string {
		switch {
		case client.Namespace == "team-b" && target == "tcp:169.254.169.254:443":
			return "OK" // a hole the control cannot explain away
		case server == nil && silent[target]:
			return "REFUSED" // nothing listens there, for anyone
		}
		return localDataplane(client, server, target)
	}
	res, _, err := runFakeWith(context.Background(), t, dp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := res.Behaviour
	for name, flag := range map[string]string{
		"team-a → private 10.200.0.10:443/TCP":                         "--private-address",
		"rampart-system gateway pod → private 10.200.0.10:443/TCP":     "--private-address",
		"team-a → metadata 169.254.169.254:80/TCP":                     "--metadata-address",
		"rampart-system gateway pod → metadata 169.254.169.254:80/TCP": "--metadata-address",
	} {
		c, ok := checkNamed(b, name)
		if !ok {
			t.Errorf("no check %q", name)
			continue
		}
		if c.Observed != Inconclusive || c.OK || !strings.Contains(c.Why, flag) || !strings.Contains(c.Why, "REFUSED") {
			t.Errorf("%s: observed %s ok=%v why %q; want an inconclusive failure naming %s", name, c.Observed, c.OK, c.Why, flag)
		}
	}
	if c, ok := checkNamed(b, "team-a → metadata 169.254.169.254:443/TCP"); ok {
		t.Errorf("a closed to the derived metadata port nothing answers was counted: %+v", c)
	}
	if c, ok := checkNamed(b, "team-b → metadata 169.254.169.254:443/TCP"); !ok || c.Observed != Open || c.OK {
		t.Errorf("an open to the derived metadata port must still fail: %+v (found %v)", c, ok)
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "169.254.169.254:443") }) {
		t.Errorf("no note about the derived metadata port: %q", res.Notes)
	}
	for name, want := range map[string]string{
		"rampart-system gateway pod → public 203.0.113.10:443/TCP": Open,
		"rampart-system → public 203.0.113.10:443/TCP":             Closed,
	} {
		if c, ok := checkNamed(b, name); !ok || c.Observed != want || !c.OK {
			t.Errorf("%s: %+v, want a conclusive %s that passes (the control reached it)", name, c, want)
		}
	}
	for _, c := range b.Checks {
		if !c.OK && c.Observed != Inconclusive && c.Name != "team-b → metadata 169.254.169.254:443/TCP" {
			t.Errorf("unexpected failure: %s: expected %s, observed %s", c.Name, c.Expected, c.Observed)
		}
	}
}

// TestRun_InClusterRefusalIsAPolicyDenial_FakeClientset: kube-router
// rejects what a policy denies (iptables REJECT, an ICMP port unreachable:
// the probe sees REFUSED, not TIMEOUT). To a probe server, which listens on
// the port, a refusal is the policy's: every check still passes, in-cluster
// ones with no control needed.
func TestRun_InClusterRefusalIsAPolicyDenial_FakeClientset(t *testing.T) {
	rejecting := func(client, server *corev1.Pod, target string) string {
		if v := localDataplane(client, server, target); v != "TIMEOUT" {
			return v
		}
		return "REFUSED"
	}
	b, _, err := runFake(context.Background(), t, rejecting)
	if err != nil {
		t.Fatal(err)
	}
	if fails := failed(b); len(fails) > 0 {
		t.Errorf("a rejecting enforcer fails %d checks:\n%s", len(fails), strings.Join(fails, "\n"))
	}
	if c, ok := checkNamed(b, "team-a → team-b :8080/TCP"); !ok || c.Observed != Closed || !strings.Contains(c.Detail, "REFUSED") {
		t.Errorf("team-a → team-b: %+v", c)
	}
}

// TestRun_NoPrivateAddressIsANoteNotACheck_FakeClientset: without
// --private-address no private-address check is made, none passes in its
// place, and the run's notes say so.
func TestRun_NoPrivateAddressIsANoteNotACheck_FakeClientset(t *testing.T) {
	res, _, err := runFakeWith(context.Background(), t, localDataplane, Options{PrivateAddresses: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Behaviour.Checks {
		if strings.Contains(c.Name, "private") {
			t.Errorf("a private-address check without an address: %s", c.Name)
		}
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "no private-address check was made") }) {
		t.Errorf("notes %q do not say no private-address check was made", res.Notes)
	}
	if fails := failed(res.Behaviour); len(fails) > 0 {
		t.Errorf("the note failed checks:\n%s", strings.Join(fails, "\n"))
	}
}

// TestRun_ANamespaceAtBaselineWhereRestrictedIsDeclaredFails_FakeClientset:
// team-a declares restricted but the cluster enforces baseline there (its
// label lowered out of band). The privileged dry run cannot tell (baseline
// refuses it too); the baseline pod's dry run is admitted and fails, alone.
func TestRun_ANamespaceAtBaselineWhereRestrictedIsDeclaredFails_FakeClientset(t *testing.T) {
	res, _, err := runFakeWith(context.Background(), t, localDataplane, Options{},
		func(f *fakeCluster) { f.levels["team-a"] = "baseline" })
	if err != nil {
		t.Fatal(err)
	}
	fails := failed(res.Behaviour)
	if len(fails) != 1 || !strings.HasPrefix(fails[0], "baseline pod (not restricted) in team-a (server-side dry run) [pss-restricted]: expected refused, observed admitted") {
		t.Errorf("want exactly team-a's baseline dry run to fail, got:\n%s", strings.Join(fails, "\n"))
	}
	if c, ok := checkNamed(res.Behaviour, "baseline pod (not restricted) in team-b (server-side dry run)"); !ok || !c.OK || !strings.Contains(c.Detail, "violates PodSecurity") {
		t.Errorf("team-b (restricted): %+v", c)
	}
}
