package hardening

// Helm charts take security contexts as plain values, not as Pulumi args.
// These functions spell the same restricted contexts as PodSecurityContext
// and ContainerSecurityContext, from the same constants, so a component that
// configures a chart never writes runAsNonRoot, drop ALL or seccomp by hand.
// Each call returns a fresh map: callers may add keys (a chart-specific
// runAsUser on the container, say) without affecting anyone else.

// seccompRuntimeDefault is the seccomp profile both contexts require
// (PSS restricted; CIS 5.7.2).
const seccompRuntimeDefault = "RuntimeDefault"

// PodSecurityContextValues is PodSecurityContext as chart values: non-root,
// uid as runAsUser, runAsGroup and fsGroup, seccomp RuntimeDefault. Pass UID
// unless the image needs its own non-root identity (its files are owned by
// it); uid is used for the group too because Rampart's identities use one
// number for both (UID == GID), which keeps volume ownership predictable.
// CIS 5.2.x; ISM-1584, ISM-1604; ITSG-33 CM-7.
func PodSecurityContextValues(uid int64) map[string]any {
	return map[string]any{
		"runAsNonRoot":   true,
		"runAsUser":      uid,
		"runAsGroup":     uid,
		"fsGroup":        uid,
		"seccompProfile": map[string]any{"type": seccompRuntimeDefault},
	}
}

// ContainerSecurityContextValues is ContainerSecurityContext as chart values:
// not privileged, non-root, no privilege escalation, read-only root
// filesystem, every capability dropped, seccomp RuntimeDefault. The identity
// comes from the pod context (PodSecurityContextValues).
func ContainerSecurityContextValues() map[string]any {
	return map[string]any{
		"privileged":               false,
		"runAsNonRoot":             true,
		"allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem":   true,
		"capabilities":             map[string]any{"drop": []any{"ALL"}},
		"seccompProfile":           map[string]any{"type": seccompRuntimeDefault},
	}
}
