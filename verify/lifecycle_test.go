package verify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

var (
	namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	podsGVR       = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
)

// cutShort makes every create of resource that matches persist the object,
// then answer with an error, as a create whose answer was lost to Ctrl-C.
func cutShort(resource string, match func(runtime.Object) bool) func(*fakeCluster) {
	return func(f *fakeCluster) {
		f.PrependReactor("create", resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
			ca := a.(k8stesting.CreateAction)
			if !match(ca.GetObject()) {
				return false, nil, nil
			}
			if err := f.Tracker().Create(ca.GetResource(), ca.GetObject(), a.GetNamespace()); err != nil {
				return true, nil, err
			}
			return true, nil, context.Canceled
		})
	}
}

// TestRun_AThrowawayNamespaceWhoseCreateWasCutShortIsDeleted_FakeClientset:
// the API server created the namespace but the answer never came (Ctrl-C
// during the create): the cleanup deletes it all the same.
func TestRun_AThrowawayNamespaceWhoseCreateWasCutShortIsDeleted_FakeClientset(t *testing.T) {
	_, f, _ := runFakeWith(context.Background(), t, localDataplane, Options{},
		cutShort("namespaces", func(runtime.Object) bool { return true }))
	if left := leftovers(t, f); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestRun_AnExistingNamespaceIsNotDeleted_FakeClientset: a namespace of the
// run's name that already exists is someone else's: the run neither uses
// nor deletes it.
func TestRun_AnExistingNamespaceIsNotDeleted_FakeClientset(t *testing.T) {
	res, f, err := runFakeWith(context.Background(), t, localDataplane, Options{}, func(f *fakeCluster) {
		if err := f.Tracker().Create(namespacesGVR, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: NamespacePrefix + "abc123"}}, ""); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.CoreV1().Namespaces().Get(context.Background(), NamespacePrefix+"abc123", metav1.GetOptions{}); err != nil {
		t.Errorf("the existing namespace was deleted: %v", err)
	}
	if c, ok := checkNamed(res.Behaviour, "unmanaged namespace → team-a :8080/TCP"); !ok || c.OK || c.Observed != NotRun {
		t.Errorf("the unmanaged client ran in a namespace the run did not create: %+v", c)
	}
}

// TestRun_APodWhoseCreateWasCutShortIsDeleted_FakeClientset: a client pod
// created though its create answered an error, in a namespace where the
// verifier may not list pods (no sweep by label), is deleted by name.
func TestRun_APodWhoseCreateWasCutShortIsDeleted_FakeClientset(t *testing.T) {
	_, f, _ := runFakeWith(context.Background(), t, localDataplane, Options{},
		cutShort("pods", func(o runtime.Object) bool {
			p := o.(*corev1.Pod)
			return p.Namespace == "team-a" && p.Labels[LabelRole] == roleClient
		}),
		func(f *fakeCluster) {
			f.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if a.GetNamespace() == "" {
					return false, nil, nil // the test's own look at what is left
				}
				return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no list"))
			})
		})
	if left := leftovers(t, f); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestRunClient_DeletesItsPodOnEveryPath_FakeClientset: a client pod that
// cannot start (its image cannot be pulled) is deleted as soon as its
// client gives up, not at the end of the run: it holds its namespace's
// quota until then.
func TestRunClient_DeletesItsPodOnEveryPath_FakeClientset(t *testing.T) {
	kube := fake.NewClientset()
	kube.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pod := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: containerName,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "no such image"}}}}
		return false, nil, nil
	})
	r := &run{prober: prober{kube: kube}, o: Options{ProbeImage: "x", RunID: "abc123"}.withDefaults(), now: time.Now}
	_, err := r.runClient(context.Background(), &client{peer: Peer{Namespace: "team-a", Managed: true}, role: roleClient, targets: []string{"tcp:10.0.0.9:80"}})
	if err == nil || !strings.Contains(err.Error(), "ImagePullBackOff") {
		t.Fatalf("err = %v, want the pod that cannot start", err)
	}
	if _, err := kube.CoreV1().Pods("team-a").Get(context.Background(), PodPrefix+roleClient+"-abc123", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the client pod is still there (%v)", err)
	}
}

// throwawayNS is a throwaway namespace of another run, created age ago.
func throwawayNS(name string, age time.Duration, labelled bool, timeout string) *corev1.Namespace {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(time.Now().Add(-age))}}
	if labelled {
		ns.Labels = map[string]string{LabelProbe: ProbeValue}
	}
	if timeout != "" {
		ns.Annotations = map[string]string{AnnotationTimeout: timeout}
	}
	return ns
}

// TestRun_SweepsTheStaleThrowawayNamespacesOfDeadRuns_FakeClientset: at its
// start a run deletes the labelled rampart-verify-* namespaces that
// outlived their recorded timeout (or, recording none, 30 minutes), and
// leaves a live run's and any unlabelled one alone. Its own namespace
// records its timeout for the next run's sweep.
func TestRun_SweepsTheStaleThrowawayNamespacesOfDeadRuns_FakeClientset(t *testing.T) {
	seeds := []*corev1.Namespace{
		throwawayNS(NamespacePrefix+"dead01", time.Hour, true, "6m0s"),
		throwawayNS(NamespacePrefix+"old000", 40*time.Minute, true, ""),
		throwawayNS(NamespacePrefix+"long01", time.Hour, true, "2h"),
		throwawayNS(NamespacePrefix+"live01", 2*time.Minute, true, "6m0s"),
		throwawayNS(NamespacePrefix+"nolabel", 2*time.Hour, false, ""),
	}
	var recorded string
	res, f, err := runFakeWith(context.Background(), t, localDataplane, Options{Timeout: 4 * time.Minute}, func(f *fakeCluster) {
		for _, ns := range seeds {
			if err := f.Tracker().Create(namespacesGVR, ns, ""); err != nil {
				t.Fatal(err)
			}
		}
		f.PrependReactor("create", "namespaces", func(a k8stesting.Action) (bool, runtime.Object, error) {
			recorded = a.(k8stesting.CreateAction).GetObject().(*corev1.Namespace).Annotations[AnnotationTimeout]
			return false, nil, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	nss, err := f.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss.Items {
		left = append(left, strings.TrimPrefix(ns.Name, NamespacePrefix))
	}
	slices.Sort(left)
	if strings.Join(left, ",") != "live01,long01,nolabel" {
		t.Errorf("namespaces left: %v, want live01, long01 and nolabel", left)
	}
	if recorded != (4*time.Minute + CleanupTimeout).String() {
		t.Errorf("the run's namespace records timeout %q, want %s", recorded, 4*time.Minute+CleanupTimeout)
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes: %q", res.Notes)
	}
}

// TestRun_NoNamespaceListIsANoteNotAFailure_FakeClientset: the verifier may
// not list namespaces; the run says no sweep was possible and passes.
func TestRun_NoNamespaceListIsANoteNotAFailure_FakeClientset(t *testing.T) {
	res, _, err := runFakeWith(context.Background(), t, localDataplane, Options{}, func(f *fakeCluster) {
		f.PrependReactor("list", "namespaces", func(_ k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "", errors.New("no list"))
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if fails := failed(res.Behaviour); len(fails) > 0 {
		t.Errorf("failures:\n%s", strings.Join(fails, "\n"))
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "no sweep") || !strings.Contains(res.Notes[0], "may not list namespaces") {
		t.Errorf("notes %q, want one saying no sweep was possible", res.Notes)
	}
}

// probePodOf is a probe pod of run in team-a, created age ago, bounded by
// deadline seconds, in phase.
func probePodOf(name, run string, age time.Duration, deadline int64, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a", CreationTimestamp: metav1.NewTime(time.Now().Add(-age)),
			Labels: map[string]string{LabelProbe: ProbeValue, LabelRun: run}},
		Spec:   corev1.PodSpec{ActiveDeadlineSeconds: &deadline},
		Status: corev1.PodStatus{Phase: phase},
	}
}

// TestSweep_LeavesAConcurrentRunsPodsAlone: the cleanup's sweep deletes
// this run's pods and the pods of dead runs (past their deadline and a
// margin), never a concurrent run's, even finished (its log may be unread).
func TestSweep_LeavesAConcurrentRunsPodsAlone(t *testing.T) {
	kube := fake.NewClientset()
	for _, p := range []*corev1.Pod{
		probePodOf("mine", "abc123", time.Second, 100, corev1.PodRunning),
		probePodOf("concurrent-finished", "fff000", 10*time.Second, 100, corev1.PodSucceeded),
		probePodOf("concurrent-running", "fff000", 10*time.Second, 100, corev1.PodRunning),
		probePodOf("dead-running", "dead00", time.Hour, 60, corev1.PodRunning),
		probePodOf("dead-finished", "dead00", time.Hour, 60, corev1.PodFailed),
		probePodOf("no-age", "fff111", 0, 1, corev1.PodSucceeded),
	} {
		if p.Name == "no-age" {
			p.CreationTimestamp = metav1.Time{}
		}
		if err := kube.Tracker().Create(podsGVR, p, "team-a"); err != nil {
			t.Fatal(err)
		}
	}
	p := &prober{kube: kube}
	if err := p.sweep(context.Background(), "team-a", "abc123", time.Now()); err != nil {
		t.Fatal(err)
	}
	pods, err := kube.CoreV1().Pods("team-a").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, p := range pods.Items {
		left = append(left, p.Name)
	}
	slices.Sort(left)
	if strings.Join(left, ",") != "concurrent-finished,concurrent-running,no-age" {
		t.Errorf("pods left: %v, want the concurrent run's and the one of unknown age", left)
	}
}
