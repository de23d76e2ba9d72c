package nodetraffic_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/drift"
	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/testkit"
	"github.com/rampart-dev/rampart/stacks"
	"github.com/rampart-dev/rampart/tests/nodetraffic"
)

// livePrefix keeps this stack's namespaces apart from the other node tests'.
const livePrefix = "nl-"

// TestNodeLive_OutOfBandObjectsFailCheckDriftAndVerify_RealNode is issue
// 19's lab test, by the built CLI on the lab's real node. Rampart's program
// (the local stack's configuration, namespaces prefixed) is deployed with
// the real Pulumi CLI; `rampart check --live` (as the stack's read-only
// auditor) and `rampart verify` (as its verifier, probe pods on the node)
// pass. Then, out of band with the admin's kubectl: an allow-all
// NetworkPolicy in team-a, a RoleBinding of cluster-admin to team-b's
// default ServiceAccount, team-a's enforce label lowered to privileged and a
// privileged pod created there, a mutating webhook matching every pod.
// `check --live` fails naming each object; `drift` lists them as unmanaged
// (exit 2); `verify` fails on the pairs the allow-all opened; `drift --fix
// --prune` as the auditor is refused and changes nothing; as the deployer
// it restores the label and removes them; everything passes again.
func TestNodeLive_OutOfBandObjectsFailCheckDriftAndVerify_RealNode(t *testing.T) {
	n := nodetraffic.RequireNode(t)
	labenv.RequireCommand(t, "pulumi")
	t.Setenv("KUBECONFIG", n.Kubeconfig) // the deployer: the stack's provider and drift --fix
	work := t.TempDir()
	testkit.WriteProject(t, "../..", work)
	cfg := testkit.PrefixedLocalConfig(livePrefix)
	stackFile, _ := json.Marshal(map[string]any{"config": cfg})
	if err := os.WriteFile(filepath.Join(work, "Pulumi.nodelive.yaml"), stackFile, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stk, err := auto.UpsertStackInlineSource(ctx, "nodelive", "rampart", stacks.Program,
		auto.WorkDir(work), auto.SecretsProvider("passphrase"))
	if err != nil {
		t.Fatalf("upsert the nodelive stack: %v", err)
	}
	teamA, teamB, system := livePrefix+"team-a", livePrefix+"team-b", livePrefix+"rampart-system"
	const webhook = "nl-oob-mutate-all"
	cleanup := func() {
		_, _ = n.Kubectl("", "delete", "mutatingwebhookconfiguration", webhook, "--ignore-not-found")
		_, _ = stk.Destroy(ctx, optdestroy.ProgressStreams(logWriter{T: t}))
	}
	cleanup() // a previous run's leftovers
	t.Cleanup(cleanup)
	if _, err := stk.Up(ctx, optup.ProgressStreams(logWriter{T: t})); err != nil {
		t.Fatalf("pulumi up of Rampart's program on the node's cluster: %v", err)
	}

	// The checkers' identities the stack rendered, each as a kubeconfig
	// holding a short-lived token: check and drift read as the auditor,
	// verify acts as the verifier.
	auditor := n.TokenKubeconfig(t, system, "rampart-auditor")
	verifier := n.TokenKubeconfig(t, system, "rampart-verifier")
	hosts := map[string]string{"metadata": "169.254.169.254", "rfc1918": "10.200.0.10", "public": "203.0.113.10"}
	nodetraffic.StartOutside(t, n.GWNetns, []string{hosts["metadata"], hosts["public"], hosts["rfc1918"]}, 443, 80)

	rampart := testkit.BuildRampart(t, "../..")
	stackFlags := []string{"--stack", stk.Name(), "--dir", work, "-q"}
	check := func(t *testing.T) (int, *compliance.Assessment) {
		t.Helper()
		file := filepath.Join(t.TempDir(), "check.json")
		code, _ := rampart(t, append([]string{"check", "--live", "--kubeconfig", auditor, "--json", file}, stackFlags...)...)
		return code, readJSON[compliance.Assessment](t, file)
	}
	driftRun := func(t *testing.T, extra ...string) (int, *drift.Report) {
		t.Helper()
		file := filepath.Join(t.TempDir(), "drift.json")
		args := append([]string{"drift", "--kubeconfig", auditor, "--json", file}, stackFlags...)
		code, _ := rampart(t, append(args, extra...)...)
		return code, readJSON[drift.Report](t, file)
	}
	verify := func(t *testing.T) (int, *compliance.Assessment) {
		t.Helper()
		file := filepath.Join(t.TempDir(), "verify.json")
		code, _ := rampart(t, append([]string{"verify", "--kubeconfig", verifier, "--probe-image", n.Image, "--node-name", n.Name,
			"--metadata-address", hosts["metadata"] + ":80", "--private-address", hosts["rfc1918"] + ":443",
			"--public-address", hosts["public"] + ":443", "--timeout", "4m", "--json", file}, stackFlags...)...)
		return code, readJSON[compliance.Assessment](t, file)
	}

	if code, as := check(t); code != 0 {
		t.Fatalf("rampart check --live after up: exit %d, want 0; failing: %s", code, failing(as))
	} else {
		requireLiveEvidence(t, as)
	}
	code, clean := verify(t)
	if code != 0 {
		t.Fatalf("rampart verify after up: exit %d, want 0; failing checks:\n%s", code, failedChecks(clean))
	}
	t.Logf("rampart verify after up: %d checks, all as the stack intends", len(clean.Behaviour.Checks))
	if len(clean.Behaviour.Checks) < 20 {
		t.Errorf("rampart verify ran %d checks; want every managed namespace pair, DNS, outside hosts and dry runs", len(clean.Behaviour.Checks))
	}

	// Out of band, as the cluster's admin.
	n.Apply(t,
		fmt.Sprintf(`{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"oob-allow-all","namespace":%q},
"spec":{"podSelector":{},"policyTypes":["Ingress","Egress"],"ingress":[{}],"egress":[{}]}}`, teamA),
		fmt.Sprintf(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"oob-admin","namespace":%q},
"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
"subjects":[{"kind":"ServiceAccount","name":"default","namespace":%q}]}`, teamB, teamB),
		fmt.Sprintf(`{"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration","metadata":{"name":%q},
"webhooks":[{"name":"all.oob.example","admissionReviewVersions":["v1"],"sideEffects":"None","failurePolicy":"Ignore","timeoutSeconds":1,
"clientConfig":{"url":"https://127.0.0.1:9/mutate"},
"rules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE","UPDATE"],"resources":["pods"]}]}]}`, webhook))
	if _, err := n.Kubectl("", "label", "namespace", teamA, "--overwrite", "pod-security.kubernetes.io/enforce=privileged"); err != nil {
		t.Fatal(err)
	}
	n.Apply(t, privilegedPod(n, teamA, "oob-privileged"))

	code, bad := check(t)
	if code != 2 {
		t.Fatalf("rampart check --live with out-of-band objects: exit %d, want 2", code)
	}
	for item, objects := range map[string][]string{
		"netpol":                {"NetworkPolicy " + teamA + "/oob-allow-all"},
		"rbac-no-default-admin": {"RoleBinding " + teamB + "/oob-admin"},
		"pss-restricted":        {"Namespace " + teamA, "Pod " + teamA + "/oob-privileged"},
		"admission-webhooks":    {"MutatingWebhookConfiguration " + webhook},
	} {
		r, ok := bad.Result(item)
		if !ok || r.Verdict != compliance.Fail {
			t.Errorf("check --live: item %s is %q, want fail", item, r.Verdict)
			continue
		}
		for _, obj := range objects {
			if e, ok := failedOn(r, obj); !ok {
				t.Errorf("check --live: %s fails but not on %s; failing evidence: %s", item, obj, failing(bad))
			} else {
				t.Logf("check --live: %s fails on %s (%s, %s): %s", item, obj, e.Origin, e.Creator, e.Note)
			}
		}
	}

	code, report := driftRun(t)
	if code != 2 {
		t.Fatalf("rampart drift with out-of-band objects: exit %d, want 2", code)
	}
	var added []string
	for _, a := range report.Additions {
		added = append(added, a.Object)
	}
	t.Logf("rampart drift: unmanaged %q; changed %d declared resources", added, len(report.Changes))
	for _, want := range []string{"NetworkPolicy " + teamA + "/oob-allow-all", "RoleBinding " + teamB + "/oob-admin",
		"Pod " + teamA + "/oob-privileged", "MutatingWebhookConfiguration " + webhook} {
		if !slices.Contains(added, want) {
			t.Errorf("rampart drift does not list %s as unmanaged", want)
		}
	}
	if _, ok := report.Find(teamA + "-ns"); !ok {
		t.Errorf("rampart drift does not report %s's lowered enforce label as a changed declared resource", teamA)
	}

	code, opened := verify(t)
	if code != 2 {
		t.Fatalf("rampart verify with an allow-all in %s: exit %d, want 2", teamA, code)
	}
	var holes []string
	for _, c := range opened.Behaviour.Checks {
		if !c.OK {
			holes = append(holes, c.Name)
			if !strings.Contains(c.Name, teamA) {
				t.Errorf("verify: a check not involving %s fails: %s (expected %s, observed %s)", teamA, c.Name, c.Expected, c.Observed)
			}
		}
	}
	if len(holes) == 0 {
		t.Error("verify found no pair the allow-all opened")
	}
	t.Logf("rampart verify: the allow-all opened %d pairs:\n%s", len(holes), strings.Join(holes, "\n"))

	// The read-only auditor may not prune: the delete dry run stops the
	// command before anything is restored or deleted.
	if code, _ := rampart(t, append([]string{"drift", "--kubeconfig", auditor, "--fix", "--prune", "all"}, stackFlags...)...); code != 1 {
		t.Fatalf("rampart drift --fix --prune all as the auditor: exit %d, want 1 (forbidden, nothing changed)", code)
	}
	if code, r := driftRun(t); code != 2 || len(r.Additions) != len(added) {
		t.Fatalf("after the auditor's refused prune: drift exit %d with %d unmanaged objects, want 2 and %d (nothing may have changed)", code, len(r.Additions), len(added))
	}
	// The deployer prunes: --prune all takes the namespaced objects, the
	// cluster-scoped webhook only when named.
	code, out := rampart(t, append([]string{"drift", "--kubeconfig", n.Kubeconfig, "--fix", "--prune", "all",
		"--prune", "MutatingWebhookConfiguration " + webhook}, stackFlags...)...)
	if code != 0 {
		t.Fatalf("rampart drift --fix --prune all --prune <webhook> as the deployer: exit %d, want 0:\n%s", code, out)
	}
	for _, want := range added {
		if !strings.Contains(out, "Deleted "+want+".") {
			t.Errorf("drift --fix --prune all did not say it deleted %s:\n%s", want, out)
		}
	}
	if code, r := driftRun(t); code != 0 {
		t.Errorf("rampart drift after --fix --prune all: exit %d, want 0; unmanaged %+v, changed %+v", code, r.Additions, r.Changes)
	}
	if code, as := check(t); code != 0 {
		t.Errorf("rampart check --live after the prune: exit %d, want 0; failing: %s", code, failing(as))
	}
	if code, as := verify(t); code != 0 {
		t.Errorf("rampart verify after the prune: exit %d, want 0; failing:\n%s", code, failedChecks(as))
	}
}

// privilegedPod is a pod that Pod Security restricted (and baseline)
// refuse, for a namespace whose label was lowered.
func privilegedPod(n *nodetraffic.Node, ns, name string) string {
	return fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":%q},
"spec":{"nodeName":%q,"terminationGracePeriodSeconds":1,"automountServiceAccountToken":false,
"containers":[{"name":"probe","image":%q,"imagePullPolicy":"Never","args":["pause"],"securityContext":{"privileged":true}}]}}`,
		name, ns, n.Name, n.Image)
}

// readJSON decodes a report the CLI wrote.
func readJSON[T any](t *testing.T, file string) *T {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the CLI wrote no report: %v", err)
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("report %s: %v", file, err)
	}
	return v
}

// failedOn is the failing evidence of r on the live object obj.
func failedOn(r compliance.Result, obj string) (compliance.Evidence, bool) {
	for _, e := range r.Evidence {
		if e.Object == obj && !e.OK && !e.Exempt {
			return e, true
		}
	}
	return compliance.Evidence{}, false
}

// failing lists every failing fact of an assessment.
func failing(a *compliance.Assessment) string {
	var out []string
	for _, r := range a.Results {
		for _, e := range r.Evidence {
			if !e.OK && !e.Exempt {
				out = append(out, fmt.Sprintf("%s: %s %s %s = %s (%s)", r.Item.ID, e.Source, e.Object, e.Field, e.Value, e.Note))
			}
		}
	}
	return strings.Join(out, "\n")
}

// failedChecks lists the behaviour checks that failed.
func failedChecks(a *compliance.Assessment) string {
	if a.Behaviour == nil {
		return "(no behaviour recorded)"
	}
	var out []string
	for _, c := range a.Behaviour.Checks {
		if !c.OK {
			out = append(out, fmt.Sprintf("%s: expected %s, observed %s (%s) %s", c.Name, c.Expected, c.Observed, c.Why, c.Detail))
		}
	}
	return strings.Join(out, "\n")
}

// requireLiveEvidence: a passing live check stands on the live cluster, not
// on the state alone.
func requireLiveEvidence(t *testing.T, a *compliance.Assessment) {
	t.Helper()
	for _, item := range []string{"netpol", "pss-restricted", "rbac-no-default-admin"} {
		r, _ := a.Result(item)
		live := 0
		for _, e := range r.Evidence {
			if e.Source == compliance.FromLive {
				live++
			}
		}
		if live == 0 {
			t.Errorf("check --live: item %s has no evidence read from the live cluster", item)
		}
	}
}
