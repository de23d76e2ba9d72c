package namespace

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/helpers/exemption"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	psaapi "k8s.io/pod-security-admission/api"
)

// PSSLevel is a Pod Security Standards level, as the
// pod-security.kubernetes.io/* labels spell it.
type PSSLevel string

// The three Pod Security Standards levels.
const (
	PSSPrivileged PSSLevel = "privileged"
	PSSBaseline   PSSLevel = "baseline"
	PSSRestricted PSSLevel = "restricted"
)

// Exemption lets a namespace enforce a level below restricted. It is typed,
// never a free label, so every exemption carries a written justification and
// the control it is accepted under, and shows up in the compliance report.
// Audit and warn stay at restricted, so the deviations stay visible.
type Exemption struct {
	// Level is the enforced level: PSSBaseline or PSSPrivileged.
	Level PSSLevel `json:"level"`
	// Justification says why restricted cannot be met (required).
	Justification string `json:"justification"`
	// Control names the control the exception is accepted under (required),
	// e.g. "ISM-1584" or "NIS2 Art. 21(2)(e)".
	Control string `json:"control"`
	// Approval is the exemption's lifecycle (owner, approvedBy, ticket,
	// expires): the stack requires it outside the local profile and refuses
	// an expired one.
	exemption.Approval
}

// Quota caps a namespace's total requests and limits and its object counts.
// NIS2 Art. 21(2)(c) (availability): one tenant cannot starve the others.
type Quota struct {
	// RequestsCPU defaults to "4".
	RequestsCPU string `json:"requestsCpu,omitempty"`
	// RequestsMemory defaults to "8Gi".
	RequestsMemory string `json:"requestsMemory,omitempty"`
	// LimitsCPU defaults to "8".
	LimitsCPU string `json:"limitsCpu,omitempty"`
	// LimitsMemory defaults to "16Gi".
	LimitsMemory string `json:"limitsMemory,omitempty"`
	// Pods defaults to 50. Absent means the default; an explicit 0 is
	// refused (it would block every workload), not replaced.
	Pods *int `json:"pods,omitempty"`
}

// DefaultQuota is the quota of a namespace that sets none.
var DefaultQuota = Quota{RequestsCPU: "4", RequestsMemory: "8Gi", LimitsCPU: "8", LimitsMemory: "16Gi", Pods: PodCount(50)}

// PodCount is a pod count for Quota.Pods.
func PodCount(n int) *int { return &n }

// Over returns q with every field it leaves unset taken from preset, so a
// partial override changes only the fields it names (raising pods keeps the
// preset's CPU and memory).
func (q Quota) Over(preset Quota) Quota {
	out := q
	for _, f := range []struct {
		dst *string
		def string
	}{
		{&out.RequestsCPU, preset.RequestsCPU}, {&out.RequestsMemory, preset.RequestsMemory},
		{&out.LimitsCPU, preset.LimitsCPU}, {&out.LimitsMemory, preset.LimitsMemory},
	} {
		if *f.dst == "" {
			*f.dst = f.def
		}
	}
	if out.Pods == nil && preset.Pods != nil {
		out.Pods = PodCount(*preset.Pods)
	}
	return out
}

// NamespaceArgs configures one hardened namespace.
type NamespaceArgs struct {
	// Name is the Kubernetes namespace name (DNS-1123 label, ≤ 63). Required.
	Name string `json:"name"`
	// Exemption, when set, enforces Exemption.Level instead of restricted.
	// Default nil: restricted, the only level that meets the STOA security hardening checklist and the sovereign-cloud hardening guide.
	Exemption *Exemption `json:"exemption,omitempty"`
	// PSSVersion is the policy version for the -version labels. Default
	// "latest": the newest checks apply as soon as the cluster knows them;
	// pin e.g. "v1.34" to make upgrades explicit.
	PSSVersion string `json:"pssVersion,omitempty"`
	// Quota defaults to DefaultQuota.
	Quota *Quota `json:"quota,omitempty"`
	// Labels are extra namespace labels. Keys Rampart sets itself (the
	// pod-security ones, managed-by) are refused rather than overwritten.
	Labels map[string]string `json:"labels,omitempty"`
}

// EnforceLevel is the level the namespace enforces.
func (a *NamespaceArgs) EnforceLevel() PSSLevel {
	if a.Exemption != nil {
		return a.Exemption.Level
	}
	return PSSRestricted
}

func (a *NamespaceArgs) withDefaults() *NamespaceArgs {
	out := *a
	out.PSSVersion = cmp.Or(out.PSSVersion, "latest")
	q := DefaultQuota
	if a.Quota != nil {
		q = a.Quota.Over(DefaultQuota)
	}
	out.Quota = &q
	return &out
}

// Validate reports every problem with the args, each under path (the config
// key path of these args, e.g. "rampart:tenants[0]"). It checks the args as
// NewNamespace will use them (defaults applied to a copy), so a partial
// quota that clashes with a default fails here, not half-way through an up.
func (a *NamespaceArgs) Validate(path string) error {
	var explicitPods *int
	if a.Quota != nil {
		explicitPods = a.Quota.Pods
	}
	a = a.withDefaults()
	var l verr.List
	kname.CheckNamespace(&l, path+".name", a.Name)
	if _, err := psaapi.ParseVersion(a.PSSVersion); a.PSSVersion != "" && err != nil {
		l.Add(path+".pssVersion", a.PSSVersion, "not a Pod Security version", `use "latest" or a minor version such as "v1.34"`)
	}
	if e := a.Exemption; e != nil {
		switch e.Level {
		case PSSBaseline, PSSPrivileged:
		case PSSRestricted:
			l.Add(path+".exemption.level", string(e.Level), "an exemption to restricted is no exemption", "remove the exemption, or set level to baseline or privileged")
		default:
			l.Add(path+".exemption.level", string(e.Level), "not a Pod Security level", "use baseline or privileged (restricted needs no exemption)")
		}
		if len(strings.TrimSpace(e.Justification)) < 20 {
			l.Add(path+".exemption.justification", e.Justification, "an exemption needs a written justification (20+ characters) for the compliance report", "say why this namespace cannot run restricted")
		}
		if e.Control == "" {
			l.Add(path+".exemption.control", e.Control, "an exemption must name the control it is accepted under", `set e.g. "ISM-1584" or "NIS2 Art. 21(2)(e)"`)
		}
		e.Approval.Check(&l, path+".exemption")
	}
	for k, v := range a.Labels {
		if strings.HasPrefix(k, "pod-security.kubernetes.io/") || k == LabelManagedBy {
			l.Add(path+".labels", k, "set by Rampart itself (the level comes from exemption)", "remove the label; use exemption for a lower Pod Security level")
			continue
		}
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			l.Add(path+".labels", k, "not a label key: "+strings.Join(msgs, "; "), "use a key such as example.com/team")
		}
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			l.Add(path+".labels."+k, v, "not a label value: "+strings.Join(msgs, "; "), "use at most 63 letters, digits, '-', '_' or '.'")
		}
	}
	if q := a.Quota; q != nil {
		for _, f := range []struct{ key, val string }{
			{"requestsCpu", q.RequestsCPU}, {"requestsMemory", q.RequestsMemory},
			{"limitsCpu", q.LimitsCPU}, {"limitsMemory", q.LimitsMemory},
		} {
			if f.val == "" {
				continue
			}
			if qty, err := resource.ParseQuantity(f.val); err != nil || qty.Sign() <= 0 {
				l.Add(path+".quota."+f.key, f.val, "not a positive Kubernetes quantity", `use e.g. "500m", "2", "4Gi"`)
			}
		}
		if p := explicitPods; p != nil && *p <= 0 {
			l.Add(path+".quota.pods", *p, "a quota of no pods blocks every workload", "use a positive number, or remove the key for the profile's preset")
		}
		if ok, err := lessOrEqual(q.RequestsCPU, q.LimitsCPU); err == nil && !ok {
			l.Add(path+".quota.requestsCpu", q.RequestsCPU, fmt.Sprintf("greater than limitsCpu %q", q.LimitsCPU), "requests must not exceed limits")
		}
		if ok, err := lessOrEqual(q.RequestsMemory, q.LimitsMemory); err == nil && !ok {
			l.Add(path+".quota.requestsMemory", q.RequestsMemory, fmt.Sprintf("greater than limitsMemory %q", q.LimitsMemory), "requests must not exceed limits")
		}
	}
	return l.Err()
}

func lessOrEqual(a, b string) (bool, error) {
	if a == "" || b == "" {
		return true, nil
	}
	qa, err := resource.ParseQuantity(a)
	if err != nil {
		return false, err
	}
	qb, err := resource.ParseQuantity(b)
	if err != nil {
		return false, err
	}
	return qa.Cmp(qb) <= 0, nil
}
