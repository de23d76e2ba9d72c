package auditpolicy_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
)

// TestRender_BytesAreThoseBeforeTheMove: testdata/policy.golden.yaml is the
// output of `rampart audit-policy` built from components/auditpolicy, before
// the package moved into the apiserver room. Every node and the lab's
// kube-apiserver load these bytes; the move was to change none of them. A
// deliberate change to the policy updates the golden file in the same commit.
func TestRender_BytesAreThoseBeforeTheMove(t *testing.T) {
	want, err := os.ReadFile("testdata/policy.golden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string]*auditpolicy.Args{
		"nil args":    nil,
		"zero args":   {},
		"other paths": {PolicyPath: "/etc/rancher/rke2/audit-policy.yaml", LogPath: "/var/log/kube-audit/audit.log", MaxAge: 90},
	} {
		got, err := auditpolicy.Render(args)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the rendered policy differs from testdata/policy.golden.yaml:\n%s", name, got)
		}
	}
}
