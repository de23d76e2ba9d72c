package openbao_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/internal/recmock"
)

// decodeStrict decodes a config section as the stack config layer does:
// exact keys only, unknown keys rejected.
func decodeStrict(doc string) (*openbao.OpenBaoArgs, error) {
	a := &openbao.OpenBaoArgs{}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	return a, dec.Decode(a)
}

// everyKey sets every config key of rampart:openbao (Pulumi.yaml's
// description) to a non-zero value.
const everyKey = `{
  "mode": "external",
  "version": "2.6.2",
  "namespace": "openbao",
  "replicas": 5,
  "chart": {"repository": "oci://registry.internal/charts", "version": "0.29.2"},
  "storage": {"dataSize": "50Gi", "auditSize": "100Gi", "storageClass": "ceph-rbd-retain"},
  "tls": {"secretName": "bao-tls", "certFile": "/etc/bao/tls.crt", "keyFile": "/etc/bao/tls.key", "caFile": "/etc/bao/ca.crt"},
  "apiAddr": "https://bao.example:8200",
  "ui": true,
  "telemetry": {"prometheusRetention": "1m"},
  "audit": {"filePath": "/var/log/bao/audit.log"},
  "seal": {
    "type": "pkcs11", "lib": "/usr/lib/libCryptoki2_64.so", "slot": "2", "tokenLabel": "openbao-prod",
    "keyLabel": "bao-root-key-rsa", "mechanism": "0x0009", "rsaOaepHash": "sha384",
    "hmacKeyLabel": "hmac", "hmacMechanism": "0x0251",
    "pluginCommand": "openbao-plugin-kms-pkcs11", "pluginImage": "ghcr.io/openbao/openbao-plugin-kms-pkcs11",
    "pluginVersion": "v0.1.0", "pluginSha256": "` + sum + `", "pluginDirectory": "/openbao/plugins",
    "clientImage": "registry.internal/hsm/luna-client:10.7.2", "clientImageDir": "/hsm",
    "clientConfigSecret": "openbao-luna-client", "env": {"ChrystokiConfigurationPath": "/openbao/hsm-config"}
  },
  "bootstrap": {"disabled": true, "deployerUsername": "deployer", "deployerPolicy": "path \"pki*\" {}", "tokenTtl": "10m", "tokenMaxTtl": "30m"},
  "nodes": [{"id": "bao-1", "apiAddr": "https://bao-1.example:8200", "clusterAddr": "https://bao-1.example:8201"}]
}`

func TestOpenBaoArgs_DecodesEveryConfigKeyExactly(t *testing.T) {
	a, err := decodeStrict(everyKey)
	if err != nil {
		t.Fatalf("a config key has no json tag: %v", err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"storage.dataSize", a.Storage.DataSize, "50Gi"},
		{"tls.secretName", a.TLS.SecretName, "bao-tls"},
		{"telemetry.prometheusRetention", a.Telemetry.PrometheusRetention, "1m"},
		{"seal.rsaOaepHash", a.Seal.RSAOAEPHash, "sha384"},
		{"seal.pluginSha256", a.Seal.PluginSHA256, sum},
		{"seal.clientImageDir", a.Seal.ClientImageDir, "/hsm"},
		{"seal.env", a.Seal.Env["ChrystokiConfigurationPath"], "/openbao/hsm-config"},
		{"bootstrap.tokenTtl", a.Bootstrap.TokenTTL, "10m"},
		{"bootstrap.tokenMaxTtl", a.Bootstrap.TokenMaxTTL, "30m"},
		{"nodes[0].clusterAddr", a.Nodes[0].ClusterAddr, "https://bao-1.example:8201"},
		{"apiAddr", a.APIAddr, "https://bao.example:8200"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if a.Mode != openbao.ModeExternal || !a.UI || !a.Bootstrap.Disabled {
		t.Errorf("mode/ui/bootstrap.disabled = %v/%v/%v", a.Mode, a.UI, a.Bootstrap.Disabled)
	}
	if a.Replicas == nil || *a.Replicas != 5 {
		t.Errorf("replicas = %v, want 5", a.Replicas)
	}

	// Encoding gives back the same document: no key is lost or renamed.
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal([]byte(everyKey), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed the section:\n got %s\nwant %s", out, everyKey)
	}
}

func TestOpenBaoArgs_SecretsAndSkipAwaitCannotComeFromConfig(t *testing.T) {
	for _, doc := range []string{
		`{"seal": {"pin": "1234"}}`,
		`{"seal": {"Pin": "1234"}}`,
		`{"seal": {"pinIsSecret": true}}`,
		`{"bootstrap": {"deployerPassword": "hunter2"}}`,
		`{"bootstrap": {"deployerPasswordIsSecret": true}}`,
		`{"skipAwait": true}`,
	} {
		if _, err := decodeStrict(doc); err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("%s: strict decode = %v, want an unknown field", doc, err)
		}
		// A lenient decoder ignores them: nothing secret or environmental is set.
		a := &openbao.OpenBaoArgs{}
		if err := json.Unmarshal([]byte(doc), a); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if a.Seal.Pin.OutputState != nil || a.Seal.PinIsSecret || a.Bootstrap.DeployerPassword.OutputState != nil ||
			a.Bootstrap.DeployerPasswordIsSecret || a.SkipAwait {
			t.Errorf("%s set a field that has no config key: %+v", doc, a)
		}
	}
	// Nor are they ever written back out.
	a := withSecrets(chartArgs())
	a.SkipAwait = true
	out, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pin", "Pin", "IsSecret", "assword", "skipAwait", "SkipAwait", testPin, testPass} {
		if bytes.Contains(out, []byte(k)) {
			t.Errorf("encoded args contain %q: %s", k, out)
		}
	}
}

// prodSection is Pulumi.prod.yaml's rampart:openbao without "enabled",
// which is the stack's switch, not the component's.
const prodSection = `{
  "mode": "chart", "version": "2.6.2", "namespace": "openbao", "replicas": 3,
  "chart": {"repository": "https://openbao.github.io/openbao-helm", "version": "0.29.2"},
  "storage": {"dataSize": "50Gi", "auditSize": "100Gi", "storageClass": "ceph-rbd-retain"},
  "seal": {
    "type": "pkcs11", "lib": "/openbao/hsm/lunaclient/lib/libCryptoki2_64.so", "tokenLabel": "openbao-prod",
    "keyLabel": "bao-root-key-aes", "mechanism": "0x1087", "pluginSha256": "` + sum + `",
    "clientImage": "registry.sovereign.example.gov.uk/hsm/luna-client:10.7.2@sha256:` + sum + `",
    "clientConfigSecret": "openbao-luna-client", "env": {"ChrystokiConfigurationPath": "/openbao/hsm-config"}
  }
}`

func TestNewOpenBao_DeploysADecodedConfigSection(t *testing.T) {
	r, err := run(t, "openbao", func() *openbao.OpenBaoArgs {
		a, err := decodeStrict(prodSection)
		if err != nil {
			t.Fatal(err)
		}
		a.Seal.PinIsSecret, a.Bootstrap.DeployerPasswordIsSecret = true, true
		return withSecrets(a)
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := openbao.DefaultAPIAddr("openbao", "openbao"); r.address != want || want != "https://openbao-active.openbao.svc:8200" {
		t.Errorf("address = %q, DefaultAPIAddr = %q", r.address, want)
	}
	if r.deployer != openbao.DefaultDeployerUsername {
		t.Errorf("deployer = %q, want %q", r.deployer, openbao.DefaultDeployerUsername)
	}
	ch, err := r.rec.Get(chartType, "openbao-chart")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := recmock.Path(ch.Plain(), "values", "server", "dataStorage", "storageClass"); v != "ceph-rbd-retain" {
		t.Errorf("storageClass = %v", v)
	}
}

func TestNewOpenBao_InvalidArgsNamePathsRelativeToArgs(t *testing.T) {
	_, err := run(t, "bao", func() *openbao.OpenBaoArgs {
		a := withSecrets(chartArgs())
		a.Seal.Mechanism = "0x1085"
		return a
	})
	if err == nil || !strings.Contains(err.Error(), "openbao \"bao\": invalid args:\nseal.mechanism: \"0x1085\"") {
		t.Fatalf("error %v, want the component, its name and seal.mechanism", err)
	}
	a := externalArgs()
	a.Seal.Mechanism = "0x1085"
	if err := a.Validate("rampart:openbao"); err == nil || !strings.HasPrefix(err.Error(), "rampart:openbao.seal.mechanism: ") {
		t.Errorf("Validate(prefix) = %v, want paths under the caller's prefix", err)
	}
	if err := a.Validate(""); err == nil || !strings.HasPrefix(err.Error(), "seal.mechanism: ") {
		t.Errorf("Validate(\"\") = %v, want relative paths", err)
	}
}

// TestNewOpenBao_ChartValuesSecurityContextsPassPSSRestricted evaluates the
// pod the chart would render, assembled here from the values Rampart passes
// (contexts, init containers, volumes): the mocks render no chart, and
// openbao-helm cannot be fetched here. The pod-security gate evaluates the
// chart's real pods on every preview that renders it.
func TestNewOpenBao_ChartValuesSecurityContextsPassPSSRestricted(t *testing.T) {
	r, err := run(t, "openbao", func() *openbao.OpenBaoArgs { return withSecrets(chartArgs()) })
	if err != nil {
		t.Fatal(err)
	}
	ch, err := r.rec.Get(chartType, "openbao-chart")
	if err != nil {
		t.Fatal(err)
	}
	server, _ := recmock.Path(ch.Plain(), "values", "server")
	sv := server.(map[string]any)
	sc := sv["statefulSet"].(map[string]any)["securityContext"].(map[string]any)
	// The pod the chart renders, as far as PSS is concerned: its contexts,
	// containers and volumes.
	spec, err := hardening.PodSpecFromMap(map[string]any{
		"securityContext": sc["pod"],
		"containers": []any{map[string]any{
			"name": "openbao", "image": "quay.io/openbao/openbao-ubi", "securityContext": sc["container"],
		}},
		"initContainers": sv["extraInitContainers"],
		"volumes":        sv["volumes"],
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := hardening.CheckRestricted(spec); err != nil {
		t.Fatalf("chart pod: %v", err)
	}
}
