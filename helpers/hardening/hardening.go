// Package hardening holds the restricted pod and container settings every
// Rampart workload starts from (the sovereign-cloud hardening guide's "compliant deployment", the STOA security hardening checklist's
// "Security Context (All Containers)") and the Pod Security Standards check
// that runs Kubernetes' own evaluator, k8s.io/pod-security-admission, on any
// pod spec — the same code the API server's admission plugin runs.
package hardening

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PatchForceAnnotation makes Rampart's server-side apply take back fields an
// out-of-band edit claimed. The baseline's objects are security controls:
// drift is remediated by the next `pulumi up`, never a field-manager
// conflict that blocks it.
const PatchForceAnnotation = "pulumi.com/patchForce"

// ManagedAnnotations are set on every Kubernetes object Rampart owns.
func ManagedAnnotations() map[string]string { return map[string]string{PatchForceAnnotation: "true"} }

// Defaults of the seeds: a fixed non-root identity so file ownership on
// volumes is predictable (fsGroup) and no image's USER line can make a pod
// root.
const (
	// UID is the default runAsUser (the sovereign-cloud hardening guide): non-zero, outside system ranges.
	UID = 10000
	// GID is the default runAsGroup and fsGroup.
	GID = 10000
)

// PodSecurityContext is the restricted pod-level context: non-root, fixed
// uid/gid/fsGroup, seccomp RuntimeDefault. CIS 5.2.x; ISM-1584, ISM-1604;
// ITSG-33 CM-7.
func PodSecurityContext() *corev1.PodSecurityContextArgs {
	return &corev1.PodSecurityContextArgs{
		RunAsNonRoot:   pulumi.Bool(true),
		RunAsUser:      pulumi.Int(UID),
		RunAsGroup:     pulumi.Int(GID),
		FsGroup:        pulumi.Int(GID),
		SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

// ContainerSecurityContext is the restricted container context: not
// privileged, no privilege escalation, every capability dropped, read-only
// root filesystem (writable paths come from ScratchVolumes), seccomp
// RuntimeDefault, non-root.
func ContainerSecurityContext() *corev1.SecurityContextArgs {
	return &corev1.SecurityContextArgs{
		Privileged:               pulumi.Bool(false),
		RunAsNonRoot:             pulumi.Bool(true),
		AllowPrivilegeEscalation: pulumi.Bool(false),
		ReadOnlyRootFilesystem:   pulumi.Bool(true),
		Capabilities:             &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
		SeccompProfile:           &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

// ScratchPaths are the writable emptyDir mounts a read-only root filesystem
// needs (the sovereign-cloud hardening guide: /tmp and /var/cache).
var ScratchPaths = map[string]string{"tmp": "/tmp", "cache": "/var/cache"}

// ScratchVolumes returns the emptyDir volumes and matching mounts for
// ScratchPaths, in a stable order.
func ScratchVolumes() (corev1.VolumeArray, corev1.VolumeMountArray) {
	var vols corev1.VolumeArray
	var mounts corev1.VolumeMountArray
	for _, name := range []string{"tmp", "cache"} {
		vols = append(vols, corev1.VolumeArgs{Name: pulumi.String(name), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}})
		mounts = append(mounts, corev1.VolumeMountArgs{Name: pulumi.String(name), MountPath: pulumi.String(ScratchPaths[name])})
	}
	return vols, mounts
}

// Resources are a container's requests and limits (the sovereign-cloud hardening guide sizes by
// default). Limits stop one workload from starving its namespace (DoS).
type Resources struct {
	// CPURequest defaults to "250m".
	CPURequest string
	// MemoryRequest defaults to "256Mi".
	MemoryRequest string
	// CPULimit defaults to "500m".
	CPULimit string
	// MemoryLimit defaults to "512Mi".
	MemoryLimit string
}

// DefaultResources are the sovereign-cloud hardening guide's requests and limits.
var DefaultResources = Resources{CPURequest: "250m", MemoryRequest: "256Mi", CPULimit: "500m", MemoryLimit: "512Mi"}

// Args renders r as Kubernetes ResourceRequirements.
func (r Resources) Args() *corev1.ResourceRequirementsArgs {
	return &corev1.ResourceRequirementsArgs{
		Requests: pulumi.StringMap{"cpu": pulumi.String(r.CPURequest), "memory": pulumi.String(r.MemoryRequest)},
		Limits:   pulumi.StringMap{"cpu": pulumi.String(r.CPULimit), "memory": pulumi.String(r.MemoryLimit)},
	}
}

// RestrictedPodSpec returns a pod spec for one container with every default
// above: restricted contexts, scratch volumes, requests/limits, and no
// service-account token unless the workload asks for one.
func RestrictedPodSpec(name, image string, args pulumi.StringArray, ports corev1.ContainerPortArray) *corev1.PodSpecArgs {
	vols, mounts := ScratchVolumes()
	return &corev1.PodSpecArgs{
		AutomountServiceAccountToken: pulumi.Bool(false),
		SecurityContext:              PodSecurityContext(),
		Containers: corev1.ContainerArray{corev1.ContainerArgs{
			Name:            pulumi.String(name),
			Image:           pulumi.String(image),
			Args:            args,
			Ports:           ports,
			SecurityContext: ContainerSecurityContext(),
			Resources:       DefaultResources.Args(),
			VolumeMounts:    mounts,
		}},
		Volumes: vols,
	}
}
