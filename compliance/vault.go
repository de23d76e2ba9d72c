package compliance

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/pki"
)

// Type tokens of the secrets store's resources the evaluator reads.
const (
	rootCertType = "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert"
	csrType      = "vault:pkiSecret/secretBackendIntermediateCertRequest:SecretBackendIntermediateCertRequest"
)

var (
	sealRe      = regexp.MustCompile(`(?s)seal\s+"([A-Za-z0-9_-]+)"\s*\{([^}]*)\}`)
	mechanismRe = regexp.MustCompile(`mechanism\s*=\s*"([^"]+)"`)
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
	return len(bao)+len(cas) > 0, ev
}

// sealEvidence finds the seal stanza in any string of OpenBao's resources
// (the component's config output, the chart's values). Secrets are never
// opened: a configuration held only in a secret cannot be judged.
func sealEvidence(bao []*object) Evidence {
	var hiddenIn *object
	hiddenAt := ""
	for _, o := range bao {
		for _, m := range []map[string]any{o.Outputs, o.Inputs} {
			path, hcl, hidden := findString(m, "", func(s string) bool { return sealRe.MatchString(s) })
			if hcl == "" {
				if hidden != "" && hiddenIn == nil {
					hiddenIn, hiddenAt = o, hidden
				}
				continue
			}
			sm := sealRe.FindStringSubmatch(hcl)
			mech := ""
			if mm := mechanismRe.FindStringSubmatch(sm[2]); mm != nil {
				mech = mm[1]
			}
			e := Evidence{URN: o.URN, Field: path + " seal", Value: fmt.Sprintf("%q mechanism %s", sm[1], mech), OK: sm[1] == string(openbao.SealPKCS11)}
			if !e.OK {
				e.Note = "want the " + string(openbao.SealPKCS11) + " (HSM) seal"
			}
			return e
		}
	}
	if hiddenIn != nil {
		return Evidence{URN: hiddenIn.URN, Field: hiddenAt, Value: secretShown,
			Note: "no seal stanza outside secrets: the seal cannot be read without decrypting the state"}
	}
	return Evidence{URN: bao[0].URN, Field: "config", Value: "(absent)", Note: "no seal stanza in OpenBao's configuration"}
}

// findString walks v for a string that match accepts; it returns its path,
// the string, and the path of a secret met on the way (never opened).
func findString(v any, path string, match func(string) bool) (string, string, string) {
	hidden := ""
	switch x := v.(type) {
	case string:
		if match(x) {
			return path, x, ""
		}
	case map[string]any:
		if isSecret(x) {
			return "", "", path
		}
		for k, e := range x {
			if strings.HasPrefix(k, "__") {
				continue
			}
			p, s, h := findString(e, strings.TrimPrefix(path+"."+k, "."), match)
			if s != "" {
				return p, s, ""
			}
			if h != "" {
				hidden = h
			}
		}
	case []any:
		for i, e := range x {
			p, s, h := findString(e, fmt.Sprintf("%s[%d]", path, i), match)
			if s != "" {
				return p, s, ""
			}
			if h != "" {
				hidden = h
			}
		}
	}
	return "", "", hidden
}
