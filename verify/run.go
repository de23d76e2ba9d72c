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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
)

// DefaultPrivateAddresses are the RFC 1918 addresses probed when none is
// given: one in 10/8 and one in 192.168/16, on the gateway's HTTPS port.
var DefaultPrivateAddresses = []string{"10.0.0.1", "192.168.0.1"}

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
	// 169.254.169.254:80; it is also probed on the gateway's HTTPS port,
	// the port its egress policy opens.
	MetadataAddress string
	// PrivateAddresses are RFC 1918 addresses (IP or IP:PORT; the port
	// defaults to the gateway's HTTPS port). Default
	// DefaultPrivateAddresses.
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
	if o.PrivateAddresses == nil {
		o.PrivateAddresses = DefaultPrivateAddresses
	}
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
	if g := x.in.Gateway; g != nil && g.HTTPSPort != 0 {
		https = g.HTTPSPort
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
	out = append(out, outside{"metadata", md})
	if int(md.Port()) != https {
		out = append(out, outside{"metadata", netip.AddrPortFrom(md.Addr(), uint16(https))}) //nolint:gosec // a validated port
	}
	for _, p := range o.PrivateAddresses {
		ap, err := parse("private address", p)
		if err != nil {
			return nil, err
		}
		out = append(out, outside{"private", ap})
	}
	if o.PublicAddress != "" {
		ap, err := parse("public address", o.PublicAddress)
		if err != nil {
			return nil, err
		}
		if entry, blocked := x.blocked(ap.Addr()); blocked {
			return nil, fmt.Errorf("verify: public address %s is in the SSRF blocklist entry %s: give an address the gateway may reach", ap, entry)
		}
		out = append(out, outside{"public", ap})
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
	// throwaway is the unmanaged namespace, once created.
	throwaway string
	mu        sync.Mutex
	created   [][2]string // namespace, name of every pod created
}

func (r *run) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = fmt.Fprintf(r.o.Progress, "verify: "+format+"\n", args...)
}

// Run exercises the cluster c points at against the declared intent in:
// the privileged dry runs, the API server's /readyz?verbose, then the
// traffic between probe pods in every managed namespace and a throwaway
// unmanaged one, to DNS and to the outside addresses. It always cleans up
// (this run's pods and namespace, on a fresh context bounded by
// CleanupTimeout, even when ctx was cancelled). The Behaviour holds a check
// per observation; a probe that could not run is a failed check, not an
// error. The error is for what stops the run (bad options, a cancelled
// context) or a cleanup that left objects behind; the Behaviour is then
// returned too, with what was observed.
func Run(ctx context.Context, c *inventory.Client, in *Intent, o Options) (*compliance.Behaviour, error) {
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
	r := &run{prober: prober{kube: c.Kube}, o: o, in: in, x: x, outside: out}
	b := &compliance.Behaviour{Server: c.Host, ProbeImage: o.ProbeImage, Started: time.Now().UTC()}
	rctx, cancel := context.WithTimeout(ctx, o.Timeout)
	runErr := r.exercise(rctx, b)
	cancel()
	cleanErr := r.cleanup(ctx)
	b.Finished = time.Now().UTC()
	return b, errors.Join(runErr, cleanErr)
}

// exercise runs every check into b.
func (r *run) exercise(ctx context.Context, b *compliance.Behaviour) error {
	b.Readyz = Readyz(ctx, r.kube)
	b.Checks = append(b.Checks, r.dryRuns(ctx)...)
	r.logf("%d privileged dry runs done", len(r.in.Namespaces))
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
	var control *client
	for _, cl := range clients {
		if !cl.peer.Managed {
			control = cl
		}
	}
	var out []compliance.Check
	for _, cl := range clients {
		out = append(out, r.checksOf(cl, servers, control, dnsServer, dnsNote)...)
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

// createThrowaway creates the unmanaged namespace, labelled as a probe's.
func (r *run) createThrowaway(ctx context.Context) error {
	name := NamespacePrefix + r.o.RunID
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		LabelProbe: ProbeValue, LabelRun: r.o.RunID,
		"pod-security.kubernetes.io/enforce": "restricted",
	}}}
	if _, err := r.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create the unmanaged namespace %s: %w", name, err)
	}
	r.mu.Lock()
	r.throwaway = name
	r.mu.Unlock()
	if r.o.ProbeRole == "" {
		return nil
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: PodPrefix + "probes", Namespace: name, Labels: map[string]string{LabelProbe: ProbeValue, LabelRun: r.o.RunID}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: r.o.ProbeRole},
		Subjects:   r.o.ProbeSubjects,
	}
	if _, err := r.kube.RbacV1().RoleBindings(name).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("bind the probe role %s in the unmanaged namespace %s: %w", r.o.ProbeRole, name, err)
	}
	return nil
}

// track records a created pod for the cleanup.
func (r *run) track(ns, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.created = append(r.created, [2]string{ns, name})
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
		if err := r.create(ctx, pod); err != nil {
			s.err = err
			continue
		}
		r.track(pod.Namespace, pod.Name)
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
		t = append(t, tcpTarget(o.addr.Addr().String(), int(o.addr.Port())))
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
// deletes it (freeing its namespace's quota for the next).
func (r *run) runClient(ctx context.Context, cl *client) (map[string]probeLine, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bound := r.clientDeadline(len(cl.targets))
	pod := clientPod(r.o, cl.peer.Namespace, cl.role, r.o.RunID, cl.peer.Labels, cl.targets, bound)
	if err := r.create(ctx, pod); err != nil {
		return nil, err
	}
	r.track(pod.Namespace, pod.Name)
	wctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	got, err := r.wait(wctx, pod.Namespace, pod.Name, finished)
	if err != nil {
		return nil, err
	}
	log, lerr := r.logs(ctx, pod.Namespace, pod.Name)
	if err := r.remove(ctx, pod.Namespace, pod.Name); err != nil {
		r.logf("%v (the cleanup tries again)", err)
	}
	if lerr != nil {
		return nil, lerr
	}
	lines, err := parseCheck(log)
	if err != nil {
		return lines, fmt.Errorf("%w (pod %s)", err, describe(got))
	}
	return lines, nil
}

// checksOf turns one client's observations into checks: a check per
// server port, per DNS network and per outside address. The unmanaged
// client's DNS and outside results are controls, not checks: the stack
// promises nothing about an unmanaged namespace, but an address it cannot
// reach either shows that a "closed" elsewhere proves nothing.
func (r *run) checksOf(cl *client, servers []*server, control *client, dns, dnsNote string) []compliance.Check {
	var out []compliance.Check
	add := func(e Expectation, name, target string, dnsCheck bool, extra ...string) {
		c := compliance.Check{Item: e.Item, Name: name, Expected: e.Verdict, Why: e.Why}
		l, ok := cl.lines[target]
		switch {
		case cl.err != nil:
			c.Observed, c.Detail = NotRun, "client "+cl.peer.String()+": "+cl.err.Error()
		case !ok:
			c.Observed, c.Detail = NotRun, "the probe printed no line for "+target
		default:
			c.Observed, c.Detail = observed(l, dnsCheck), l.detail()
		}
		if cl.peer.Namespace != "" && !cl.peer.Managed {
			c.Detail = joinWhy(c.Detail, "unmanaged namespace "+cl.peer.Namespace)
		}
		c.Detail = joinWhy(append([]string{c.Detail}, extra...)...)
		c.OK = c.Observed == c.Expected
		out = append(out, c)
	}
	for _, s := range servers {
		for _, p := range s.ports {
			e := r.x.Pod(cl.peer, s.peer, p)
			name := fmt.Sprintf("%s → %s :%d/TCP", cl.peer, s.peer, p)
			if s.err != nil {
				out = append(out, compliance.Check{Item: e.Item, Name: name, Expected: e.Verdict, Observed: NotRun, Why: e.Why,
					Detail: "no server in " + s.peer.Namespace + ": " + s.err.Error()})
				continue
			}
			add(e, name, tcpTarget(s.ip, p), false)
		}
	}
	if !cl.peer.Managed {
		return out
	}
	d := r.in.DNS
	for _, network := range []string{"udp", "tcp"} {
		t := dnsTarget(network, dns)
		name := fmt.Sprintf("%s → DNS %s/%s %d/%s", cl.peer, d.Namespace, r.o.DNSService, cmp.Or(d.Port, 53), strings.ToUpper(network))
		add(r.x.DNS(cl.peer, network), name, t, true, dnsNote, controlNote(control, t, true, Open))
	}
	for _, o := range r.outside {
		t := tcpTarget(o.addr.Addr().String(), int(o.addr.Port()))
		e := r.x.Outside(cl.peer, o.addr.Addr(), int(o.addr.Port()))
		add(e, fmt.Sprintf("%s → %s %s/TCP", cl.peer, o.what, o.addr), t, false, controlNote(control, t, false, e.Verdict))
	}
	return out
}

// controlNote says what the unmanaged namespace's client saw of target:
// when a closed verdict is expected and the unmanaged client could not
// reach the target either, the closed observation proves nothing.
func controlNote(control *client, target string, dns bool, expected string) string {
	if control == nil || control.err != nil {
		return "no control from an unmanaged namespace"
	}
	l, ok := control.lines[target]
	if !ok {
		return ""
	}
	obs := observed(l, dns)
	if expected == Closed && obs != Open {
		return fmt.Sprintf("control: unreachable from the unmanaged namespace too (%s): closed here shows nothing about the policy", l.Verdict)
	}
	return "control from the unmanaged namespace: " + l.Verdict
}

// cleanup deletes every pod this run created, the finished probe pods of
// earlier runs in the managed namespaces, and the throwaway namespace, on
// a fresh context bounded by CleanupTimeout.
func (r *run) cleanup(parent context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), CleanupTimeout)
	defer cancel()
	r.mu.Lock()
	created, throwaway := slices.Clone(r.created), r.throwaway
	r.mu.Unlock()
	var errs []error
	for _, p := range created {
		errs = append(errs, r.remove(ctx, p[0], p[1]))
	}
	for _, n := range r.in.Namespaces {
		errs = append(errs, r.sweep(ctx, n.Name, r.o.RunID))
	}
	if throwaway != "" {
		if err := r.kube.CoreV1().Namespaces().Delete(ctx, throwaway, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete namespace %s: %w", throwaway, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("verify: cleanup of run %s left objects behind (delete pods labelled %s=%s, namespace %s): %w",
			r.o.RunID, LabelRun, r.o.RunID, throwaway, err)
	}
	r.logf("cleaned up: %d pods, namespace %s", len(created), throwaway)
	return nil
}
