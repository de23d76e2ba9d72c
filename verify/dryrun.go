package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/compliance"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// notByPodSecurity is the observation of a dry run refused by something
// other than Pod Security admission (RBAC, a quota, another admission
// policy): it proves nothing about Pod Security, so it never passes.
const notByPodSecurity = "refused, not by Pod Security"

// dryRuns submits a privileged pod with a server-side dry run (nothing is
// created) to every managed namespace and compares the API server's answer
// with the namespace's declared Pod Security level.
func (r *run) dryRuns(ctx context.Context) []compliance.Check {
	var out []compliance.Check
	for _, n := range r.in.Namespaces {
		exp := r.x.DryRun(n.Name)
		pod := privilegedPod(r.o, n.Name, r.o.RunID)
		_, err := r.kube.CoreV1().Pods(n.Name).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		obs, detail := classifyDryRun(err)
		out = append(out, compliance.Check{
			Item: exp.Item, Name: fmt.Sprintf("privileged pod in %s (server-side dry run)", n.Name),
			Expected: exp.Verdict, Observed: obs, OK: obs == exp.Verdict, Why: exp.Why, Detail: detail,
		})
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
