package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/drift"
	"github.com/rampart-dev/rampart/inventory"
)

// fakeApp's operations record their arguments and return canned results,
// so check and drift run end to end without a stack (the lab tier runs the
// real ones).
type fakeApp struct {
	// pruneDenied makes the prune dry run fail, as for the read-only auditor.
	pruneDenied bool
	assessment  *compliance.Assessment
	report      *drift.Report
	got         []string // "assess local . true", "detect ...", "restore"
}

func (f *fakeApp) app() *app {
	return &app{
		assess: func(_ context.Context, stack, dir string, refresh bool, live *cluster, progress io.Writer) (*compliance.Assessment, error) {
			op := []string{"assess", stack, dir, map[bool]string{true: "refresh", false: "no-refresh"}[refresh]}
			if live != nil {
				op = append(op, "live", live.kubeconfig, live.context)
			}
			f.got = append(f.got, strings.Join(op, " "))
			if progress == nil {
				return nil, errors.New("progress writer is nil")
			}
			return f.assessment, nil
		},
		detect: func(_ context.Context, stack, dir string, live cluster) (*drift.Report, *remedy, error) {
			f.got = append(f.got, strings.TrimSpace("detect "+stack+" "+dir+" "+live.kubeconfig))
			return f.report, &remedy{
				restore: func(context.Context) error { f.got = append(f.got, "restore"); return nil },
				prune: func(_ context.Context, objs []inventory.Object) error {
					for _, o := range objs {
						f.got = append(f.got, "prune "+o.Ref.String())
					}
					return nil
				},
				checkPrune: func(_ context.Context, objs []inventory.Object) error {
					f.got = append(f.got, fmt.Sprintf("check-prune %d", len(objs)))
					if f.pruneDenied {
						return errors.New("delete NetworkPolicy team-a/allow-all: forbidden")
					}
					return nil
				},
			}, nil
		},
	}
}

func assessment(verdict compliance.Verdict) *compliance.Assessment {
	item := compliance.Checklist()[0]
	return &compliance.Assessment{
		Stack: "prod", Profile: "production", Generated: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC),
		Results: []compliance.Result{{Item: item, Verdict: verdict, Evidence: []compliance.Evidence{
			{URN: "urn:pulumi:prod::rampart::kubernetes:core/v1:Namespace::apps", Field: "metadata.labels", Value: "x", OK: verdict == compliance.Pass},
		}}},
	}
}

func render(t *testing.T, write func(io.Writer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCheck_FailedItemExitsTwoAfterWritingEveryReport(t *testing.T) {
	f := &fakeApp{assessment: assessment(compliance.Fail)}
	dir := t.TempDir()
	jsonFile := filepath.Join(dir, "report.json")
	code, stdout, stderr := cliRoot(t, newRoot(f.app()), "", "check", "--stack", "prod", "--dir", "infra", "--refresh", "--json", jsonFile)
	if code != exitFinding {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitFinding, stderr)
	}
	if want := []string{"assess prod infra refresh"}; strings.Join(f.got, "|") != strings.Join(want, "|") {
		t.Errorf("operations = %q, want %q", f.got, want)
	}
	if want := render(t, reports(f.assessment)[fmtMarkdown]); stdout != want {
		t.Errorf("stdout is not the Markdown report:\n%s", stdout)
	}
	if got, err := os.ReadFile(jsonFile); err != nil || string(got) != render(t, reports(f.assessment)[fmtJSON]) {
		t.Errorf("--json %s: %v, want the JSON report", jsonFile, err)
	}
	for _, want := range []string{
		"rampart: refreshing and reading stack prod...\n",
		"rampart: assessment done in ",
		"(1 items, 1 failed)\n",
		"rampart: a checklist item failed: 1 on stack prod (see the report)\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestCheck_CleanExitsZeroAndQuietLeavesStderrEmpty(t *testing.T) {
	f := &fakeApp{assessment: assessment(compliance.Pass)}
	code, stdout, stderr := cliRoot(t, newRoot(f.app()), "", "-q", "check", "--oscal")
	if code != exitOK || stderr != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing with --quiet", code, stderr)
	}
	if want := []string{"assess local . no-refresh"}; strings.Join(f.got, "|") != strings.Join(want, "|") {
		t.Errorf("operations = %q, want the defaults %q", f.got, want)
	}
	if want := render(t, reports(f.assessment)[fmtOSCAL]); stdout != want {
		t.Errorf("--oscal alone: stdout is not the OSCAL report (%d bytes, want %d)", len(stdout), len(want))
	}
}

func driftReport() *drift.Report {
	return &drift.Report{Stack: "local", Drifted: true, Changes: []drift.Change{
		{URN: "urn:pulumi:local::rampart::kubernetes:networking.k8s.io/v1:NetworkPolicy::apps-default-deny", Name: "apps-default-deny",
			Type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", Op: "update", Properties: []string{"spec.egress"}, Hidden: true},
	}}
}

// drift keeps its file semantics: Markdown on stdout, --json FILE and
// --markdown FILE written as well, exit 2 on drift.
func TestDrift_FoundExitsTwoWithStdoutAndFiles(t *testing.T) {
	f := &fakeApp{report: driftReport()}
	dir := t.TempDir()
	jsonFile, mdFile := filepath.Join(dir, "drift.json"), filepath.Join(dir, "drift.md")
	code, stdout, stderr := cliRoot(t, newRoot(f.app()), "", "drift", "--json", jsonFile, "--markdown", mdFile)
	if code != exitFinding {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitFinding, stderr)
	}
	md := render(t, f.report.Markdown)
	if stdout != md {
		t.Errorf("stdout is not the Markdown report:\n%s", stdout)
	}
	if got, err := os.ReadFile(mdFile); err != nil || string(got) != md {
		t.Errorf("--markdown %s: %v, want the Markdown report", mdFile, err)
	}
	if got, err := os.ReadFile(jsonFile); err != nil || string(got) != render(t, f.report.JSON) {
		t.Errorf("--json %s: %v, want the JSON report", jsonFile, err)
	}
	if !strings.Contains(stderr, "rampart: drift found: 1 resources and 0 unmanaged objects on stack local (rerun with --fix to restore them; --prune to delete unmanaged ones)\n") {
		t.Errorf("stderr lacks the drift error and the fix:\n%s", stderr)
	}
	if strings.Join(f.got, "|") != "detect local ." {
		t.Errorf("operations = %q, want detect only (no --fix)", f.got)
	}
}

func TestDrift_FixRestoresAndExitsZero(t *testing.T) {
	f := &fakeApp{report: driftReport()}
	code, stdout, stderr := cliRoot(t, newRoot(f.app()), "", "drift", "--fix")
	if code != exitOK {
		t.Errorf("exit %d, want 0 after --fix; stderr:\n%s", code, stderr)
	}
	if strings.Join(f.got, "|") != "detect local .|restore" {
		t.Errorf("operations = %q, want detect then restore", f.got)
	}
	if !strings.HasSuffix(stdout, "\nRestored.\n") || !strings.Contains(stderr, "rampart: restoring 1 resources on stack local...") {
		t.Errorf("stdout %q / stderr %q: want the report then Restored., and the restore progress line", stdout, stderr)
	}
}

func TestDrift_NoDriftExitsZero(t *testing.T) {
	f := &fakeApp{report: &drift.Report{Stack: "local"}}
	code, stdout, _ := cliRoot(t, newRoot(f.app()), "", "drift", "--json")
	if code != exitOK || stdout != render(t, f.report.JSON) {
		t.Errorf("exit %d, stdout %q; want 0 and the JSON report on stdout (--json alone)", code, stdout)
	}
}

// withAdditions is driftReport plus two unmanaged objects from a live
// inventory.
func withAdditions() *drift.Report {
	r := driftReport()
	r.AddLive(&inventory.Inventory{Objects: []inventory.Object{
		{Ref: inventory.Ref{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "team-a", Name: "allow-all"}, Origin: inventory.Unmanaged},
		{Ref: inventory.Ref{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding", Namespace: "team-b", Name: "admin"}, Origin: inventory.Unmanaged},
	}})
	return r
}

// --fix restores declared resources but never deletes an unmanaged object:
// drift is still found (exit 2) and the message names --prune.
func TestDrift_FixKeepsUnmanagedObjectsAndExitsTwo(t *testing.T) {
	f := &fakeApp{report: withAdditions()}
	code, _, stderr := cliRoot(t, newRoot(f.app()), "", "drift", "--fix", "--kubeconfig", "kc")
	if code != exitFinding {
		t.Errorf("exit %d, want %d: unmanaged objects are left; stderr:\n%s", code, exitFinding, stderr)
	}
	if strings.Join(f.got, "|") != "detect local . kc|restore" {
		t.Errorf("operations = %q, want detect (with --kubeconfig) then restore only", f.got)
	}
	if !strings.Contains(stderr, "2 unmanaged objects left on stack local") {
		t.Errorf("stderr does not name what is left and how to prune it:\n%s", stderr)
	}
}

func TestDrift_PruneDeletesOnlyTheNamedObject(t *testing.T) {
	f := &fakeApp{report: withAdditions()}
	code, stdout, stderr := cliRoot(t, newRoot(f.app()), "", "drift", "--fix", "--prune", "RoleBinding team-b/admin")
	if code != exitFinding {
		t.Errorf("exit %d, want %d: one unmanaged object is left; stderr:\n%s", code, exitFinding, stderr)
	}
	if strings.Join(f.got, "|") != "detect local .|check-prune 1|restore|prune RoleBinding team-b/admin" {
		t.Errorf("operations = %q", f.got)
	}
	if !strings.Contains(stdout, "Deleted RoleBinding team-b/admin.") {
		t.Errorf("stdout does not say what was deleted:\n%s", stdout)
	}
	f = &fakeApp{report: withAdditions()}
	if code, _, stderr := cliRoot(t, newRoot(f.app()), "", "drift", "--fix", "--prune", "all"); code != exitOK {
		t.Errorf("--prune all: exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if strings.Join(f.got, "|") != "detect local .|check-prune 2|restore|prune NetworkPolicy team-a/allow-all|prune RoleBinding team-b/admin" {
		t.Errorf("--prune all: operations = %q", f.got)
	}
}

func TestDrift_PruneRefusesUnknownNamesAndNeedsFix(t *testing.T) {
	f := &fakeApp{report: withAdditions()}
	code, _, stderr := cliRoot(t, newRoot(f.app()), "", "drift", "--fix", "--prune", "NetworkPolicy team-a/default-deny")
	if code != exitError || !strings.Contains(stderr, "nothing was deleted") {
		t.Errorf("exit %d, stderr %q; want a usage error that deletes nothing", code, stderr)
	}
	if strings.Join(f.got, "|") != "detect local ." {
		t.Errorf("operations = %q: a bad --prune must change nothing (no restore, no prune)", f.got)
	}
	if code, _, stderr := cliRoot(t, newRoot((&fakeApp{report: withAdditions()}).app()), "", "drift", "--prune", "all"); code != exitError || !strings.Contains(stderr, "only together with --fix") {
		t.Errorf("--prune without --fix: exit %d, stderr %q", code, stderr)
	}
}

// An identity that may not delete (the auditor) stops at the dry run:
// nothing is restored, nothing deleted, exit 1.
func TestDrift_PruneDeniedChangesNothing(t *testing.T) {
	f := &fakeApp{report: withAdditions(), pruneDenied: true}
	code, _, stderr := cliRoot(t, newRoot(f.app()), "", "drift", "--fix", "--prune", "all")
	if code != exitError || !strings.Contains(stderr, "nothing was restored or deleted") {
		t.Errorf("exit %d, stderr %q; want 1 saying nothing changed", code, stderr)
	}
	if strings.Join(f.got, "|") != "detect local .|check-prune 2" {
		t.Errorf("operations = %q: a denied dry run must stop before restore and prune", f.got)
	}
}
