package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/helpers/hardening"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// What every object verify creates carries, so that a Role and an
// admission policy can confine the verifier to exactly its probes (the
// auditor component's verifier Role: create/delete of these pods only).
const (
	// LabelProbe = ProbeValue is on every probe pod and on the throwaway
	// namespace.
	LabelProbe = "rampart.dev/probe"
	ProbeValue = "verify"
	// LabelRun carries the run's ID, LabelRole the pod's part in it
	// (server, client, gateway, proxy, privileged, baseline).
	LabelRun  = "rampart.dev/probe-run"
	LabelRole = "rampart.dev/probe-role"
	// NamespacePrefix starts the throwaway namespace's name
	// (NamespacePrefix + run ID).
	NamespacePrefix = "rampart-verify-"
	// PodPrefix starts every probe pod's name (PodPrefix + role + "-" +
	// run ID).
	PodPrefix = "rampart-verify-"
	// ProbePort is served by every server besides the route backends'
	// ports: a port no route opens, so the ingress proxies' reach is
	// checked on both sides of their allow-list.
	ProbePort = 18080
)

// Pod roles.
const (
	roleServer     = "server"
	roleClient     = "client"
	roleGateway    = "gateway"
	roleProxy      = "proxy"
	rolePrivileged = "privileged"
	roleBaseline   = "baseline"
)

const containerName = "probe"

// unprivilegedPortSysctl lets a non-root server bind a route backend port
// below 1024. It is a safe sysctl (the kubelet allows it by default) and Pod
// Security baseline, hence restricted, admits it.
const unprivilegedPortSysctl = "net.ipv4.ip_unprivileged_port_start"

// probeResources are small and explicit: the namespaces' quotas count
// them, and the probe is one static binary.
var probeResources = corev1.ResourceRequirements{
	Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
	Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
}

// restrictedContexts are hardening's restricted pod and container contexts
// (the chart-values form, decoded into the API types): non-root uid 10000,
// seccomp RuntimeDefault, no privilege escalation, every capability
// dropped, read-only root filesystem.
func restrictedContexts() (*corev1.PodSecurityContext, *corev1.SecurityContext) {
	pod, ctr := &corev1.PodSecurityContext{}, &corev1.SecurityContext{}
	decode := func(v map[string]any, into any) {
		raw, err := json.Marshal(v)
		if err == nil {
			err = json.Unmarshal(raw, into)
		}
		if err != nil {
			panic("verify: hardening's restricted context does not decode: " + err.Error()) // a programming error, caught by the unit tests
		}
	}
	decode(hardening.PodSecurityContextValues(hardening.UID), pod)
	decode(hardening.ContainerSecurityContextValues(), ctr)
	return pod, ctr
}

// probePod is a restricted, labelled, time-bounded pod running the probe
// with args. No service-account token, no service links, never restarted,
// killed by the kubelet after deadline (so a run killed before its cleanup
// leaves only finished pods behind).
func probePod(o Options, ns, role, run string, labels map[string]string, args []string, deadline time.Duration) *corev1.Pod {
	l := map[string]string{}
	for k, v := range labels {
		l[k] = v
	}
	l[LabelProbe], l[LabelRun], l[LabelRole] = ProbeValue, run, role
	psc, csc := restrictedContexts()
	secs := int64(deadline.Seconds())
	if secs < 1 {
		secs = 1
	}
	grace := int64(1)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: PodPrefix + role + "-" + run, Namespace: ns, Labels: l},
		Spec: corev1.PodSpec{
			NodeName:                      o.NodeName,
			RestartPolicy:                 corev1.RestartPolicyNever,
			AutomountServiceAccountToken:  ptr(false),
			EnableServiceLinks:            ptr(false),
			TerminationGracePeriodSeconds: &grace,
			ActiveDeadlineSeconds:         &secs,
			SecurityContext:               psc,
			Containers: []corev1.Container{{
				Name:            containerName,
				Image:           o.ProbeImage,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Args:            args,
				SecurityContext: csc,
				Resources:       *probeResources.DeepCopy(),
			}},
		},
	}
}

// serverPod serves ports over HTTP until its deadline.
func serverPod(o Options, ns, run string, ports []int, deadline time.Duration) *corev1.Pod {
	args := []string{"serve"}
	low := false
	for _, p := range ports {
		args = append(args, ":"+strconv.Itoa(p))
		low = low || p < 1024
	}
	pod := probePod(o, ns, roleServer, run, nil, args, deadline)
	c := &pod.Spec.Containers[0]
	for _, p := range ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: "p" + strconv.Itoa(p), ContainerPort: int32(p), Protocol: corev1.ProtocolTCP}) //nolint:gosec // a validated port
	}
	if low {
		pod.Spec.SecurityContext.Sysctls = []corev1.Sysctl{{Name: unprivilegedPortSysctl, Value: "0"}}
	}
	return pod
}

// clientPod runs `probe check` on targets once and exits. It never becomes
// Ready (its readiness probe dials a port nothing serves), so a Service
// selecting the labels it wears (the gateway's, the proxies') never sends
// it traffic.
func clientPod(o Options, ns, role, run string, labels map[string]string, targets []string, deadline time.Duration) *corev1.Pod {
	args := append([]string{"check", "-timeout", o.ConnectTimeout.String(), "-parallel", strconv.Itoa(probeParallel),
		"-settle", o.Settle.String()}, targets...)
	pod := probePod(o, ns, role, run, labels, args, deadline)
	pod.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(1)}},
		PeriodSeconds: 60,
	}
	return pod
}

// privilegedPod is what the dry runs submit: the probe pod with a
// privileged container, which Pod Security baseline and restricted refuse.
func privilegedPod(o Options, ns, run string) *corev1.Pod {
	pod := probePod(o, ns, rolePrivileged, run, nil, []string{"pause"}, time.Minute)
	pod.Spec.NodeName = ""
	c := &pod.Spec.Containers[0]
	c.SecurityContext.Privileged = ptr(true)
	c.SecurityContext.AllowPrivilegeEscalation = ptr(true)
	c.SecurityContext.Capabilities = nil
	return pod
}

// baselinePod is what the second dry runs submit: the probe pod with what
// Pod Security baseline admits and restricted refuses (every capability
// kept, runAsNonRoot and allowPrivilegeEscalation unset), so a namespace
// that enforces baseline where restricted is declared shows.
func baselinePod(o Options, ns, run string) *corev1.Pod {
	pod := probePod(o, ns, roleBaseline, run, nil, []string{"pause"}, time.Minute)
	pod.Spec.NodeName = ""
	pod.Spec.SecurityContext.RunAsNonRoot = nil
	c := &pod.Spec.Containers[0]
	c.SecurityContext.RunAsNonRoot = nil
	c.SecurityContext.AllowPrivilegeEscalation = nil
	c.SecurityContext.Capabilities = nil
	return pod
}

// probeParallel is how many targets one client checks at a time.
const probeParallel = 8

// pollEvery is how often a wait reads a pod back.
const pollEvery = time.Second

// fatalWaiting are container waiting reasons that no wait will cure.
var fatalWaiting = map[string]bool{
	"ImagePullBackOff": true, "ErrImageNeverPull": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "RunContainerError": true,
}

// prober creates, waits for, reads and deletes probe pods.
type prober struct {
	kube kubernetes.Interface
}

// saWait bounds how long create waits for a new namespace's default
// ServiceAccount and probe role binding.
const saWait = 30 * time.Second

// create creates pod, retrying while the namespace's default
// ServiceAccount does not exist yet (a namespace just created), for at
// most saWait. The caller tracks the pod before: a create cut short may
// still have created it.
func (p *prober) create(ctx context.Context, pod *corev1.Pod) error {
	ctx, cancel := context.WithTimeout(ctx, saWait)
	defer cancel()
	for retried := false; ; retried = true {
		_, err := p.kube.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
		if err == nil || retried && apierrors.IsAlreadyExists(err) {
			// Already there after a retry: an earlier attempt whose answer
			// was lost created it (the name is this run's).
			return nil
		}
		// "error looking up service account ns/default: serviceaccount
		// "default" not found", until the controller manager makes it; in
		// the throwaway namespace, "cannot create resource" until the API
		// server's authorizer has seen the probe role's new binding.
		missingSA := strings.Contains(err.Error(), "serviceaccount")
		newBinding := strings.HasPrefix(pod.Namespace, NamespacePrefix) && strings.Contains(err.Error(), "cannot create resource")
		if !apierrors.IsForbidden(err) || !missingSA && !newBinding {
			return fmt.Errorf("create pod %s/%s: %w", pod.Namespace, pod.Name, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create pod %s/%s: %w (last: %v)", pod.Namespace, pod.Name, ctx.Err(), err)
		case <-time.After(pollEvery):
		}
	}
}

// wait reads the pod back until done says so, an error, or ctx ends.
func (p *prober) wait(ctx context.Context, ns, name string, done func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
	var last *corev1.Pod
	for {
		pod, err := p.kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			last = pod
			ok, derr := done(pod)
			if derr != nil {
				return pod, derr
			}
			if ok {
				return pod, nil
			}
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return last, fmt.Errorf("pod %s/%s: %w while %s", ns, name, ctx.Err(), describe(last))
			}
			return nil, fmt.Errorf("pod %s/%s: %w (last read: %v)", ns, name, ctx.Err(), err)
		case <-time.After(pollEvery):
		}
	}
}

// serving: the server's container runs and the pod has an address.
func serving(pod *corev1.Pod) (bool, error) {
	if err := stuck(pod); err != nil {
		return false, err
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false, fmt.Errorf("server %s/%s ended: %s", pod.Namespace, pod.Name, describe(pod))
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running != nil && pod.Status.PodIP != "" {
			return true, nil
		}
	}
	return false, nil
}

// finished: the client's container ended.
func finished(pod *corev1.Pod) (bool, error) {
	if err := stuck(pod); err != nil {
		return false, err
	}
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed, nil
}

// stuck reports a pod no wait will start.
func stuck(pod *corev1.Pod) error {
	for _, cs := range pod.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil && fatalWaiting[w.Reason] {
			return fmt.Errorf("pod %s/%s cannot start: %s: %s", pod.Namespace, pod.Name, w.Reason, w.Message)
		}
	}
	return nil
}

// describe summarises a pod's status for an error.
func describe(pod *corev1.Pod) string {
	parts := []string{"phase " + string(pod.Status.Phase)}
	if pod.Status.Reason != "" {
		parts = append(parts, pod.Status.Reason+": "+pod.Status.Message)
	}
	for _, c := range pod.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Message != "" {
			parts = append(parts, string(c.Type)+" "+c.Reason+": "+c.Message)
		}
	}
	for _, cs := range pod.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil:
			parts = append(parts, "waiting "+cs.State.Waiting.Reason+" "+cs.State.Waiting.Message)
		case cs.State.Terminated != nil:
			t := cs.State.Terminated
			parts = append(parts, fmt.Sprintf("exited %d %s %s", t.ExitCode, t.Reason, t.Message))
		}
	}
	return strings.TrimSpace(strings.Join(parts, "; "))
}

// maxLog bounds what is read of a probe's log.
const maxLog = 1 << 20

// logs reads the probe container's log (pods/log get: no exec needed).
func (p *prober) logs(ctx context.Context, ns, name string) ([]byte, error) {
	limit := int64(maxLog)
	b, err := p.kube.CoreV1().Pods(ns).GetLogs(name, &corev1.PodLogOptions{Container: containerName, LimitBytes: &limit}).DoRaw(ctx)
	if err != nil {
		return b, fmt.Errorf("read the log of pod %s/%s: %w", ns, name, err)
	}
	return b, nil
}

// remove deletes a pod at once; a pod already gone is not an error.
func (p *prober) remove(ctx context.Context, ns, name string) error {
	zero := int64(0)
	err := p.kube.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete pod %s/%s: %w", ns, name, err)
	}
	return nil
}

// staleMargin is how long past its bound a probe object of another run
// must be before a sweep deletes it: the owning run's waits are bounded by
// the same deadline, its cleanup by CleanupTimeout, and the margin absorbs
// the skew between this machine's clock and the API server's.
const staleMargin = 5 * time.Minute

// staleAfter bounds a throwaway namespace that records no timeout (a run of
// an older Rampart), and a probe pod without activeDeadlineSeconds.
const staleAfter = 30 * time.Minute

// stalePod reports whether pod, a probe pod of another run, outlived its
// activeDeadlineSeconds by staleMargin: every wait of the run that made it
// is over, so the run is dead (killed before its cleanup). A pod whose age
// is unknown is never stale.
func stalePod(pod *corev1.Pod, now time.Time) bool {
	if pod.CreationTimestamp.IsZero() {
		return false
	}
	bound := staleAfter
	if d := pod.Spec.ActiveDeadlineSeconds; d != nil && *d > 0 {
		bound = time.Duration(*d)*time.Second + staleMargin
	}
	return now.Sub(pod.CreationTimestamp.Time) > bound
}

// sweep deletes, in namespace ns, this run's probe pods (by label: a create
// whose answer was lost) and the probe pods of dead runs (stalePod). The
// pods of a concurrent run, finished or not, are left alone: that run may
// not have read their logs yet. A namespace where listing is forbidden is
// skipped (the pods this run created are deleted by name anyway).
func (p *prober) sweep(ctx context.Context, ns, run string, now time.Time) error {
	list, err := p.kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelProbe + "=" + ProbeValue})
	if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list probe pods in %s: %w", ns, err)
	}
	var errs []error
	for i := range list.Items {
		pod := &list.Items[i]
		if pod.Labels[LabelRun] == run || stalePod(pod, now) {
			errs = append(errs, p.remove(ctx, ns, pod.Name))
		}
	}
	return errors.Join(errs...)
}

func ptr[T any](v T) *T { return &v }
