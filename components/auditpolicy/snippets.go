package auditpolicy

import (
	"fmt"
	"path"
	"strconv"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"
)

// The snippets below are node configuration, not API objects: each
// distribution reads its file when it (re)writes the kube-apiserver static
// pod, which is the only way the policy reaches a running cluster. Pulumi
// cannot apply them to a running cluster; the platform team merges them into
// the node configuration it already keeps (kubeadm config, RKE2
// /etc/rancher/rke2/config.yaml, Talos machine config) and rolls the
// control-plane nodes. The structs mirror only the fields Rampart sets, with
// the distributions' own key names, so the YAML is produced by a marshaller
// and never by string templates.

// Snippet file names written by `rampart audit-policy --snippets DIR`.
const (
	KubeadmFile = "kubeadm-clusterconfiguration.yaml"
	RKE2File    = "rke2-config.yaml"
	TalosFile   = "talos-patch.yaml"
)

// KubeadmArg is one kube-apiserver flag in kubeadm v1beta4's list form.
type KubeadmArg struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// KubeadmVolume is a kubeadm HostPathMount: a host path mounted into the
// kube-apiserver static pod.
type KubeadmVolume struct {
	Name      string `json:"name"`
	HostPath  string `json:"hostPath"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly"`
	PathType  string `json:"pathType"`
}

// KubeadmAPIServer is ClusterConfiguration.apiServer (the fields Rampart sets).
type KubeadmAPIServer struct {
	ExtraArgs    []KubeadmArg    `json:"extraArgs"`
	ExtraVolumes []KubeadmVolume `json:"extraVolumes"`
}

// KubeadmClusterConfiguration is a kubeadm.k8s.io/v1beta4 ClusterConfiguration
// carrying only the audit settings, for `kubeadm init --config` (merge it into
// the existing ClusterConfiguration). kubeadm does not write the policy file:
// place it at PolicyPath on every control-plane node first.
type KubeadmClusterConfiguration struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	APIServer  KubeadmAPIServer `json:"apiServer"`
}

// RKE2Config is the part of /etc/rancher/rke2/config.yaml (or a drop-in under
// config.yaml.d/) that turns auditing on. RKE2 mounts audit-policy-file into
// the API server itself; the log directory is an extra mount when it is not
// RKE2's own.
type RKE2Config struct {
	AuditPolicyFile         string   `json:"audit-policy-file"`
	KubeAPIServerArg        []string `json:"kube-apiserver-arg"`
	KubeAPIServerExtraMount []string `json:"kube-apiserver-extra-mount"`
}

// TalosVolume is a Talos cluster.apiServer.extraVolumes entry.
type TalosVolume struct {
	HostPath  string `json:"hostPath"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readonly"`
}

// TalosAPIServer is cluster.apiServer of a Talos v1alpha1 machine config.
type TalosAPIServer struct {
	// AuditPolicy is the policy itself, inline: Talos writes it to its own
	// file (/system/config/kubernetes/kube-apiserver/auditpolicy.yaml) and
	// sets --audit-policy-file to it, so PolicyPath does not apply on Talos.
	AuditPolicy  *auditv1.Policy   `json:"auditPolicy"`
	ExtraArgs    map[string]string `json:"extraArgs"`
	ExtraVolumes []TalosVolume     `json:"extraVolumes,omitempty"`
}

// TalosCluster is the cluster section of a Talos machine config.
type TalosCluster struct {
	APIServer TalosAPIServer `json:"apiServer"`
}

// TalosPatch is a Talos machine-config strategic-merge patch for the
// control-plane nodes (`talosctl patch mc --patch @talos-patch.yaml`).
// Talos runs kube-apiserver as a non-root UID and prepares only
// /var/log/audit/kube for it: with a LogPath elsewhere the patch mounts that
// directory, which must exist and be writable by the API server's UID.
type TalosPatch struct {
	Cluster TalosCluster `json:"cluster"`
}

// Snippets holds the three node-configuration snippets, all from the same
// Args, so they name the same policy (path or bytes) and the same log file.
type Snippets struct {
	Kubeadm KubeadmClusterConfiguration
	RKE2    RKE2Config
	Talos   TalosPatch
}

// rotationArgs are the log flags every distribution gets, in a fixed order.
func rotationArgs(a Args) [][2]string {
	return [][2]string{
		{"audit-log-path", a.LogPath},
		{"audit-log-maxage", strconv.Itoa(a.MaxAge)},
		{"audit-log-maxbackup", strconv.Itoa(a.MaxBackup)},
		{"audit-log-maxsize", strconv.Itoa(a.MaxSize)},
	}
}

// BuildSnippets validates args and builds the typed snippets.
func BuildSnippets(args *Args) (*Snippets, error) {
	a := Args{}
	if args != nil {
		a = *args
	}
	if err := a.Validate(""); err != nil {
		return nil, fmt.Errorf("audit policy snippets: %w", err)
	}
	a = a.withDefaults()
	logDir := path.Dir(a.LogPath)
	var s Snippets

	s.Kubeadm = KubeadmClusterConfiguration{APIVersion: "kubeadm.k8s.io/v1beta4", Kind: "ClusterConfiguration",
		APIServer: KubeadmAPIServer{
			ExtraArgs: []KubeadmArg{{Name: "audit-policy-file", Value: a.PolicyPath}},
			ExtraVolumes: []KubeadmVolume{
				// The policy read-only, as a single file: the API server can
				// read its rules but not rewrite them.
				{Name: "audit-policy", HostPath: a.PolicyPath, MountPath: a.PolicyPath, ReadOnly: true, PathType: "File"},
				{Name: "audit-log", HostPath: logDir, MountPath: logDir, ReadOnly: false, PathType: "DirectoryOrCreate"},
			},
		}}
	for _, kv := range rotationArgs(a) {
		s.Kubeadm.APIServer.ExtraArgs = append(s.Kubeadm.APIServer.ExtraArgs, KubeadmArg{Name: kv[0], Value: kv[1]})
	}

	s.RKE2 = RKE2Config{AuditPolicyFile: a.PolicyPath, KubeAPIServerExtraMount: []string{logDir + ":" + logDir}}
	for _, kv := range rotationArgs(a) {
		s.RKE2.KubeAPIServerArg = append(s.RKE2.KubeAPIServerArg, kv[0]+"="+kv[1])
	}

	s.Talos.Cluster.APIServer = TalosAPIServer{AuditPolicy: Policy(&a), ExtraArgs: map[string]string{}}
	for _, kv := range rotationArgs(a) {
		s.Talos.Cluster.APIServer.ExtraArgs[kv[0]] = kv[1]
	}
	if logDir != path.Dir(TalosLogPath) {
		s.Talos.Cluster.APIServer.ExtraVolumes = []TalosVolume{{HostPath: logDir, MountPath: logDir, ReadOnly: false}}
	}
	return &s, nil
}

// RenderSnippets returns each snippet file's content by file name.
func RenderSnippets(args *Args) (map[string][]byte, error) {
	s, err := BuildSnippets(args)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for name, v := range map[string]any{KubeadmFile: s.Kubeadm, RKE2File: s.RKE2, TalosFile: s.Talos} {
		b, err := yaml.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("audit policy snippet %s: %w", name, err)
		}
		out[name] = append([]byte(snippetHeader(name)), b...)
	}
	return out, nil
}

func snippetHeader(name string) string {
	return "# " + name + ": rendered by `rampart audit-policy --snippets` from components/auditpolicy.\n" +
		"# The audit policy is an API-server flag (--audit-policy-file), not an API object:\n" +
		"# merge this into the control-plane nodes' configuration; Pulumi cannot apply it.\n"
}
