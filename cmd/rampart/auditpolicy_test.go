package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/auditpolicy"
)

// The lab's kube-apiserver and the e2e test compare bytes with this
// output, so the CLI adds nothing to the rendering.
func TestAuditPolicy_StdoutIsTheRendering(t *testing.T) {
	want, err := auditpolicy.Render(&auditpolicy.Args{})
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"audit-policy"}, strings.NewReader(""), &out, &errb)
	if code != exitOK || !bytes.Equal(out.Bytes(), want) || errb.Len() != 0 {
		t.Errorf("exit %d, %d bytes (want %d, equal %v), stderr %q", code, out.Len(), len(want), bytes.Equal(out.Bytes(), want), errb.String())
	}
}

func TestAuditPolicy_OutAndSnippetsWriteFiles(t *testing.T) {
	dir := t.TempDir()
	a := auditpolicy.Args{PolicyPath: "/etc/rancher/rke2/audit-policy.yaml", LogPath: "/var/log/kube-audit.log"}
	want, err := auditpolicy.Render(&a)
	if err != nil {
		t.Fatal(err)
	}
	snips, err := auditpolicy.RenderSnippets(&a)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "policy.yaml")
	code, stdout, stderr := cli(t, "", "audit-policy", "--out", out, "--snippets", filepath.Join(dir, "nodes"),
		"--policy-path", a.PolicyPath, "--log-path", a.LogPath)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %d bytes, stderr %q; want 0 and nothing on stdout", code, len(stdout), stderr)
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
		t.Errorf("--out: %v, equal %v", err, bytes.Equal(got, want))
	}
	carried := 0
	for name, body := range snips {
		got, err := os.ReadFile(filepath.Join(dir, "nodes", name))
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("--snippets %s: %v, equal %v", name, err, bytes.Equal(got, body))
		}
		if bytes.Contains(got, []byte(a.PolicyPath)) {
			carried++
		}
	}
	if len(snips) == 0 || carried == 0 {
		t.Errorf("%d snippets, %d carry --policy-path %s; want the flag to reach the snippets", len(snips), carried, a.PolicyPath)
	}
}
