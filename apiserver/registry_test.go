package apiserver_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/apiserver"
	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
	"github.com/rampart-dev/rampart/apiserver/authn"
	"github.com/rampart-dev/rampart/apiserver/encryption"
	"github.com/rampart-dev/rampart/internal/testca"
	"sigs.k8s.io/yaml"
)

// genericConfig is a file no distribution knows by name (as the
// authentication and encryption configurations will be): it takes the
// generic form in every snippet.
type genericConfig struct{}

func (genericConfig) Name() string            { return "example-config" }
func (genericConfig) Flag() string            { return "example-config-file" }
func (genericConfig) FileName() string        { return "example-config.yaml" }
func (genericConfig) Render() ([]byte, error) { return []byte("kind: Example\n"), nil }
func (genericConfig) Node() (apiserver.Node, error) {
	return apiserver.Node{
		Path:   "/etc/kubernetes/example-config.yaml",
		Args:   []apiserver.Arg{{Name: "example-reload-interval", Value: "1m"}},
		Mounts: []apiserver.Mount{{Name: "example-ca", Path: "/etc/kubernetes/example-ca"}},
		Talos:  apiserver.TalosSpec{Path: "/var/etc/kubernetes/example-config.yaml"},
	}, nil
}

// allOn returns settings that turn every registered config on (an issuer and
// its CA for the authentication configuration, a KMS plugin's socket for the
// encryption configuration).
func allOn(t *testing.T) *apiserver.Settings {
	t.Helper()
	return &apiserver.Settings{
		Authn:      authn.Args{IssuerURL: "https://keycloak.example/realms/platform", CertificateAuthority: testca.PEM(t)},
		Encryption: encryption.Args{Endpoint: "unix:///var/run/kmsplugin/socket.sock"},
	}
}

func TestConfigs_AuthenticationOnlyWithAnIssuer(t *testing.T) {
	names := func(cs []apiserver.Config) (out []string) {
		for _, c := range cs {
			out = append(out, c.Name())
		}
		return out
	}
	if got := names(apiserver.Configs(nil)); slices.Contains(got, "authentication-config") {
		t.Errorf("Configs(nil) = %v: without an issuer there is no authentication configuration to write", got)
	}
	if got := names(apiserver.Configs(nil)); slices.Contains(got, "encryption-provider-config") {
		t.Errorf("Configs(nil) = %v: without a KMS endpoint there is no encryption configuration to write", got)
	}
	s := allOn(t)
	if got, all := names(apiserver.Configs(s)), names(apiserver.Registered(s)); !reflect.DeepEqual(got, all) {
		t.Errorf("Configs with an issuer = %v, want every registered config %v", got, all)
	}
}

func TestConfigs_NamesFlagsAndFilesAreUnique(t *testing.T) {
	configs := apiserver.Registered(allOn(t))
	if len(configs) == 0 {
		t.Fatal("no config registered")
	}
	seen := map[string]string{}
	for _, c := range configs {
		n, err := c.Node()
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		keys := []string{"name " + c.Name(), "flag " + c.Flag(), "file " + c.FileName(), "path " + n.Path}
		for _, a := range n.Args {
			keys = append(keys, "flag "+a.Name)
		}
		for _, k := range keys {
			if by, ok := seen[k]; ok {
				t.Errorf("%s and %s share the %s", by, c.Name(), k)
			}
			seen[k] = c.Name()
		}
		for _, s := range []string{apiserver.KubeadmFile, apiserver.RKE2File, apiserver.TalosFile} {
			if c.FileName() == s {
				t.Errorf("%s's file is named like the snippet %s", c.Name(), s)
			}
		}
		if strings.HasPrefix(c.Flag(), "-") || !strings.HasSuffix(c.FileName(), ".yaml") {
			t.Errorf("%s: flag %q (without dashes) and file %q (.yaml) malformed", c.Name(), c.Flag(), c.FileName())
		}
		if got, ok := apiserver.Lookup(configs, c.Name()); !ok || got.Flag() != c.Flag() {
			t.Errorf("Lookup(%q) = %v, %v", c.Name(), got, ok)
		}
	}
}

// snippetTree renders configs' snippets and reads them back as plain YAML.
func snippetTree(t *testing.T, configs []apiserver.Config) map[string]map[string]any {
	t.Helper()
	files, err := apiserver.RenderSnippets(configs)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for name, b := range files {
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = m
	}
	return out
}

// contains reports whether every key of a map in sub is in all with a value
// that contains sub's, every list element of sub is in all's list, and
// scalars are equal: sub's snippet appears in all's.
func contains(all, sub any) bool {
	switch s := sub.(type) {
	case map[string]any:
		a, ok := all.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range s {
			if !contains(a[k], v) {
				return false
			}
		}
		return true
	case []any:
		a, ok := all.([]any)
		if !ok {
			return false
		}
		for _, v := range s {
			if !slices.ContainsFunc(a, func(x any) bool { return reflect.DeepEqual(x, v) }) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(all, sub)
	}
}

// TestSnippets_EveryConfigAppearsInEveryDistribution: each registered
// config's own snippet (its flag, file and mounts) is part of the snippet
// of every distribution written for all configs together, and says how the
// file is loaded there. The generic config stands for the next files.
func TestSnippets_EveryConfigAppearsInEveryDistribution(t *testing.T) {
	configs := append(apiserver.Registered(allOn(t)), genericConfig{})
	all := snippetTree(t, configs)
	for _, c := range configs {
		n, err := c.Node()
		if err != nil {
			t.Fatal(err)
		}
		solo := snippetTree(t, []apiserver.Config{c})
		for _, dist := range []string{apiserver.KubeadmFile, apiserver.RKE2File, apiserver.TalosFile} {
			if !contains(all[dist], solo[dist]) {
				t.Errorf("%s's %s is not part of the combined one:\n%v\n---\n%v", c.Name(), dist, solo[dist], all[dist])
			}
		}
		// kubeadm: the flag names the file, mounted read-only.
		k, _ := yaml.Marshal(all[apiserver.KubeadmFile])
		if !strings.Contains(string(k), "name: "+c.Flag()+"\n    value: "+n.Path+"\n") {
			t.Errorf("kubeadm lacks --%s=%s:\n%s", c.Flag(), n.Path, k)
		}
		// RKE2: its own key or the flag.
		r := all[apiserver.RKE2File]
		args, _ := r["kube-apiserver-arg"].([]any)
		if n.RKE2Key != "" && r[n.RKE2Key] != n.Path || n.RKE2Key == "" && !slices.Contains(args, any(c.Flag()+"="+n.Path)) {
			t.Errorf("rke2 does not load %s: %v", c.Name(), r)
		}
		// Talos: inline under its own key, or the flag on a machine file.
		api, _ := all[apiserver.TalosFile]["cluster"].(map[string]any)["apiServer"].(map[string]any)
		extra, _ := api["extraArgs"].(map[string]any)
		if n.Talos.InlineKey != "" && api[n.Talos.InlineKey] == nil || n.Talos.InlineKey == "" && extra[c.Flag()] != n.Talos.Path {
			t.Errorf("talos does not load %s: %v", c.Name(), api)
		}
		for _, a := range n.Args {
			if extra[a.Name] != a.Value {
				t.Errorf("talos extraArgs lacks %s=%s", a.Name, a.Value)
			}
		}
	}
}

func TestSnippets_GenericConfigTakesTheFlagAndAReadOnlyFile(t *testing.T) {
	g := genericConfig{}
	tree := snippetTree(t, []apiserver.Config{g})
	r := tree[apiserver.RKE2File]
	if !reflect.DeepEqual(r["kube-apiserver-extra-mount"], []any{
		"/etc/kubernetes/example-config.yaml:/etc/kubernetes/example-config.yaml:ro",
		"/etc/kubernetes/example-ca:/etc/kubernetes/example-ca:ro"}) {
		t.Errorf("rke2 mounts = %v, want the file and the directory read-only", r["kube-apiserver-extra-mount"])
	}
	files, _ := tree[apiserver.TalosFile]["machine"].(map[string]any)["files"].([]any)
	if len(files) != 1 || files[0].(map[string]any)["path"] != "/var/etc/kubernetes/example-config.yaml" ||
		files[0].(map[string]any)["content"] != "kind: Example\n" || files[0].(map[string]any)["op"] != "create" {
		t.Errorf("talos machine.files = %v, want the rendering at its /var path", files)
	}
	k, _ := yaml.Marshal(tree[apiserver.KubeadmFile])
	for _, want := range []string{"name: example-config\n    pathType: File\n    readOnly: true", "name: example-ca\n    pathType: Directory\n    readOnly: true"} {
		if !strings.Contains(string(k), want) {
			t.Errorf("kubeadm lacks %q:\n%s", want, k)
		}
	}
}

func TestSnippets_RefuseTwoConfigsClaimingOneFlag(t *testing.T) {
	_, err := apiserver.RenderSnippets(append(apiserver.Configs(nil), apiserver.AuditPolicy(nil)))
	if err == nil || !strings.Contains(err.Error(), `both claim the flag "audit-policy-file"`) {
		t.Errorf("err = %v, want the shared flag named", err)
	}
}

// The snippets of bad args would put a node on a path the policy's own
// validation refuses; the writer refuses them the same way.
func TestSnippets_RefuseWhatTheAuditArgsRefuse(t *testing.T) {
	for _, a := range []auditpolicy.Args{
		{PolicyPath: "audit-policy.yaml"},
		{LogPath: "-"},
		{PolicyPath: "/var/log/audit/kube/policy.yaml"},
		{MaxAge: -1},
	} {
		if _, err := apiserver.RenderSnippets(apiserver.Configs(&apiserver.Settings{Audit: a})); err == nil {
			t.Errorf("snippets rendered for %+v, which Validate refuses", a)
		}
		if _, err := apiserver.RenderAll(apiserver.Configs(&apiserver.Settings{Audit: a})); err == nil {
			t.Errorf("files rendered for %+v, which Validate refuses", a)
		}
	}
}

func TestRenderAll_WritesEveryFileAndTheSnippets(t *testing.T) {
	configs := apiserver.Configs(allOn(t))
	files, err := apiserver.RenderAll(configs)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(configs)+3 {
		t.Errorf("%d files, want %d configs + 3 snippets", len(files), len(configs))
	}
	for _, c := range configs {
		want, _ := c.Render()
		if !reflect.DeepEqual(files[c.FileName()], want) {
			t.Errorf("%s differs from %s's rendering", c.FileName(), c.Name())
		}
	}
}
