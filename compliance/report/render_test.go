package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/compliance"
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
func renderSample() *compliance.Assessment {
	items := map[string]compliance.Item{}
	for _, it := range compliance.Checklist() {
		items[it.ID] = it
	}
	gw := renderURN("rampart:ingress:Ingress$kubernetes:gateway.networking.k8s.io/v1:Gateway", "edge-gateway")
	route := renderURN("rampart:ingress:Ingress$kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "edge-app")
	ev := func(urn, field, value string, ok bool, note string) compliance.Evidence {
		return compliance.Evidence{URN: urn, Field: field, Value: value, OK: ok, Note: note}
	}
	exempt := func(e compliance.Evidence) compliance.Evidence { e.Exempt = true; return e }
	res := []compliance.Result{
		{Item: items["tls-ingress"], Verdict: compliance.Fail, Evidence: []compliance.Evidence{
			ev(gw, "spec.listeners[0].tls.mode", "Terminate", true, ""),
			ev(gw, "spec.listeners[2].tls", "<none>", false, "listener admin on port 8080 serves plain HTTP"),
		}},
		{Item: items["netpol"], Verdict: compliance.Pass, Evidence: []compliance.Evidence{
			ev(renderURN("rampart:netpol:NetworkPolicies$kubernetes:networking.k8s.io/v1:NetworkPolicy", "apps-default-deny"), "spec.policyTypes", "[Ingress Egress]", true, ""),
		}},
		{Item: items["pss-restricted"], Verdict: compliance.Pass, Evidence: []compliance.Evidence{
			ev(renderURN("rampart:namespace:Namespace$kubernetes:core/v1:Namespace", "apps"), "metadata.labels[pod-security.kubernetes.io/enforce]", "restricted", true, ""),
			exempt(ev(renderURN("rampart:namespace:Namespace$kubernetes:core/v1:Namespace", "falco"), "metadata.labels[pod-security.kubernetes.io/enforce]", "privileged", false,
				"Falco's modern_ebpf probe needs host mounts and CAP_BPF (NIS2 Art. 21(2)(e) runtime detection outweighs it)")),
		}},
		{Item: items["keycloak-bruteforce"], Verdict: compliance.NotDeployed, Evidence: nil},
		{Item: items["token-lifespans"], Verdict: compliance.NotDeployed, Evidence: nil},
		{Item: items["ssrf-blocklist"], Verdict: compliance.Pass, Evidence: []compliance.Evidence{
			ev(renderURN("rampart:netpol:NetworkPolicies$kubernetes:networking.k8s.io/v1:NetworkPolicy", "gateway-egress"), "spec.egress[0].to[0].ipBlock.except", "[169.254.169.254/32 10.0.0.0/8]", true, ""),
		}},
		{Item: items["security-headers"], Verdict: compliance.Fail, Evidence: []compliance.Evidence{
			ev(route, "spec.rules[0].filters[0].responseHeaderModifier.set[X-XSS-Protection]", "1; mode=block", false, "the STOA security hardening checklist wants X-XSS-Protection: 0"),
			ev(route, "spec.rules[0].filters[0].responseHeaderModifier.set[Strict-Transport-Security]", "max-age=31536000; includeSubDomains", true, ""),
		}},
		{Item: items["secrets-vault"], Verdict: compliance.Exempt, Evidence: []compliance.Evidence{
			exempt(ev(renderURN("rampart:openbao:OpenBao$kubernetes:core/v1:Secret", "openbao-seal-pin"), "data.pin", "[secret]", false,
				"ITSG-33 SC-12: this provider offers no HSM; the seal key is in the cloud KMS, approved by the CISO on 2026-11-20")),
		}},
		{Item: items["rbac-no-default-admin"], Verdict: compliance.NotDeployed, Evidence: nil},
		{Item: items["audit-trail"], Verdict: compliance.Pass, Evidence: []compliance.Evidence{
			ev(renderURN("rampart:audit:Audit$aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2", "audit-lock"), "rule.defaultRetention.mode", "COMPLIANCE", true, ""),
		}},
		{Item: items["alerting"], Verdict: compliance.Pass, Evidence: []compliance.Evidence{
			ev(renderURN("rampart:runtime:Runtime$kubernetes:helm.sh/v3:Release", "falco"), "values.falcosidekick.config.loki.hostport", "loki.audit:3100", true, ""),
		}},
		{Item: items["image-scanning"], Verdict: compliance.Pass, Evidence: []compliance.Evidence{
			ev(renderURN("rampart:runtime:Runtime$kubernetes:helm.sh/v3:Release", "trivy-operator"), "status.status", "deployed", true, ""),
		}},
	}
	return &compliance.Assessment{
		Stack:     renderStack,
		Profile:   "production",
		Generated: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC),
		Refreshed: false,
		Results:   res,
		Controls:  renderRollUp(res),
	}
}

// renderRollUp is the tests' own roll-up, so the renderers are tested
// without Assess: not deployed when no item is deployed, else fail > partial
// (some items not deployed) > pass > exempt; "N/A" skipped.
func renderRollUp(res []compliance.Result) []compliance.ControlResult {
	var out []compliance.ControlResult
	for _, fw := range compliance.Frameworks {
		idx := map[string]int{}
		start := len(out)
		var deployed []compliance.Verdict // worst deployed verdict of out[start+j]
		for _, r := range res {
			for _, c := range r.Item.Controls[fw] {
				if c == "N/A" {
					continue
				}
				i, ok := idx[c]
				if !ok {
					i = len(out)
					idx[c] = i
					out = append(out, compliance.ControlResult{Framework: fw, Control: c})
					deployed = append(deployed, "")
				}
				out[i].Items = append(out[i].Items, r.Item.ID)
				j := i - start
				if r.Verdict == compliance.NotDeployed {
					out[i].Undeployed = append(out[i].Undeployed, r.Item.ID)
				} else if deployed[j] == "" || renderRank(r.Verdict) < renderRank(deployed[j]) {
					deployed[j] = r.Verdict
				}
			}
		}
		for j, v := range deployed {
			c := &out[start+j]
			switch {
			case v == "":
				c.Verdict, c.Undeployed = compliance.NotDeployed, nil
			case v != compliance.Fail && len(c.Undeployed) > 0:
				c.Verdict = compliance.Partial
			default:
				c.Verdict = v
			}
		}
	}
	return out
}

func renderRank(v compliance.Verdict) int {
	return map[compliance.Verdict]int{compliance.Fail: 0, compliance.Pass: 1, compliance.Exempt: 2}[v]
}

func TestSampleAssessment_IsRealistic(t *testing.T) {
	a := renderSample()
	n := map[compliance.Verdict]int{}
	for _, r := range a.Results {
		n[r.Verdict]++
	}
	if len(a.Results) != 12 || n[compliance.Fail] != 2 || n[compliance.Exempt] != 1 || n[compliance.NotDeployed] != 3 || !a.Failed() {
		t.Fatalf("sample: %d items, verdicts %v, failed %v", len(a.Results), n, a.Failed())
	}
	fws := map[string]bool{}
	for _, c := range a.Controls {
		fws[c.Framework] = true
	}
	for _, f := range compliance.Frameworks {
		if !fws[f] {
			t.Errorf("sample has no %s control", f)
		}
	}
}

// TestRenderers_AreDeterministic: the same assessment renders byte for byte
// the same, so reports diff cleanly between runs.
func TestRenderers_AreDeterministic(t *testing.T) {
	for name, render := range map[string]func(*compliance.Assessment, *bytes.Buffer) error{
		"html":  func(a *compliance.Assessment, b *bytes.Buffer) error { return HTML(b, a) },
		"oscal": func(a *compliance.Assessment, b *bytes.Buffer) error { return OSCAL(b, a) },
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
