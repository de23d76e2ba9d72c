package netpol_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/helpers/verr"
)

const urlKey = "rampart:gateway.backends[0].url"

// stubResolver answers from a fixed table, as a DNS server would.
func stubResolver(_ context.Context, host string) ([]netip.Addr, error) {
	answers := map[string][]string{
		"api.example.com":       {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"},
		"internal.example.com":  {"10.1.2.3"},
		"mapped.example.com":    {"::ffff:10.1.2.3"},
		"nat64.example.com":     {"64:ff9b::a9fe:a9fe"},
		"mixed.example.com":     {"93.184.216.34", "169.254.169.254"},
		"core.internal.example": {"10.40.12.7"},
	}
	var out []netip.Addr
	for _, a := range answers[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	if out == nil {
		return nil, fmt.Errorf("%s: no such host", host)
	}
	return out, nil
}

func checkURL(raw string, allowed []netpol.AllowedTarget) error {
	var l verr.List
	netpol.CheckBackendURL(context.Background(), &l, urlKey, raw, allowed, stubResolver)
	return l.Err()
}

func TestCheckBackendURL_RefusesEveryFormOfABlockedAddress(t *testing.T) {
	const (
		md       = "inside the SSRF blocklist entry 169.254.0.0/16"
		loop     = "inside the SSRF blocklist entry 127.0.0.0/8"
		loop6    = "inside the SSRF blocklist entry ::1/128"
		link6    = "inside the SSRF blocklist entry fe80::/10"
		numeric  = "a numeric host that is not a canonical IP address"
		notURL   = "not an absolute URL"
		pct      = "a percent-encoded host"
		nonASCII = "a non-ASCII host"
	)
	cases := []struct {
		url  string
		want []string
	}{
		// Existing refusals, messages unchanged.
		{"https://127.0.0.1:8443/", []string{"127.0.0.1 resolves to 127.0.0.1, " + loop}},
		{"https://169.254.169.254/latest/meta-data", []string{md}},
		{"https://[fd00:ec2::254]/", []string{"inside the SSRF blocklist entry fd00::/8"}},
		{"https://100.100.100.200/", []string{"inside the SSRF blocklist entry 100.64.0.0/10"}},
		{"https://internal.example.com/", []string{"internal.example.com resolves to 10.1.2.3, inside the SSRF blocklist entry 10.0.0.0/8"}},
		{"http://api.example.com/", []string{"backends must be reached over TLS"}},

		// IPv6 zone identifiers: a zoned address never matches a prefix, so the zone goes first.
		{"https://[fe80::1%25eth0]/", []string{"fe80::1%eth0 resolves to fe80::1, " + link6}},
		{"https://[FE80::1%25ETH0]:8443/", []string{link6}},
		{"https://[fe80::a9fe:a9fe%251]/", []string{link6}},
		{"https://[::1%25lo]/", []string{loop6}},
		{"https://[::ffff:169.254.169.254%25eth0]/", []string{md}},
		{"https://[fe80::1%eth0]/", []string{notURL}},
		{"https://fe80::1%eth0/", []string{notURL}},

		// Unspecified addresses reach the connecting host's own listeners.
		{"https://0.0.0.0/", []string{"inside the SSRF blocklist entry 0.0.0.0/8"}},
		{"https://0.0.0.0:443/", []string{"inside the SSRF blocklist entry 0.0.0.0/8"}},
		{"https://[::]/", []string{"inside the SSRF blocklist entry ::/128"}},
		{"https://[::]:8443/", []string{"inside the SSRF blocklist entry ::/128"}},
		{"https://[0:0:0:0:0:0:0:0]/", []string{"inside the SSRF blocklist entry ::/128"}},
		{"https://[::ffff:0.0.0.0]/", []string{"inside the SSRF blocklist entry 0.0.0.0/8"}},

		// IPv4-mapped, upper case, leading zeros, embedded dotted quad.
		{"https://[::ffff:169.254.169.254]/", []string{"::ffff:169.254.169.254 resolves to ::ffff:169.254.169.254, which reaches 169.254.169.254 (IPv4-mapped), " + md}},
		{"https://[::ffff:a9fe:a9fe]/", []string{"which reaches 169.254.169.254 (IPv4-mapped)", md}},
		{"https://[::FFFF:A9FE:A9FE]/", []string{md}},
		{"https://[0:0:0:0:0:ffff:a9fe:a9fe]/", []string{md}},
		{"https://[0000:0000:0000:0000:0000:FFFF:169.254.169.254]/", []string{md}},
		{"https://[::ffff:127.0.0.1]/", []string{loop}},
		{"https://[::ffff:7f00:1]/", []string{loop}},
		{"https://[::ffff:10.0.0.1]/", []string{"inside the SSRF blocklist entry 10.0.0.0/8"}},
		// IPv4-translated (SIIT) and IPv4-compatible.
		{"https://[::ffff:0:a9fe:a9fe]/", []string{"(IPv4-translated ::ffff:0:0:0/96)", md}},
		{"https://[::ffff:0:169.254.169.254]/", []string{md}},
		{"https://[::169.254.169.254]/", []string{"which reaches 169.254.169.254 (IPv4-compatible ::/96)", md}},
		{"https://[::a9fe:a9fe]/", []string{md}},
		{"https://[::127.0.0.1]/", []string{loop}},
		{"https://[::192.168.0.1]/", []string{"inside the SSRF blocklist entry 192.168.0.0/16"}},
		// IPv6 with other embedded dotted quads.
		{"https://[fe80::169.254.169.254]/", []string{link6}},
		{"https://[fd00::10.0.0.1]/", []string{"inside the SSRF blocklist entry fd00::/8"}},

		// NAT64: the well-known prefix decoded; the local-use /48 refused whole (its embedding depends on the operator's prefix length).
		{"https://[64:ff9b::a9fe:a9fe]/", []string{"which reaches 169.254.169.254 (NAT64 64:ff9b::/96)", md}},
		{"https://[64:ff9b::169.254.169.254]/", []string{md}},
		{"https://[64:FF9B::A9FE:A9FE]/", []string{md}},
		{"https://[64:ff9b::7f00:1]/", []string{loop}},
		{"https://[64:ff9b::a00:1]/", []string{"inside the SSRF blocklist entry 10.0.0.0/8"}},
		{"https://[64:ff9b:1::a9fe:a9fe]/", []string{"inside the SSRF blocklist entry 64:ff9b:1::/48"}},
		{"https://[64:ff9b:1:a9fe:a9:fe00::]/", []string{"inside the SSRF blocklist entry 64:ff9b:1::/48"}},
		{"https://[64:ff9b:1:a9:fe:a9fe::]/", []string{"inside the SSRF blocklist entry 64:ff9b:1::/48"}},
		{"https://[64:FF9B:1:0:a9:fea9:fe00:0]/", []string{"inside the SSRF blocklist entry 64:ff9b:1::/48"}},

		// 6to4, Teredo (server, and client with inverted bits), ISATAP.
		{"https://[2002:a9fe:a9fe::1]/", []string{"(6to4 2002::/16)", md}},
		{"https://[2002:7f00:1::]/", []string{loop}},
		{"https://[2002:c0a8:101:1::1]/", []string{"inside the SSRF blocklist entry 192.168.0.0/16"}},
		{"https://[2001:0:4136:e378:8000:63bf:5601:5601]/", []string{"(Teredo client)", md}},
		{"https://[2001:0:a9fe:a9fe::1]/", []string{"(Teredo server)", md}},
		{"https://[2001:db8::5efe:a9fe:a9fe]/", []string{"(ISATAP interface identifier)", md}},
		{"https://[2001:db8::200:5efe:169.254.169.254]/", []string{"(ISATAP interface identifier)", md}},

		// Trailing dots and the loopback / metadata names, any case.
		{"https://localhost/", []string{"localhost resolves to 127.0.0.1, " + loop}},
		{"https://localhost./", []string{loop}},
		{"https://LOCALHOST/", []string{loop}},
		{"https://LocalHost:8443/", []string{loop}},
		{"https://localhost.localdomain/", []string{loop}},
		{"https://localhost.localdomain./", []string{loop}},
		{"https://app.localhost/", []string{loop}},
		{"https://a.b.LOCALHOST./", []string{loop}},
		{"https://localhost6/", []string{loop6}},
		{"https://ip6-localhost/", []string{loop6}},
		{"https://metadata.google.internal/", []string{"metadata.google.internal resolves to 169.254.169.254, " + md}},
		{"https://metadata.google.internal./", []string{md}},
		{"https://METADATA.GOOGLE.INTERNAL/", []string{md}},
		{"https://metadata/computeMetadata/v1/", []string{md}},
		{"https://metadata.goog/", []string{md}},
		{"https://instance-data/latest/", []string{md}},
		{"https://169.254.169.254./", []string{md}},
		{"https://localhost../", []string{"not a host name"}},
		{"https://.localhost/", []string{"not a host name"}},
		{"https://./", []string{"not a host name"}},

		// Names that spell a blocked address (wildcard DNS, cloud host names), with no resolver help.
		{"https://169.254.169.254.nip.io/", []string{"169.254.169.254.nip.io embeds the address 169.254.169.254, " + md}},
		{"https://app.127.0.0.1.nip.io/", []string{loop}},
		{"https://10-0-0-1.sslip.io/", []string{"inside the SSRF blocklist entry 10.0.0.0/8"}},
		{"https://ip-10-0-0-1.ec2.internal/", []string{"inside the SSRF blocklist entry 10.0.0.0/8"}},

		// DNS answers get the same normalisation.
		{"https://Internal.Example.COM./", []string{"10.0.0.0/8"}},
		{"https://mapped.example.com/", []string{"mapped.example.com resolves to 10.1.2.3, inside the SSRF blocklist entry 10.0.0.0/8"}},
		{"https://nat64.example.com/", []string{"which reaches 169.254.169.254 (NAT64 64:ff9b::/96)"}},
		{"https://mixed.example.com/", []string{"resolves to 169.254.169.254"}},

		// Userinfo, fragment, query and backslash tricks.
		{"https://good.example@169.254.169.254/", []string{"userinfo before '@'", md}},
		{"https://good.example:443@169.254.169.254/", []string{"userinfo before '@'", md}},
		{"https://user:pass@api.example.com/", []string{"userinfo before '@'"}},
		{"https://169.254.169.254#@good.example", []string{"a fragment", md}},
		{"https://good.example#@169.254.169.254", []string{"a fragment"}},
		{"https://good.example?@169.254.169.254", []string{"an '@' in the query"}},
		{`https://good.example\@169.254.169.254`, []string{"a backslash"}},
		{`https://good.example\.169.254.169.254/`, []string{"a backslash"}},
		{`https:\\169.254.169.254\`, []string{"a backslash"}},
		{"https://good.example%40169.254.169.254/", []string{pct}},

		// Percent-encoding and non-ASCII look-alikes.
		{"https://%31%36%39.254.169.254/", []string{pct}},
		{"https://%6c%6f%63%61%6c%68%6f%73%74/", []string{pct}},
		{"https://169.254.169.254%2e/", []string{pct}},
		{"https://[::ffff:%61%39fe:a9fe]/", []string{notURL}},
		{"https://１６９.２５４.１６９.２５４/", []string{nonASCII}},
		{"https://169。254。169。254/", []string{nonASCII}},
		{"https://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", []string{nonASCII}},
		{"https://loca%C5%82host/", []string{pct}},

		// Non-canonical numeric IPv4, refused as before, in every base and length.
		{"https://2130706433/", []string{numeric}},
		{"https://127.1/", []string{numeric}},
		{"https://0x7f.1/", []string{numeric}},
		{"https://0251.0376.0251.0376/", []string{numeric}},
		{"https://0xa9fea9fe/", []string{numeric}},
		{"https://0XA9FEA9FE/", []string{numeric}},
		{"https://0xa9.0xfe.0xa9.0xfe/", []string{numeric}},
		{"https://2852039166/", []string{numeric}},
		{"https://2852039166./", []string{numeric}},
		{"https://169.254.43518/", []string{numeric}},
		{"https://169.16689662/", []string{numeric}},
		{"https://0177.0.0.1/", []string{numeric}},
		{"https://127.000.000.001/", []string{numeric}},
		{"https://0/", []string{numeric}},
		{"https://[::ffff:0251.0376.0251.0376]/", []string{notURL}},
		{"https://[::ffff:169.254.169.0254]/", []string{notURL}},

		// Scheme-relative and malformed authorities.
		{"https:169.254.169.254", []string{notURL}},
		{"https:/169.254.169.254/", []string{notURL}},
		{"https:///169.254.169.254/", []string{notURL}},
		{"HTTPS://169.254.169.254/", []string{md}},
		{"https://169.254.169.254:80:443/", []string{notURL}},
		{"https://169.254.169.254 /", []string{notURL}},
		{"https://[169.254.169.254]/", []string{notURL}},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			err := checkURL(tc.url, nil)
			if err == nil {
				t.Fatalf("%s accepted", tc.url)
			}
			prefix := fmt.Sprintf("%s: %q: ", urlKey, tc.url)
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("err = %v, want it to start with %s", err, prefix)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want %q", err, w)
				}
			}
		})
	}
}

func TestCheckBackendURL_AcceptsPublicBackends(t *testing.T) {
	for _, u := range []string{
		"https://93.184.216.34/",
		"https://93.184.216.34:8443/v1",
		"https://[2606:2800:220:1:248:1893:25c8:1946]/",
		"https://[2606:2800:220:1:248:1893:25C8:1946]:443/",
		"https://api.example.com/",
		"https://API.Example.com./",
		"https://unresolvable.example.org/",           // checked at the network layer instead
		"https://ec2-54-1-2-3.compute.amazonaws.com/", // spells a public address
		"https://registry.example.com/@scope/pkg",     // '@' in the path is not userinfo
		"https://api.example.com/search?q=a%40b",
		"https://[64:ff9b::5db8:d822]/",                   // NAT64 of 93.184.216.34
		"https://[2002:5db8:d822::1]/",                    // 6to4 of 93.184.216.34
		"https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // RFC 4380's Teredo example
		"https://xn--bcher-kva.example/",                  // IDN in A-label form
		"https://my_service.example.com/",
	} {
		t.Run(u, func(t *testing.T) {
			if err := checkURL(u, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCheckBackendURL_AllowedTargetsCoverNormalisedForms(t *testing.T) {
	allowed := []netpol.AllowedTarget{
		{Name: "core", CIDR: "10.40.12.0/24", Ports: []int{443}, Justification: "core banking API on the private network"},
		{Name: "ll", CIDR: "fe80::/10", Ports: []int{443}, Justification: "appliance reachable only over link-local"},
		{Name: "short", CIDR: "192.168.7.0/24", Ports: []int{443}, Justification: "too short"},
	}
	for _, u := range []string{
		"https://10.40.12.5/",
		"https://[::ffff:10.40.12.5]/",
		"https://[::ffff:a28:c05]/",
		"https://[64:ff9b::a28:c05]/",
		"https://[2002:a28:c05::1]/",
		"https://ip-10-40-12-5.internal/",
		"https://core.internal.example/",
		"https://[fe80::1%25eth0]/",
		"https://[FE80::1]/",
	} {
		t.Run("covered "+u, func(t *testing.T) {
			if err := checkURL(u, allowed); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, u := range []string{
		"https://10.40.13.5/",
		"https://[::ffff:10.40.13.5]/",
		"https://192.168.7.1/",
		"https://[64:ff9b::c0a8:701]/",
		"https://169.254.169.254/",
	} {
		t.Run("not covered "+u, func(t *testing.T) {
			if err := checkURL(u, allowed); err == nil || !strings.Contains(err.Error(), "inside the SSRF blocklist entry") {
				t.Fatalf("err = %v, want a blocklist refusal", err)
			}
		})
	}
}

func TestCheckBackendURL_NilResolverChecksSpellingOnly(t *testing.T) {
	var l verr.List
	netpol.CheckBackendURL(context.Background(), &l, urlKey, "https://internal.example.com/", nil, nil)
	if err := l.Err(); err != nil {
		t.Errorf("unresolved name refused: %v", err)
	}
	netpol.CheckBackendURL(context.Background(), &l, urlKey, "https://metadata.google.internal./", nil, nil)
	if err := l.Err(); err == nil {
		t.Error("metadata.google.internal. accepted without a resolver")
	}
}

func TestReached_DecodesEmbeddedIPv4(t *testing.T) {
	cases := []struct{ addr, want string }{
		{"::ffff:1.2.3.4", "1.2.3.4 (IPv4-mapped)"},
		{"::ffff:0:1.2.3.4", "1.2.3.4 (IPv4-translated ::ffff:0:0:0/96)"},
		{"::1.2.3.4", "1.2.3.4 (IPv4-compatible ::/96)"},
		{"64:ff9b::1.2.3.4", "1.2.3.4 (NAT64 64:ff9b::/96)"},
		{"2002:102:304::", "1.2.3.4 (6to4 2002::/16)"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "65.54.227.120 (Teredo server) 192.0.2.45 (Teredo client)"},
		{"fe80::5efe:1.2.3.4%eth0", "1.2.3.4 (ISATAP interface identifier)"},
		{"2606:2800:220:1:248:1893:25c8:1946", ""},
	}
	for _, tc := range cases {
		var got []string
		for _, r := range netpol.Reached(netip.MustParseAddr(tc.addr))[1:] {
			got = append(got, fmt.Sprintf("%s (%s)", r.Addr, r.Via))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("Reached(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
