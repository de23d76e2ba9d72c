package verify

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/inventory"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults of Options.
const (
	DefaultTimeout         = 5 * time.Minute
	DefaultConnectTimeout  = 2 * time.Second
	DefaultSettle          = 3 * time.Second
	DefaultParallel        = 3
	DefaultMetadataAddress = "169.254.169.254:80"
	DefaultDNSService      = "kube-dns"
	// CleanupTimeout bounds the cleanup, which runs on a fresh context
	// (after Ctrl-C or the run's own timeout too).
	CleanupTimeout = time.Minute
	// dnsName is looked up through the pod's search list, so it resolves
	// whatever the cluster domain: kubernetes.default.svc.<domain>.
	dnsName = "kubernetes.default.svc"
	// podStart bounds how long a probe pod may take to start (image pull
	// included).
	podStart = 90 * time.Second
	// apiTimeout bounds each API call that is not a wait for a pod (the
	// dry runs, /readyz, the DNS Service, the namespace's create, the
	// sweeps), so that one slow answer cannot use the whole run's time.
	apiTimeout = 30 * time.Second
)

// Options configures a run.
type Options struct {
	// ProbeImage runs every probe pod (required): the lab's locally built
	// probe, or the release's image by digest.
	ProbeImage string
	// NodeName, when set, is every probe pod's spec.nodeName: for a cluster
	// without a scheduler (the lab's node). Default "": the scheduler
	// places them.
	NodeName string
	// Timeout bounds the whole run but the cleanup (CleanupTimeout).
	// Default DefaultTimeout.
	Timeout time.Duration
	// ConnectTimeout bounds each connection and lookup. Default 2s.
	ConnectTimeout time.Duration
	// Settle is how long a client waits before it connects, so that the
	// policy enforcer has programmed the new pod (a pod probed before is
	// not yet confined on some enforcers). Default 3s; negative: none.
	Settle time.Duration
	// Parallel is how many client pods run at once. Default 3.
	Parallel int
	// MetadataAddress is the cloud metadata endpoint (IP:PORT). Default
	// 169.254.169.254:80, which answers on the major clouds; it is also
	// probed on the gateway's HTTPS port, the port its egress policy opens.
	// Like every outside address, a "closed" to it counts only when the
	// unmanaged namespace's client reached it (see Inconclusive); where it
	// does not answer, give one that does.
	MetadataAddress string
	// PrivateAddresses are RFC 1918 addresses (IP or IP:PORT; the port
	// defaults to the gateway's HTTPS port) of hosts that answer. Default
	// none: no private-address check is made, and the run notes it. There
	// is no safe guess: an address that does not exist proves nothing, and
	// a well-known one may be the cluster's own (10.0.0.1 is the kubernetes
	// Service on AKS).
	PrivateAddresses []string
	// PublicAddress is an address the gateway must reach (IP:PORT,
	// outside the SSRF blocklist); "" when the cluster has none.
	PublicAddress string
	// DNSService is the cluster DNS Service in the intent's DNS namespace,
	// whose ClusterIP the lookups go to. Default "kube-dns"; when it cannot
	// be read, the pods' resolv.conf server is used and the checks say so.
	DNSService string
	// ProbeRole and ProbeSubjects (ProbeBindingFromDeployment: the
	// stack's verifier) make the throwaway namespace's RoleBinding: the
	// verifier identity may run probes only where the probe role is bound,
	// and binds it there itself. Empty: no binding (a cluster admin needs
	// none).
	ProbeRole     string
	ProbeSubjects []rbacv1.Subject
	// RunID names this run's pods and throwaway namespace. Default: 6
	// random hex digits.
	RunID string
	// Progress receives one line per step; nil: none.
	Progress io.Writer
}

// outside is an address outside the cluster a client probes.
type outside struct {
	what string // metadata, private, public
	addr netip.AddrPort
	// derived: not given but added, the metadata address on the gateway's
	// HTTPS port. Metadata services do not answer there, so where the
	// control cannot reach it a closed observation is left out and noted,
	// not failed: no flag could make it conclusive.
	derived bool
}

// target is the probe's target for o.
func (o outside) target() string { return tcpTarget(o.addr.Addr().String(), int(o.addr.Port())) }

// flag is the option that gives an address of o's kind, for a Why.
func (o outside) flag() string {
	switch o.what {
	case "metadata":
		return "--metadata-address IP:PORT"
	case "private":
		return "--private-address IP[:PORT]"
	}
	return "--public-address IP:PORT"
}

func (o Options) withDefaults() Options {
	o.Timeout = cmp.Or(o.Timeout, DefaultTimeout)
	o.ConnectTimeout = cmp.Or(o.ConnectTimeout, DefaultConnectTimeout)
	switch {
	case o.Settle == 0:
		o.Settle = DefaultSettle
	case o.Settle < 0: // no wait at all
		o.Settle = 0
	}
	o.Parallel = cmp.Or(o.Parallel, DefaultParallel)
	o.MetadataAddress = cmp.Or(o.MetadataAddress, DefaultMetadataAddress)
	o.DNSService = cmp.Or(o.DNSService, DefaultDNSService)
	if o.RunID == "" {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		o.RunID = hex.EncodeToString(b)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

// Validate reports what is wrong with the options before any cluster is
// touched: the image, the durations and counts, the addresses' syntax.
func (o Options) Validate() error {
	var errs []error
	if strings.TrimSpace(o.ProbeImage) == "" {
		errs = append(errs, errors.New("no probe image: give the probe image (by digest outside the lab)"))
	}
	if o.Timeout < 0 || o.ConnectTimeout < 0 || o.Parallel < 0 {
		errs = append(errs, errors.New("timeouts and the parallel count must not be negative"))
	}
	addr := func(what, s string, needPort bool) {
		if s == "" {
			return
		}
		if _, err := netip.ParseAddr(s); err == nil && !needPort {
			return
		}
		if ap, err := netip.ParseAddrPort(s); err != nil || ap.Port() == 0 {
			form := "IP:PORT"
			if !needPort {
				form = "IP or IP:PORT"
			}
			errs = append(errs, fmt.Errorf("%s %q is not %s (an address, not a name: the expected verdict depends on whether it is in the SSRF blocklist)", what, s, form))
		}
	}
	addr("metadata address", o.MetadataAddress, false)
	addr("public address", o.PublicAddress, true)
	for _, p := range o.PrivateAddresses {
		addr("private address", p, false)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return nil
}

// outsideTargets validates the outside addresses and returns them with
// their ports: the metadata address (also on the gateway's HTTPS port), the
// private addresses, the public one.
func (o Options) outsideTargets(x *expecter) ([]outside, error) {
	https := 443
	if g := x.in.Gateway; g != nil && g.PublicEgress != nil && len(g.PublicEgress.Ports) > 0 {
		https = g.PublicEgress.Ports[0]
	}
	parse := func(flag, s string) (netip.AddrPort, error) {
		if a, err := netip.ParseAddr(s); err == nil {
			return netip.AddrPortFrom(a.Unmap(), uint16(https)), nil //nolint:gosec // a validated port
		}
		ap, err := netip.ParseAddrPort(s)
		if err != nil || ap.Port() == 0 {
			return ap, fmt.Errorf("verify: %s %q: not IP or IP:PORT (give an address, not a name: the expected verdict depends on whether it is in the SSRF blocklist)", flag, s)
		}
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	var out []outside
	md, err := parse("metadata address", o.MetadataAddress)
	if err != nil {
		return nil, err
	}
	out = append(out, outside{what: "metadata", addr: md})
	if int(md.Port()) != https {
		out = append(out, outside{what: "metadata", addr: netip.AddrPortFrom(md.Addr(), uint16(https)), derived: true}) //nolint:gosec // a validated port
	}
	for _, p := range o.PrivateAddresses {
		ap, err := parse("private address", p)
		if err != nil {
			return nil, err
		}
		out = append(out, outside{what: "private", addr: ap})
	}
	if o.PublicAddress != "" {
		ap, err := parse("public address", o.PublicAddress)
		if err != nil {
			return nil, err
		}
		if entry, blocked := x.blocked(ap.Addr()); blocked {
			return nil, fmt.Errorf("verify: public address %s is in the SSRF blocklist entry %s: give an address the gateway may reach", ap, entry)
		}
		out = append(out, outside{what: "public", addr: ap})
	}
	return out, nil
}

// run is one verify run.
type run struct {
	prober
	o       Options
	in      *Intent
	x       *expecter
	outside []outside
	// now is the clock the sweeps age objects by.
	now func() time.Time
	mu  sync.Mutex
	// throwaway is the unmanaged namespace, recorded before its create so
	// that a create cut short (Ctrl-C) is deleted too.
	throwaway string
	created   [][2]string // namespace, name of every pod created or being created
	notes     []string
}

func (r *run) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = fmt.Fprintf(r.o.Progress, "verify: "+format+"\n", args...)
}

// Result is one run: its checks and its notes.
type Result struct {
	// Behaviour holds a check per observation.
	Behaviour *compliance.Behaviour
	// Notes say what the run did not check or clean up, and why (no
	// private address given, no sweep of earlier runs possible): neither a
	// pass nor a failure, so never a check.
	Notes []string
}

// Run exercises the cluster c points at against the declared intent in:
// the Pod Security dry runs, the API server's /readyz?verbose, then the
// traffic between probe pods in every managed namespace and a throwaway
// unmanaged one, to DNS and to the outside addresses. Before, it sweeps the
// throwaway namespaces of dead runs (where it may list namespaces). It
// always cleans up (this run's pods and namespace, on a fresh context
// bounded by CleanupTimeout, even when ctx was cancelled). The Behaviour
// holds a check per observation; a probe that could not run is a failed
// check, not an error. The error is for what stops the run (bad options, a
// cancelled context) or a cleanup that left objects behind; the Result is
// then returned too, with what was observed.
func Run(ctx context.Context, c *inventory.Client, in *Intent, o Options) (res *Result, err error) {
	if c == nil || c.Kube == nil {
		return nil, errors.New("verify: no cluster client")
	}
	if in == nil {
		return nil, errors.New("verify: no network intent")
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	x, err := newExpecter(in)
	if err != nil {
		return nil, err
	}
	o = o.withDefaults()
	out, err := o.outsideTargets(x)
	if err != nil {
		return nil, err
	}
	r := &run{prober: prober{kube: c.Kube}, o: o, in: in, x: x, outside: out, now: time.Now}
	b := &compliance.Behaviour{Server: c.Host, ProbeImage: o.ProbeImage, Started: time.Now().UTC()}
	// Deferred, so that the cleanup runs on every path, a panic included.
	defer func() {
		cleanErr := r.cleanup(ctx)
		b.Finished = time.Now().UTC()
		res, err = &Result{Behaviour: b, Notes: r.notesSoFar()}, errors.Join(err, cleanErr)
	}()
	rctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	return nil, r.exercise(rctx, b)
}

// exercise runs every check into b.
func (r *run) exercise(ctx context.Context, b *compliance.Behaviour) error {
	if len(r.o.PrivateAddresses) == 0 {
		r.note("no private-address check was made: no --private-address was given. Give the RFC 1918 IP[:PORT] of a host that " +
			"answers (a closed to an address nothing listens on proves nothing; 10.0.0.1 is the kubernetes Service on AKS)")
	}
	r.sweepNamespaces(ctx)
	rz, cancel := context.WithTimeout(ctx, apiTimeout)
	b.Readyz = Readyz(rz, r.kube)
	cancel()
	b.Checks = append(b.Checks, r.dryRuns(ctx)...)
	r.logf("%d Pod Security dry runs done", 2*len(r.in.Namespaces))
	b.Checks = append(b.Checks, r.traffic(ctx)...)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("verify: run %s stopped (%w): the checks not made are reported as %q", r.o.RunID, err, NotRun)
	}
	return nil
}

// server is one probe server.
type server struct {
	peer  Peer
	ports []int
	ip    string
	err   error
}

// client is one probe client and what it observed.
type client struct {
	peer    Peer
	role    string
	targets []string
	lines   map[string]probeLine
	err     error
}

// traffic starts a server in every managed namespace and the throwaway
// one, then the clients, a few at a time, and turns their observations
// into checks.
func (r *run) traffic(ctx context.Context) []compliance.Check {
	var servers []*server
	for _, n := range r.in.Namespaces {
		servers = append(servers, &server{peer: Peer{Namespace: n.Name, Managed: true}, ports: r.serverPorts(n.Name)})
	}
	unmanaged := &server{peer: Peer{Namespace: NamespacePrefix + r.o.RunID}, ports: []int{ProbePort}}
	servers = append(servers, unmanaged)
	nsErr := r.createThrowaway(ctx)
	if nsErr != nil {
		unmanaged.err = nsErr
	}
	r.startServers(ctx, servers)

	dnsServer, dnsNote := r.dnsServer(ctx)
	clients := r.clients(unmanaged.peer.Namespace)
	for _, cl := range clients {
		cl.targets = r.targetsOf(servers, dnsServer)
		if nsErr != nil && !cl.peer.Managed {
			cl.err = nsErr
		}
	}
	r.runClients(ctx, clients)
	var ctl control
	for _, cl := range clients {
		if !cl.peer.Managed {
			ctl.cl = cl
		}
	}
	for _, o := range r.outside {
		if reached, saw := ctl.reached(o.target(), false); o.derived && !reached {
			r.note("%s %s (the metadata address on the gateway's HTTPS port) did not answer the unmanaged namespace's client either (%s): "+
				"no closed observation of it was counted (an open one still fails). The SSRF blocklist on that port is checked by a "+
				"--private-address that answers on it", o.what, o.addr, saw)
		}
	}
	var out []compliance.Check
	for _, cl := range clients {
		out = append(out, r.checksOf(cl, servers, ctl, dnsServer, dnsNote)...)
	}
	return out
}

// serverPorts are the ports a managed namespace's server serves:
// ProbePort and the route backends' ports there.
func (r *run) serverPorts(ns string) []int {
	ports := []int{ProbePort}
	for _, b := range r.in.Ingress.Backends {
		if b.Namespace == ns && !slices.Contains(ports, b.Port) {
			ports = append(ports, b.Port)
		}
	}
	slices.Sort(ports)
	return ports
}

// startServers creates every server and waits until each serves (or fails).
func (r *run) startServers(ctx context.Context, servers []*server) {
	start := time.Now()
	deadline := r.o.Timeout + CleanupTimeout
	var wg sync.WaitGroup
	for _, s := range servers {
		if s.err != nil {
			continue
		}
		pod := serverPod(r.o, s.peer.Namespace, r.o.RunID, s.ports, deadline)
		r.track(pod.Namespace, pod.Name)
		if err := r.create(ctx, pod); err != nil {
			s.err = err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			wctx, cancel := context.WithTimeout(ctx, podStart)
			defer cancel()
			got, err := r.wait(wctx, pod.Namespace, pod.Name, serving)
			if err != nil {
				s.err = err
				return
			}
			s.ip = got.Status.PodIP
		}()
	}
	wg.Wait()
	up := 0
	for _, s := range servers {
		if s.err == nil {
			up++
		} else {
			r.logf("server in %s: %v", s.peer.Namespace, s.err)
		}
	}
	r.logf("%d of %d servers serving in %s", up, len(servers), time.Since(start).Round(time.Second))
}

// dnsServer is the DNS Service's address ("" for the pods' resolv.conf
// server) and, when it cannot be read, why.
func (r *run) dnsServer(ctx context.Context) (string, string) {
	d := r.in.DNS
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	svc, err := r.kube.CoreV1().Services(d.Namespace).Get(ctx, r.o.DNSService, metav1.GetOptions{})
	switch {
	case err != nil:
		return "", fmt.Sprintf("Service %s/%s not read (%v): the lookups went to the pods' resolv.conf server", d.Namespace, r.o.DNSService, err)
	case svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone:
		return "", fmt.Sprintf("Service %s/%s has no ClusterIP: the lookups went to the pods' resolv.conf server", d.Namespace, r.o.DNSService)
	}
	return net.JoinHostPort(svc.Spec.ClusterIP, strconv.Itoa(cmp.Or(d.Port, 53))), ""
}

// clients are a plain client in every managed namespace, the gateway's
// pod (its labels) in the gateway's namespace, an ingress proxy (its
// labels) in the ingress namespace when the entry point is on, and a client
// in the unmanaged namespace.
func (r *run) clients(unmanaged string) []*client {
	var out []*client
	for _, n := range r.in.Namespaces {
		out = append(out, &client{peer: Peer{Namespace: n.Name, Managed: true}, role: roleClient})
		if g := r.in.Gateway; g != nil && g.Namespace == n.Name {
			out = append(out, &client{peer: Peer{Namespace: n.Name, Managed: true, Labels: g.PodLabels, Role: "gateway pod"}, role: roleGateway})
		}
		if ing := r.in.Ingress; ing.Enabled && ing.Namespace == n.Name && len(ing.ProxyPodLabels) > 0 {
			out = append(out, &client{peer: Peer{Namespace: n.Name, Managed: true, Labels: ing.ProxyPodLabels, Role: "ingress proxy pod"}, role: roleProxy})
		}
	}
	return append(out, &client{peer: Peer{Namespace: unmanaged}, role: roleClient})
}

func tcpTarget(ip string, port int) string { return "tcp:" + net.JoinHostPort(ip, strconv.Itoa(port)) }

func dnsTarget(network, server string) string {
	t := "dns:" + network + ":" + dnsName
	if server != "" {
		t += "@" + server
	}
	return t
}

// targetsOf is what every client probes: every serving server's ports,
// DNS over UDP and TCP, every outside address.
func (r *run) targetsOf(servers []*server, dns string) []string {
	var t []string
	for _, s := range servers {
		if s.err != nil {
			continue
		}
		for _, p := range s.ports {
			t = append(t, tcpTarget(s.ip, p))
		}
	}
	t = append(t, dnsTarget("udp", dns), dnsTarget("tcp", dns))
	for _, o := range r.outside {
		t = append(t, o.target())
	}
	return t
}

// clientDeadline bounds one client: start, settle, its targets
// probeParallel at a time, each within the connect timeout.
func (r *run) clientDeadline(targets int) time.Duration {
	rounds := (targets + probeParallel - 1) / probeParallel
	return podStart + r.o.Settle + time.Duration(rounds+1)*r.o.ConnectTimeout
}

// runClients runs the clients, o.Parallel at a time.
func (r *run) runClients(ctx context.Context, clients []*client) {
	sem := make(chan struct{}, r.o.Parallel)
	var wg sync.WaitGroup
	for _, cl := range clients {
		if cl.err != nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cl.lines, cl.err = r.runClient(ctx, cl)
			if cl.err != nil {
				r.logf("client %s: %v", cl.peer, cl.err)
			} else {
				r.logf("client %s: %d targets probed", cl.peer, len(cl.lines))
			}
		}()
	}
	wg.Wait()
}

// runClient creates the client pod, waits until it ends, reads its log and
// deletes it on every path (freeing its namespace's quota for the next; a
// pod that never started or ran past its bound too, on a fresh context when
// ctx is over).
func (r *run) runClient(ctx context.Context, cl *client) (map[string]probeLine, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bound := r.clientDeadline(len(cl.targets))
	pod := clientPod(r.o, cl.peer.Namespace, cl.role, r.o.RunID, cl.peer.Labels, cl.targets, bound)
	r.track(pod.Namespace, pod.Name)
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), apiTimeout)
		defer cancel()
		if err := r.remove(dctx, pod.Namespace, pod.Name); err != nil {
			r.logf("%v (the cleanup tries again)", err)
		}
	}()
	if err := r.create(ctx, pod); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	got, err := r.wait(wctx, pod.Namespace, pod.Name, finished)
	if err != nil {
		return nil, err
	}
	lctx, lcancel := context.WithTimeout(ctx, apiTimeout)
	log, lerr := r.logs(lctx, pod.Namespace, pod.Name)
	lcancel()
	if lerr != nil {
		return nil, lerr
	}
	lines, err := parseCheck(log)
	if err != nil {
		return lines, fmt.Errorf("%w (pod %s)", err, describe(got))
	}
	return lines, nil
}
