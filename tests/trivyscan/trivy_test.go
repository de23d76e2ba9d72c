// Package trivyscan runs Trivy's misconfiguration scanner (`trivy config`,
// github.com/aquasecurity/trivy v0.74.0 built from Go modules by the lab
// toolchain) over every Kubernetes manifest Rampart renders: the prod stack's
// graph under mocks written out as YAML, and the local stack's live objects
// read back from the lab's kube-apiserver. A HIGH or CRITICAL finding fails
// the test unless a typed exemption with a justification covers it.
//
// Trivy runs offline with the checks compiled into the binary: the flags
// below turn off the checks-bundle download, the version check and the
// telemetry, and every run goes through a proxy tripwire that fails the test
// if Trivy opens any connection at all.
package trivyscan

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"

	"github.com/rampart-dev/rampart/internal/labenv"
	"github.com/rampart-dev/rampart/internal/recmock"
	"sigs.k8s.io/yaml"
)

// offlineFlags keep `trivy config` (v0.74) off the network: without
// --skip-check-update it pulls the checks bundle from mirror.gcr.io, without
// --skip-version-check it asks check.trivy.dev for news (both measured through
// the tripwire). With an empty cache it falls back to the checks embedded in
// the binary.
var offlineFlags = []string{"--skip-check-update", "--skip-version-check", "--disable-telemetry"}

// finding is one failed check on one object.
type finding struct {
	ID, Severity, Title, Object, Kind, Namespace string
}

// scanResult is what one Trivy run saw.
type scanResult struct {
	Files    int // Kubernetes files Trivy detected and evaluated
	Checks   int // successes + failures over those files
	Findings []finding
}

// trivyReport is the part of Trivy's JSON report the tests read.
type trivyReport struct {
	Results []struct {
		Target            string
		Type              string
		MisconfSummary    *struct{ Successes, Failures int }
		Misconfigurations []struct {
			ID, Title, Severity, Status string
		}
	}
}

// writeObjects writes one YAML file per object into dir and returns the
// file → object index the findings are mapped back through.
func writeObjects(t *testing.T, dir string, objs []object) map[string]object {
	t.Helper()
	sortObjects(objs)
	unsafe := regexp.MustCompile(`[^A-Za-z0-9._-]+`)
	index := map[string]object{}
	for i, o := range objs {
		b, err := yaml.Marshal(o.Manifest)
		if err != nil {
			t.Fatalf("%s: %v", o.Ref, err)
		}
		file := fmt.Sprintf("%03d-%s.yaml", i, unsafe.ReplaceAllString(o.Ref, "_"))
		if err := os.WriteFile(filepath.Join(dir, file), b, 0o600); err != nil {
			t.Fatal(err)
		}
		index[file] = o
	}
	return index
}

// runTrivy scans dir with `trivy config` offline and maps each failed check
// back to its object. It fails the test if Trivy opens a connection.
func runTrivy(t *testing.T, dir string, index map[string]object) scanResult {
	t.Helper()
	res, conns := trivyConfig(t, dir, index, offlineFlags...)
	if len(conns) > 0 {
		t.Fatalf("trivy opened %d network connection(s) during an offline scan, first: %q", len(conns), conns[0])
	}
	return res
}

// requireTrivy finds the lab toolchain's trivy: on PATH, else in the
// toolchain's bin folder (labenv.RequireTool's fail-or-skip rule).
func requireTrivy(t *testing.T) string {
	t.Helper()
	return labenv.RequireTool(t, "trivy", "build it with `bash lab/toolchain.sh trivy` (make test does)")
}

// trivyConfig runs `trivy config` with the extra flags over dir, every
// proxy variable on a tripwire, and returns the findings and the first line
// of every connection Trivy opened.
func trivyConfig(t *testing.T, dir string, index map[string]object, extra ...string) (scanResult, []string) {
	t.Helper()
	bin := requireTrivy(t)
	trip := newTripwire(t)
	home := t.TempDir()
	args := append([]string{"config", "--cache-dir", filepath.Join(home, "cache"), "--format", "json", "--exit-code", "0", "--quiet"}, extra...)
	cmd := exec.Command(bin, append(args, dir)...)
	proxy := "http://" + trip.addr
	// A clean environment: no inherited TRIVY_* settings, no credentials,
	// every proxy variable pointing at the tripwire.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + home,
		"HTTP_PROXY=" + proxy, "HTTPS_PROXY=" + proxy, "ALL_PROXY=" + proxy,
		"http_proxy=" + proxy, "https_proxy=" + proxy, "all_proxy=" + proxy, "NO_PROXY=", "no_proxy="}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("trivy config: %v\n%s", err, stderr.String())
	}
	var rep trivyReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("trivy JSON: %v\n%.400s", err, out)
	}
	var res scanResult
	for _, r := range rep.Results {
		if r.Type != "kubernetes" || r.MisconfSummary == nil {
			continue
		}
		res.Files++
		res.Checks += r.MisconfSummary.Successes + r.MisconfSummary.Failures
		o, ok := index[r.Target]
		if !ok {
			t.Fatalf("trivy reported %q, which is not a file the test wrote", r.Target)
		}
		nsv, _ := recmock.Path(o.Manifest, "metadata", "namespace")
		ns, _ := nsv.(string)
		for _, m := range r.Misconfigurations {
			if m.Status != "FAIL" {
				continue
			}
			res.Findings = append(res.Findings, finding{ID: m.ID, Severity: m.Severity, Title: m.Title, Object: o.Ref, Kind: o.Kind, Namespace: ns})
		}
	}
	return res, trip.requests()
}

// tripwire is a TCP listener that every proxy variable points at: a Go
// HTTP client (Trivy's) sends each request, HTTPS included (CONNECT),
// through it, so any attempt to reach the network is recorded and refused.
type tripwire struct {
	addr string
	mu   sync.Mutex
	seen []string
}

func newTripwire(t *testing.T) *tripwire {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tw := &tripwire{addr: ln.Addr().String()}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			tw.mu.Lock()
			tw.seen = append(tw.seen, strings.TrimSpace(line))
			tw.mu.Unlock()
			_ = c.Close()
		}
	}()
	return tw
}

func (tw *tripwire) requests() []string {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return append([]string(nil), tw.seen...)
}

// blocking reports whether a severity fails the tier.
func blocking(sev string) bool { return sev == "HIGH" || sev == "CRITICAL" }

// verdict is a finding with the exemption that covers it ("" if none).
type verdict struct {
	finding
	Exemption string
}

// judge pairs every finding with its exemption and returns the blocking
// findings that no exemption covers.
func judge(fs []finding, ex exemptions) (all []verdict, unexempted []verdict) {
	for _, f := range fs {
		v := verdict{finding: f, Exemption: ex.cover(f)}
		all = append(all, v)
		if blocking(f.Severity) && v.Exemption == "" {
			unexempted = append(unexempted, v)
		}
	}
	return all, unexempted
}

var severityRank = map[string]int{"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "UNKNOWN": 4}

// table renders the findings grouped by check ID: ID, severity, title,
// count, objects and the exemptions that cover them.
func table(res scanResult, all []verdict) string {
	type row struct {
		id, sev, title string
		objs           []string
		exempt         map[string]bool
	}
	rows := map[string]*row{}
	for _, v := range all {
		r := rows[v.ID]
		if r == nil {
			r = &row{id: v.ID, sev: v.Severity, title: v.Title, exempt: map[string]bool{}}
			rows[v.ID] = r
		}
		r.objs = append(r.objs, v.Object)
		label := "NOT EXEMPT"
		if v.Exemption != "" {
			label = v.Exemption
		}
		if !blocking(v.Severity) {
			label = "-"
		}
		r.exempt[label] = true
	}
	var list []*row
	for _, r := range rows {
		sort.Strings(r.objs)
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool {
		if a, b := severityRank[list[i].sev], severityRank[list[j].sev]; a != b {
			return a < b
		}
		return list[i].id < list[j].id
	})
	var b strings.Builder
	fmt.Fprintf(&b, "trivy config: %d Kubernetes files, %d check evaluations, %d failed checks\n", res.Files, res.Checks, len(all))
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSEVERITY\tTITLE\tCOUNT\tEXEMPTION\tOBJECTS")
	for _, r := range list {
		var ex []string
		for k := range r.exempt {
			ex = append(ex, k)
		}
		sort.Strings(ex)
		objs := r.objs
		more := ""
		if len(objs) > 6 {
			objs, more = objs[:6], fmt.Sprintf(", … %d more", len(r.objs)-6)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s%s\n", r.id, r.sev, r.title, len(r.objs), strings.Join(ex, "; "), strings.Join(objs, ", "), more)
	}
	_ = w.Flush()
	return b.String()
}

// gate is the tier's verdict on one scan: the findings table and the
// exemptions in force (to print), and one problem per blocking finding no
// exemption covers, plus one if the scan saw too little.
func gate(res scanResult, written, minFiles int, ex exemptions) (report string, problems []string) {
	all, bad := judge(res.Findings, ex)
	if res.Files < minFiles || res.Files != written {
		problems = append(problems, fmt.Sprintf("trivy evaluated %d Kubernetes files of the %d written (want all, and at least %d): the scan saw too little", res.Files, written, minFiles))
	}
	for _, v := range bad {
		problems = append(problems, fmt.Sprintf("%s %s on %s: %s; fix the component that renders it, or add a typed exemption with a justification", v.Severity, v.ID, v.Object, v.Title))
	}
	return table(res, all) + "\n" + ex.String(), problems
}

// scanAndGate scans objs offline, prints the findings table and the
// exemptions, and fails on every problem gate finds.
func scanAndGate(t *testing.T, objs []object, ex exemptions, minFiles int) scanResult {
	t.Helper()
	dir := t.TempDir()
	index := writeObjects(t, dir, objs)
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.Kind]++
	}
	t.Logf("scanning %d objects: %v", len(objs), kinds)
	res := runTrivy(t, dir, index)
	report, problems := gate(res, len(index), minFiles, ex)
	t.Logf("\n%s", report)
	for _, p := range problems {
		t.Error(p)
	}
	return res
}
