package stacks_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/recmock"
)

// TestProgram_KMSSharesThePKIVaultProvider: with rampart:pki and rampart:kms
// the stack builds one vault provider, and the transit mount, key and policy
// are created on it, under the kms component.
func TestProgram_KMSSharesThePKIVaultProvider(t *testing.T) {
	cfg := platformConfig()
	cfg["rampart:kms"] = js(map[string]any{"enabled": true})
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg, platformSecrets...)); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ByType("pulumi:providers:vault")); n != 1 {
		t.Fatalf("vault providers: %d, want the one rampart:pki and rampart:kms share", n)
	}
	if n := len(rec.ByType("rampart:kms:SecretsEncryption")); n != 1 {
		t.Fatalf("kms components: %d", n)
	}
	for _, c := range []struct{ typ, name string }{
		{"vault:index/mount:Mount", "kms-mount"},
		{"vault:transit/secretBackendKey:SecretBackendKey", "kms-key"},
		{"vault:index/policy:Policy", "kms-policy"},
	} {
		r := rec.MustGet(t, c.typ, c.name)
		if !strings.Contains(r.Provider, "pulumi:providers:vault::openbao") || r.ParentName() != "kms" {
			t.Errorf("%s: provider %q parent %q, want the stack's vault provider under the kms component", c.name, r.Provider, r.ParentName())
		}
	}
	// Outside the local profile the key and its mount are protected.
	if k := rec.MustGet(t, "vault:transit/secretBackendKey:SecretBackendKey", "kms-key"); !k.Protect || !k.Retain {
		t.Errorf("kms key: protect=%v retain=%v, want both", k.Protect, k.Retain)
	}
	if n := len(rec.ByType("rampart:openbao:OpenBao")); n != 1 || len(rec.MustGet(t, "rampart:kms:SecretsEncryption", "kms").Deps) == 0 {
		t.Errorf("the kms component must wait for this stack's OpenBao")
	}
}

// TestProgram_KMSWithoutPKIConfiguresTheVaultProviderItself: rampart:kms
// alone brings the vault provider, with its own provider settings.
func TestProgram_KMSWithoutPKIConfiguresTheVaultProviderItself(t *testing.T) {
	cfg := validConfig()
	cfg["rampart:kms"] = js(map[string]any{"enabled": true, "keyName": "etcd", "provider": map[string]any{"address": "https://openbao.platform.example.gov.uk:8200"}})
	cfg["rampart:vaultToken"] = testVaultTokn
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg, "rampart:vaultToken")); err != nil {
		t.Fatal(err)
	}
	vp := rec.ByType("pulumi:providers:vault")
	if len(vp) != 1 || !vp[0].IsSecret("token") {
		t.Fatalf("vault provider = %+v, want one with a secret token", vp)
	}
	if a, _ := recmock.Path(vp[0].Plain(), "address"); a != "https://openbao.platform.example.gov.uk:8200" {
		t.Errorf("vault provider address = %v, want rampart:kms.provider.address", a)
	}
	if n := len(rec.ByType("rampart:pki:PKI")); n != 0 {
		t.Errorf("pki built while disabled")
	}
	if k := rec.MustGet(t, "vault:transit/secretBackendKey:SecretBackendKey", "kms-key").Plain(); k["name"] != "etcd" {
		t.Errorf("key name = %v", k["name"])
	}
}

// TestProgram_RejectsInvalidKMSConfigAndRegistersNothing: each bad
// rampart:kms setting at its exact key path, before anything is registered.
func TestProgram_RejectsInvalidKMSConfigAndRegistersNothing(t *testing.T) {
	kmsOn := func(kv ...any) string {
		m := map[string]any{"enabled": true}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return js(m)
	}
	alone := func(c map[string]string) map[string]string {
		for _, k := range []string{"rampart:openbao", "rampart:pki", "rampart:openbaoHsmPin", "rampart:openbaoDeployerPassword"} {
			delete(c, k)
		}
		return c
	}
	cases := []struct {
		name string
		cfg  func() map[string]string
		want string
	}{
		{"key name with a slash", func() map[string]string {
			c := platformConfig()
			c["rampart:kms"] = kmsOn("keyName", "a/b")
			return c
		}, `rampart:kms.keyName: "a/b": not a transit key name`},
		{"default policy", func() map[string]string {
			c := platformConfig()
			c["rampart:kms"] = kmsOn("policyName", "default")
			return c
		}, `rampart:kms.policyName: "default": a built-in policy`},
		{"rotation in days", func() map[string]string {
			c := platformConfig()
			c["rampart:kms"] = kmsOn("autoRotatePeriod", "90d")
			return c
		}, `rampart:kms.autoRotatePeriod: "90d": not a Go duration`},
		{"mount on the pki's", func() map[string]string {
			c := platformConfig()
			c["rampart:kms"] = kmsOn("mount", "pki/kms")
			return c
		}, `rampart:kms.mount: "pki/kms": overlaps rampart:pki.root.path (pki)`},
		{"second provider beside pki", func() map[string]string {
			c := platformConfig()
			c["rampart:kms"] = kmsOn("provider", map[string]any{"address": "https://other.example.gov.uk:8200"})
			return c
		}, "rampart:kms.provider: (set): the stack has one vault provider"},
		{"no address without pki", func() map[string]string {
			c := alone(platformConfig())
			c["rampart:kms"] = kmsOn()
			c["rampart:vaultToken"] = testVaultTokn
			return c
		}, `rampart:kms.provider.address: "": required`},
		{"provider over http", func() map[string]string {
			c := alone(platformConfig())
			c["rampart:kms"] = kmsOn("provider", map[string]any{"address": "http://openbao.example.gov.uk:8200"})
			c["rampart:vaultToken"] = testVaultTokn
			return c
		}, `rampart:kms.provider.address: "http://openbao.example.gov.uk:8200": the vault provider would send its credentials in clear text`},
		{"no credentials", func() map[string]string {
			c := alone(platformConfig())
			c["rampart:kms"] = kmsOn("provider", map[string]any{"address": "https://openbao.example.gov.uk:8200"})
			return c
		}, `rampart:vaultToken: "": missing: rampart:kms needs OpenBao credentials`},
		{"unknown key", func() map[string]string {
			c := platformConfig()
			c["rampart:kms"] = kmsOn("exportable", true)
			return c
		}, "rampart:kms.exportable: (value not shown): unknown key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := recmock.New()
			err := rec.Run(program, recmock.WithConfig(tc.cfg(), platformSecrets...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if rec.Len() != 0 {
				t.Fatalf("registered %v despite invalid config", rec.Names())
			}
			if strings.Contains(err.Error(), testVaultTokn) || strings.Contains(err.Error(), testPassword) {
				t.Fatalf("error leaks a secret value: %v", err)
			}
		})
	}
}
