package report

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// TestOSCAL_LiveAndBehaviourShape: with live and behaviour facts the
// document keeps OSCAL's shape (required keys set, no empty prop, every
// reference resolving); an object the stack does not declare is an
// inventory item named by its Kubernetes name, without a Pulumi URN; the
// checks are a TEST observation linked from their item's finding.
func TestOSCAL_LiveAndBehaviourShape(t *testing.T) {
	a := liveSample(t)
	doc := renderOSCAL(t, a)
	osCheck(t, "root", "$", doc)
	ar := osCheck(t, "assessment-results", "assessment-results", doc["assessment-results"])
	osCheck(t, "metadata", "metadata", ar["metadata"])
	res := osCheck(t, "result", "results[0]", osList(t, "results", ar["results"])[0])
	inventoryIDs := map[string]osObj{}
	for _, it := range osList(t, "inventory-items", res["local-definitions"].(osObj)["inventory-items"]) {
		io := it.(osObj)
		for _, p := range io["props"].([]any) {
			osCheck(t, "prop", "inventory-item.props", p)
		}
		inventoryIDs[io["uuid"].(string)] = io
	}
	observations := map[string]string{}
	for _, o := range osList(t, "observations", res["observations"]) {
		ob := osCheck(t, "observation", "observation", o)
		methods := osList(t, "methods", ob["methods"])
		observations[ob["uuid"].(string)] = methods[0].(string)
		subjects, _ := ob["subjects"].([]any)
		for _, s := range subjects {
			if inventoryIDs[s.(osObj)["subject-uuid"].(string)] == nil {
				t.Errorf("subject %v is no inventory item", s)
			}
		}
		evidence, _ := ob["relevant-evidence"].([]any)
		for _, e := range evidence {
			for _, p := range e.(osObj)["props"].([]any) {
				osCheck(t, "prop", "relevant-evidence.props", p)
			}
		}
	}
	var linked []string
	for _, f := range osList(t, "findings", res["findings"]) {
		fo := osCheck(t, "finding", "finding", f)
		tg := osCheck(t, "target", "finding.target", fo["target"])
		osCheck(t, "status", "finding.target.status", tg["status"])
		for _, r := range osList(t, "related-observations", fo["related-observations"]) {
			m, ok := observations[r.(osObj)["observation-uuid"].(string)]
			if !ok {
				t.Errorf("finding %v links an observation that does not exist", tg["target-id"])
			}
			if tg["target-id"] == "netpol" {
				linked = append(linked, m)
			}
		}
	}
	if !slices.Equal(linked, []string{"EXAMINE", "TEST"}) {
		t.Errorf("netpol finding links %v, want its EXAMINE and TEST observations", linked)
	}
	var policy osObj
	for _, it := range inventoryIDs {
		if it["description"] != nil && strings.Contains(it["description"].(string), "NetworkPolicy t1/allow-all") {
			policy = it
		}
	}
	if policy == nil {
		t.Fatalf("no inventory item for the unmanaged policy: %v", inventoryIDs)
	}
	props := map[string]string{}
	for _, p := range policy["props"].([]any) {
		props[p.(osObj)["name"].(string)] = p.(osObj)["value"].(string)
	}
	if props["k8s-object"] != "NetworkPolicy t1/allow-all" || props["origin"] != "unmanaged" || props["pulumi-urn"] != "" ||
		props["creator"] != "earliest field manager kubectl-client-side-apply, created 2026-12-05T09:00:00Z" {
		t.Errorf("unmanaged policy's inventory item props %v", props)
	}
}

// TestHTML_LiveAndBehaviourSections: the page shows what each item stands
// on, names an undeclared object by its Kubernetes name with its origin
// and creator, lists the unmanaged objects and the classification rules,
// and the behaviour checks (failures first) with /readyz — still loading
// nothing and with a header cell on every table.
func TestHTML_LiveAndBehaviourSections(t *testing.T) {
	a := liveSample(t)
	out, doc := renderHTML(t, a)
	htWalk(doc, func(n *html.Node) {
		for _, at := range n.Attr {
			if n.Type == html.ElementNode && (at.Key == "href" || at.Key == "src") {
				t.Errorf("<%s %s=%q> in a self-contained report", n.Data, at.Key, at.Val)
			}
		}
		if n.DataAtom == atom.Table {
			ths := 0
			htWalk(n, func(c *html.Node) {
				if c.DataAtom == atom.Th {
					ths++
				}
			})
			if ths == 0 {
				t.Errorf("a table without <th>: %.80s", htText(n))
			}
		}
	})
	if strings.Contains(out, "<script") {
		t.Error("a script in the report")
	}
	if row := htText(htByID(doc, "item-netpol")); !strings.HasSuffix(row, "live, behaviour") {
		t.Errorf("netpol row %q does not say it stands on live and behaviour facts", row)
	}
	ev := htText(htByID(doc, "evidence"))
	for _, want := range []string{"NetworkPolicy t1/allow-all live: NetworkPolicy t1/allow-all, unmanaged, earliest field manager kubectl-client-side-apply, created 2026-12-05T09:00:00Z",
		"rampart verify: t1 → t2 8080/TCP behaviour"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence section lacks %q:\n%s", want, ev)
		}
	}
	live := htText(htByID(doc, "live"))
	for _, want := range []string{"NetworkPolicy NetworkPolicy t1/allow-all unmanaged earliest field manager kubectl-client-side-apply, created 2026-12-05T09:00:00Z",
		"MutatingWebhookConfiguration MutatingWebhookConfiguration injector unmanaged", "declared = in the stack's state; owned = follows ownerReferences",
		"kube-apiserver bootstrap RBAC field manager kube-apiserver the API server's own", "API discovery and self-review for everyone"} {
		if !strings.Contains(live, want) {
			t.Errorf("live section lacks %q:\n%s", want, live)
		}
	}
	bh := htText(htByID(doc, "behaviour"))
	if !strings.Contains(bh, "✗ no netpol t1 → t2 8080/TCP closed open tenants are isolated ✓ yes pss-restricted") || !strings.Contains(bh, "[+]kms-provider-0 ok") {
		t.Errorf("behaviour section: want the failed check first and /readyz:\n%s", bh)
	}
	header := ""
	htWalk(doc, func(n *html.Node) {
		if n.DataAtom == atom.Header {
			header = htText(n)
		}
	})
	if !strings.Contains(header, "Live cluster https://127.0.0.1:6443 read through the Kubernetes API") || !strings.Contains(header, "2 checks, 1 failed") {
		t.Errorf("header %q does not say the live cluster and rampart verify were read", header)
	}
}
