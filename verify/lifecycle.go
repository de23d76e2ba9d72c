package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AnnotationTimeout on the throwaway namespace records how long its run
// may last, cleanup included (a Go duration): a later run deletes the
// namespace once it is staleMargin older than that (its run was killed
// before its cleanup).
const AnnotationTimeout = "rampart.dev/probe-timeout"

// note records what the run did not check or clean up (Result.Notes) and
// says it on the progress writer.
func (r *run) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.mu.Lock()
	r.notes = append(r.notes, msg)
	r.mu.Unlock()
	r.logf("note: %s", msg)
}

func (r *run) notesSoFar() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.notes)
}

// track records a pod for the cleanup, before its create: a create cut
// short may still have created it, and deleting a pod that is not there is
// no error.
func (r *run) track(ns, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.created = append(r.created, [2]string{ns, name})
}

// createThrowaway creates the unmanaged namespace, labelled as a probe's and
// annotated with the run's bound, and binds the probe role there. The name
// is recorded for the cleanup before the create, so a create cut short
// (Ctrl-C, the run's timeout) whose request reached the API server is
// deleted too; a name that already exists is someone else's and is not.
func (r *run) createThrowaway(ctx context.Context) error {
	name := NamespacePrefix + r.o.RunID
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name,
		Labels: map[string]string{
			LabelProbe: ProbeValue, LabelRun: r.o.RunID,
			"pod-security.kubernetes.io/enforce": "restricted",
		},
		Annotations: map[string]string{AnnotationTimeout: (r.o.Timeout + CleanupTimeout).String()},
	}}
	r.mu.Lock()
	r.throwaway = name
	r.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, apiTimeout)
	_, err := r.kube.CoreV1().Namespaces().Create(cctx, ns, metav1.CreateOptions{})
	cancel()
	if err != nil {
		if apierrors.IsAlreadyExists(err) {
			r.mu.Lock()
			r.throwaway = ""
			r.mu.Unlock()
		}
		return fmt.Errorf("create the unmanaged namespace %s: %w", name, err)
	}
	if r.o.ProbeRole == "" {
		return nil
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: PodPrefix + "probes", Namespace: name, Labels: map[string]string{LabelProbe: ProbeValue, LabelRun: r.o.RunID}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: r.o.ProbeRole},
		Subjects:   r.o.ProbeSubjects,
	}
	bctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	if _, err := r.kube.RbacV1().RoleBindings(name).Create(bctx, rb, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("bind the probe role %s in the unmanaged namespace %s: %w", r.o.ProbeRole, name, err)
	}
	return nil
}

// staleNamespace reports whether ns, the throwaway namespace of another
// run, outlived the bound its run recorded (AnnotationTimeout) by
// staleMargin, or staleAfter when it records none. A namespace whose age is
// unknown, or already being deleted, is never stale.
func staleNamespace(ns *corev1.Namespace, now time.Time) bool {
	if ns.CreationTimestamp.IsZero() || ns.DeletionTimestamp != nil {
		return false
	}
	bound := staleAfter
	if d, err := time.ParseDuration(ns.Annotations[AnnotationTimeout]); err == nil && d > 0 {
		bound = d + staleMargin
	}
	return now.Sub(ns.CreationTimestamp.Time) > bound
}

// sweepNamespaces deletes the throwaway namespaces of dead runs
// (staleNamespace): a run killed before its cleanup (SIGKILL, a lost
// machine) leaves its namespace behind. The verifier identity may not list
// namespaces (it gets, creates and deletes its own by name); then no sweep
// is possible and the run notes it. Nothing here fails the run.
func (r *run) sweepNamespaces(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	list, err := r.kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: LabelProbe + "=" + ProbeValue})
	if err != nil {
		why := err.Error()
		if apierrors.IsForbidden(err) {
			why = "this identity may not list namespaces (the verifier's role gets, creates and deletes them by name only)"
		}
		r.note("no sweep of earlier runs' %s* namespaces was possible: %s. A run killed before its cleanup leaves its namespace; "+
			"delete those labelled %s=%s whose age exceeds their %s annotation", NamespacePrefix, why, LabelProbe, ProbeValue, AnnotationTimeout)
		return
	}
	now := r.now()
	var swept []string
	for i := range list.Items {
		ns := &list.Items[i]
		if !strings.HasPrefix(ns.Name, NamespacePrefix) || ns.Name == NamespacePrefix+r.o.RunID || !staleNamespace(ns, now) {
			continue
		}
		if err := r.kube.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			r.note("the stale namespace %s (created %s) of an earlier run could not be deleted: %v", ns.Name, ns.CreationTimestamp.UTC().Format(time.RFC3339), err)
			continue
		}
		swept = append(swept, ns.Name)
	}
	if len(swept) > 0 {
		r.logf("deleted the stale namespaces of dead runs: %s", strings.Join(swept, ", "))
	}
}

// cleanup deletes every pod this run created, the probe pods of dead runs
// in the managed namespaces, and the throwaway namespace, on a fresh
// context bounded by CleanupTimeout (after Ctrl-C or the run's own timeout
// too).
func (r *run) cleanup(parent context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), CleanupTimeout)
	defer cancel()
	r.mu.Lock()
	created, throwaway := slices.Clone(r.created), r.throwaway
	r.mu.Unlock()
	var errs []error
	for _, p := range created {
		errs = append(errs, r.remove(ctx, p[0], p[1]))
	}
	now := r.now()
	for _, n := range r.in.Namespaces {
		errs = append(errs, r.sweep(ctx, n.Name, r.o.RunID, now))
	}
	if throwaway != "" {
		if err := r.kube.CoreV1().Namespaces().Delete(ctx, throwaway, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete namespace %s: %w", throwaway, err))
		}
	}
	what := fmt.Sprintf("pods labelled %s=%s", LabelRun, r.o.RunID)
	if throwaway != "" {
		what += ", namespace " + throwaway
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("verify: cleanup of run %s left objects behind (delete %s): %w", r.o.RunID, what, err)
	}
	if throwaway != "" {
		r.logf("cleaned up: %d pods, namespace %s", len(created), throwaway)
	} else {
		r.logf("cleaned up: %d pods", len(created))
	}
	return nil
}
