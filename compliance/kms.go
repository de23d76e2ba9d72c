package compliance

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/rampart-dev/rampart/components/kms"
)

// Type tokens of the KMS component's children the evaluator reads.
const (
	transitKeyType = "vault:transit/secretBackendKey:SecretBackendKey"
	vaultPolicy    = "vault:index/policy:Policy"
)

// checkSecretsKMS: the transit key the KMS v2 plugin wraps the API server's
// data keys with never leaves OpenBao (aes256-gcm96, not exportable, no
// plaintext backup) and cannot be deleted, and the plugin's policy grants
// nothing but update on encrypt/decrypt and read on that key. All from the
// state; the API server's kms-providers check comes from rampart verify
// (readyzEvidence).
func checkSecretsKMS(s *state) (bool, []Evidence) {
	comp, deployed := s.component(kms.TypeToken, "kmsKeyName")
	if !deployed {
		return false, nil
	}
	var ev []Evidence
	var keys, policies []*object
	for _, o := range s.under(kms.TypeToken) {
		switch o.Type {
		case transitKeyType:
			keys = append(keys, o)
		case vaultPolicy:
			policies = append(policies, o)
		}
	}
	if len(keys) == 0 {
		ev = append(ev, missing(comp, "the transit key"))
	}
	if len(policies) == 0 {
		ev = append(ev, missing(comp, "the plugin's policy"))
	}
	allowed := map[string][]string{}
	for _, k := range keys {
		ev = append(ev, keyEvidence(k)...)
		mount, name := strings.Trim(k.str("backend"), "/"), k.str("name")
		allowed[mount+"/encrypt/"+name] = []string{"update"}
		allowed[mount+"/decrypt/"+name] = []string{"update"}
		allowed[mount+"/keys/"+name] = []string{"read"}
	}
	for _, p := range policies {
		if len(keys) == 0 {
			continue // no key to judge the policy against; its absence failed above
		}
		ev = append(ev, policyEvidence(p, allowed))
	}
	return true, ev
}

// keyEvidence: one fact per property that keeps the key inside OpenBao.
func keyEvidence(k *object) []Evidence {
	typ, _ := k.get("type")
	out := []Evidence{{URN: k.URN, Field: "type", Value: show(typ), OK: typ == kms.KeyType, Source: FromState}}
	if !out[0].OK {
		out[0].Note = "want " + kms.KeyType + " (AES-256-GCM), the type the plugin wraps data keys with"
	}
	for _, f := range []struct{ field, why string }{
		{"exportable", "the key can be exported: once set, OpenBao cannot unset it — create a new key and rewrite every Secret"},
		{"allowPlaintextBackup", "the key can be backed up in plaintext: once set, OpenBao cannot unset it — create a new key and rewrite every Secret"},
		{"deletionAllowed", "OpenBao would delete the key on request, and every Secret in etcd with it: set deletion_allowed false"},
	} {
		v, _ := k.get(f.field)
		// Absent is OpenBao's default, false.
		e := Evidence{URN: k.URN, Field: f.field, Value: show(v), OK: v == nil || v == false, Source: FromState}
		if !e.OK {
			e.Note = f.why
		}
		out = append(out, e)
	}
	return out
}

// policyEvidence parses the policy's HCL and fails on any path or
// capability beyond allowed (the key's encrypt, decrypt and metadata
// paths), and when encrypt or decrypt is missing.
func policyEvidence(p *object, allowed map[string][]string) Evidence {
	e := Evidence{URN: p.URN, Field: "policy", Source: FromState}
	v, _ := p.get("policy")
	text, ok := v.(string)
	if !ok {
		e.Value, e.Note = show(v), "no policy text in the state (a secret or absent): it cannot be judged"
		return e
	}
	rules, err := parsePolicy(text)
	if err != nil {
		e.Value, e.Note = "(unparsed)", err.Error()
		return e
	}
	var shown, bad []string
	granted := map[string]bool{}
	for _, r := range rules {
		shown = append(shown, r.path+" "+strings.Join(r.caps, ","))
		want, known := allowed[r.path]
		for _, c := range r.caps {
			switch {
			case !known:
				bad = append(bad, fmt.Sprintf("%s on %s (not the key's encrypt, decrypt or metadata path)", c, r.path))
			case !slices.Contains(want, c):
				bad = append(bad, fmt.Sprintf("%s on %s (want %s only)", c, r.path, strings.Join(want, ",")))
			default:
				granted[r.path] = true
			}
		}
	}
	for path, caps := range allowed {
		if !granted[path] && caps[0] == "update" {
			bad = append(bad, "no update on "+path+": the plugin cannot wrap or unwrap")
		}
	}
	sort.Strings(bad)
	e.Value = strings.Join(shown, "; ")
	e.OK = len(bad) == 0
	if len(bad) > 0 {
		e.Note = "the plugin's token may do more or less than encrypt/decrypt with its key: " + strings.Join(bad, "; ")
	}
	return e
}

// policyRule is one path block of an OpenBao policy.
type policyRule struct {
	path string
	caps []string
}

// parsePolicy reads the path blocks of an OpenBao policy in HCL. Any other
// block or attribute, or capabilities that are not a literal list of
// strings, is an error: a policy the evaluator cannot read is not narrow.
func parsePolicy(text string) ([]policyRule, error) {
	f, diags := hclsyntax.ParseConfig([]byte(text), "policy.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("not HCL: %s", diags.Error())
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, fmt.Errorf("not an HCL body")
	}
	if len(body.Attributes) > 0 {
		return nil, fmt.Errorf("top-level attributes in a policy")
	}
	var out []policyRule
	for _, b := range body.Blocks {
		if b.Type != "path" || len(b.Labels) != 1 {
			return nil, fmt.Errorf("block %q is not a path block", b.Type)
		}
		r := policyRule{path: b.Labels[0]}
		for name, a := range b.Body.Attributes {
			if name != "capabilities" {
				return nil, fmt.Errorf("path %q: %s (parameter constraints are not judged: want capabilities only)", r.path, name)
			}
			v, d := a.Expr.Value(nil)
			if d.HasErrors() || !v.IsKnown() || v.IsNull() || !(v.Type().IsListType() || v.Type().IsTupleType()) {
				return nil, fmt.Errorf("path %q: capabilities is not a list", r.path)
			}
			for it := v.ElementIterator(); it.Next(); {
				_, c := it.Element()
				if c.Type() != cty.String || c.IsNull() {
					return nil, fmt.Errorf("path %q: a capability is not a string", r.path)
				}
				r.caps = append(r.caps, c.AsString())
			}
		}
		if len(b.Body.Blocks) > 0 {
			return nil, fmt.Errorf("path %q: nested blocks", r.path)
		}
		out = append(out, r)
	}
	return out, nil
}

// readyzChecks are the API server health checks that prove an item's
// behaviour: the item's check must show "[+]<name> ok" in the /readyz?verbose
// answer rampart verify recorded. kms-providers is the single check
// kube-apiserver runs for every KMS v2 provider (k8s.io/apiserver's
// encryptionconfig); it fails while the plugin's Status is unhealthy.
var readyzChecks = map[string]string{"secrets-kms": "kms-providers"}

// readyzEvidence is the behaviour fact of item id in readyz, if the item has
// a readyz check.
func readyzEvidence(id, readyz string) (Evidence, bool) {
	name, ok := readyzChecks[id]
	if !ok {
		return Evidence{}, false
	}
	e := Evidence{Source: FromBehaviour, Field: "/readyz?verbose " + name}
	if strings.TrimSpace(readyz) == "" {
		e.Value, e.Note = "(not recorded)", "rampart verify recorded no /readyz answer: the API server's KMS check cannot be shown"
		return e, true
	}
	for _, l := range strings.Split(readyz, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[+]"+name+" ") || strings.HasPrefix(l, "[-]"+name+" ") {
			e.Value, e.OK = l, l == "[+]"+name+" ok"
			break
		}
	}
	switch {
	case e.Value == "":
		e.Value = "(absent)"
		e.Note = "the API server runs no " + name + " check: it does not load a KMS v2 EncryptionConfiguration (rampart apiserver encryption-provider-config)"
	case !e.OK:
		e.Note = "the API server's KMS plugin is unhealthy (OpenBao unreachable, or the token lacks the policy): new Secret writes fail once its cached data key expires"
	default:
		e.Note = "the API server loads a KMS v2 provider and its plugin reports healthy (alone this check passes on an API server that reloads an encryption configuration without KMS; the state shows the key)"
	}
	return e, true
}
