package apiserver_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-dev/rampart/apiserver"
	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
)

// TestSnippets_BodiesAreThoseBeforeTheMove: testdata/before-move holds the
// snippets `rampart audit-policy --snippets` wrote from components/auditpolicy
// before the generic writer, without their three comment lines (the header
// now names the room and every flag). The YAML a node configuration merges
// must not change with the move.
func TestSnippets_BodiesAreThoseBeforeTheMove(t *testing.T) {
	for dir, args := range map[string]auditpolicy.Args{
		"default": {},
		"custom":  {PolicyPath: "/etc/rancher/rke2/audit-policy.yaml", LogPath: "/var/log/kube-audit/audit.log"},
	} {
		files, err := apiserver.RenderSnippets(apiserver.Configs(&apiserver.Settings{Audit: args}))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{apiserver.KubeadmFile, apiserver.RKE2File, apiserver.TalosFile} {
			want, err := os.ReadFile(filepath.Join("testdata", "before-move", dir, name))
			if err != nil {
				t.Fatal(err)
			}
			got := files[name]
			for range 3 { // the header's three comment lines
				if !bytes.HasPrefix(got, []byte("# ")) {
					t.Fatalf("%s/%s: header shorter than three comment lines:\n%s", dir, name, files[name])
				}
				got = got[bytes.IndexByte(got, '\n')+1:]
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s differs from before the move:\n--- now\n%s\n--- before\n%s", dir, name, got, want)
			}
		}
	}
}
