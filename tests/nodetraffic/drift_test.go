package nodetraffic_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/rampart-dev/rampart/drift"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
	"github.com/rampart-dev/rampart/tests/nodetraffic"
)

// driftPrefix keeps this stack's namespaces apart from the other node tests'.
const driftPrefix = "nd-"

// logWriter sends CLI progress to the test log.
type logWriter = testkit.LogWriter

// TestNodeDrift_DeletedPoliciesShowByTrafficAndAreRestored_RealNode:
// Rampart's program is deployed onto the lab node's cluster with the real
// Pulumi CLI (the local stack's configuration, namespaces prefixed); probe
// pods prove tenant isolation; a tenant's default-deny-all and
// tenant-isolation are deleted out of band and the matrix shows the hole;
// the built `rampart drift` exits 2 with a report naming them (and this
// test's probe pods as unmanaged objects),
// `rampart drift --fix` restores them (exit 2: it never deletes the probe
// pods), and the matrix is clean again.
func TestNodeDrift_DeletedPoliciesShowByTrafficAndAreRestored_RealNode(t *testing.T) {
	n := nodetraffic.RequireNode(t)
	labenv.RequireCommand(t, "pulumi")
	t.Setenv("KUBECONFIG", n.Kubeconfig)
	work := t.TempDir()
	testkit.WriteProject(t, "../..", work)
	stackFile, _ := json.Marshal(map[string]any{"config": testkit.PrefixedLocalConfig(driftPrefix)})
	if err := os.WriteFile(filepath.Join(work, "Pulumi.nodedrift.yaml"), stackFile, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stk, err := auto.UpsertStackInlineSource(ctx, "nodedrift", "rampart", stacks.Program,
		auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert the nodedrift stack: %v", err)
	}
	if _, err := stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("clean up a previous run: %v", err)
	}
	t.Cleanup(func() {
		_, _ = n.Kubectl("", "delete", "namespace", driftPrefix+"outside", "--wait=false", "--ignore-not-found")
		_, _ = stk.Destroy(ctx)
	})
	start := time.Now()
	if _, err := stk.Up(ctx, optup.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("pulumi up of Rampart's program on the node's cluster: %v", err)
	}
	t.Logf("pulumi up on the node's cluster in %s", time.Since(start).Round(time.Millisecond))

	teamA, teamB, outside := driftPrefix+"team-a", driftPrefix+"team-b", driftPrefix+"outside"
	n.Apply(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: "+outside+"}")
	var clients, servers []nodetraffic.Peer
	var manifests []string
	for _, ns := range []string{teamA, teamB, outside} {
		manifests = append(manifests, podYAML(n, ns, "client", map[string]string{"app": "probe-client"}, "pause"))
		clients = append(clients, nodetraffic.Peer{Namespace: ns, Pod: "client", Labels: map[string]string{"app": "probe-client"}})
		if ns != outside {
			manifests = append(manifests, podYAML(n, ns, "server", map[string]string{"app": "probe-server"}, "serve", `":8080"`))
			servers = append(servers, nodetraffic.Peer{Namespace: ns, Pod: "server", Labels: map[string]string{"app": "probe-server"}, Port: 8080})
		}
	}
	n.Apply(t, manifests...)
	for _, ns := range []string{teamA, teamB, outside} {
		if _, err := n.Kubectl("", "wait", "-n", ns, "--for=condition=Ready", "pod", "--all", "--timeout=90s"); err != nil {
			t.Fatalf("probe pods in %s not Ready: %v", ns, err)
		}
	}
	for i := range clients {
		clients[i].IP = n.PodIP(t, clients[i].Namespace, clients[i].Pod)
	}
	for i := range servers {
		servers[i].IP = n.PodIP(t, servers[i].Namespace, servers[i].Pod)
	}
	want := nodetraffic.NewMatrix(clients, servers)
	for _, c := range clients {
		for _, s := range servers {
			want.Set(c, s, c.Namespace == s.Namespace, "expected")
		}
	}
	simNS := []string{teamA, teamB, outside}
	clean := probeUntil(t, n, want)
	t.Logf("deployed by pulumi (probe connect):\n%s", clean)
	agree(t, "deployed", clean, nodetraffic.Simulate(t, n, simNS, clients, servers), want)

	for _, pol := range []string{"default-deny-all", "tenant-isolation"} {
		if _, err := n.Kubectl("", "delete", "networkpolicy", "-n", teamA, pol); err != nil {
			t.Fatal(err)
		}
	}
	holeSim := nodetraffic.Simulate(t, n, simNS, clients, servers)
	hole := probeUntil(t, n, holeSim)
	t.Logf("%s's default-deny-all and tenant-isolation deleted out of band (probe connect):\n%s", teamA, hole)
	if d := hole.Diff(holeSim, "dataplane", "cyclonus"); len(d) > 0 {
		t.Errorf("drifted: dataplane and cyclonus disagree:\n%s", strings.Join(d, "\n"))
	}
	outsider := clients[2]
	if !hole.Get(outsider, servers[0]) {
		t.Errorf("with %s's policies deleted, %s still cannot reach %s: the matrix does not show the hole", teamA, outsider, servers[0].Target())
	}

	// The CLI a scheduled job runs: exit 2 with the report, then --fix.
	rampart := testkit.BuildRampart(t, "../..")
	stackFlags := []string{"--stack", stk.Name(), "--dir", work, "-q"}
	report := driftReport(t, rampart, stackFlags)
	var found []string
	for _, c := range report.Changes {
		found = append(found, c.URN)
	}
	t.Logf("rampart drift found %d changes:\n%s", len(report.Changes), strings.Join(found, "\n"))
	for _, pol := range []string{"default-deny-all", "tenant-isolation"} {
		if _, ok := report.Find(teamA + "-policies-" + pol); !ok {
			t.Errorf("rampart drift did not report the deleted %s/%s", teamA, pol)
		}
	}
	// This test's own probe pods sit in the stack's namespaces without the
	// stack declaring them: the live inventory reports exactly those as
	// unmanaged (the outside namespace is not the stack's).
	var added []string
	for _, a := range report.Additions {
		added = append(added, a.Object)
	}
	slices.Sort(added)
	wantAdded := []string{"Pod " + teamA + "/client", "Pod " + teamA + "/server", "Pod " + teamB + "/client", "Pod " + teamB + "/server"}
	if !slices.Equal(added, wantAdded) {
		t.Errorf("rampart drift's unmanaged objects = %q, want this test's probe pods %q", added, wantAdded)
	}
	// --fix restores the policies and keeps the probe pods (it never
	// deletes an unmanaged object), so drift is still found: exit 2.
	start = time.Now()
	if code, out := rampart(t, append([]string{"drift", "--fix"}, stackFlags...)...); code != 2 || !strings.Contains(out, "Restored.") {
		t.Fatalf("rampart drift --fix: exit %d, want 2 (the probe pods stay) and \"Restored.\":\n%s", code, out)
	}
	t.Logf("rampart drift --fix in %s", time.Since(start).Round(time.Millisecond))
	fixed := probeUntil(t, n, want)
	t.Logf("after drift --fix (probe connect):\n%s", fixed)
	agree(t, "after drift --fix", fixed, nodetraffic.Simulate(t, n, simNS, clients, servers), want)
}

// driftReport runs the built `rampart drift --json` on a stack, wants exit
// 2 (drift found) and returns the report.
func driftReport(t *testing.T, rampart func(*testing.T, ...string) (int, string), stackFlags []string) drift.Report {
	t.Helper()
	reportFile := filepath.Join(t.TempDir(), "drift.json")
	if code, _ := rampart(t, append([]string{"drift", "--json", reportFile}, stackFlags...)...); code != 2 {
		t.Fatalf("rampart drift on the drifted cluster: exit %d, want 2", code)
	}
	raw, err := os.ReadFile(reportFile)
	if err != nil {
		t.Fatal(err)
	}
	var report drift.Report
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatalf("rampart drift --json: %v", err)
	}
	return report
}
