package compliance

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/rampart-dev/rampart/components/openbao"
)

const (
	hsmSeal    = "seal \"pkcs11\" {\n  lib = \"/usr/lib/libCryptoki2.so\"\n  key_label = \"bao\"\n  mechanism = \"0x1087\"\n}\n"
	shamirSeal = "seal \"shamir\" {\n}\n"
)

// baoState is an OpenBao component whose outputs and inputs are given.
func baoState(t *testing.T, outputs, inputs map[string]any) *Assessment {
	t.Helper()
	r := apitype.ResourceV3{URN: "urn:pulumi:s::p::" + openbao.TypeToken + "::bao", Type: openbao.TypeToken, Outputs: outputs, Inputs: inputs}
	return Assess("s", apitype.DeploymentV3{Resources: []apitype.ResourceV3{r}}, fixedNow)
}

// TestSecretsVault_SealReadFromParsedHCL: the seal is read from the
// configuration parsed as HCL — a commented-out stanza is no seal, a
// disabled one (the old seal of a migration) is not the active one — from
// the outputs whenever there are any (like object.get), and in key order,
// so the same state always yields the same verdict.
func TestSecretsVault_SealReadFromParsedHCL(t *testing.T) {
	commented := "# seal \"pkcs11\" {\n#   mechanism = \"0x1087\"\n# }\n" + shamirSeal
	verdictIs(t, baoState(t, map[string]any{"config": commented}, nil), "secrets-vault", Fail)
	verdictIs(t, baoState(t, map[string]any{"config": "/* " + hsmSeal + " */\n" + shamirSeal}, nil), "secrets-vault", Fail)
	verdictIs(t, baoState(t, map[string]any{"config": hsmSeal}, nil), "secrets-vault", Pass)
	verdictIs(t, baoState(t, map[string]any{"config": hsmSeal + "seal \"shamir\" {\n  disabled = true\n}\n"}, nil), "secrets-vault", Pass)
	verdictIs(t, baoState(t, map[string]any{"config": "seal \"pkcs11\" {\n  disabled = true\n}\n"}, nil), "secrets-vault", Fail)
	// Outputs win: a declared HSM seal never stands in for the live one.
	verdictIs(t, baoState(t, map[string]any{"config": shamirSeal}, map[string]any{"config": hsmSeal}), "secrets-vault", Fail)
	verdictIs(t, baoState(t, map[string]any{"address": "https://bao:8200"}, map[string]any{"config": hsmSeal}), "secrets-vault", Fail)
	verdictIs(t, baoState(t, nil, map[string]any{"config": hsmSeal}), "secrets-vault", Pass)
	// Two configurations: always the first by key, never a coin toss.
	two := map[string]any{"a": map[string]any{"config": shamirSeal}, "b": map[string]any{"config": hsmSeal}}
	want, _ := baoState(t, two, nil).Result("secrets-vault")
	for i := 0; i < 30; i++ {
		got, _ := baoState(t, two, nil).Result("secrets-vault")
		g, _ := json.Marshal(got.Evidence)
		w, _ := json.Marshal(want.Evidence)
		if string(g) != string(w) {
			t.Fatalf("run %d: evidence %s, first run %s", i, g, w)
		}
	}
	if want.Verdict != Fail || want.Evidence[0].Field != "a.config seal" {
		t.Errorf("two configurations: %s %+v, want the first key's (a: shamir) failing", want.Verdict, want.Evidence)
	}
}
