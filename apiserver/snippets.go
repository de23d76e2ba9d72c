package apiserver

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/yaml"
)

// The snippets below are node configuration, not API objects: each
// distribution reads its file when it (re)writes the kube-apiserver static
// pod, which is the only way a file the API server loads reaches a running
// cluster. Pulumi cannot apply them; the platform team merges them into the
// node configuration it already keeps (kubeadm config, RKE2
// /etc/rancher/rke2/config.yaml, Talos machine config) and rolls the
// control-plane nodes. One writer serves every registered Config.
//
// The structs mirror only the fields Rampart sets, with the distributions'
// own key names, so the YAML comes from a marshaller and never from string
// templates. kubeadm's own v1beta4 types live in k8s.io/kubernetes, which is
// not meant to be imported as a library, Talos's in its machinery module (a
// large new dependency) and RKE2 has no Go types for config.yaml: mirroring
// the dozen keys is cheaper than any of them, and the tests read every
// snippet back.

// Snippet file names, the same for `rampart apiserver render` and
// `rampart apiserver NAME --snippets`.
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
// carrying only the API server's files, for `kubeadm init --config` (merge it
// into the existing ClusterConfiguration). kubeadm does not write the files:
// place each at its path on every control-plane node first.
type KubeadmClusterConfiguration struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	APIServer  KubeadmAPIServer `json:"apiServer"`
}

// RKE2Config is the part of /etc/rancher/rke2/config.yaml (or a drop-in under
// config.yaml.d/) that makes the API server load the files.
type RKE2Config struct {
	// Keys are RKE2's own keys for files it mounts itself, by key
	// (audit-policy-file: the policy's path).
	Keys map[string]string
	// KubeAPIServerArg is kube-apiserver-arg: "flag=value" entries.
	KubeAPIServerArg []string
	// KubeAPIServerExtraMount is kube-apiserver-extra-mount:
	// "host:container[:ro]" entries.
	KubeAPIServerExtraMount []string
}

// MarshalJSON writes Keys beside the two lists, as config.yaml has them.
func (c RKE2Config) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(c.Keys)+2)
	for k, v := range c.Keys {
		m[k] = v
	}
	if len(c.KubeAPIServerArg) > 0 {
		m[rke2ArgKey] = c.KubeAPIServerArg
	}
	if len(c.KubeAPIServerExtraMount) > 0 {
		m[rke2MountKey] = c.KubeAPIServerExtraMount
	}
	return json.Marshal(m)
}

const (
	rke2ArgKey   = "kube-apiserver-arg"
	rke2MountKey = "kube-apiserver-extra-mount"
)

// TalosVolume is a Talos cluster.apiServer.extraVolumes entry.
type TalosVolume struct {
	HostPath  string `json:"hostPath"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readonly"`
}

// TalosAPIServer is cluster.apiServer of a Talos v1alpha1 machine config.
type TalosAPIServer struct {
	// Inline are the files Talos takes inline, by key (auditPolicy).
	Inline       map[string]any
	ExtraArgs    map[string]string
	ExtraVolumes []TalosVolume
}

// MarshalJSON writes the inline keys beside extraArgs and extraVolumes.
func (a TalosAPIServer) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(a.Inline)+2)
	for k, v := range a.Inline {
		m[k] = v
	}
	args := a.ExtraArgs
	if args == nil {
		args = map[string]string{}
	}
	m[talosArgsKey] = args
	if len(a.ExtraVolumes) > 0 {
		m[talosVolumesKey] = a.ExtraVolumes
	}
	return json.Marshal(m)
}

const (
	talosArgsKey    = "extraArgs"
	talosVolumesKey = "extraVolumes"
)

// TalosCluster is the cluster section of a Talos machine config.
type TalosCluster struct {
	APIServer TalosAPIServer `json:"apiServer"`
}

// TalosMachineFile is a machine.files entry: a file Talos writes on the node.
type TalosMachineFile struct {
	Content     string `json:"content"`
	Permissions uint32 `json:"permissions"`
	Path        string `json:"path"`
	Op          string `json:"op"`
}

// TalosMachine is the machine section of a Talos machine config.
type TalosMachine struct {
	Files []TalosMachineFile `json:"files"`
}

// TalosPatch is a Talos machine-config strategic-merge patch for the
// control-plane nodes (`talosctl patch mc --patch @talos-patch.yaml`).
// Talos runs kube-apiserver as a non-root UID and prepares only
// /var/log/audit/kube for it: any other writable directory the patch mounts
// must exist and be writable by the API server's UID.
type TalosPatch struct {
	Machine *TalosMachine `json:"machine,omitempty"`
	Cluster TalosCluster  `json:"cluster"`
}

// Snippets holds the three node-configuration snippets, all from the same
// configs, so they name the same files (path or bytes) and the same flags.
type Snippets struct {
	Kubeadm KubeadmClusterConfiguration
	RKE2    RKE2Config
	Talos   TalosPatch
}

// BuildSnippets validates every config and builds the typed snippets: for
// each config in order, its file flag and mount, then its further flags and
// mounts. Two configs may not claim the same flag, volume, mount path or
// distribution key: the distributions would keep one silently (Talos's
// extraArgs is a map) or refuse the node configuration.
func BuildSnippets(configs []Config) (*Snippets, error) {
	s := &Snippets{
		Kubeadm: KubeadmClusterConfiguration{APIVersion: "kubeadm.k8s.io/v1beta4", Kind: "ClusterConfiguration"},
		RKE2:    RKE2Config{Keys: map[string]string{}},
		Talos:   TalosPatch{Cluster: TalosCluster{APIServer: TalosAPIServer{Inline: map[string]any{}, ExtraArgs: map[string]string{}}}},
	}
	claimed := map[string]string{} // "kind value" → config name
	claim := func(c Config, kind, v string) error {
		if by, ok := claimed[kind+" "+v]; ok {
			return fmt.Errorf("apiserver snippets: %s and %s both claim the %s %q", by, c.Name(), kind, v)
		}
		claimed[kind+" "+v] = c.Name()
		return nil
	}
	for _, k := range []string{rke2ArgKey, rke2MountKey} {
		claimed["RKE2 key "+k] = "the snippet writer"
	}
	for _, k := range []string{talosArgsKey, talosVolumesKey} {
		claimed["Talos apiServer key "+k] = "the snippet writer"
	}
	for _, c := range configs {
		n, err := c.Node()
		if err != nil {
			return nil, fmt.Errorf("%s snippets: %w", c.Name(), err)
		}
		if err := claim(c, "flag", c.Flag()); err != nil {
			return nil, err
		}
		if err := claim(c, "kubeadm volume", c.Name()); err != nil {
			return nil, err
		}
		if err := claim(c, "mount path", n.Path); err != nil {
			return nil, err
		}
		for _, a := range n.Args {
			if err := claim(c, "flag", a.Name); err != nil {
				return nil, err
			}
		}
		for _, m := range n.Mounts {
			if err := claim(c, "kubeadm volume", m.Name); err != nil {
				return nil, err
			}
			if err := claim(c, "mount path", m.Path); err != nil {
				return nil, err
			}
		}
		s.addKubeadm(c, n)
		if n.RKE2Key != "" {
			if err := claim(c, "RKE2 key", n.RKE2Key); err != nil {
				return nil, err
			}
		}
		s.addRKE2(c, n)
		if n.Talos.InlineKey != "" {
			if err := claim(c, "Talos apiServer key", n.Talos.InlineKey); err != nil {
				return nil, err
			}
		}
		if err := s.addTalos(c, n); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// addKubeadm adds c's flags and mounts to the ClusterConfiguration: the file
// read-only as a single File, then the further directories.
func (s *Snippets) addKubeadm(c Config, n Node) {
	k := &s.Kubeadm.APIServer
	k.ExtraArgs = append(k.ExtraArgs, KubeadmArg{Name: c.Flag(), Value: n.Path})
	for _, a := range n.Args {
		k.ExtraArgs = append(k.ExtraArgs, KubeadmArg(a))
	}
	k.ExtraVolumes = append(k.ExtraVolumes, KubeadmVolume{Name: c.Name(), HostPath: n.Path, MountPath: n.Path, ReadOnly: true, PathType: "File"})
	for _, m := range n.Mounts {
		// A writable directory (a log) is created when missing; a read-only
		// one holds something the server reads and must already be there.
		pathType := "Directory"
		if m.Writable {
			pathType = "DirectoryOrCreate"
		}
		k.ExtraVolumes = append(k.ExtraVolumes, KubeadmVolume{Name: m.Name, HostPath: m.Path, MountPath: m.Path, ReadOnly: !m.Writable, PathType: pathType})
	}
}

// addRKE2 adds c to config.yaml: RKE2's own key for the file when it has
// one, else the flag and a read-only mount of the file.
func (s *Snippets) addRKE2(c Config, n Node) {
	r := &s.RKE2
	if n.RKE2Key != "" {
		r.Keys[n.RKE2Key] = n.Path
	} else {
		r.KubeAPIServerArg = append(r.KubeAPIServerArg, c.Flag()+"="+n.Path)
		r.KubeAPIServerExtraMount = append(r.KubeAPIServerExtraMount, n.Path+":"+n.Path+":ro")
	}
	for _, a := range n.Args {
		r.KubeAPIServerArg = append(r.KubeAPIServerArg, a.Name+"="+a.Value)
	}
	for _, m := range n.Mounts {
		mount := m.Path + ":" + m.Path
		if !m.Writable {
			mount += ":ro"
		}
		r.KubeAPIServerExtraMount = append(r.KubeAPIServerExtraMount, mount)
	}
}

// addTalos adds c to the Talos patch: inline under Talos's own key when it
// has one, else machine.files writes the rendering to Talos.Path (under
// /var, the only place machine.files may create a file), extraArgs points
// the flag at it and an extra volume mounts it read-only.
func (s *Snippets) addTalos(c Config, n Node) error {
	a := &s.Talos.Cluster.APIServer
	if n.Talos.InlineKey != "" {
		a.Inline[n.Talos.InlineKey] = n.Talos.Inline
	} else {
		p := n.Talos.Path
		if !path.IsAbs(p) || path.Clean(p) != p || !strings.HasPrefix(p, "/var/") {
			return fmt.Errorf("%s snippets: Talos path %q: not a clean absolute path under /var/, where Talos's machine.files may create a file", c.Name(), p)
		}
		body, err := c.Render()
		if err != nil {
			return err
		}
		if s.Talos.Machine == nil {
			s.Talos.Machine = &TalosMachine{}
		}
		// World-readable like any config file: Talos runs the API server as a
		// non-root UID. A file holding a secret does not belong here.
		s.Talos.Machine.Files = append(s.Talos.Machine.Files, TalosMachineFile{Content: string(body), Permissions: 0o644, Path: p, Op: "create"})
		a.ExtraArgs[c.Flag()] = p
		a.ExtraVolumes = append(a.ExtraVolumes, TalosVolume{HostPath: p, MountPath: p, ReadOnly: true})
	}
	for _, arg := range n.Args {
		a.ExtraArgs[arg.Name] = arg.Value
	}
	for _, m := range n.Mounts {
		if !m.TalosProvides {
			a.ExtraVolumes = append(a.ExtraVolumes, TalosVolume{HostPath: m.Path, MountPath: m.Path, ReadOnly: !m.Writable})
		}
	}
	return nil
}

// RenderSnippets returns each snippet file's content by file name.
func RenderSnippets(configs []Config) (map[string][]byte, error) {
	s, err := BuildSnippets(configs)
	if err != nil {
		return nil, err
	}
	header := snippetHeader(configs)
	out := map[string][]byte{}
	for name, v := range map[string]any{KubeadmFile: s.Kubeadm, RKE2File: s.RKE2, TalosFile: s.Talos} {
		b, err := yaml.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("apiserver snippet %s: %w", name, err)
		}
		out[name] = append([]byte("# "+name+header), b...)
	}
	return out, nil
}

// RenderAll returns every config's file and the three snippets, by file
// name: what `rampart apiserver render` writes into one directory.
func RenderAll(configs []Config) (map[string][]byte, error) {
	out, err := RenderSnippets(configs)
	if err != nil {
		return nil, err
	}
	for _, c := range configs {
		if _, dup := out[c.FileName()]; dup {
			return nil, fmt.Errorf("apiserver: %s's file name %s is taken", c.Name(), c.FileName())
		}
		b, err := c.Render()
		if err != nil {
			return nil, err
		}
		out[c.FileName()] = b
	}
	return out, nil
}

func snippetHeader(configs []Config) string {
	flags := make([]string, 0, len(configs))
	for _, c := range configs {
		flags = append(flags, "--"+c.Flag())
	}
	return ": rendered by `rampart apiserver` from apiserver/.\n" +
		"# Each file is loaded through a kube-apiserver flag (" + strings.Join(flags, ", ") + "), not an API object:\n" +
		"# merge this into the control-plane nodes' configuration; Pulumi cannot apply it.\n"
}
