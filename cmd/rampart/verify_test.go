package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/verify"
	"github.com/spf13/cobra"
)

// verifyRoot is the command tree with verify on run (replacing the real
// one, whether root.go lists it yet or not).
func verifyRoot(run verifyFunc) *cobra.Command {
	a := &app{}
	root := newRoot(a)
	for _, c := range root.Commands() {
		if c.Name() == "verify" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(a.newVerifyCmdWith(run))
	return root
}

// fakeVerify records the request and returns an assessment of an empty
// state with checks added.
func fakeVerify(got *verifyRequest, checks ...compliance.Check) verifyFunc {
	return fakeVerifyNotes(got, nil, checks...)
}

// fakeVerifyNotes is fakeVerify whose run also notes notes.
func fakeVerifyNotes(got *verifyRequest, notes []string, checks ...compliance.Check) verifyFunc {
	return func(_ context.Context, req verifyRequest) (verified, error) {
		*got = req
		as := compliance.Assess(req.stack, apitype.DeploymentV3{}, time.Unix(0, 0))
		as.AddBehaviour(&compliance.Behaviour{Server: "https://127.0.0.1:6443", ProbeImage: req.opts.ProbeImage, Checks: checks})
		return verified{as: as, notes: notes}, nil
	}
}

var (
	passing = compliance.Check{Item: "netpol", Name: "team-a → team-b :8080/TCP", Expected: "closed", Observed: "closed", OK: true, Why: "tenants are isolated"}
	failing = compliance.Check{Item: "netpol", Name: "team-a → team-b :18080/TCP", Expected: "closed", Observed: "open", OK: false, Why: "tenants are isolated"}
)

func TestVerify_PassesFlagsThroughAndExitsZeroWhenEveryCheckHolds(t *testing.T) {
	var got verifyRequest
	code, stdout, stderr := cliRoot(t, verifyRoot(fakeVerify(&got, passing)), "", "verify",
		"--stack", "prod", "--dir", "/src", "--kubeconfig", "/k", "--context", "eu-1",
		"--probe-image", "ghcr.io/rampart-dev/rampart/probe@sha256:"+strings.Repeat("a", 64),
		"--node-name", "n1", "--timeout", "90s", "--public-address", "203.0.113.10:443",
		"--private-address", "10.1.0.1", "--private-address", "172.16.0.1:8443", "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	o := got.opts
	if got.stack != "prod" || got.dir != "/src" || got.cluster.kubeconfig != "/k" || got.cluster.context != "eu-1" ||
		o.NodeName != "n1" || o.Timeout != 90*time.Second || o.PublicAddress != "203.0.113.10:443" ||
		strings.Join(o.PrivateAddresses, ",") != "10.1.0.1,172.16.0.1:8443" || o.MetadataAddress != verify.DefaultMetadataAddress {
		t.Errorf("request = %+v", got)
	}
	var as compliance.Assessment
	if err := json.Unmarshal([]byte(stdout), &as); err != nil || as.Behaviour == nil || len(as.Behaviour.Checks) != 1 {
		t.Errorf("stdout is not the JSON assessment with the behaviour (%v):\n%s", err, stdout)
	}
	if strings.Contains(stderr, "not pinned by digest") {
		t.Errorf("a digest-pinned image was warned about:\n%s", stderr)
	}
}

func TestVerify_AFailedCheckExitsTwoAfterTheReport(t *testing.T) {
	var got verifyRequest
	code, stdout, stderr := cliRoot(t, verifyRoot(fakeVerify(&got, passing, failing)), "", "verify", "--probe-image", "rampart.invalid/probe:lab")
	if code != exitFinding {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFinding, stderr)
	}
	if !strings.Contains(stderr, "1 of 2 behaviour checks on stack local") || !strings.Contains(stderr, "not pinned by digest") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, "team-a → team-b :18080/TCP") {
		t.Errorf("the Markdown report does not name the failed check:\n%s", stdout)
	}
}

func TestVerify_UsageErrorsTouchNothing(t *testing.T) {
	t.Setenv(probeImageEnv, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verify"}, "--probe-image is required"},
		{[]string{"verify", "--probe-image", "x", "--public-address", "example.com:443"}, `public address "example.com:443" is not IP:PORT`},
		{[]string{"verify", "--probe-image", "x", "--private-address", "10.0.0.1:0"}, "private address"},
		{[]string{"verify", "--probe-image", "x", "--json", "--html"}, "both write to stdout"},
	} {
		ran := false
		run := func(context.Context, verifyRequest) (verified, error) {
			ran = true
			return verified{}, errors.New("ran")
		}
		code, _, stderr := cliRoot(t, verifyRoot(run), "", tc.args...)
		if code != exitError || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "Usage:") {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant a usage error containing %q", tc.args, code, stderr, tc.want)
		}
		if ran {
			t.Errorf("%v: ran the verification", tc.args)
		}
	}
}

func TestVerify_ProbeImageFromTheEnvironment(t *testing.T) {
	t.Setenv(probeImageEnv, "rampart.invalid/probe:lab")
	var got verifyRequest
	if code, _, stderr := cliRoot(t, verifyRoot(fakeVerify(&got, passing)), "", "verify"); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	if got.opts.ProbeImage != "rampart.invalid/probe:lab" {
		t.Errorf("probe image = %q", got.opts.ProbeImage)
	}
}

// A run that stops (Ctrl-C, a cleanup that failed) still writes what it
// observed, and exits 1 with the run's error, not 2.
func TestVerify_AStoppedRunWritesItsReportAndExitsOne(t *testing.T) {
	run := func(_ context.Context, req verifyRequest) (verified, error) {
		as := compliance.Assess(req.stack, apitype.DeploymentV3{}, time.Unix(0, 0))
		as.AddBehaviour(&compliance.Behaviour{Checks: []compliance.Check{failing}})
		return verified{as: as}, fmt.Errorf("verify: run abc123 stopped (%w)", context.Canceled)
	}
	code, stdout, stderr := cliRoot(t, verifyRoot(run), "", "verify", "--probe-image", "x")
	if code != exitError || !strings.Contains(stderr, "stopped") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, failing.Name) {
		t.Errorf("no report on stdout:\n%s", stdout)
	}
}

// TestVerify_NoPrivateAddressUnlessGiven: no address is guessed (10.0.0.1
// is the kubernetes Service on AKS; an address nothing answers proves
// nothing), the metadata address keeps its default, and the run's notes
// (what it did not check) reach stderr even with --quiet, without failing
// the run.
func TestVerify_NoPrivateAddressUnlessGiven(t *testing.T) {
	var got verifyRequest
	note := "no private-address check was made: no --private-address was given"
	code, _, stderr := cliRoot(t, verifyRoot(fakeVerifyNotes(&got, []string{note}, passing)), "", "verify", "-q", "--probe-image", "x")
	if code != exitOK {
		t.Fatalf("exit %d, want %d (a note is not a failure); stderr:\n%s", code, exitOK, stderr)
	}
	if len(got.opts.PrivateAddresses) != 0 || got.opts.MetadataAddress != verify.DefaultMetadataAddress {
		t.Errorf("private addresses %q, metadata address %q; want none and the default", got.opts.PrivateAddresses, got.opts.MetadataAddress)
	}
	if !strings.Contains(stderr, "rampart: verify: note: "+note) {
		t.Errorf("the run's note is not on stderr with --quiet:\n%s", stderr)
	}
}
