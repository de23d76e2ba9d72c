package compliance

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/rampart-dev/rampart/components/kms"
	"github.com/rampart-dev/rampart/helpers/kmsplugin"
)

// kmsDeployment is the kms component with its key and policy as the
// provider would leave them in the state, with the given fields of the key
// and of the policy changed.
func kmsDeployment(t *testing.T, key, policy map[string]any) apitype.DeploymentV3 {
	t.Helper()
	hcl, err := kmsplugin.Policy("transit", "kubernetes-kms")
	if err != nil {
		t.Fatal(err)
	}
	k := map[string]any{"backend": "transit", "name": "kubernetes-kms", "type": "aes256-gcm96", "exportable": false,
		"allowPlaintextBackup": false, "deletionAllowed": false, "autoRotatePeriod": float64(7776000)}
	p := map[string]any{"name": "rampart-kms", "policy": string(hcl)}
	for f, v := range key {
		k[f] = v
	}
	for f, v := range policy {
		p[f] = v
	}
	urn := func(typ, name string) resource.URN {
		if typ == kms.TypeToken {
			return resource.URN("urn:pulumi:s::p::" + typ + "::" + name)
		}
		return resource.URN("urn:pulumi:s::p::" + kms.TypeToken + "$" + typ + "::" + name)
	}
	return apitype.DeploymentV3{Resources: []apitype.ResourceV3{
		{URN: urn(kms.TypeToken, "kms"), Type: kms.TypeToken},
		{URN: urn(transitKeyType, "kms-key"), Type: transitKeyType, Custom: true, Inputs: k, Outputs: k},
		{URN: urn(vaultPolicy, "kms-policy"), Type: vaultPolicy, Custom: true, Inputs: p, Outputs: p},
	}}
}

func TestSecretsKMS_JudgesTheKeyAndThePolicyFromTheState(t *testing.T) {
	ok := map[string]any{}
	cases := []struct {
		name        string
		key, policy map[string]any
		want        Verdict
		field, note string
	}{
		{"as the component creates them", ok, ok, Pass, "", ""},
		{"exportable", map[string]any{"exportable": true}, ok, Fail, "exportable", "can be exported"},
		{"plaintext backup", map[string]any{"allowPlaintextBackup": true}, ok, Fail, "allowPlaintextBackup", "backed up in plaintext"},
		{"deletable", map[string]any{"deletionAllowed": true}, ok, Fail, "deletionAllowed", "would delete the key"},
		{"aes128", map[string]any{"type": "aes128-gcm96"}, ok, Fail, "type", "want aes256-gcm96"},
		{"policy also reads sys/mounts", ok, map[string]any{"policy": policyText(t) + "path \"sys/mounts\" {\n  capabilities = [\"read\"]\n}\n"}, Fail, "policy",
			"read on sys/mounts (not the key's encrypt, decrypt or metadata path)"},
		{"policy may create on encrypt", ok, map[string]any{"policy": strings.Replace(policyText(t), `["update"]`, `["create", "update"]`, 1)}, Fail, "policy",
			"create on transit/encrypt/kubernetes-kms (want update only)"},
		{"policy may rotate", ok, map[string]any{"policy": policyText(t) + "path \"transit/keys/kubernetes-kms/rotate\" {\n  capabilities = [\"update\"]\n}\n"}, Fail, "policy", "update on transit/keys/kubernetes-kms/rotate"},
		{"policy on every key", ok, map[string]any{"policy": "path \"transit/encrypt/*\" {\n  capabilities = [\"update\"]\n}\npath \"transit/decrypt/*\" {\n  capabilities = [\"update\"]\n}\n"}, Fail, "policy",
			"update on transit/encrypt/*"},
		{"policy without decrypt", ok, map[string]any{"policy": "path \"transit/encrypt/kubernetes-kms\" {\n  capabilities = [\"update\"]\n}\n"}, Fail, "policy",
			"no update on transit/decrypt/kubernetes-kms"},
		{"policy in a form not read", ok, map[string]any{"policy": `{"path": {"transit/encrypt/kubernetes-kms": {"capabilities": ["update"]}}}`}, Fail, "policy", "not HCL"},
		{"policy with parameter constraints", ok, map[string]any{"policy": "path \"transit/encrypt/kubernetes-kms\" {\n  capabilities = [\"update\"]\n  allowed_parameters = {}\n}\n"}, Fail, "policy", "capabilities only"},
		{"key deleted out of band", nil, ok, Fail, "the transit key", "recreates it"},
		{"policy deleted out of band", ok, nil, Fail, "the plugin's policy", "recreates it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dep := kmsDeployment(t, c.key, c.policy)
			if c.key == nil {
				dep.Resources = dropType(dep.Resources, transitKeyType)
			}
			if c.policy == nil {
				dep.Resources = dropType(dep.Resources, vaultPolicy)
			}
			r, _ := Assess("s", dep, fixedNow).Result("secrets-kms")
			if r.Verdict != c.want {
				t.Fatalf("verdict %s, want %s; evidence %+v", r.Verdict, c.want, r.Evidence)
			}
			if c.want == Pass {
				if len(r.Evidence) != 5 {
					t.Errorf("evidence %+v, want the four key facts and the policy", r.Evidence)
				}
				return
			}
			var found bool
			for _, e := range r.Evidence {
				found = found || !e.OK && e.Field == c.field && strings.Contains(e.Note, c.note) && e.Source == FromState
			}
			if !found {
				t.Errorf("no failing state fact %s with %q: %+v", c.field, c.note, r.Evidence)
			}
		})
	}
}

func TestSecretsKMS_NotDeployedWithoutTheComponent(t *testing.T) {
	r, _ := Assess("s", apitype.DeploymentV3{}, fixedNow).Result("secrets-kms")
	if r.Verdict != NotDeployed || len(r.Evidence) != 0 {
		t.Fatalf("%s %+v", r.Verdict, r.Evidence)
	}
	a := Assess("s", apitype.DeploymentV3{}, fixedNow)
	a.AddBehaviour(&Behaviour{Readyz: "[-]kms-providers failed: reason withheld"})
	if r, _ := a.Result("secrets-kms"); r.Verdict != NotDeployed {
		t.Errorf("a stack without kms judged on the API server's KMS check: %s", r.Verdict)
	}
}

// TestSecretsKMS_BehaviourNeedsTheKMSProvidersCheckHealthy: with kms in the
// state, rampart verify's /readyz?verbose must show [+]kms-providers ok;
// failing, absent or unrecorded, the item fails on a behaviour fact.
func TestSecretsKMS_BehaviourNeedsTheKMSProvidersCheckHealthy(t *testing.T) {
	for _, c := range []struct {
		name, readyz string
		ok           bool
		value, note  string
	}{
		{"healthy", "[+]ping ok\n[+]etcd ok\n[+]kms-providers ok\nreadyz check passed\n", true, "[+]kms-providers ok", "plugin reports healthy"},
		{"unhealthy", "[+]ping ok\n[-]kms-providers failed: reason withheld\nreadyz check failed\n", false, "[-]kms-providers failed: reason withheld", "unhealthy"},
		{"no kms check", "[+]ping ok\n[+]etcd ok\nreadyz check passed\n", false, "(absent)", "does not load a KMS v2 EncryptionConfiguration"},
		{"not recorded", "", false, "(not recorded)", "no /readyz answer"},
		{"a look-alike check", "[+]kms-providers-legacy ok\n", false, "(absent)", "runs no kms-providers check"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := Assess("s", kmsDeployment(t, map[string]any{}, map[string]any{}), fixedNow)
			a.AddBehaviour(&Behaviour{Readyz: c.readyz})
			r, _ := a.Result("secrets-kms")
			want := Fail
			if c.ok {
				want = Pass
			}
			if r.Verdict != want {
				t.Fatalf("verdict %s, want %s; evidence %+v", r.Verdict, want, r.Evidence)
			}
			last := r.Evidence[len(r.Evidence)-1]
			if last.Source != FromBehaviour || last.Field != "/readyz?verbose kms-providers" || last.OK != c.ok || last.Value != c.value || !strings.Contains(last.Note, c.note) {
				t.Errorf("behaviour fact %+v", last)
			}
			if got := r.Sources(); len(got) != 2 || got[0] != FromState || got[1] != FromBehaviour {
				t.Errorf("sources %v, want state and behaviour", got)
			}
			for _, ctl := range a.Controls {
				if ctl.Framework == "ITSG-33" && ctl.Control == "SC-12, SC-28" && ctl.Verdict != want {
					t.Errorf("ITSG-33 SC-12, SC-28 = %s, want %s", ctl.Verdict, want)
				}
			}
		})
	}
}

func policyText(t *testing.T) string {
	t.Helper()
	b, err := kmsplugin.Policy("transit", "kubernetes-kms")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func dropType(res []apitype.ResourceV3, typ string) []apitype.ResourceV3 {
	var out []apitype.ResourceV3
	for _, r := range res {
		if string(r.Type) != typ {
			out = append(out, r)
		}
	}
	return out
}
