package compliance

import (
	"strings"
	"testing"
)

// TestSSRF_IPBlockInsideBlocklistFailsUnlessExcepted: an egress ipBlock
// inside a blocklisted range (the cloud metadata address first) is no
// longer taken for an allowedTargets exception on sight: it fails, naming
// the metadata address, unless the stack's egressExceptions output holds
// it, and is then Exempt with the exception's justification.
func TestSSRF_IPBlockInsideBlocklistFailsUnlessExcepted(t *testing.T) {
	for _, cidr := range []string{"169.254.169.254/32", "fd00:ec2::254/128", "10.1.2.3/32", "10.1.2.3/8", "64:ff9b::a9fe:a9fe/128", "64:ff9b:1::/64"} {
		r := verdictIs(t, tenantWith(t, egressTo(t, "x", `{"cidr":"`+cidr+`"}`)), "ssrf-blocklist", Fail)
		if cidr == "169.254.169.254/32" && !strings.Contains(r.Evidence[0].Note, "cloud metadata 169.254.169.254") {
			t.Errorf("%s: note does not name the metadata address: %q", cidr, r.Evidence[0].Note)
		}
	}
	exc := res(t, stackType, "s", `{"egressExceptions":[{"cidr":"10.40.12.0/24","justification":"core banking over mTLS","source":"rampart:gateway.allowedTargets[core]"}]}`)
	a := tenantWith(t, egressTo(t, "x", `{"cidr":"10.40.12.0/24"}`), exc)
	r := verdictIs(t, a, "ssrf-blocklist", Exempt)
	if e := r.Evidence[0]; !e.Exempt || !strings.Contains(e.Note, "core banking over mTLS") {
		t.Errorf("excepted target: %+v, want Exempt with the justification", e)
	}
	verdictIs(t, a, "netpol", Pass)
	// The exception does not stretch to its neighbours or to metadata.
	for _, cidr := range []string{"10.40.13.0/24", "10.40.0.0/16", "169.254.169.254/32"} {
		verdictIs(t, tenantWith(t, egressTo(t, "x", `{"cidr":"`+cidr+`"}`), exc), "ssrf-blocklist", Fail)
	}
	// An exception without a justification exempts nothing.
	noWhy := res(t, stackType, "s", `{"egressExceptions":[{"cidr":"10.40.12.0/24","justification":" "}]}`)
	verdictIs(t, tenantWith(t, egressTo(t, "x", `{"cidr":"10.40.12.0/24"}`), noWhy), "ssrf-blocklist", Fail)
}

// TestSSRF_OnlyEgressCounts: an ingress `from` ipBlock is not an SSRF
// target, so it does not enter ssrf-blocklist (netpol judges it).
func TestSSRF_OnlyEgressCounts(t *testing.T) {
	a := tenantWith(t, policy(t, "in", `{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}`))
	r := verdictIs(t, a, "ssrf-blocklist", Pass)
	for _, e := range r.Evidence {
		if strings.Contains(e.Field, "ingress") {
			t.Errorf("ingress peer judged as an SSRF target: %+v", e)
		}
	}
	verdictIs(t, a, "netpol", Fail) // a tenant admits no ingress by address
}

// TestSSRF_ExceptsJudged: "anywhere" ipBlocks must except every blocklisted
// range of their family — the NAT64 prefixes too — while excepts that
// together cover a range (10/8 as two /9) count.
func TestSSRF_ExceptsJudged(t *testing.T) {
	v4 := `"127.0.0.0/8","172.16.0.0/12","192.168.0.0/16","169.254.0.0/16","0.0.0.0/8","100.64.0.0/10"`
	for _, tc := range []struct {
		ib string
		ok bool
	}{
		{`{"cidr":"::/0","except":["::1/128","fd00::/8","fc00::/8","fe80::/10"]}`, false},
		{`{"cidr":"::/0","except":["::1/128","fd00::/8","fc00::/8","fe80::/10","64:ff9b::/96","64:ff9b:1::/48"]}`, true},
		{`{"cidr":"0.0.0.0/0","except":["10.0.0.0/9","10.128.0.0/9",` + v4 + `]}`, true},
		{`{"cidr":"0.0.0.0/0","except":["10.0.0.0/9",` + v4 + `]}`, false},
		{`{"cidr":"0.0.0.0/0","except":["169.254.169.254/32"]}`, false},
		{`{"cidr":"8.8.8.0/24"}`, true},
	} {
		e := ipBlockEvidence("u", "p", asMap(mustJSON(t, tc.ib)), nil)
		if e.OK != tc.ok {
			t.Errorf("%s: OK=%v (%s), want %v", tc.ib, e.OK, e.Note, tc.ok)
		}
	}
}
