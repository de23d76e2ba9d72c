package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/compliance"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// notByPodSecurity is the observation of a dry run refused by something
// other than Pod Security admission (RBAC, a quota, another admission
// policy): it proves nothing about Pod Security, so it never passes.
const notByPodSecurity = "refused, not by Pod Security"

// dryRuns submits, with a server-side dry run (nothing is created), two
// pods to every managed namespace and compares the API server's answers
// with the namespace's declared Pod Security level: a privileged pod
// (refused at baseline and restricted) and a pod baseline admits but
// restricted refuses (baselinePod), which tells the two apart.
func (r *run) dryRuns(ctx context.Context) []compliance.Check {
	var out []compliance.Check
	for _, n := range r.in.Namespaces {
		for _, d := range []struct {
			pod  *corev1.Pod
			exp  Expectation
			name string
		}{
			{privilegedPod(r.o, n.Name, r.o.RunID), r.x.DryRun(n.Name), "privileged pod in %s (server-side dry run)"},
			{baselinePod(r.o, n.Name, r.o.RunID), r.x.DryRunBaseline(n.Name), "baseline pod (not restricted) in %s (server-side dry run)"},
		} {
			actx, cancel := context.WithTimeout(ctx, apiTimeout)
			_, err := r.kube.CoreV1().Pods(n.Name).Create(actx, d.pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			cancel()
			obs, detail := classifyDryRun(err)
			out = append(out, compliance.Check{
				Item: d.exp.Item, Name: fmt.Sprintf(d.name, n.Name),
				Expected: d.exp.Verdict, Observed: obs, OK: obs == d.exp.Verdict, Why: d.exp.Why, Detail: detail,
			})
		}
	}
	return out
}

// classifyDryRun reads the API server's answer to a dry-run create: no
// error is admitted; a 403 whose message is Pod Security's ("violates
// PodSecurity") is refused; any other refusal or error is said as it is.
func classifyDryRun(err error) (observed, detail string) {
	switch {
	case err == nil:
		return Admitted, "the API server admitted it (a dry run: nothing was created)"
	case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "violates PodSecurity"):
		return Refused, err.Error()
	case apierrors.IsForbidden(err), apierrors.IsInvalid(err):
		return notByPodSecurity, err.Error()
	}
	return Errored, err.Error()
}
