package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/apiserver"
	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
)

// The lab's kube-apiserver and the e2e test compare bytes with this
// output, so the CLI adds nothing to the rendering; the hidden
// `rampart audit-policy` prints the same bytes.
func TestAPIServerAuditPolicy_StdoutIsTheRendering(t *testing.T) {
	want, err := auditpolicy.Render(&auditpolicy.Args{})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"apiserver", "audit-policy"}, {"audit-policy"}} {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if code != exitOK || !bytes.Equal(out.Bytes(), want) || errb.Len() != 0 {
			t.Errorf("%v: exit %d, %d bytes (want %d, equal %v), stderr %q", args, code, out.Len(), len(want), bytes.Equal(out.Bytes(), want), errb.String())
		}
	}
}

func TestAPIServerAuditPolicy_OutAndSnippetsWriteFiles(t *testing.T) {
	a := auditpolicy.Args{PolicyPath: "/etc/rancher/rke2/audit-policy.yaml", LogPath: "/var/log/kube-audit.log"}
	want, err := auditpolicy.Render(&a)
	if err != nil {
		t.Fatal(err)
	}
	snips, err := apiserver.RenderSnippets([]apiserver.Config{apiserver.AuditPolicy(&a)})
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"apiserver", "audit-policy"}, {"audit-policy"}} {
		dir := t.TempDir()
		out := filepath.Join(dir, "policy.yaml")
		code, stdout, stderr := cli(t, "", append(cmd, "--out", out, "--snippets", filepath.Join(dir, "nodes"),
			"--policy-path", a.PolicyPath, "--log-path", a.LogPath)...)
		if code != exitOK || stdout != "" {
			t.Fatalf("%v: exit %d, stdout %d bytes, stderr %q; want 0 and nothing on stdout", cmd, code, len(stdout), stderr)
		}
		if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%v --out: %v, equal %v", cmd, err, bytes.Equal(got, want))
		}
		carried := 0
		for name, body := range snips {
			got, err := os.ReadFile(filepath.Join(dir, "nodes", name))
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%v --snippets %s: %v, equal %v", cmd, name, err, bytes.Equal(got, body))
			}
			if bytes.Contains(got, []byte(a.PolicyPath)) {
				carried++
			}
		}
		if len(snips) == 0 || carried == 0 {
			t.Errorf("%d snippets, %d carry --policy-path %s; want the flag to reach the snippets", len(snips), carried, a.PolicyPath)
		}
	}
}

// render writes every registered file and the snippets, the same bytes the
// packages render, and nothing else.
func TestAPIServerRender_WritesEveryRegisteredFileAndTheSnippets(t *testing.T) {
	s := apiserver.Settings{Audit: auditpolicy.Args{LogPath: "/var/log/kube-audit/audit.log"}}
	want, err := apiserver.RenderAll(apiserver.Configs(&s))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "nodes")
	code, stdout, stderr := cli(t, "", "apiserver", "render", "--out", dir, "--log-path", s.Audit.LogPath)
	if code != exitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%d files written, want %d", len(entries), len(want))
	}
	for name, body := range want {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || !bytes.Equal(got, body) {
			t.Errorf("%s: %v, equal %v", name, err, bytes.Equal(got, body))
		}
	}
	policy, _ := os.ReadFile(filepath.Join(dir, "audit-policy.yaml"))
	if direct, _ := auditpolicy.Render(nil); !bytes.Equal(policy, direct) {
		t.Error("render's audit-policy.yaml differs from `rampart apiserver audit-policy`'s output")
	}
}

func TestAPIServerRender_WithoutOutIsAUsageError(t *testing.T) {
	code, _, stderr := cli(t, "", "apiserver", "render")
	if code != exitError || !strings.Contains(stderr, `"out"`) {
		t.Errorf("exit %d, stderr %q; want exit 1 naming --out", code, stderr)
	}
}

// Every registered config has its subcommand with an example; the alias
// stays out of the command list.
func TestAPIServer_EveryConfigHasASubcommandAndTheAliasIsHidden(t *testing.T) {
	for _, c := range apiserver.Registered(nil) {
		code, stdout, _ := cli(t, "", "apiserver", c.Name(), "--help")
		if code != exitOK || !strings.Contains(stdout, "rampart apiserver "+c.Name()+" --out") || !strings.Contains(stdout, "--"+c.Flag()) {
			t.Errorf("apiserver %s --help: exit %d:\n%s", c.Name(), code, stdout)
		}
	}
	_, help, _ := cli(t, "", "--help")
	if strings.Contains(help, "  audit-policy ") {
		t.Errorf("the audit-policy alias is listed in --help:\n%s", help)
	}
}
