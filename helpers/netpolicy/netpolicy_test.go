package netpolicy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/helpers/verr"
)

func TestAPIServer_DefaultsPortsOnlyWhenAbsent(t *testing.T) {
	if got := (netpolicy.APIServer{}).WithDefaults().Ports; !slices.Equal(got, []int{443, 6443}) {
		t.Errorf("absent ports = %v, want [443 6443]", got)
	}
	if got := (netpolicy.APIServer{Ports: []int{}}).WithDefaults().Ports; got == nil || len(got) != 0 {
		t.Errorf("explicit [] became %v: an empty list must be kept (and refused), not replaced", got)
	}
	in := netpolicy.APIServer{CIDRs: []string{"10.96.0.1/32"}, Ports: []int{6443}}
	out := in.WithDefaults()
	out.CIDRs[0], out.Ports[0] = "x", 1
	if in.CIDRs[0] != "10.96.0.1/32" || in.Ports[0] != 6443 {
		t.Error("WithDefaults shares its slices with the input")
	}
}

func TestAPIServer_ValidateReportsEveryProblemAtItsKey(t *testing.T) {
	var l verr.List
	netpolicy.APIServer{CIDRs: []string{"10.96.0.1", "0.0.0.0/0"}, Ports: []int{443, 70000}}.Validate(&l, "rampart:x.apiServer", "the namespace is default-deny")
	err := l.Err()
	for _, want := range []string{
		`rampart:x.apiServer.cidrs[0]: "10.96.0.1": not a CIDR`,
		`rampart:x.apiServer.cidrs[1]: "0.0.0.0/0": admits every address`,
		`rampart:x.apiServer.ports[1]: 70000: not a port`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	l = verr.List{}
	netpolicy.APIServer{Ports: []int{}}.Validate(&l, "p.apiServer", "needed")
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "p.apiServer.cidrs: []: required: needed") ||
		!strings.Contains(err.Error(), `p.apiServer.ports: []: [] is not "unset"`) {
		t.Errorf("missing cidrs and explicit empty ports: %v", err)
	}
	l = verr.List{}
	netpolicy.APIServer{}.WithDefaults().Validate(&l, "p.apiServer", "")
	if err := l.Err(); err != nil {
		t.Errorf("optional endpoints refused: %v", err)
	}
}

func TestCheckPortKey_RefusesAWrittenZero(t *testing.T) {
	var l verr.List
	netpolicy.CheckPortKey(&l, "p.port", 0, 8200)
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "remove the key for the default 8200") {
		t.Errorf("explicit 0: %v", err)
	}
}

// TestSelects_EveryKeyAndValueAndNeverTheEmptySelector: a selector selects
// pods carrying all of it, more labels allowed; an empty one selects nothing.
func TestSelects_EveryKeyAndValueAndNeverTheEmptySelector(t *testing.T) {
	pod := map[string]string{"app": "web", "tier": "front"}
	for _, tc := range []struct {
		sel  map[string]string
		want bool
	}{
		{map[string]string{"app": "web"}, true},
		{map[string]string{"app": "web", "tier": "front"}, true},
		{map[string]string{"app": "api"}, false},
		{map[string]string{"app": "web", "zone": "a"}, false},
		{map[string]string{}, false},
		{nil, false},
		{map[string]string{"zone": ""}, false}, // the key must be present
	} {
		if got := netpolicy.Selects(tc.sel, pod); got != tc.want {
			t.Errorf("Selects(%v, %v) = %v, want %v", tc.sel, pod, got, tc.want)
		}
	}
}

// TestDisjoint_OnlyASharedKeyWithDifferentValues: selectors on different
// keys can both select one pod.
func TestDisjoint_OnlyASharedKeyWithDifferentValues(t *testing.T) {
	for _, tc := range []struct {
		a, b map[string]string
		want bool
	}{
		{map[string]string{"app": "web"}, map[string]string{"app": "api"}, true},
		{map[string]string{"app": "web"}, map[string]string{"tier": "back"}, false},
		{map[string]string{"app": "web"}, map[string]string{"app": "web", "tier": "x"}, false},
		{map[string]string{"app": "web", "tier": "a"}, map[string]string{"tier": "b"}, true},
	} {
		if got := netpolicy.Disjoint(tc.a, tc.b); got != tc.want {
			t.Errorf("Disjoint(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
