package compliance

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/helpers/hardening"
)

// podHolders are the kinds that run pods, by API group, with the path of
// their pod (template): metadata and spec live under it.
var podHolders = map[kindKey]string{
	{"", "Pod"}:             "",
	{"apps", "Deployment"}:  "spec.template",
	{"apps", "DaemonSet"}:   "spec.template",
	{"apps", "StatefulSet"}: "spec.template",
	{"apps", "ReplicaSet"}:  "spec.template",
	{"batch", "Job"}:        "spec.template",
	{"batch", "CronJob"}:    "spec.jobTemplate.spec.template",
}

// livePodSecurity runs the Pod Security evaluator Rampart uses
// (hardening.CheckPod, k8s.io/pod-security-admission) on every live Pod
// and pod template of a managed namespace, at restricted: the stack's
// intent, whatever the namespace's label says now (a pod admitted after
// the label was lowered still fails). In a namespace with a typed
// exemption, a pod that fails restricted but passes the exemption's level
// is exempt, the exemption noted.
func livePodSecurity(s *state) []Evidence {
	if s.inv == nil {
		return nil
	}
	ex := s.exemptions()
	var ev []Evidence
	for _, o := range s.liveObjs {
		r := o.live.Ref
		base, ok := podHolders[kindKey{r.Group, r.Kind}]
		if !ok || !s.managedNamespace(r.Namespace) {
			continue
		}
		x, exempted := ex[r.Namespace]
		ev = append(ev, podEvidence(o, base, x, exempted))
	}
	return ev
}

func joinPath(base, leaf string) string {
	if base == "" {
		return leaf
	}
	return base + "." + leaf
}

// podEvidence judges one pod or pod template.
func podEvidence(o *object, base string, x exemption, exempted bool) Evidence {
	specPath := joinPath(base, "spec")
	e := Evidence{URN: o.URN, Field: specPath}
	specV, _ := o.get(specPath)
	spec, err := hardening.PodSpecFromMap(asMap(specV))
	meta := &metav1.ObjectMeta{}
	if err == nil {
		metaV, _ := o.get(joinPath(base, "metadata"))
		if raw, merr := json.Marshal(asMap(metaV)); merr == nil {
			err = json.Unmarshal(raw, meta)
		}
	}
	if err != nil {
		e.Value, e.Note = "unreadable", "the pod cannot be decoded, so it cannot be shown to pass: "+err.Error()
		return e
	}
	restricted := string(namespace.PSSRestricted)
	failed := hardening.CheckPod(restricted, "latest", meta, spec)
	if failed == nil {
		e.OK, e.Value = true, "admitted at restricted:latest"
		return e
	}
	if exempted && x.Level != restricted {
		if err := hardening.CheckPod(x.Level, "latest", meta, spec); err != nil {
			e.Value = fmt.Sprintf("violates %s:latest, its namespace's exemption", x.Level)
			e.Note = err.Error()
			return e
		}
		e.Exempt = true
		e.Value = fmt.Sprintf("admitted at %s:latest, not at restricted", x.Level)
		e.Note = fmt.Sprintf("exempt under %s: %s (at restricted it %s)", x.Control, x.Justification, failed.Error())
		return e
	}
	e.Value = "violates restricted:latest"
	e.Note = failed.Error() + "; the stack's intent for namespace " + o.live.Ref.Namespace + " is restricted, whatever its label says now"
	return e
}
