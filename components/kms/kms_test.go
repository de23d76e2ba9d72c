package kms_test

import (
	"strings"
	"testing"

	vault "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/kms"
	"github.com/rampart-dev/rampart/helpers/kmsplugin"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	tMount  = "vault:index/mount:Mount"
	tKey    = "vault:transit/secretBackendKey:SecretBackendKey"
	tPolicy = "vault:index/policy:Policy"
)

// run builds the component under the recording mock with an explicit vault
// provider, as stacks/ does.
func run(t *testing.T, args *kms.SecretsEncryptionArgs) (*recmock.Recorder, map[string]string, error) {
	t.Helper()
	rec := recmock.New()
	out := map[string]string{}
	err := rec.Run(func(ctx *pulumi.Context) error {
		vp, err := vault.NewProvider(ctx, "openbao", &vault.ProviderArgs{Address: pulumi.String("https://openbao.example.org:8200"), Token: pulumi.String("unit-test")})
		if err != nil {
			return err
		}
		c, err := kms.NewSecretsEncryption(ctx, "kms", args, pulumi.Providers(vp))
		if err != nil {
			return err
		}
		pulumi.All(c.Mount, c.KeyName, c.PolicyName).ApplyT(func(v []any) error {
			out["mount"], out["keyName"], out["policyName"] = v[0].(string), v[1].(string), v[2].(string)
			return nil
		})
		return nil
	})
	return rec, out, err
}

func TestSecretsEncryption_CreatesMountKeyAndPolicyUnderTheComponent(t *testing.T) {
	rec, out, err := run(t, &kms.SecretsEncryptionArgs{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ typ, name string }{{tMount, "kms-mount"}, {tKey, "kms-key"}, {tPolicy, "kms-policy"}} {
		r := rec.MustGet(t, c.typ, c.name)
		if r.ParentName() != "kms" {
			t.Errorf("%s parent = %q, want the component", c.name, r.ParentName())
		}
		if !strings.Contains(r.Provider, "pulumi:providers:vault::openbao") {
			t.Errorf("%s provider = %q, want the vault provider passed to the component", c.name, r.Provider)
		}
	}
	if comps := rec.ByType(kms.TypeToken); len(comps) != 1 || comps[0].Name != "kms" {
		t.Fatalf("component: %v", rec.Names())
	}
	want := map[string]string{"mount": "transit", "keyName": "kubernetes-kms", "policyName": "rampart-kms"}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("output %s = %q, want %q (the plugin's defaults)", k, out[k], v)
		}
	}
	if kms.DefaultMount != kmsplugin.DefaultTransitMount || kms.DefaultKeyName != kmsplugin.DefaultKeyName || kms.DefaultPolicyName != kmsplugin.PolicyName {
		t.Errorf("the component's defaults drifted from the plugin's")
	}
}

func TestSecretsEncryption_KeyNeverLeavesOpenBaoAndIsNeverDeleted(t *testing.T) {
	rec, _, err := run(t, &kms.SecretsEncryptionArgs{})
	if err != nil {
		t.Fatal(err)
	}
	m := rec.MustGet(t, tMount, "kms-mount").Plain()
	if m["type"] != "transit" || m["path"] != "transit" {
		t.Errorf("mount = %v, want a transit engine at transit", m)
	}
	k := rec.MustGet(t, tKey, "kms-key").Plain()
	for f, v := range map[string]any{"type": "aes256-gcm96", "exportable": false, "allowPlaintextBackup": false,
		"deletionAllowed": false, "name": "kubernetes-kms", "backend": "transit", "autoRotatePeriod": float64(90 * 24 * 3600)} {
		if k[f] != v {
			t.Errorf("key %s = %#v, want %#v", f, k[f], v)
		}
	}
	for _, n := range []struct{ typ, name string }{{tMount, "kms-mount"}, {tKey, "kms-key"}} {
		if r := rec.MustGet(t, n.typ, n.name); !r.Protect || !r.Retain {
			t.Errorf("%s: protect=%v retain=%v, want both (the key cannot be recreated)", n.name, r.Protect, r.Retain)
		}
	}
	if r := rec.MustGet(t, tPolicy, "kms-policy"); r.Protect {
		t.Errorf("the policy is reproducible and must stay replaceable")
	}

	rec, _, err = run(t, &kms.SecretsEncryptionArgs{AllowDestroy: true, AutoRotatePeriod: "0"})
	if err != nil {
		t.Fatal(err)
	}
	r := rec.MustGet(t, tKey, "kms-key")
	if r.Protect || r.Retain {
		t.Errorf("AllowDestroy: key still protect=%v retain=%v", r.Protect, r.Retain)
	}
	if p := r.Plain(); p["deletionAllowed"] != false || p["autoRotatePeriod"] != float64(0) {
		t.Errorf("AllowDestroy with rotation off: deletionAllowed=%v autoRotatePeriod=%v, want false and 0", p["deletionAllowed"], p["autoRotatePeriod"])
	}
}

func TestSecretsEncryption_PolicyIsThePluginsForThatMountAndKey(t *testing.T) {
	rec, _, err := run(t, &kms.SecretsEncryptionArgs{Mount: "platform/kms", KeyName: "etcd-secrets", PolicyName: "kms-plugin"})
	if err != nil {
		t.Fatal(err)
	}
	p := rec.MustGet(t, tPolicy, "kms-policy")
	wantHCL, err := kmsplugin.Policy("platform/kms", "etcd-secrets")
	if err != nil {
		t.Fatal(err)
	}
	got := p.Plain()
	if got["name"] != "kms-plugin" || got["policy"] != string(wantHCL) {
		t.Errorf("policy = %v, want kms-plugin with\n%s", got, wantHCL)
	}
	if !dependsOn(p, "kms-key") {
		t.Errorf("the policy must come after the key it grants; deps %v", p.Deps)
	}
	if k := rec.MustGet(t, tKey, "kms-key").Plain(); k["backend"] != "platform/kms" || k["name"] != "etcd-secrets" {
		t.Errorf("key = %v", k)
	}
}

func TestSecretsEncryption_RejectsBadNamesAndPeriods(t *testing.T) {
	cases := []struct {
		name string
		args kms.SecretsEncryptionArgs
		path string
		text string
	}{
		{"mount with a leading slash", kms.SecretsEncryptionArgs{Mount: "/transit"}, "mount", "not a mount path"},
		{"mount with ..", kms.SecretsEncryptionArgs{Mount: "a/../sys"}, "mount", "not a mount path"},
		{"reserved mount", kms.SecretsEncryptionArgs{Mount: "sys/transit"}, "mount", "reserves"},
		{"key with a slash", kms.SecretsEncryptionArgs{KeyName: "a/b"}, "keyName", "not a transit key name"},
		{"key too long", kms.SecretsEncryptionArgs{KeyName: strings.Repeat("k", 129)}, "keyName", "not a transit key name"},
		{"default policy", kms.SecretsEncryptionArgs{PolicyName: "default"}, "policyName", "attached to every token"},
		{"root policy", kms.SecretsEncryptionArgs{PolicyName: "root"}, "policyName", "built-in policy"},
		{"upper-case policy", kms.SecretsEncryptionArgs{PolicyName: "Rampart-KMS"}, "policyName", "lower case"},
		{"days", kms.SecretsEncryptionArgs{AutoRotatePeriod: "90d"}, "autoRotatePeriod", "not a Go duration"},
		{"negative", kms.SecretsEncryptionArgs{AutoRotatePeriod: "-1h"}, "autoRotatePeriod", "negative"},
		{"under an hour", kms.SecretsEncryptionArgs{AutoRotatePeriod: "30m"}, "autoRotatePeriod", "OpenBao refuses it"},
		{"over two years", kms.SecretsEncryptionArgs{AutoRotatePeriod: "17521h"}, "autoRotatePeriod", "two-year cryptoperiod"},
		{"fraction of a second", kms.SecretsEncryptionArgs{AutoRotatePeriod: "1h0.5s"}, "autoRotatePeriod", "whole number of seconds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.args.Validate("rampart:kms")
			if err == nil || !strings.Contains(err.Error(), "rampart:kms."+c.path+": ") || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("Validate = %v, want %q at rampart:kms.%s", err, c.text, c.path)
			}
			rec, _, err := run(t, &c.args)
			if err == nil || !strings.Contains(err.Error(), `kms "kms": invalid args`) || !strings.Contains(err.Error(), c.path+": ") {
				t.Fatalf("NewSecretsEncryption = %v, want the relative path %s", err, c.path)
			}
			if n := len(rec.ByType(kms.TypeToken)); n != 0 {
				t.Errorf("bad args registered the component")
			}
		})
	}
	for _, ok := range []kms.SecretsEncryptionArgs{{}, {AutoRotatePeriod: "0"}, {AutoRotatePeriod: "1h"}, {AutoRotatePeriod: "17520h"}, {Mount: "kms/kubernetes", KeyName: "k8s.secrets_v1"}} {
		if err := ok.Validate("rampart:kms"); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	if _, _, err := run(t, nil); err == nil || !strings.Contains(err.Error(), "args are required") {
		t.Errorf("nil args: %v", err)
	}
}

func dependsOn(r recmock.Resource, name string) bool {
	for _, d := range r.Deps {
		if strings.HasSuffix(d, "::"+name) {
			return true
		}
	}
	return false
}
