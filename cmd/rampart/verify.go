package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/inventory"
	"github.com/rampart-dev/rampart/verify"
	"github.com/spf13/cobra"
)

// probeImageEnv gives --probe-image its default (the lab's scripts set it).
const probeImageEnv = "RAMPART_PROBE_IMAGE"

// verifyRequest is what `rampart verify` runs: a stack, the cluster to
// exercise and the run's options.
type verifyRequest struct {
	stack, dir string
	cluster    cluster
	opts       verify.Options
}

// verified is what a verification gives: the assessment of the stack's
// state with the run's Behaviour added, and the run's notes (what it did
// not check or clean up: neither a pass nor a failure).
type verified struct {
	as    *compliance.Assessment
	notes []string
}

// verifyFunc assesses the stack's state and adds a verify run on the
// cluster. It may return both: the run's observations with the error that
// stopped it or its cleanup's.
type verifyFunc func(ctx context.Context, req verifyRequest) (verified, error)

// newVerifyCmd is `rampart verify`: the stack's controls proven by
// behaviour on the cluster (verify.Run), on top of check's report.
func (a *app) newVerifyCmd() *cobra.Command { return a.newVerifyCmdWith(verifyStack) }

// newVerifyCmdWith builds the command on run (tests replace it).
func (a *app) newVerifyCmdWith(run verifyFunc) *cobra.Command {
	var req verifyRequest
	o := &req.opts
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Prove the stack's controls by behaviour on the cluster; exit 2 if a check fails",
		Long: `Exercises the cluster the stack runs on and compares what happens with the
stack's declared intent (its "networkIntent" output), then writes check's
report with the observations added as TEST evidence beside the state's.

It starts probe pods (Pod Security restricted, labelled rampart.dev/probe=verify,
bounded by --timeout, always deleted, also on Ctrl-C) in every managed
namespace and in a throwaway unmanaged namespace (rampart-verify-<run>), then
connects: every namespace to every other and to itself, the unmanaged
namespace to them, every namespace to cluster DNS over UDP and TCP and to the
metadata, private and public addresses, the ingress proxies to the route
backends, the gateway's pods to the outside. Each expected verdict is
computed from the intent, with the config key behind it.

Outside the cluster a failed connection may be the target's (nothing listens
there) rather than a policy's, so a "closed" to an outside address counts only
when the unmanaged namespace's client, which no Rampart policy restricts,
reached the same address; otherwise the check is "inconclusive" and fails.
Give addresses of hosts that answer: --metadata-address (default
169.254.169.254:80, which the major clouds answer), --private-address (no
default: without one no private-address check is made, and the run says so),
--public-address.

Two pods are submitted with a server-side dry run to every managed namespace:
a privileged one, refused by Pod Security where the namespace is restricted or
baseline, admitted where it is exempted to privileged; and one that baseline
admits but restricted refuses, refused where the namespace is restricted. A
refusal by anything but Pod Security is not a pass. The API server's
/readyz?verbose is recorded.

The probe image is the release's (by digest) or, in the lab, the locally built
probe (rampart.invalid/probe:lab, with --node-name rampart-node: the lab's node
has no scheduler). It needs no exec: each client prints its results, read
from its log.

Exit 2 when a behaviour check or a checklist item fails.`,
		Example: `  rampart verify --probe-image ghcr.io/rampart-dev/rampart/probe@sha256:<digest> --context prod-eu-1 --stack prod
  rampart verify --probe-image rampart.invalid/probe:lab --node-name rampart-node --public-address 203.0.113.10:443
  rampart verify --html=verify.html --oscal=verify-oscal.json`,
		Args: noArgs,
	}
	stackFlags(cmd, &req.stack, &req.dir)
	clusterFlags(cmd, &req.cluster)
	f := cmd.Flags()
	f.StringVar(&o.ProbeImage, "probe-image", os.Getenv(probeImageEnv), "probe `IMAGE` every probe pod runs, by digest outside the lab (default $"+probeImageEnv+"; required)")
	f.StringVar(&o.NodeName, "node-name", "", "run every probe pod on node `NAME` (spec.nodeName), for a cluster without a scheduler such as the lab's node")
	f.DurationVar(&o.Timeout, "timeout", verify.DefaultTimeout, "bound of the whole run but its cleanup (which has its own minute)")
	f.DurationVar(&o.ConnectTimeout, "connect-timeout", verify.DefaultConnectTimeout, "bound of each connection and DNS lookup")
	f.DurationVar(&o.Settle, "settle", verify.DefaultSettle, "wait in each client before connecting, so the policy enforcer has programmed the new pod (negative: none)")
	f.IntVar(&o.Parallel, "parallel", verify.DefaultParallel, "client pods at once")
	f.StringVar(&o.PublicAddress, "public-address", "", "`IP:PORT` outside the SSRF blocklist the gateway must reach (default none: the cluster may have no way out)")
	f.StringVar(&o.MetadataAddress, "metadata-address", verify.DefaultMetadataAddress, "cloud metadata `IP:PORT` no pod may reach, of a host that answers (also probed on the gateway's HTTPS port)")
	f.StringArrayVar(&o.PrivateAddresses, "private-address", nil, "RFC 1918 `IP[:PORT]` of a host that answers, which no pod may reach; repeatable (port default: the gateway's HTTPS port; default none: no private-address check, and the run says so)")
	f.StringVar(&o.DNSService, "dns-service", verify.DefaultDNSService, "cluster DNS Service `NAME` in the intent's DNS namespace")
	out := addOutputFlags(cmd, fmtMarkdown, fmtJSON, fmtHTML, fmtOSCAL)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return a.runVerify(cmd, out, req, run)
	}
	return cmd
}

// runVerify runs the verification and writes the report; errFailed when
// a check or an item fails, after the report is written.
func (a *app) runVerify(cmd *cobra.Command, out *outputs, req verifyRequest, run verifyFunc) error {
	if _, _, err := out.plan(); err != nil {
		return err
	}
	if strings.TrimSpace(req.opts.ProbeImage) == "" {
		return usagef("verify: --probe-image is required (or $%s): the release's probe image by digest, or the lab's rampart.invalid/probe:lab", probeImageEnv)
	}
	if err := req.opts.Validate(); err != nil {
		return usagef("%w (see '%s --help')", err, cmd.CommandPath())
	}
	prog := a.progressOut(cmd)
	if ref, err := image.Parse(req.opts.ProbeImage); err != nil || !ref.Pinned() {
		_, _ = fmt.Fprintf(prog, "rampart: verify: the probe image %s is not pinned by digest (fine in the lab; outside it, use the release's digest)\n", req.opts.ProbeImage)
	}
	req.opts.Progress = prefixed{w: prog, prefix: "rampart: "}
	p := a.begin(cmd, "verifying stack %s on its cluster...", req.stack)
	res, err := run(cmd.Context(), req)
	as := res.as
	if as == nil {
		if err == nil {
			err = fmt.Errorf("verify: stack %s: no assessment", req.stack)
		}
		return err
	}
	b := as.Behaviour
	checks, failedChecks := 0, 0
	if b != nil {
		checks, failedChecks = len(b.Checks), b.Failed()
	}
	p.done("verification", "%d behaviour checks, %d failed, %d notes", checks, failedChecks, len(res.notes))
	if werr := out.write(cmd.OutOrStdout(), reports(as)); werr != nil {
		return fmt.Errorf("verify: %w", werr)
	}
	// What was not checked is said even with --quiet: it bounds what the
	// report proves.
	for _, n := range res.notes {
		_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "rampart: verify: note: %s\n", n)
	}
	if err != nil {
		return err // the report holds what was observed; the run itself failed
	}
	if b == nil {
		return fmt.Errorf("verify: stack %s: the run recorded no behaviour", req.stack)
	}
	if failedChecks > 0 || as.Failed() {
		return fmt.Errorf("%w: %d of %d behaviour checks on stack %s (see the report)", errFailed, failedChecks, checks, req.stack)
	}
	return nil
}

// verifyStack is verify's run outside tests: the stack's state (local
// source in dir), its intent, the assessment of the state, then
// verify.Run on the cluster the kubeconfig names, added to the assessment.
func verifyStack(ctx context.Context, req verifyRequest) (verified, error) {
	stk, err := auto.SelectStackLocalSource(ctx, req.stack, req.dir)
	if err != nil {
		return verified{}, selectStackError("verify", req.stack, req.dir, err)
	}
	dep, err := compliance.ExportDeployment(ctx, stk)
	if err != nil {
		return verified{}, fmt.Errorf("verify: %w", err)
	}
	in, err := verify.IntentFromDeployment(dep)
	if err != nil {
		return verified{}, err
	}
	// The stack's verifier identity runs probes in the throwaway namespace
	// only once it binds its probe role there.
	req.opts.ProbeRole, req.opts.ProbeSubjects = verify.ProbeBindingFromDeployment(dep)
	c, err := inventory.Connect(req.cluster.kubeconfig, req.cluster.context)
	if err != nil {
		return verified{}, fmt.Errorf("verify: connect to the cluster (check --kubeconfig and --context): %w", err)
	}
	as := compliance.AssessStack(ctx, stk, dep, nil)
	res, err := verify.Run(ctx, c, in, req.opts)
	if res == nil {
		return verified{}, err
	}
	if res.Behaviour != nil {
		res.Behaviour.Notes = res.Notes // in the report, beside the checks
	}
	as.AddBehaviour(res.Behaviour)
	return verified{as: as, notes: res.Notes}, err
}

// prefixed writes every write (one progress line each) with a prefix.
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p prefixed) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}
