// Package apiserver is the room for the files kube-apiserver itself loads
// through a flag: the audit policy today (--audit-policy-file), the
// authentication and encryption configurations next (--authentication-config,
// --encryption-provider-config). None of them is an API object: nothing in
// the Kubernetes API accepts them, so Pulumi cannot apply them to a running
// cluster, and no package here registers a Pulumi resource.
//
// Every file follows one pattern:
//
//   - typed upstream structs (audit.k8s.io/v1 Policy; apiserver.config.k8s.io
//     AuthenticationConfiguration, EncryptionConfiguration) built and
//     validated in Go, serialised with sigs.k8s.io/yaml — never a template;
//   - a Config (this file) that says which flag loads the file and what else
//     the file needs on a control-plane node (further flags, host mounts);
//   - the kubeadm, RKE2 and Talos snippets, written for every registered
//     Config at once by one generic writer (snippets.go);
//   - `rampart apiserver <name>` and `rampart apiserver render`, and the lab's
//     kube-apiserver started on exactly the rendered bytes.
//
// Adding a file is its typed package (or, for a small one, a file here), one
// Config implementation and one line in Configs (registry.go).
//
// The floor: below components (a component may quote a default, such as the
// audit log path its agent tails), above helpers. Nothing here reads stack
// config or builds a provider.
package apiserver

// Config is one file kube-apiserver loads through a flag.
type Config interface {
	// Name names the file on the command line (`rampart apiserver NAME`), in
	// errors and as the kubeadm volume that mounts it, e.g. "audit-policy".
	Name() string
	// Flag is the kube-apiserver flag, without "--", whose value is the
	// file's path on the node, e.g. "audit-policy-file".
	Flag() string
	// FileName is the file's base name in a rendered directory, e.g.
	// "audit-policy.yaml".
	FileName() string
	// Render validates the config's args and returns the file, byte for byte
	// what the API server loads.
	Render() ([]byte, error)
	// Node validates the config's args and says what the file needs on a
	// control-plane node, in distribution-neutral terms.
	Node() (Node, error)
}

// Node is what one Config asks of every control-plane node. The snippet
// writer turns it into each distribution's own keys.
type Node struct {
	// Path is the file's absolute path on the node: the value of the
	// config's Flag, mounted read-only into the API server as a single file
	// (the server can read its configuration, never rewrite it).
	Path string
	// Args are further kube-apiserver flags the file comes with (names
	// without "--"), in the order they are written.
	Args []Arg
	// Mounts are further host directories the API server needs, e.g. the
	// audit log's.
	Mounts []Mount
	// RKE2Key is the RKE2 config.yaml key for the file when RKE2 has one of
	// its own (audit-policy-file: RKE2 then sets the flag and mounts the file
	// itself). Empty: the flag goes to kube-apiserver-arg and the file to
	// kube-apiserver-extra-mount, read-only.
	RKE2Key string
	// Talos is how a Talos machine config carries the file.
	Talos TalosSpec
}

// TalosSpec is how a Talos v1alpha1 machine config carries one file.
type TalosSpec struct {
	// InlineKey is the cluster.apiServer key under which Talos takes the
	// file's content and then writes the file and sets the flag itself
	// (auditPolicy). Empty: the file is written by machine.files to Path,
	// the flag set in extraArgs and the file mounted read-only.
	InlineKey string
	// Inline is the typed object under InlineKey, marshalled with the same
	// JSON tags as the file.
	Inline any
	// Path is the file's path on a Talos node when it is not inline. Talos
	// writes machine.files only under /var, so the generic Path
	// (/etc/kubernetes/…) does not apply there.
	Path string
}

// Arg is one kube-apiserver flag, name without "--".
type Arg struct {
	Name  string
	Value string
}

// Mount is a host directory mounted into the kube-apiserver static pod at
// the same path.
type Mount struct {
	// Name is the kubeadm volume name; unique across every registered config.
	Name string
	// Path is the directory, absolute, the same on the host and in the pod.
	Path string
	// Writable mounts it read-write (a log directory); created when missing.
	// A read-only directory must exist.
	Writable bool
	// TalosProvides is true when Talos already prepares and mounts this
	// directory for its API server (its audit log directory): the Talos
	// patch then carries no extra volume for it.
	TalosProvides bool
}
