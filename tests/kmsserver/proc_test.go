package kmsserver_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one process this test started (etcd, kube-apiserver, the KMS
// plugin), its output in a log file, stopped by its PID when the test ends.
type proc struct {
	name, log string
	cmd       *exec.Cmd
	done      chan struct{} // closed once the process has exited
	err       error         // Wait's result, set before done closes
}

// startProc runs bin with args in dir, with only HOME and PATH in its
// environment (no KUBECONFIG, ETCDCTL_* or BAO_* of the caller), its output
// in log; owner's cleanup stops it (owner is the top-level test when a
// subtest restarts a process that must outlive the subtest), t fails.
func startProc(t, owner *testing.T, name, dir, log, bin string, args ...string) *proc {
	t.Helper()
	logf, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, log: log, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin"}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		_ = logf.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.err = p.cmd.Wait(); _ = logf.Close(); close(p.done) }()
	owner.Cleanup(func() { p.stop(owner) })
	return p
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the PID and waits; SIGKILL after 20 s. Stopping a
// stopped process does nothing.
func (p *proc) stop(t *testing.T) {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Logf("%s (pid %d) did not stop on SIGTERM within 20 s; killed", p.name, p.cmd.Process.Pid)
	}
}

// tail is the last n lines of the process's log.
func (p *proc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePort is a TCP port on 127.0.0.1 nothing listened on a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// eventually polls cond every 500 ms until it holds or timeout passes, then
// fails with what cond last reported.
func eventually(t *testing.T, what string, timeout time.Duration, cond func() (bool, string)) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last: %s", what, timeout, last)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// tcpProxy forwards 127.0.0.1:port to OpenBao. The plugin reaches OpenBao
// only through it, so closing it makes OpenBao unreachable while the dev
// server (which keeps its data in memory only) keeps its transit key, and
// reopening it on the same port brings OpenBao back. TLS passes through
// untouched: the plugin still verifies OpenBao's own certificate.
type tcpProxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener // nil while closed
	conns        map[net.Conn]struct{}
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), target: target, conns: map[net.Conn]struct{}{}}
	p.open(t)
	t.Cleanup(p.close)
	return p
}

// open listens on the proxy's port again.
func (p *tcpProxy) open(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy: listen on %s: %v", p.addr, err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

// close stops listening and cuts every open connection.
func (p *tcpProxy) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// track registers c for close; a connection accepted just before a close
// is closed at once.
func (p *tcpProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *tcpProxy) pipe(c net.Conn) {
	if !p.track(c) {
		return
	}
	u, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	if !p.track(u) {
		_ = c.Close()
		return
	}
	go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
	_, _ = io.Copy(c, u)
	_ = c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, u)
	p.mu.Unlock()
}
