package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/rampart-dev/rampart/compliance"
)

// nodeLocalNote is the prod stack's NodeLocal DNS egress exception, which
// every namespace's allow-dns policy carries.
const nodeLocalNote = "egress exception 169.254.20.10/32 (rampart:network.dns.nodeLocalCidr): NodeLocal DNSCache, reached on port 53 only"

// repeatedSample is renderSample with ssrf-blocklist passing on one fact
// and exempting the NodeLocal DNS range on twelve namespaces' allow-dns
// policies (identical but for the policy), and tls-ingress failing the
// same way on three listeners' gateways.
func repeatedSample() *compliance.Assessment {
	a := renderSample()
	for i := range a.Results {
		r := &a.Results[i]
		switch r.Item.ID {
		case "ssrf-blocklist":
			for n := range 12 {
				r.Evidence = append(r.Evidence, compliance.Evidence{Exempt: true, Field: "spec.egress[0].to[1].ipBlock", Value: "169.254.20.10/32", Note: nodeLocalNote,
					URN: renderURN("rampart:netpol:NetworkPolicies$kubernetes:networking.k8s.io/v1:NetworkPolicy", fmt.Sprintf("ns%02d-policies-allow-dns", n))})
			}
		case "tls-ingress":
			for n := range 3 {
				r.Evidence = append(r.Evidence, compliance.Evidence{Field: "spec.listeners[3].tls", Value: "<none>", Note: "listener metrics serves plain HTTP",
					URN: renderURN("rampart:ingress:Ingress$kubernetes:gateway.networking.k8s.io/v1:Gateway", fmt.Sprintf("gw-%d", n))})
			}
		}
	}
	return a
}

// TestMarkdown_GroupsIdenticalEvidence: facts of one item that read the
// same but for their object are one line with ×N, the first few objects
// and how many more; a fact alone keeps its own line.
func TestMarkdown_GroupsIdenticalEvidence(t *testing.T) {
	var b strings.Builder
	if err := Markdown(&b, repeatedSample()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if n := strings.Count(md, nodeLocalNote); n != 1 {
		t.Errorf("the NodeLocal DNS exception is written %d times, want once:\n%s", n, md)
	}
	want := "- ⚑ ×12 NetworkPolicy ns00-policies-allow-dns, NetworkPolicy ns01-policies-allow-dns, NetworkPolicy ns02-policies-allow-dns, NetworkPolicy ns03-policies-allow-dns, NetworkPolicy ns04-policies-allow-dns and 7 more " +
		"`ssrf-blocklist`: `spec.egress[0].to[1].ipBlock` = `169.254.20.10/32`, " + cell(nodeLocalNote) + "\n"
	if !strings.Contains(md, want) {
		t.Errorf("report lacks the grouped exemption line %q:\n%s", want, md)
	}
	if !strings.Contains(md, "| ×3: Gateway gw-0, Gateway gw-1, Gateway gw-2 | `spec.listeners[3].tls` | `<none>` | listener metrics serves plain HTTP |") {
		t.Errorf("failing facts alike are not one row:\n%s", md)
	}
	for _, single := range []string{"- ⚑ Namespace falco `pss-restricted`: ", "| Gateway edge-gateway | `spec.listeners[2].tls` | `<none>` | listener admin on port 8080 serves plain HTTP |"} {
		if !strings.Contains(md, single) {
			t.Errorf("a fact alone lost its line %q:\n%s", single, md)
		}
	}
}

// TestHTML_GroupsIdenticalEvidence: in the evidence table, the exemptions
// table and the item's reasons, facts alike but for their resource are
// shown once with ×N, and the page still names every resource.
func TestHTML_GroupsIdenticalEvidence(t *testing.T) {
	a := repeatedSample()
	out, doc := renderHTML(t, a)
	if n := strings.Count(out, html.EscapeString(nodeLocalNote)); n != 3 {
		t.Errorf("the NodeLocal DNS exception is written %d times, want 3 (evidence row, exemption row, item reason)", n)
	}
	if row := htText(htByID(doc, "item-ssrf-blocklist")); !strings.Contains(row, "exempted: "+nodeLocalNote+" (×12)") {
		t.Errorf("ssrf-blocklist row %q: want its reason once with ×12", row)
	}
	for _, id := range []string{"evidence", "exemptions"} {
		sec := htText(htByID(doc, id))
		if !strings.Contains(sec, "×12") {
			t.Errorf("%s section does not count the grouped facts: %s", id, sec)
		}
		for _, r := range a.Results {
			for _, e := range r.Evidence {
				if e.Exempt && !strings.Contains(sec, e.URN) {
					t.Errorf("%s section lacks the exempted resource %s", id, e.URN)
				}
			}
		}
	}
	rows := 0
	htWalk(htByID(doc, "exemptions"), func(n *html.Node) {
		if cls, _ := htAttr(n, "class"); n.DataAtom == atom.Tr && cls == "exempt" {
			rows++
		}
	})
	if rows != 3 {
		t.Errorf("%d exemption rows, want 3 (falco's namespace, the twelve allow-dns policies, the exempt item)", rows)
	}
	if !strings.Contains(htText(htByID(doc, "evidence")), "×3 "+renderURN("rampart:ingress:Ingress$kubernetes:gateway.networking.k8s.io/v1:Gateway", "gw-0")) {
		t.Error("the three failing gateways are not one row with ×3")
	}
}

// TestJSON_KeepsEveryFact: the JSON is the assessment itself, for
// machines (it reads back into a compliance.Assessment): it keeps one
// entry per fact, each with its own resource.
func TestJSON_KeepsEveryFact(t *testing.T) {
	a := repeatedSample()
	var b strings.Builder
	if err := JSON(&b, a); err != nil {
		t.Fatal(err)
	}
	var back compliance.Assessment
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil {
		t.Fatal(err)
	}
	r, _ := back.Result("ssrf-blocklist")
	if len(r.Evidence) != 13 {
		t.Errorf("ssrf-blocklist has %d facts in the JSON, want 13", len(r.Evidence))
	}
}
