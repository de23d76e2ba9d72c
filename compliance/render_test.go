package compliance

import (
	"bytes"
	"testing"
	"time"
)

// The renderers' tests run on hand-built assessments, not on Assess, so
// they pin what the HTML and OSCAL say for a known input.

const renderStack = "prod"

func renderURN(typ, name string) string {
	return "urn:pulumi:" + renderStack + "::rampart::" + typ + "::" + name
}

// renderSample is a realistic production report: 12 items, two failing
// with evidence, one exempt with its justification, three not deployed,
// and the control roll-ups of the five frameworks.
func renderSample() *Assessment {
	items := map[string]Item{}
	for _, it := range Checklist() {
		items[it.ID] = it
	}
	gw := renderURN("rampart:ingress:Ingress$kubernetes:gateway.networking.k8s.io/v1:Gateway", "edge-gateway")
	route := renderURN("rampart:ingress:Ingress$kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "edge-app")
	ev := func(urn, field, value string, ok bool, note string) Evidence {
		return Evidence{URN: urn, Field: field, Value: value, OK: ok, Note: note}
	}
	exempt := func(e Evidence) Evidence { e.Exempt = true; return e }
	res := []Result{
		{items["tls-ingress"], Fail, []Evidence{
			ev(gw, "spec.listeners[0].tls.mode", "Terminate", true, ""),
			ev(gw, "spec.listeners[2].tls", "<none>", false, "listener admin on port 8080 serves plain HTTP"),
		}},
		{items["netpol"], Pass, []Evidence{
			ev(renderURN("rampart:netpol:NetworkPolicies$kubernetes:networking.k8s.io/v1:NetworkPolicy", "apps-default-deny"), "spec.policyTypes", "[Ingress Egress]", true, ""),
		}},
		{items["pss-restricted"], Pass, []Evidence{
			ev(renderURN("rampart:namespace:Namespace$kubernetes:core/v1:Namespace", "apps"), "metadata.labels[pod-security.kubernetes.io/enforce]", "restricted", true, ""),
			exempt(ev(renderURN("rampart:namespace:Namespace$kubernetes:core/v1:Namespace", "falco"), "metadata.labels[pod-security.kubernetes.io/enforce]", "privileged", false,
				"Falco's modern_ebpf probe needs host mounts and CAP_BPF (NIS2 Art. 21(2)(e) runtime detection outweighs it)")),
		}},
		{items["keycloak-bruteforce"], NotDeployed, nil},
		{items["token-lifespans"], NotDeployed, nil},
		{items["ssrf-blocklist"], Pass, []Evidence{
			ev(renderURN("rampart:netpol:NetworkPolicies$kubernetes:networking.k8s.io/v1:NetworkPolicy", "gateway-egress"), "spec.egress[0].to[0].ipBlock.except", "[169.254.169.254/32 10.0.0.0/8]", true, ""),
		}},
		{items["security-headers"], Fail, []Evidence{
			ev(route, "spec.rules[0].filters[0].responseHeaderModifier.set[X-XSS-Protection]", "1; mode=block", false, "seed 000 wants X-XSS-Protection: 0"),
			ev(route, "spec.rules[0].filters[0].responseHeaderModifier.set[Strict-Transport-Security]", "max-age=31536000; includeSubDomains", true, ""),
		}},
		{items["secrets-vault"], Exempt, []Evidence{
			exempt(ev(renderURN("rampart:openbao:OpenBao$kubernetes:core/v1:Secret", "openbao-seal-pin"), "data.pin", "[secret]", false,
				"ITSG-33 SC-12: this provider offers no HSM; the seal key is in the cloud KMS, approved by the CISO on 2026-11-20")),
		}},
		{items["rbac-no-default-admin"], NotDeployed, nil},
		{items["audit-trail"], Pass, []Evidence{
			ev(renderURN("rampart:audit:Audit$aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", "audit-lock"), "rule.defaultRetention.mode", "COMPLIANCE", true, ""),
		}},
		{items["alerting"], Pass, []Evidence{
			ev(renderURN("rampart:runtime:Runtime$kubernetes:helm.sh/v3:Release", "falco"), "values.falcosidekick.config.loki.hostport", "loki.audit:3100", true, ""),
		}},
		{items["image-scanning"], Pass, []Evidence{
			ev(renderURN("rampart:runtime:Runtime$kubernetes:helm.sh/v3:Release", "trivy-operator"), "status.status", "deployed", true, ""),
		}},
	}
	return &Assessment{
		Stack:     renderStack,
		Profile:   "production",
		Generated: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC),
		Refreshed: false,
		Results:   res,
		Controls:  renderRollUp(res),
	}
}

// renderRollUp is the tests' own roll-up (fail > exempt > pass > not deployed;
// "N/A" skipped), so the renderers are tested without Assess.
func renderRollUp(res []Result) []ControlResult {
	var out []ControlResult
	for _, fw := range Frameworks {
		idx := map[string]int{}
		for _, r := range res {
			for _, c := range r.Item.Controls[fw] {
				if c == "N/A" {
					continue
				}
				i, ok := idx[c]
				if !ok {
					i = len(out)
					idx[c] = i
					out = append(out, ControlResult{Framework: fw, Control: c, Verdict: NotDeployed})
				}
				out[i].Items = append(out[i].Items, r.Item.ID)
				if renderRank(r.Verdict) < renderRank(out[i].Verdict) {
					out[i].Verdict = r.Verdict
				}
			}
		}
	}
	return out
}

func renderRank(v Verdict) int {
	return map[Verdict]int{Fail: 0, Exempt: 1, Pass: 2, NotDeployed: 3}[v]
}

func TestSampleAssessment_IsRealistic(t *testing.T) {
	a := renderSample()
	n := map[Verdict]int{}
	for _, r := range a.Results {
		n[r.Verdict]++
	}
	if len(a.Results) != 12 || n[Fail] != 2 || n[Exempt] != 1 || n[NotDeployed] != 3 || !a.Failed() {
		t.Fatalf("sample: %d items, verdicts %v, failed %v", len(a.Results), n, a.Failed())
	}
	fws := map[string]bool{}
	for _, c := range a.Controls {
		fws[c.Framework] = true
	}
	for _, f := range Frameworks {
		if !fws[f] {
			t.Errorf("sample has no %s control", f)
		}
	}
}

// TestRenderers_AreDeterministic: the same assessment renders byte for byte
// the same, so reports diff cleanly between runs.
func TestRenderers_AreDeterministic(t *testing.T) {
	for name, render := range map[string]func(*Assessment, *bytes.Buffer) error{
		"html":  func(a *Assessment, b *bytes.Buffer) error { return a.HTML(b) },
		"oscal": func(a *Assessment, b *bytes.Buffer) error { return a.OSCAL(b) },
	} {
		var first, second bytes.Buffer
		if err := render(renderSample(), &first); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := render(renderSample(), &second); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if first.Len() == 0 || !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Errorf("%s: two renders of the same assessment differ (or are empty: %d bytes)", name, first.Len())
		}
	}
}
