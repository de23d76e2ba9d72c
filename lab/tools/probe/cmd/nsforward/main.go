// Command nsforward makes one TCP service inside a network namespace
// reachable from 127.0.0.1 in the namespace nsforward starts in, without
// any interface, route or firewall rule in either namespace: it listens
// where it starts, and dials the target from one OS thread moved into the
// other namespace (a socket stays in the namespace it was created in).
// The lab's node (lab/services/node.sh) runs its API server inside the
// node's namespace; this is how tools and tests on the host reach it.
//
//	nsforward -netns /var/run/netns/NAME -listen 127.0.0.1:PORT -target 10.77.0.2:6443
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

type dialReq struct {
	reply chan dialRes
}

type dialRes struct {
	c   net.Conn
	err error
}

func main() {
	netns := flag.String("netns", "", "network namespace file to dial in, e.g. /var/run/netns/NAME (required)")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on, in the starting namespace")
	target := flag.String("target", "", "HOST:PORT to dial inside -netns (required)")
	flag.Parse()
	if *netns == "" || *target == "" {
		fmt.Fprintln(os.Stderr, "usage: nsforward -netns FILE -listen ADDR -target HOST:PORT")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nsforward: -listen %s: %v\n", *listen, err)
		os.Exit(1)
	}
	dials := make(chan dialReq)
	ready := make(chan error)
	go dialer(*netns, *target, dials, ready)
	if err := <-ready; err != nil {
		fmt.Fprintf(os.Stderr, "nsforward: -netns %s: %v\n", *netns, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "nsforward: %s -> %s in %s\n", ln.Addr(), *target, *netns)
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "nsforward: accept:", err)
			os.Exit(1)
		}
		go pipe(c, dials)
	}
}

// dialer owns the one thread inside the target namespace; it never unlocks
// it, so Go discards the thread instead of reusing it elsewhere.
func dialer(netns, target string, dials <-chan dialReq, ready chan<- error) {
	runtime.LockOSThread()
	fd, err := unix.Open(netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		_ = unix.Close(fd)
	}
	ready <- err
	if err != nil {
		return
	}
	for r := range dials {
		c, err := net.DialTimeout("tcp", target, 5*time.Second)
		r.reply <- dialRes{c, err}
	}
}

func pipe(in net.Conn, dials chan<- dialReq) {
	defer func() { _ = in.Close() }()
	reply := make(chan dialRes, 1)
	dials <- dialReq{reply}
	res := <-reply
	if res.err != nil {
		fmt.Fprintln(os.Stderr, "nsforward: dial:", res.err)
		return
	}
	out := res.c
	defer func() { _ = out.Close() }()
	var wg sync.WaitGroup
	wg.Add(2)
	// Half-close each way when its copy ends, so either side can finish first.
	go func() { defer wg.Done(); _, _ = io.Copy(out, in); _ = out.(*net.TCPConn).CloseWrite() }()
	go func() { defer wg.Done(); _, _ = io.Copy(in, out); _ = in.(*net.TCPConn).CloseWrite() }()
	wg.Wait()
}
