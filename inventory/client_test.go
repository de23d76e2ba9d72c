package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: https://127.0.0.1:6443
contexts:
- name: lab
  context: {cluster: lab, user: admin}
- name: prod
  context: {cluster: lab, user: admin}
current-context: lab
users:
- name: admin
  user: {token: not-a-secret}
`

func writeKubeconfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConnect_UsesTheCurrentContext(t *testing.T) {
	c, err := Connect(writeKubeconfig(t, testKubeconfig), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "https://127.0.0.1:6443" || c.Dynamic == nil || c.Kube == nil {
		t.Errorf("client = %+v, want host https://127.0.0.1:6443 with both clients", c)
	}
	if c.Config.QPS != clientQPS {
		t.Errorf("QPS = %v, want %v", c.Config.QPS, clientQPS)
	}
}

func TestConnect_ErrorsNameTheFileContextAndFix(t *testing.T) {
	good := writeKubeconfig(t, testKubeconfig)
	noCurrent := writeKubeconfig(t, strings.Replace(testKubeconfig, "current-context: lab", "", 1))
	missing := filepath.Join(t.TempDir(), "absent")
	for _, tc := range []struct {
		test, file, context string
		want                []string
	}{
		{"UnknownContext", good, "staging", []string{good, `"staging"`, "--context", "lab, prod"}},
		{"NoCurrentContext", noCurrent, "", []string{noCurrent, "no current-context", "--context"}},
		{"MissingFile", missing, "", []string{missing, "--kubeconfig"}},
	} {
		t.Run(tc.test, func(t *testing.T) {
			_, err := Connect(tc.file, tc.context)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestConnect_EmptyKubeconfigFollowsKUBECONFIG(t *testing.T) {
	p := writeKubeconfig(t, testKubeconfig)
	t.Setenv("KUBECONFIG", p)
	c, err := Connect("", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "https://127.0.0.1:6443" {
		t.Errorf("host %q", c.Host)
	}
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	if _, err := Connect("", ""); err == nil || !strings.Contains(err.Error(), "KUBECONFIG") {
		t.Errorf("no kubeconfig anywhere: error %v, want one saying to set KUBECONFIG", err)
	}
}
