package compliance

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/pki"
)

// Type tokens of the secrets store's resources the evaluator reads.
const (
	rootCertType = "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert"
	csrType      = "vault:pkiSecret/secretBackendIntermediateCertRequest:SecretBackendIntermediateCertRequest"
)

// minCAKeyBits are the smallest CA keys the pki component accepts.
var minCAKeyBits = map[string]float64{string(pki.KeyEC): 384, string(pki.KeyRSA): 3072}

// checkSecretsVault: OpenBao's rendered configuration (the component's
// output, or the chart's values) seals with PKCS#11 (an HSM), and the PKI
// CAs' keys are generated inside OpenBao (type internal: never exported)
// with CA-grade sizes.
func checkSecretsVault(s *state) (bool, []Evidence) {
	var ev []Evidence
	bao := s.under(openbao.TypeToken)
	if len(bao) > 0 {
		ev = append(ev, sealEvidence(bao))
	}
	cas := append(append([]*object(nil), s.byType(rootCertType)...), s.byType(csrType)...)
	for _, ca := range cas {
		v, _ := ca.get("type")
		e := Evidence{URN: ca.URN, Field: "type", Value: show(v), OK: v == "internal"}
		if !e.OK {
			e.Note = "the CA key leaves OpenBao (exported): want internal"
		}
		ev = append(ev, e)
		kt, _ := ca.get("keyType")
		bits, _ := ca.get("keyBits")
		n, _ := num(bits)
		k := Evidence{URN: ca.URN, Field: "keyType, keyBits", Value: show(kt) + " " + show(bits), OK: true}
		if minBits, ok := minCAKeyBits[fmt.Sprint(kt)]; ok && n < minBits {
			k.OK, k.Note = false, fmt.Sprintf("a CA key needs at least %v bits for %s", minBits, kt)
		}
		ev = append(ev, k)
	}
	pkiComp, pkiDeployed := s.component(pki.TypeToken, "pkiIssuerName")
	if pkiDeployed && len(cas) == 0 {
		ev = append(ev, missing(pkiComp, "a CA (root certificate or intermediate CSR)"))
	}
	return len(bao)+len(cas) > 0 || pkiDeployed, ev
}

// sealEvidence finds the seal stanzas in OpenBao's resources (the
// component's config output, the chart's values). Each resource is read
// like object.get: its outputs, or its inputs only when it has no outputs;
// maps are walked in key order so the same state always yields the same
// evidence. A string counts as configuration only if it parses as HCL and
// holds seal blocks: a commented-out stanza is a comment, not a seal.
// Secrets are never opened: a configuration held only in a secret cannot
// be judged.
func sealEvidence(bao []*object) Evidence {
	var hiddenIn *object
	hiddenAt := ""
	for _, o := range bao {
		path, seals, hidden := findSeals(o.fields(), "")
		if len(seals) == 0 {
			if hidden != "" && hiddenIn == nil {
				hiddenIn, hiddenAt = o, hidden
			}
			continue
		}
		var shown, bad []string
		hsm := 0
		for _, sl := range seals {
			d := ""
			if sl.disabled {
				d = " (disabled)"
			}
			shown = append(shown, fmt.Sprintf("%q mechanism %s%s", sl.kind, sl.mechanism, d))
			switch {
			case sl.disabled:
			case sl.kind == string(openbao.SealPKCS11):
				hsm++
			default:
				bad = append(bad, sl.kind)
			}
		}
		e := Evidence{URN: o.URN, Field: path + " seal", Value: strings.Join(shown, "; "), OK: hsm > 0 && len(bad) == 0}
		if !e.OK {
			e.Note = "want the " + string(openbao.SealPKCS11) + " (HSM) seal as the only active one"
			if len(bad) > 0 {
				e.Note += ", found " + strings.Join(bad, ", ")
			}
		}
		return e
	}
	if hiddenIn != nil {
		return Evidence{URN: hiddenIn.URN, Field: hiddenAt, Value: secretShown,
			Note: "no seal stanza outside secrets: the seal cannot be read without decrypting the state"}
	}
	return Evidence{URN: bao[0].URN, Field: "config", Value: "(absent)", Note: "no seal stanza in OpenBao's configuration"}
}

// fields is the map object.get reads: the outputs, or the inputs of a
// resource without outputs.
func (o *object) fields() map[string]any {
	if len(o.Outputs) > 0 {
		return o.Outputs
	}
	return o.Inputs
}

// seal is one seal stanza of an OpenBao configuration.
type seal struct {
	kind, mechanism string
	// disabled: `disabled = true`, the old seal of a seal migration.
	disabled bool
}

// parseSeals parses text as HCL and returns its seal blocks (nil when text
// is not HCL or holds none).
func parseSeals(text string) []seal {
	if !strings.Contains(text, "seal") {
		return nil
	}
	f, diags := hclsyntax.ParseConfig([]byte(text), "config.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		return nil
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var out []seal
	for _, b := range body.Blocks {
		if b.Type != "seal" || len(b.Labels) != 1 {
			continue
		}
		sl := seal{kind: b.Labels[0]}
		if a, ok := b.Body.Attributes["mechanism"]; ok {
			if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
				sl.mechanism = v.AsString()
			}
		}
		if a, ok := b.Body.Attributes["disabled"]; ok {
			if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.Bool && v.IsKnown() && !v.IsNull() {
				sl.disabled = v.True()
			}
		}
		out = append(out, sl)
	}
	return out
}

// findSeals walks v, maps in key order, for a string holding HCL seal
// blocks; it returns its path, the seals, and the path of a secret met on
// the way (never opened).
func findSeals(v any, path string) (string, []seal, string) {
	hidden := ""
	switch x := v.(type) {
	case string:
		if seals := parseSeals(x); len(seals) > 0 {
			return path, seals, ""
		}
	case map[string]any:
		if isSecret(x) {
			return "", nil, path
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			if !strings.HasPrefix(k, "__") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			p, seals, h := findSeals(x[k], strings.TrimPrefix(path+"."+k, "."))
			if len(seals) > 0 {
				return p, seals, ""
			}
			if h != "" && hidden == "" {
				hidden = h
			}
		}
	case []any:
		for i, e := range x {
			p, seals, h := findSeals(e, fmt.Sprintf("%s[%d]", path, i))
			if len(seals) > 0 {
				return p, seals, ""
			}
			if h != "" && hidden == "" {
				hidden = h
			}
		}
	}
	return "", nil, hidden
}
