package hardening

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	corev1api "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

var (
	evalOnce sync.Once
	eval     policy.Evaluator
	evalErr  error
)

func evaluator() (policy.Evaluator, error) {
	// nil: no emulation of an older minor; the newest checks, the strictest.
	evalOnce.Do(func() { eval, evalErr = policy.NewEvaluator(policy.DefaultChecks(), nil) })
	return eval, evalErr
}

// CheckPod runs the Pod Security Standards evaluator of
// k8s.io/pod-security-admission at level ("privileged", "baseline",
// "restricted") and version ("latest" or "v1.34") on a pod, and returns one
// error naming every forbidden setting, or nil when the pod is admitted.
func CheckPod(level, version string, meta *metav1.ObjectMeta, spec *corev1api.PodSpec) error {
	lv, err := ParseLevelVersion(level, version)
	if err != nil {
		return err
	}
	ev, err := evaluator()
	if err != nil {
		return fmt.Errorf("hardening: build PSS evaluator: %w", err)
	}
	if meta == nil {
		meta = &metav1.ObjectMeta{}
	}
	var forbidden []string
	for _, r := range ev.EvaluatePod(lv, meta, spec) {
		if !r.Allowed {
			forbidden = append(forbidden, r.ForbiddenReason+" ("+r.ForbiddenDetail+")")
		}
	}
	if len(forbidden) > 0 {
		return fmt.Errorf("violates PodSecurity %s:%s: %s", lv.Level, lv.Version, strings.Join(forbidden, "; "))
	}
	return nil
}

// CheckRestricted is CheckPod at restricted:latest, the Rampart default.
func CheckRestricted(spec *corev1api.PodSpec) error {
	return CheckPod(string(psaapi.LevelRestricted), "latest", nil, spec)
}

// ParseLevelVersion validates a PSS level and version as the admission
// plugin parses namespace labels.
func ParseLevelVersion(level, version string) (psaapi.LevelVersion, error) {
	l, err := psaapi.ParseLevel(level)
	if err != nil {
		return psaapi.LevelVersion{}, fmt.Errorf("hardening: %w", err)
	}
	v, err := psaapi.ParseVersion(version)
	if err != nil {
		return psaapi.LevelVersion{}, fmt.Errorf("hardening: %w", err)
	}
	return psaapi.LevelVersion{Level: l, Version: v}, nil
}

// PodSpecFromMap decodes a pod spec held as plain values (for example a pod
// template recorded by the test mock) into the Kubernetes API type.
func PodSpecFromMap(m map[string]any) (*corev1api.PodSpec, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	spec := &corev1api.PodSpec{}
	if err := json.Unmarshal(raw, spec); err != nil {
		return nil, fmt.Errorf("hardening: decode pod spec: %w", err)
	}
	return spec, nil
}
