package kmsplugin

import (
	"fmt"
	"path"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Static pod defaults.
const (
	// PodName is the static pod's name; the kubelet adds the node's name to
	// its mirror pod.
	PodName = "rampart-kms"
	// PodNamespace is kube-system, beside the API server it serves.
	PodNamespace = "kube-system"
	// DefaultRunAsUser is the plugin's UID and GID: not root, and no UID a
	// distribution gives to its own daemons.
	DefaultRunAsUser int64 = 10001
	// DefaultTokenFile is the token file's path on the node and in the pod.
	DefaultTokenFile = "/etc/rampart-kms/token"
)

// PodArgs configures the static pod.
type PodArgs struct {
	// Image is the plugin's image (cmd/rampart-kms), pinned by digest:
	// registry/repository[:tag]@sha256:… Required; Rampart publishes no
	// image of its own yet, so there is no default.
	Image string
	// Plugin are the plugin's flags. TokenFile (default DefaultTokenFile)
	// and CAFile are node paths, mounted read-only at the same path; the
	// socket's directory is mounted read-write.
	Plugin Options
	// RunAsUser is the UID and GID the plugin runs as. Default
	// DefaultRunAsUser. The node prepares the token file (mode 0400) and
	// the socket directory owned by it, e.g. with the systemd-tmpfiles line
	// `d /var/run/kmsplugin 0750 10001 10001 -`: a directory the kubelet
	// creates belongs to root, where a non-root plugin cannot make its
	// socket. kube-apiserver (root on kubeadm and RKE2) dials it as root.
	RunAsUser int64
}

func (a PodArgs) withDefaults() PodArgs {
	if a.Plugin.TokenFile == "" {
		a.Plugin.TokenFile = DefaultTokenFile
	}
	if a.RunAsUser == 0 {
		a.RunAsUser = DefaultRunAsUser
	}
	a.Plugin = a.Plugin.WithDefaults()
	return a
}

func (a PodArgs) validate() error {
	var l verr.List
	l.Merge(a.Plugin.Validate())
	if ref, err := image.Parse(a.Image); err != nil || !ref.Pinned() {
		l.Add("image", a.Image, "not an image reference pinned by digest", "give registry/repository@sha256:<64 hex> of the rampart-kms image")
	}
	if a.RunAsUser < 1 {
		l.Add("runAsUser", a.RunAsUser, "root or negative", "give a non-root UID, e.g. 10001")
	}
	return l.Err()
}

// StaticPod builds the plugin's static pod for one control-plane node
// (written to the kubelet's manifest directory, e.g.
// /etc/kubernetes/manifests/rampart-kms.yaml).
//
// It runs beside kube-apiserver on the host network: the API server needs
// the plugin before any pod network exists, and the plugin reaches OpenBao
// as the node does. Otherwise it follows the restricted profile: non-root,
// read-only root filesystem, no privilege escalation, every capability
// dropped, seccomp RuntimeDefault, no service account token. The host
// network and the hostPath volumes (socket directory, token, CA) are what
// a static KMS plugin cannot do without.
func StaticPod(args *PodArgs) (*corev1.Pod, error) {
	a := PodArgs{}
	if args != nil {
		a = *args
	}
	a = a.withDefaults()
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("kms plugin pod: %w", err)
	}
	sock, _ := SocketPath(a.Plugin.Listen)
	sockDir := path.Dir(sock)
	mounts := []corev1.VolumeMount{
		{Name: "socket", MountPath: sockDir},
		{Name: "token", MountPath: a.Plugin.TokenFile, ReadOnly: true},
	}
	volumes := []corev1.Volume{
		hostPath("socket", sockDir, corev1.HostPathDirectory),
		hostPath("token", a.Plugin.TokenFile, corev1.HostPathFile),
	}
	if a.Plugin.CAFile != "" {
		mounts = append(mounts, corev1.VolumeMount{Name: "ca", MountPath: a.Plugin.CAFile, ReadOnly: true})
		volumes = append(volumes, hostPath("ca", a.Plugin.CAFile, corev1.HostPathFile))
	}
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: PodName, Namespace: PodNamespace,
			Labels: map[string]string{"app.kubernetes.io/name": PodName, "app.kubernetes.io/component": "kms-plugin", "tier": "control-plane"},
		},
		Spec: corev1.PodSpec{
			HostNetwork:                  true,
			PriorityClassName:            "system-node-critical",
			AutomountServiceAccountToken: new(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   new(true),
				RunAsUser:      new(a.RunAsUser),
				RunAsGroup:     new(a.RunAsUser),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:  "kms-plugin",
				Image: a.Image,
				// The entry point is the image's (rampart-kms); only the
				// flags are set here.
				Args:         a.Plugin.Args(),
				VolumeMounts: mounts,
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: new(false),
					ReadOnlyRootFilesystem:   new(true),
					RunAsNonRoot:             new(true),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
					SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
				},
			}},
			Volumes: volumes,
		},
	}, nil
}

func hostPath(name, p string, t corev1.HostPathType) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: p, Type: new(t)}}}
}

// RenderStaticPod returns StaticPod serialised with sigs.k8s.io/yaml.
func RenderStaticPod(args *PodArgs) ([]byte, error) {
	pod, err := StaticPod(args)
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(pod)
	if err != nil {
		return nil, fmt.Errorf("kms plugin pod: marshal: %w", err)
	}
	return b, nil
}
