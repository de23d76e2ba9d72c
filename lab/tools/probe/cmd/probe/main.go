// Command probe is the lab node's test workload (issue 13): one static
// binary, the only file of the probe and pause images, whose subcommands
// serve, connect, resolve names and report what the kernel lets the
// container do. Every check prints one line and exits 0 on success, 1 on a
// failed check and 2 on a usage error, so a test reads the verdict from
// the exit code of `kubectl exec`. `check` is for clients that cannot exec
// (rampart verify): it runs many checks and prints one JSON line each.
//
//	probe pause                      block until SIGTERM/SIGINT (sandbox and idle clients)
//	probe serve [ADDR...]            HTTP on each ADDR (default :8080): hostname and caller
//	probe connect HOST:PORT [T]      TCP connect within T (default 2s): OK, REFUSED, TIMEOUT or ERROR
//	probe get URL [T]                HTTP GET within T; prints the body
//	probe lookup NAME udp|tcp [T]    resolve NAME over UDP or TCP only, with the pod's resolv.conf
//	probe write-test PATH            create and write PATH: WRITABLE or READ-ONLY
//	probe status                     uid, gid, groups, CapEff, Seccomp, NoNewPrivs of this process
//	probe check [-timeout T] [-parallel N] [-settle S] TARGET...
//	                                 every TARGET within T (default 2s), N at a time (default 8),
//	                                 after waiting S (default 0); one JSON line per target, in
//	                                 order, then {"done":COUNT}; exit 0 whatever the verdicts
//	                                 (2 on a usage error). TARGET is tcp:HOST:PORT, or
//	                                 dns:udp|tcp:NAME[@SERVER:PORT] (NAME through the pod's
//	                                 resolv.conf search list, to SERVER when given)
//	probe fetch [-min V] [-max V] [-alpn LIST] [-ca FILE] [-connect IP:PORT] [-timeout T] URL
//	                                 one request, redirects not followed; one JSON line with the
//	                                 TLS version, cipher, ALPN, verified chain, status and headers
//	                                 (or the error); exit 0 when a response came back
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "pause":
		pause()
	case "serve":
		serve(args)
	case "connect":
		need(args, 1)
		os.Exit(connect(args[0], timeout(args, 1)))
	case "get":
		need(args, 1)
		os.Exit(get(args[0], timeout(args, 1)))
	case "lookup":
		need(args, 2)
		os.Exit(lookup(args[0], args[1], timeout(args, 2)))
	case "write-test":
		need(args, 1)
		os.Exit(writeTest(args[0]))
	case "status":
		os.Exit(status())
	case "check":
		os.Exit(check(args, os.Stdout))
	case "fetch":
		os.Exit(fetch(args, os.Stdout))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: probe pause | serve [ADDR...] | connect HOST:PORT [TIMEOUT] | get URL [TIMEOUT] |"+
		" lookup NAME udp|tcp [TIMEOUT] | write-test PATH | status |"+
		" check [-timeout T] [-parallel N] [-settle S] tcp:HOST:PORT|dns:udp|tcp:NAME[@SERVER:PORT]... |"+
		" fetch [-min V] [-max V] [-alpn LIST] [-ca FILE] [-connect IP:PORT] [-timeout T] URL")
	os.Exit(2)
}

func need(args []string, n int) {
	if len(args) < n {
		usage()
	}
}

// timeout parses args[i] as a duration; 2s when absent (a lab round trip
// is well under a millisecond, so 2s only bounds a dropped packet).
func timeout(args []string, i int) time.Duration {
	if len(args) <= i {
		return 2 * time.Second
	}
	d, err := time.ParseDuration(args[i])
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe: timeout %q: %v (use e.g. 2s)\n", args[i], err)
		os.Exit(2)
	}
	return d
}

func pause() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}

func serve(addrs []string) {
	if len(addrs) == 0 {
		addrs = []string{":8080"}
	}
	host, _ := os.Hostname()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = fmt.Fprintf(w, "%s %s\n", host, r.RemoteAddr) //nolint:gosec // plain text, the caller's own address
	})
	errs := make(chan error, len(addrs))
	for _, a := range addrs {
		srv := &http.Server{Addr: a, Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go func() { errs <- srv.ListenAndServe() }()
	}
	fmt.Fprintln(os.Stderr, "probe: serving on", strings.Join(addrs, " "))
	err := <-errs
	fmt.Fprintln(os.Stderr, "probe:", err)
	os.Exit(1)
}

// connect prints the verdict of one TCP connect: OK, REFUSED (a reject, e.g.
// an ICMP port-unreachable from a policy), TIMEOUT (a drop) or ERROR.
func connect(addr string, d time.Duration) int {
	c, err := net.DialTimeout("tcp", addr, d) //nolint:gosec // connecting where the test says is the probe's job
	if err == nil {
		_ = c.Close()
		fmt.Println("OK", addr)
		return 0
	}
	fmt.Println(verdict(err), addr, err)
	return 1
}

func verdict(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "REFUSED"
	case errors.As(err, &ne) && ne.Timeout():
		return "TIMEOUT"
	default:
		return "ERROR"
	}
}

func get(url string, d time.Duration) int {
	c := &http.Client{Timeout: d}
	resp, err := c.Get(url) //nolint:gosec // fetching what the test names is the probe's job
	if err != nil {
		fmt.Println(verdict(err), url, err)
		return 1
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Printf("%s %d %s", url, resp.StatusCode, body)
	if resp.StatusCode/100 != 2 {
		return 1
	}
	return 0
}

// lookup resolves name with the pure-Go resolver (the pod's resolv.conf:
// nameserver, search list, ndots) but dials every query over network only,
// so UDP and TCP port 53 are checked separately. A TCP connection makes the
// resolver frame its queries for TCP.
func lookup(name, network string, d time.Duration) int {
	if network != "udp" && network != "tcp" {
		fmt.Fprintf(os.Stderr, "probe: lookup network %q: use udp or tcp\n", network)
		return 2
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, addr string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, network, addr)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	addrs, err := r.LookupHost(ctx, name)
	if err != nil {
		fmt.Println("FAIL", name, network, err)
		return 1
	}
	fmt.Println("OK", name, network, strings.Join(addrs, ","))
	return 0
}

// writeTest creates path and writes to it; on a read-only root filesystem
// (readOnlyRootFilesystem) the create fails with EROFS.
func writeTest(path string) int {
	err := os.WriteFile(path, []byte("probe\n"), 0o600) //nolint:gosec // the test names the path to try
	if err != nil {
		fmt.Println("READ-ONLY", path, err)
		return 1
	}
	_ = os.Remove(path) //nolint:gosec // the file just written
	fmt.Println("WRITABLE", path)
	return 0
}

// status prints the identity and confinement fields of /proc/self/status
// (Seccomp: 0 none, 1 strict, 2 filter, e.g. RuntimeDefault) plus the uid
// and gid as the kernel reports them.
func status() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	fmt.Printf("uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	for _, line := range strings.Split(string(b), "\n") {
		k, _, _ := strings.Cut(line, ":")
		switch k {
		case "Uid", "Gid", "Groups", "CapEff", "CapBnd", "CapPrm", "Seccomp", "NoNewPrivs":
			fmt.Println(strings.Join(strings.Fields(line), " "))
		}
	}
	return 0
}

// checkLine is one line of `probe check`: the target as given, its verdict
// (tcp: OK, REFUSED, TIMEOUT or ERROR; dns: OK, NXDOMAIN or SERVFAIL when a
// server answered, else TIMEOUT, REFUSED or ERROR), the raw result and the
// time it took. rampart verify (verify/probeout.go) reads this shape from
// the pod's log.
type checkLine struct {
	Target  string `json:"target"`
	Verdict string `json:"verdict"`
	Detail  string `json:"detail,omitempty"`
	Millis  int64  `json:"ms"`
}

// checkTarget is a parsed TARGET of `probe check`.
type checkTarget struct {
	kind    string // "tcp" or "dns"
	addr    string // tcp: HOST:PORT
	network string // dns: udp or tcp
	name    string // dns: the name to resolve
	server  string // dns: SERVER:PORT, "" for resolv.conf's
}

func parseTarget(s string) (checkTarget, error) {
	kind, rest, _ := strings.Cut(s, ":")
	switch kind {
	case "tcp":
		if _, _, err := net.SplitHostPort(rest); err != nil {
			return checkTarget{}, fmt.Errorf("target %q: %v (use tcp:HOST:PORT)", s, err)
		}
		return checkTarget{kind: kind, addr: rest}, nil
	case "dns":
		network, q, _ := strings.Cut(rest, ":")
		name, server, hasServer := strings.Cut(q, "@")
		if (network != "udp" && network != "tcp") || name == "" {
			return checkTarget{}, fmt.Errorf("target %q: use dns:udp:NAME or dns:tcp:NAME[@SERVER:PORT]", s)
		}
		if hasServer {
			if _, _, err := net.SplitHostPort(server); err != nil {
				return checkTarget{}, fmt.Errorf("target %q: server: %v", s, err)
			}
		}
		return checkTarget{kind: kind, network: network, name: name, server: server}, nil
	}
	return checkTarget{}, fmt.Errorf("target %q: use tcp:HOST:PORT or dns:udp|tcp:NAME[@SERVER:PORT]", s)
}

// check runs every target, at most parallel at a time, and prints the
// lines in the order given, then {"done":N} so that a reader can tell a
// complete log from a truncated one. Every check is bounded by the
// timeout; the verdicts are data, so the exit status is 0 unless the
// arguments are wrong.
func check(args []string, stdout io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	d := fs.Duration("timeout", 2*time.Second, "bound of each check")
	parallel := fs.Int("parallel", 8, "checks at a time")
	settle := fs.Duration("settle", 0, "wait this long first (lets the network policy enforcer program a new pod)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *d <= 0 || *parallel < 1 || *settle < 0 {
		fmt.Fprintln(os.Stderr, "probe: check: -timeout and -parallel must be positive, -settle not negative")
		return 2
	}
	targets := make([]checkTarget, fs.NArg())
	for i, a := range fs.Args() {
		t, err := parseTarget(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "probe: check:", err)
			return 2
		}
		targets[i] = t
	}
	time.Sleep(*settle)
	lines := make([]checkLine, len(targets))
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			var l checkLine
			if t.kind == "tcp" {
				l = checkTCP(t.addr, *d)
			} else {
				l = checkDNS(t, *d)
			}
			l.Target, l.Millis = fs.Arg(i), time.Since(start).Milliseconds()
			lines[i] = l
		}()
	}
	wg.Wait()
	enc := json.NewEncoder(stdout)
	for _, l := range lines {
		_ = enc.Encode(l)
	}
	_ = enc.Encode(map[string]int{"done": len(lines)})
	return 0
}

func checkTCP(addr string, d time.Duration) checkLine {
	c, err := net.DialTimeout("tcp", addr, d) //nolint:gosec // connecting where the caller says is the probe's job
	if err != nil {
		return checkLine{Verdict: verdict(err), Detail: err.Error()}
	}
	local := c.LocalAddr().String()
	_ = c.Close()
	return checkLine{Verdict: "OK", Detail: "connected from " + local}
}

// checkDNS resolves t.name over t.network only (see lookup), through
// t.server when set. Any answer, NXDOMAIN and SERVFAIL included, shows the
// server was reached.
func checkDNS(t checkTarget, d time.Duration) checkLine {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, addr string) (net.Conn, error) {
		if t.server != "" {
			addr = t.server
		}
		var dl net.Dialer
		return dl.DialContext(ctx, t.network, addr)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	via := "resolv.conf's server"
	if t.server != "" {
		via = t.server
	}
	addrs, err := r.LookupHost(ctx, t.name)
	if err == nil {
		return checkLine{Verdict: "OK", Detail: "via " + via + ": " + strings.Join(addrs, ",")}
	}
	line := func(v string) checkLine { return checkLine{Verdict: v, Detail: "via " + via + ": " + err.Error()} }
	var de *net.DNSError
	switch {
	case errors.As(err, &de) && de.IsNotFound:
		return line("NXDOMAIN")
	case errors.As(err, &de) && de.IsTimeout, errors.Is(err, context.DeadlineExceeded):
		return line("TIMEOUT")
	case errors.Is(err, syscall.ECONNREFUSED), strings.Contains(err.Error(), "connection refused"):
		return line("REFUSED")
	case strings.Contains(err.Error(), "server misbehaving"):
		return line("SERVFAIL")
	}
	return line("ERROR")
}
