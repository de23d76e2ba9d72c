package nodetraffic

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// Outside is a network namespace the test creates for hosts "outside the
// cluster" (a cloud metadata address, private addresses, a public
// backend): it hangs off the node's gateway namespace by a veth pair, and
// the gateway routes the hosts' addresses to it. Nothing leaves the
// machine and the root network namespace is not touched. Each host runs
// `probe serve` on the given ports.
type Outside struct {
	Name  string   // namespace name under /var/run/netns
	Hosts []string // the addresses, each on the namespace's loopback
}

// StartOutside creates the namespace with hosts listening on ports, and
// removes it (listener first, by its PID) when the test ends. gwNetns is
// the node's gateway namespace file (lab.env RAMPART_NODE_GW_NETNS).
func StartOutside(t testing.TB, gwNetns string, hosts []string, ports ...int) *Outside {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("creating the outside hosts' network namespace needs root (as the lab node does)")
	}
	probe := labenv.RequireTool(t, "probe", "build it with `bash lab/toolchain.sh probe`")
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	o := &Outside{Name: "rampart-ext-" + hex.EncodeToString(b), Hosts: hosts}
	gw := filepath.Base(gwNetns)
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", o.Name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", o.Name).Run() })
	// A /30 between the gateway (.1) and the outside namespace (.2). A run
	// killed before its cleanup leaves its ext0 behind: removed first, so
	// the next run does not fail on "File exists".
	_ = exec.Command("ip", "-n", gw, "link", "del", "ext0").Run()
	run("-n", gw, "link", "add", "ext0", "type", "veth", "peer", "name", "eth0", "netns", o.Name)
	run("-n", gw, "addr", "add", "10.78.0.1/30", "dev", "ext0")
	run("-n", gw, "link", "set", "ext0", "up")
	run("-n", o.Name, "addr", "add", "10.78.0.2/30", "dev", "eth0")
	run("-n", o.Name, "link", "set", "lo", "up")
	run("-n", o.Name, "link", "set", "eth0", "up")
	run("-n", o.Name, "route", "add", "default", "via", "10.78.0.1")
	var addrs []string
	for _, h := range hosts {
		run("-n", o.Name, "addr", "add", h+"/32", "dev", "lo")
		// Deleting the namespace deletes the veth pair, and with it this route.
		run("-n", gw, "route", "add", h+"/32", "via", "10.78.0.2")
		for _, p := range ports {
			addrs = append(addrs, fmt.Sprintf("%s:%d", h, p))
		}
	}
	cmd := exec.Command("nsenter", append([]string{"--net=/var/run/netns/" + o.Name, probe, "serve"}, addrs...)...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the outside hosts' listeners: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for _, a := range addrs {
		deadline := time.Now().Add(10 * time.Second)
		for exec.Command("nsenter", "--net=/var/run/netns/"+o.Name, probe, "connect", a, "1s").Run() != nil {
			if time.Now().After(deadline) {
				t.Fatalf("outside host %s is not listening after 10s", a)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return o
}
