package nodetraffic

import (
	"fmt"
	"strings"
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

// Matrix holds one verdict per client→server pair (true = connected).
type Matrix struct {
	Clients, Servers []Peer
	Allowed          map[[2]string]bool // {client, server}
	Detail           map[[2]string]string
}

// NewMatrix makes an empty matrix over clients and servers.
func NewMatrix(clients, servers []Peer) *Matrix {
	return &Matrix{Clients: clients, Servers: servers, Allowed: map[[2]string]bool{}, Detail: map[[2]string]string{}}
}

// Set records a verdict.
func (m *Matrix) Set(c, s Peer, ok bool, detail string) {
	m.Allowed[[2]string{c.String(), s.String()}] = ok
	m.Detail[[2]string{c.String(), s.String()}] = detail
}

// Get reads a verdict.
func (m *Matrix) Get(c, s Peer) bool { return m.Allowed[[2]string{c.String(), s.String()}] }

// Probe fills a matrix by traffic: every client connects to every server's
// pod IP and port with `probe connect`.
func Probe(t testing.TB, n *Node, clients, servers []Peer) *Matrix {
	t.Helper()
	m := NewMatrix(clients, servers)
	for _, c := range clients {
		for _, s := range servers {
			line, ok := n.Exec(t, c.Namespace, c.Pod, "connect", fmt.Sprintf("%s:%d", s.IP, s.Port), "1s")
			m.Set(c, s, ok, line)
		}
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
				d = append(d, fmt.Sprintf("%s → %s: %s says %s, %s says %s (%s)", c, s, mName, word(a), otherName, word(b),
					m.Detail[[2]string{c.String(), s.String()}]))
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
		fmt.Fprintf(&b, "  %s:%d", s, s.Port)
	}
	b.WriteString("\n")
	for _, c := range m.Clients {
		fmt.Fprintf(&b, "%-*s", w, c.String())
		for _, s := range m.Servers {
			mark := "X"
			if m.Get(c, s) {
				mark = "."
			}
			fmt.Fprintf(&b, "  %-*s", len(fmt.Sprintf("%s:%d", s, s.Port)), mark)
		}
		b.WriteString("\n")
	}
	return b.String()
}
