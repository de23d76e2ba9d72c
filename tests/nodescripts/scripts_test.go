// Package nodescripts guards the lab node's shell scripts without running
// them (no root, no node needed): the node must leave the root network
// namespace alone, enter its own namespace with nsenter --net only, and
// stop processes only by the PIDs it recorded.
package nodescripts

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/labenv"
)

// nodeScripts returns the node's scripts, by path relative to the repo.
func nodeScripts(t *testing.T) map[string]string {
	t.Helper()
	root := labenv.RepoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "lab", "node", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "lab", "services", "node.sh"))
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		out[rel] = string(b)
	}
	if len(out) < 3 {
		t.Fatalf("found %d node scripts, want lab/services/node.sh and lab/node/*.sh", len(out))
	}
	return out
}

// code returns the non-blank, non-comment lines by line number (heredoc
// bodies included: the rules match commands in command position, so a
// manifest that only names a tool does not trip them).
func code(src string) map[int]string {
	lines := map[int]string{}
	for i, l := range strings.Split(src, "\n") {
		if s := strings.TrimSpace(l); s != "" && !strings.HasPrefix(s, "#") {
			lines[i+1] = l
		}
	}
	return lines
}

// TestNodeScripts_LeaveTheRootNetworkNamespaceAlone: every network change
// names a namespace (ip -n, or a command run through node_in / nsenter
// --net); `ip netns exec` (which also makes a private mount namespace and
// hides kubelet's mounts from containerd) is never used.
func TestNodeScripts_LeaveTheRootNetworkNamespaceAlone(t *testing.T) {
	rules := []struct {
		re   *regexp.Regexp
		ok   *regexp.Regexp // the line is fine when this matches too
		says string
	}{
		{regexp.MustCompile(`\bip netns exec\b`), nil, "uses `ip netns exec` (use nsenter --net only)"},
		{regexp.MustCompile(`(^|[;&|(]\s*|\s)ip (link|addr|address|route|rule)\b`), nil,
			"changes links, addresses or routes of the root namespace (use ip -n NS)"},
		// In command position: at the start of a line or after ; & | ( or $(.
		{regexp.MustCompile(`(^\s*|[;&|(]\s*)(iptables|ip6tables|iptables-restore|nft|ipset|sysctl|conntrack)\b`),
			regexp.MustCompile(`node_in|nsenter --net`), "runs a firewall or sysctl command outside the node's namespace"},
		{regexp.MustCompile(`/proc/sys/`), regexp.MustCompile(`node_in|nsenter --net`),
			"writes a sysctl outside the node's namespace"},
	}
	for file, src := range nodeScripts(t) {
		for n, line := range code(src) {
			for _, r := range rules {
				if r.re.MatchString(line) && (r.ok == nil || !r.ok.MatchString(line)) {
					t.Errorf("%s:%d %s:\n\t%s", file, n, r.says, strings.TrimSpace(line))
				}
			}
		}
	}
}

// TestNodeScripts_StopOnlyWhatTheyStarted: no kill by name or pattern, no
// broadcast signal; every kill signals a variable PID (recorded by
// lab_spawn, found in the node's own cgroup, or a shim serving the node's
// socket).
func TestNodeScripts_StopOnlyWhatTheyStarted(t *testing.T) {
	byName := regexp.MustCompile(`\b(pkill|killall|pgrep)\b`)
	kill := regexp.MustCompile(`\bkill\b([^;|&]*)`)
	pidArg := regexp.MustCompile(`^\s*-(TERM|KILL)\s+(--\s+)?"?-?\$(pid|p)\b"?`)
	kills := 0
	for file, src := range nodeScripts(t) {
		for n, line := range code(src) {
			if byName.MatchString(line) {
				t.Errorf("%s:%d stops processes by name:\n\t%s", file, n, strings.TrimSpace(line))
			}
			for _, m := range kill.FindAllStringSubmatch(line, -1) {
				kills++
				if !pidArg.MatchString(m[1]) {
					t.Errorf("%s:%d kill without a recorded PID:\n\t%s", file, n, strings.TrimSpace(line))
				}
			}
		}
	}
	if kills == 0 {
		t.Error("no kill found in the node's scripts: the guard no longer sees how the node stops")
	}
}
