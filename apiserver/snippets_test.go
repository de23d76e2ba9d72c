package apiserver_test

import (
	"bytes"
	"path"
	"slices"
	"strconv"
	"testing"

	"github.com/rampart-dev/rampart/apiserver"
	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
	"k8s.io/apiserver/pkg/audit/policy"
	"sigs.k8s.io/yaml"
)

// parsed is one snippet read back as plain YAML (what the distribution's
// own loader would see), strictly: the header must be a comment.
func parsed(t *testing.T, files map[string][]byte, name string) map[string]any {
	t.Helper()
	b, ok := files[name]
	if !ok {
		t.Fatalf("no snippet %s (have %d)", name, len(files))
	}
	if !bytes.Contains(b, []byte("not an API object")) {
		t.Errorf("%s does not say its files are API-server flags, not API objects", name)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s is not YAML: %v\n%s", name, err, b)
	}
	return m
}

func dig(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

func TestSnippets_NameTheSamePolicyAndLogAsTheArgs(t *testing.T) {
	for name, args := range map[string]*auditpolicy.Args{
		"defaults": nil,
		"custom paths and rotation": {PolicyPath: "/etc/rancher/rke2/audit-policy.yaml", LogPath: "/var/log/kube-audit/audit.log",
			MaxAge: 90, MaxBackup: 20, MaxSize: 200},
	} {
		t.Run(name, func(t *testing.T) {
			a := auditpolicy.Args{PolicyPath: auditpolicy.DefaultPolicyPath, LogPath: auditpolicy.DefaultLogPath, MaxAge: 30, MaxBackup: 10, MaxSize: 100}
			if args != nil {
				a = *args
			}
			logDir := path.Dir(a.LogPath)
			flags := map[string]string{"audit-log-path": a.LogPath, "audit-log-maxage": strconv.Itoa(a.MaxAge),
				"audit-log-maxbackup": strconv.Itoa(a.MaxBackup), "audit-log-maxsize": strconv.Itoa(a.MaxSize)}
			files, err := apiserver.RenderSnippets([]apiserver.Config{apiserver.AuditPolicy(args)})
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 3 {
				t.Errorf("%d snippets, want kubeadm, RKE2 and Talos", len(files))
			}

			// kubeadm: flags, the policy mounted read-only as a file, the log dir writable.
			k := parsed(t, files, apiserver.KubeadmFile)
			if k["apiVersion"] != "kubeadm.k8s.io/v1beta4" || k["kind"] != "ClusterConfiguration" {
				t.Errorf("kubeadm apiVersion/kind = %v/%v", k["apiVersion"], k["kind"])
			}
			got := map[string]string{}
			for _, e := range dig(k, "apiServer", "extraArgs").([]any) {
				got[e.(map[string]any)["name"].(string)] = e.(map[string]any)["value"].(string)
			}
			want := map[string]string{"audit-policy-file": a.PolicyPath}
			for f, v := range flags {
				want[f] = v
			}
			if !mapsEqual(got, want) {
				t.Errorf("kubeadm extraArgs = %v, want %v", got, want)
			}
			var policyMount, logMount map[string]any
			for _, v := range dig(k, "apiServer", "extraVolumes").([]any) {
				switch v := v.(map[string]any); v["hostPath"] {
				case a.PolicyPath:
					policyMount = v
				case logDir:
					logMount = v
				}
			}
			if policyMount == nil || policyMount["mountPath"] != a.PolicyPath || policyMount["readOnly"] != true || policyMount["pathType"] != "File" {
				t.Errorf("kubeadm policy mount = %v, want %s read-only as a File", policyMount, a.PolicyPath)
			}
			if logMount == nil || logMount["mountPath"] != logDir || logMount["readOnly"] != false {
				t.Errorf("kubeadm log mount = %v, want %s writable", logMount, logDir)
			}

			// RKE2: the policy file option, the log flags, the log dir mounted.
			r := parsed(t, files, apiserver.RKE2File)
			if r["audit-policy-file"] != a.PolicyPath {
				t.Errorf("rke2 audit-policy-file = %v, want %s", r["audit-policy-file"], a.PolicyPath)
			}
			var rargs []string
			for _, v := range r["kube-apiserver-arg"].([]any) {
				rargs = append(rargs, v.(string))
			}
			for f, v := range flags {
				if !slices.Contains(rargs, f+"="+v) {
					t.Errorf("rke2 kube-apiserver-arg %v lacks %s=%s", rargs, f, v)
				}
			}
			if m := r["kube-apiserver-extra-mount"]; len(m.([]any)) != 1 || m.([]any)[0] != logDir+":"+logDir {
				t.Errorf("rke2 extra mount = %v, want %s:%s", m, logDir, logDir)
			}

			// Talos: the same policy inline (the API server's loader accepts it),
			// the log flags, an extra volume only outside Talos's own log dir.
			tp := parsed(t, files, apiserver.TalosFile)
			inline, err := yaml.Marshal(dig(tp, "cluster", "apiServer", "auditPolicy"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := policy.LoadPolicyFromBytes(inline); err != nil {
				t.Errorf("talos inline policy refused by the API server's loader: %v", err)
			}
			file, _ := auditpolicy.Render(args)
			fileBody := bytes.TrimPrefix(file, []byte(auditpolicy.Header))
			if !bytes.Equal(reMarshal(t, fileBody), inline) {
				t.Errorf("talos inline policy differs from the policy file:\n%s\n---\n%s", inline, fileBody)
			}
			targs := map[string]string{}
			for f, v := range dig(tp, "cluster", "apiServer", "extraArgs").(map[string]any) {
				targs[f] = v.(string)
			}
			if !mapsEqual(targs, flags) {
				t.Errorf("talos extraArgs = %v, want %v", targs, flags)
			}
			vols, _ := dig(tp, "cluster", "apiServer", "extraVolumes").([]any)
			if logDir == path.Dir(auditpolicy.TalosLogPath) && len(vols) != 0 {
				t.Errorf("talos extraVolumes = %v: Talos mounts its own audit dir", vols)
			}
			if logDir != path.Dir(auditpolicy.TalosLogPath) && (len(vols) != 1 || dig(vols[0], "hostPath") != logDir || dig(vols[0], "readonly") != false) {
				t.Errorf("talos extraVolumes = %v, want %s writable", vols, logDir)
			}
		})
	}
}

func reMarshal(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
