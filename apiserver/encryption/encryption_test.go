package encryption_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/apiserver/encryption"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	api "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/apis/apiserver/install"
	"k8s.io/apiserver/pkg/apis/apiserver/validation"
)

const endpoint = "unix:///var/run/kmsplugin/socket.sock"

// load decodes a rendering the way kube-apiserver reads
// --encryption-provider-config (k8s.io/apiserver
// pkg/server/options/encryptionconfig loadConfig: the apiserver.config.k8s.io
// scheme, strict decoding into the internal type) and validates it with the
// API server's own validation.
func load(t *testing.T, b []byte) *api.EncryptionConfiguration {
	t.Helper()
	scheme := runtime.NewScheme()
	install.Install(scheme)
	obj, err := runtime.Decode(serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDecoder(), b)
	if err != nil {
		t.Fatalf("the API server's decoder refuses the rendering: %v\n%s", err, b)
	}
	cfg, ok := obj.(*api.EncryptionConfiguration)
	if !ok {
		t.Fatalf("decoded %T, want EncryptionConfiguration", obj)
	}
	if errs := validation.ValidateEncryptionConfiguration(cfg, false); len(errs) > 0 {
		t.Fatalf("the API server's validation refuses the rendering: %v\n%s", errs.ToAggregate(), b)
	}
	return cfg
}

func TestRender_KMSv2FirstIdentityLast_PassesTheAPIServersDecoderAndValidation(t *testing.T) {
	for name, a := range map[string]encryption.Args{
		"defaults":        {Endpoint: endpoint},
		"more resources":  {Endpoint: endpoint, Resources: []string{"secrets", "configmaps", "widgets.example.com"}},
		"custom provider": {Endpoint: "unix:///run/rampart/kms.sock", ProviderName: "openbao-eu", Timeout: 10 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := encryption.Render(&a)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), encryption.Header) || !strings.Contains(string(b), "apiVersion: apiserver.config.k8s.io/v1\n") {
				t.Errorf("rendering lacks the header or the v1 apiVersion:\n%s", b)
			}
			cfg := load(t, b)
			d := a.WithDefaults()
			if len(cfg.Resources) != 1 {
				t.Fatalf("%d resource entries, want 1", len(cfg.Resources))
			}
			r := cfg.Resources[0]
			if strings.Join(r.Resources, ",") != strings.Join(d.Resources, ",") {
				t.Errorf("resources = %v, want %v", r.Resources, d.Resources)
			}
			if len(r.Providers) != 2 || r.Providers[0].KMS == nil || r.Providers[1].Identity == nil {
				t.Fatalf("providers = %+v, want kms then identity", r.Providers)
			}
			k := r.Providers[0].KMS
			if k.APIVersion != "v2" || k.Name != d.ProviderName || k.Endpoint != d.Endpoint || k.Timeout.Duration != d.Timeout || k.CacheSize != nil {
				t.Errorf("kms = %+v, want v2 %s at %s, timeout %v, no cachesize", k, d.ProviderName, d.Endpoint, d.Timeout)
			}
		})
	}
}

func TestDefaults_SecretsThroughRampartOpenBaoIn3s(t *testing.T) {
	d := encryption.Args{}.WithDefaults()
	if strings.Join(d.Resources, ",") != "secrets" || d.ProviderName != "rampart-openbao" || d.Timeout != 3*time.Second ||
		d.ConfigPath != "/etc/kubernetes/encryption-config.yaml" || d.Endpoint != "" {
		t.Errorf("defaults = %+v", d)
	}
	if got := (encryption.Args{Endpoint: endpoint}).SocketDir(); got != "/var/run/kmsplugin" {
		t.Errorf("SocketDir = %q", got)
	}
}

func TestValidate_NamesTheFieldAndTheFix(t *testing.T) {
	for name, c := range map[string]struct {
		args encryption.Args
		want []string
	}{
		"no endpoint":       {encryption.Args{}, []string{"endpoint: \"\": required", "--kms-endpoint"}},
		"tcp endpoint":      {encryption.Args{Endpoint: "tcp://127.0.0.1:9000"}, []string{"endpoint: \"tcp://127.0.0.1:9000\": not unix://", "unix:///var/run/kmsplugin/socket.sock"}},
		"relative socket":   {encryption.Args{Endpoint: "unix://kms.sock"}, []string{"endpoint: \"unix://kms.sock\""}},
		"unclean socket":    {encryption.Args{Endpoint: "unix:///var/run/../kms.sock"}, []string{"endpoint:"}},
		"socket in /":       {encryption.Args{Endpoint: "unix:///kms.sock"}, []string{"directory of its own"}},
		"name not a label":  {encryption.Args{Endpoint: endpoint, ProviderName: "Rampart:OpenBao"}, []string{"providerName: \"Rampart:OpenBao\": not a DNS label", "never rename"}},
		"timeout too short": {encryption.Args{Endpoint: endpoint, Timeout: time.Millisecond}, []string{"timeout: 1ms: outside 1s–1m0s"}},
		"timeout too long":  {encryption.Args{Endpoint: endpoint, Timeout: time.Hour}, []string{"timeout: 1h0m0s: outside"}},
		"empty resources":   {encryption.Args{Endpoint: endpoint, Resources: []string{}}, []string{"resources: []: [] is not \"unset\"", "[secrets]"}},
		"duplicate":         {encryption.Args{Endpoint: endpoint, Resources: []string{"secrets", "configmaps", "secrets"}}, []string{"resources[2]: \"secrets\": listed twice"}},
		"wildcard":          {encryption.Args{Endpoint: endpoint, Resources: []string{"*.*"}}, []string{"resources[0]: \"*.*\": not a lower-case resource"}},
		"capital":           {encryption.Args{Endpoint: endpoint, Resources: []string{"Secrets"}}, []string{"resources[0]: \"Secrets\""}},
		"events group":      {encryption.Args{Endpoint: endpoint, Resources: []string{"events.events.k8s.io"}}, []string{"refused by the API server"}},
		"not stored":        {encryption.Args{Endpoint: endpoint, Resources: []string{"serviceipallocations"}}, []string{"refused by the API server"}},
		"relative path":     {encryption.Args{Endpoint: endpoint, ConfigPath: "encryption-config.yaml"}, []string{"configPath: \"encryption-config.yaml\": not a clean absolute file path"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := encryption.Render(&c.args)
			if err == nil {
				t.Fatalf("rendered %+v", c.args)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if !strings.Contains(err.Error(), " — ") {
				t.Errorf("error gives no fix:\n%v", err)
			}
		})
	}
}

func TestValidate_ReportsEveryProblemAtOnce(t *testing.T) {
	err := encryption.Args{Endpoint: "tcp://x", ProviderName: "A", Timeout: time.Hour, Resources: []string{"x", "x"}}.Validate("rampart:encryption")
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"rampart:encryption.endpoint", "rampart:encryption.providerName", "rampart:encryption.timeout", "rampart:encryption.resources[1]"} {
		if !strings.Contains(err.Error(), key+": ") {
			t.Errorf("no problem at %s:\n%v", key, err)
		}
	}
}
