package nodetraffic

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Peer is one probe pod: a client (idle, runs probes) or a server (HTTP on
// Port). A peer outside the cluster's pods (e.g. the API server on the
// node's address) has no Namespace; Pod then only names it.
type Peer struct {
	Namespace, Pod string
	Labels         map[string]string
	IP             string
	Port           int // servers only
}

func (p Peer) String() string {
	if p.Namespace == "" {
		return p.Pod
	}
	return p.Namespace + "/" + p.Pod
}

// Target is a server as a matrix column: the peer and its port (one pod
// may be a column per port).
func (p Peer) Target() string { return fmt.Sprintf("%s:%d", p, p.Port) }

// Matrix holds one verdict per client→server pair (true = connected).
type Matrix struct {
	Clients, Servers []Peer
	Allowed          map[[2]string]bool // {client, server target}
	Detail           map[[2]string]string
}

// NewMatrix makes an empty matrix over clients and servers.
func NewMatrix(clients, servers []Peer) *Matrix {
	return &Matrix{Clients: clients, Servers: servers, Allowed: map[[2]string]bool{}, Detail: map[[2]string]string{}}
}

// Set records a verdict.
func (m *Matrix) Set(c, s Peer, ok bool, detail string) {
	m.Allowed[[2]string{c.String(), s.Target()}] = ok
	m.Detail[[2]string{c.String(), s.Target()}] = detail
}

// Get reads a verdict.
func (m *Matrix) Get(c, s Peer) bool { return m.Allowed[[2]string{c.String(), s.Target()}] }

// probeWorkers bounds the concurrent `kubectl exec`s of a matrix (each is
// a kubectl process and an API round trip; the lab has 2 cores).
const probeWorkers = 4

// Probe fills a matrix by traffic: every client connects to every server's
// IP and port with `probe connect` (1 s timeout: a drop shows as TIMEOUT,
// a reject as REFUSED).
func Probe(t testing.TB, n *Node, clients, servers []Peer) *Matrix {
	t.Helper()
	m := NewMatrix(clients, servers)
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, probeWorkers)
	var wg sync.WaitGroup
	for _, c := range clients {
		for _, s := range servers {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				line, ok, err := n.exec(c.Namespace, c.Pod, "connect", fmt.Sprintf("%s:%d", s.IP, s.Port), "1s")
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				m.Set(c, s, ok, line)
			}()
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	return m
}

// Diff lists the pairs where m and other disagree, naming them by what
// each says ("allow"/"deny").
func (m *Matrix) Diff(other *Matrix, mName, otherName string) []string {
	var d []string
	for _, c := range m.Clients {
		for _, s := range m.Servers {
			if a, b := m.Get(c, s), other.Get(c, s); a != b {
				d = append(d, fmt.Sprintf("%s → %s: %s says %s, %s says %s (%s)", c, s.Target(), mName, word(a), otherName, word(b),
					m.Detail[[2]string{c.String(), s.Target()}]))
			}
		}
	}
	return d
}

func word(ok bool) string {
	if ok {
		return "allow"
	}
	return "deny"
}

// String renders the matrix: rows are clients, columns servers, "." allowed,
// "X" denied (cyclonus's notation).
func (m *Matrix) String() string {
	var b strings.Builder
	w := len("client \\ server")
	for _, c := range m.Clients {
		w = max(w, len(c.String()))
	}
	fmt.Fprintf(&b, "%-*s", w, "client \\ server")
	for _, s := range m.Servers {
		fmt.Fprintf(&b, "  %s", s.Target())
	}
	b.WriteString("\n")
	for _, c := range m.Clients {
		fmt.Fprintf(&b, "%-*s", w, c.String())
		for _, s := range m.Servers {
			mark := "X"
			if m.Get(c, s) {
				mark = "."
			}
			fmt.Fprintf(&b, "  %-*s", len(s.Target()), mark)
		}
		b.WriteString("\n")
	}
	return b.String()
}
