package openbao_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	chartType = "kubernetes:helm.sh/v4:Chart"
	secretTyp = "kubernetes:core/v1:Secret"
	pvcType   = "kubernetes:core/v1:PersistentVolumeClaim"
	testPin   = "pin-4f9a-never-in-config"
	testPass  = "deployer-pass-never-in-config"
)

// chartArgs is a valid ModeChart configuration; the Pulumi-typed secrets are
// filled in by withSecrets inside a run.
func chartArgs() *openbao.OpenBaoArgs {
	return &openbao.OpenBaoArgs{
		Namespace: "openbao",
		Seal: openbao.SealArgs{
			Lib: "/openbao/hsm/lib/libsofthsm2.so", TokenLabel: "OpenBao", KeyLabel: "bao-root-key-aes",
			PluginSHA256: sum, PinIsSecret: true, ClientImage: "registry.internal/hsm-client@sha256:" + sum,
		},
		Bootstrap: openbao.BootstrapArgs{DeployerPasswordIsSecret: true},
	}
}

func withSecrets(a *openbao.OpenBaoArgs) *openbao.OpenBaoArgs {
	a.Seal.Pin = pulumi.ToSecret(pulumi.String(testPin)).(pulumi.StringOutput)
	a.Bootstrap.DeployerPassword = pulumi.ToSecret(pulumi.String(testPass)).(pulumi.StringOutput)
	return a
}

type result struct {
	rec                       *recmock.Recorder
	address, config, deployer string
	nodeConfigs               map[string]string
}

func run(t *testing.T, name string, mk func() *openbao.OpenBaoArgs) (result, error) {
	t.Helper()
	r := result{rec: recmock.New()}
	err := r.rec.Run(func(ctx *pulumi.Context) error {
		comp, err := openbao.NewOpenBao(ctx, name, mk())
		if err != nil {
			return err
		}
		await := func(o pulumi.Output) any {
			res, err := internals.UnsafeAwaitOutput(ctx.Context(), o)
			if err != nil {
				t.Errorf("await output: %v", err)
			}
			return res.Value
		}
		r.address, _ = await(comp.Address).(string)
		r.config, _ = await(comp.Config).(string)
		r.deployer, _ = await(comp.DeployerUsername).(string)
		r.nodeConfigs, _ = await(comp.NodeConfigs).(map[string]string)
		return nil
	})
	return r, err
}

func TestNewOpenBao_ChartModeRegistersHardenedChartSecretAndProtectedVolumes(t *testing.T) {
	r, err := run(t, "openbao", func() *openbao.OpenBaoArgs { return withSecrets(chartArgs()) })
	if err != nil {
		t.Fatal(err)
	}
	rec := r.rec
	comp, err := rec.Get(openbao.TypeToken, "openbao")
	if err != nil {
		t.Fatal(err)
	}
	if comp.Custom {
		t.Error("component must not be custom")
	}
	// 1 component + 1 secret + 3×(data+audit) PVCs + 1 chart.
	if got := rec.Len(); got != 9 {
		t.Errorf("resources: %d, want 9: %v", got, rec.Names())
	}
	for _, res := range rec.All() {
		if res.Type != openbao.TypeToken && res.ParentName() != "openbao" {
			t.Errorf("%s/%s parent %q, want the component", res.Type, res.Name, res.ParentName())
		}
	}

	// Secret: PIN and deployer password, secret in state.
	sec, err := rec.Get(secretTyp, "openbao-seal")
	if err != nil {
		t.Fatal(err)
	}
	if !sec.IsSecret("stringData") {
		t.Error("seal Secret stringData must be a Pulumi secret")
	}
	sp := sec.Plain()
	if v, _ := recmock.Path(sp, "stringData", "pin"); v != testPin {
		t.Errorf("secret pin = %v", v)
	}
	if v, _ := recmock.Path(sp, "stringData", "password"); v != testPass {
		t.Errorf("secret password = %v", v)
	}
	if v, _ := recmock.Path(sp, "metadata", "name"); v != "openbao-seal" {
		t.Errorf("secret name %v", v)
	}
	if v, _ := recmock.Path(sp, "metadata", "namespace"); v != "openbao" {
		t.Errorf("secret namespace %v", v)
	}

	// PVCs the StatefulSet adopts: protected and retained.
	pvcs := rec.ByType(pvcType)
	if len(pvcs) != 6 {
		t.Fatalf("pvcs: %d", len(pvcs))
	}
	for i := 0; i < 3; i++ {
		for _, role := range []string{"data", "audit"} {
			res, err := rec.Get(pvcType, fmt.Sprintf("openbao-%s-%d", role, i))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Protect || !res.Retain {
				t.Errorf("%s: protect=%v retain=%v, want both", res.Name, res.Protect, res.Retain)
			}
			p := res.Plain()
			if v, _ := recmock.Path(p, "metadata", "name"); v != fmt.Sprintf("%s-openbao-%d", role, i) {
				t.Errorf("%s k8s name %v (must equal the StatefulSet claim name)", res.Name, v)
			}
			if v, _ := recmock.Path(p, "spec", "resources", "requests", "storage"); v != "10Gi" {
				t.Errorf("%s size %v", res.Name, v)
			}
		}
	}

	// The chart.
	ch, err := rec.Get(chartType, "openbao-chart")
	if err != nil {
		t.Fatal(err)
	}
	cp := ch.Plain()
	for k, want := range map[string]any{"chart": "openbao", "version": openbao.DefaultChartVersion, "namespace": "openbao", "name": "openbao", "skipAwait": false} {
		if got := cp[k]; got != want {
			t.Errorf("chart %s = %v, want %v", k, got, want)
		}
	}
	if v, _ := recmock.Path(cp, "repositoryOpts", "repo"); v != openbao.DefaultChartRepository {
		t.Errorf("chart repo %v", v)
	}
	deps := strings.Join(ch.Deps, " ")
	for _, n := range []string{"openbao-seal", "openbao-data-0", "openbao-audit-2"} {
		if !strings.Contains(deps, "::"+n) {
			t.Errorf("chart does not depend on %s: %v", n, ch.Deps)
		}
	}
	values := cp["values"]
	get := func(steps ...any) any {
		v, ok := recmock.Path(values, steps...)
		if !ok {
			t.Errorf("values: no %v", steps)
		}
		return v
	}
	checks := []struct {
		path []any
		want any
	}{
		{[]any{"fullnameOverride"}, "openbao"},
		{[]any{"global", "tlsDisable"}, false},
		{[]any{"injector", "enabled"}, false},
		{[]any{"csi", "enabled"}, false},
		{[]any{"ui", "enabled"}, false},
		{[]any{"server", "image", "registry"}, "quay.io"},
		{[]any{"server", "image", "repository"}, "openbao/openbao-ubi"},
		{[]any{"server", "image", "tag"}, openbao.DefaultVersion},
		{[]any{"server", "ha", "enabled"}, true},
		{[]any{"server", "ha", "replicas"}, 3.0},
		{[]any{"server", "ha", "raft", "enabled"}, true},
		{[]any{"server", "ha", "raft", "setNodeId"}, true},
		{[]any{"server", "ha", "apiAddr"}, "https://$(BAO_K8S_POD_NAME).openbao-internal:8200"},
		{[]any{"server", "ha", "clusterAddr"}, "https://$(BAO_K8S_POD_NAME).openbao-internal:8201"},
		{[]any{"server", "ha", "disruptionBudget", "enabled"}, true},
		{[]any{"server", "ha", "disruptionBudget", "maxUnavailable"}, 1.0},
		{[]any{"server", "standalone", "enabled"}, false},
		{[]any{"server", "dev", "enabled"}, false},
		{[]any{"server", "dataStorage", "enabled"}, true},
		{[]any{"server", "auditStorage", "enabled"}, true},
		{[]any{"server", "persistentVolumeClaimRetentionPolicy", "whenDeleted"}, "Retain"},
		{[]any{"server", "persistentVolumeClaimRetentionPolicy", "whenScaled"}, "Retain"},
		{[]any{"server", "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0, "topologyKey"}, "kubernetes.io/hostname"},
		{[]any{"server", "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0, "labelSelector", "matchLabels", "app.kubernetes.io/instance"}, "openbao"},
		{[]any{"server", "topologySpreadConstraints", 0, "topologyKey"}, "topology.kubernetes.io/zone"},
		{[]any{"server", "extraSecretEnvironmentVars", 0, "envName"}, openbao.PinEnv},
		{[]any{"server", "extraSecretEnvironmentVars", 0, "secretName"}, "openbao-seal"},
		{[]any{"server", "extraSecretEnvironmentVars", 0, "secretKey"}, "pin"},
		{[]any{"server", "extraSecretEnvironmentVars", 1, "envName"}, openbao.DeployerPasswordEnv},
		{[]any{"server", "extraSecretEnvironmentVars", 1, "secretKey"}, "password"},
		{[]any{"server", "extraInitContainers", 0, "image"}, "registry.internal/hsm-client@sha256:" + sum},
		{[]any{"server", "extraInitContainers", 0, "volumeMounts", 0, "mountPath"}, "/openbao/hsm"},
	}
	for _, c := range checks {
		if got := get(c.path...); got != c.want {
			t.Errorf("values %v = %#v, want %#v", c.path, got, c.want)
		}
	}

	// Restricted PSS for the pod, the server container and the init container.
	pod := get("server", "statefulSet", "securityContext", "pod")
	for k, want := range map[string]any{"runAsNonRoot": true, "runAsUser": 10000.0, "runAsGroup": 10000.0, "fsGroup": 10000.0} {
		if v, _ := recmock.Path(pod, k); v != want {
			t.Errorf("pod securityContext %s = %v, want %v", k, v, want)
		}
	}
	if v, _ := recmock.Path(pod, "seccompProfile", "type"); v != "RuntimeDefault" {
		t.Errorf("pod seccomp %v", v)
	}
	for _, sc := range []any{get("server", "statefulSet", "securityContext", "container"), get("server", "extraInitContainers", 0, "securityContext")} {
		for k, want := range map[string]any{"runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsUser": 10000.0} {
			if v, _ := recmock.Path(sc, k); v != want {
				t.Errorf("container securityContext %s = %v, want %v", k, v, want)
			}
		}
		if v, _ := recmock.Path(sc, "capabilities", "drop", 0); v != "ALL" {
			t.Errorf("capabilities.drop %v", v)
		}
		if v, _ := recmock.Path(sc, "seccompProfile", "type"); v != "RuntimeDefault" {
			t.Errorf("container seccomp %v", v)
		}
	}
	// Only PSS-restricted volume types: no hostPath anywhere.
	vols, _ := get("server", "volumes").([]any)
	names := map[string]bool{}
	for _, v := range vols {
		m := v.(map[string]any)
		names[m["name"].(string)] = true
		if _, ok := m["hostPath"]; ok {
			t.Errorf("hostPath volume %v breaks PSS restricted", m["name"])
		}
		if _, ok := m["secret"]; !ok {
			if _, ok := m["emptyDir"]; !ok {
				t.Errorf("volume %v is neither secret nor emptyDir", m["name"])
			}
		}
	}
	for _, n := range []string{"tls", "tmp", "hsm"} {
		if !names[n] {
			t.Errorf("missing volume %s", n)
		}
	}
	mounts, _ := get("server", "volumeMounts").([]any)
	for _, m := range mounts {
		mm := m.(map[string]any)
		if mm["name"] == "hsm" && mm["readOnly"] != true {
			t.Error("the HSM client volume must be read-only in the server container")
		}
	}

	// The chart's config is RenderConfig's output, holds no secret, and is the
	// component's Config output.
	want, err := openbao.RenderConfig("openbao", withSecrets(chartArgs()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := get("server", "ha", "raft", "config")
	if cfg != string(want) || r.config != string(want) {
		t.Errorf("chart config differs from RenderConfig:\n%v", cfg)
	}
	for _, secret := range []string{testPin, testPass} {
		if strings.Contains(r.config, secret) || strings.Contains(fmt.Sprint(values), secret) {
			t.Errorf("a secret leaked into the config or chart values")
		}
	}
	if r.address != "https://openbao-active.openbao.svc:8200" {
		t.Errorf("address %q", r.address)
	}
	if r.deployer != "rampart-deployer" {
		t.Errorf("deployer %q", r.deployer)
	}
}

func TestNewOpenBao_OCIMirrorAndLocalProfile(t *testing.T) {
	r, err := run(t, "bao", func() *openbao.OpenBaoArgs {
		a := withSecrets(chartArgs())
		a.Chart.Repository = "oci://registry.internal/mirror/charts/"
		a.Replicas = new(1)
		a.SkipAwait = true
		a.UI = true
		a.Storage.StorageClass = "retain-ssd"
		a.Seal.ClientImage = "" // library baked into a custom server image, plugin from OCI
		a.Seal.Lib = "/usr/safenet/lunaclient/lib/libCryptoki2_64.so"
		a.Seal.PluginImage, a.Seal.PluginVersion = "registry.internal/openbao-plugin-kms-pkcs11", "v0.2.0"
		a.Seal.ClientConfigSecret = "luna-client"
		a.Seal.Env = map[string]string{"ChrystokiConfigurationPath": "/openbao/hsm-config"}
		a.Images.Overrides = map[string]string{"openbao/openbao-ubi": "registry.internal/platform/openbao-luna:2.6.2@sha256:" + sum}
		return a
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := r.rec.Get(chartType, "bao-chart")
	if err != nil {
		t.Fatal(err)
	}
	p := ch.Plain()
	if p["chart"] != "oci://registry.internal/mirror/charts/openbao" || p["skipAwait"] != true {
		t.Errorf("chart %v skipAwait %v", p["chart"], p["skipAwait"])
	}
	if _, ok := p["repositoryOpts"]; ok {
		t.Error("an OCI chart must not set repositoryOpts")
	}
	if v, _ := recmock.Path(p, "values", "server", "ha", "disruptionBudget", "maxUnavailable"); v != 0.0 {
		t.Errorf("single replica PDB maxUnavailable %v", v)
	}
	if v, _ := recmock.Path(p, "values", "ui", "enabled"); v != true {
		t.Errorf("ui %v", v)
	}
	if v, _ := recmock.Path(p, "values", "server", "dataStorage", "storageClass"); v != "retain-ssd" {
		t.Errorf("storageClass %v", v)
	}
	if _, ok := recmock.Path(p, "values", "server", "extraInitContainers"); ok {
		t.Error("no ClientImage: no init container")
	}
	if v, _ := recmock.Path(p, "values", "server", "extraEnvironmentVars", "ChrystokiConfigurationPath"); v != "/openbao/hsm-config" {
		t.Errorf("vendor env %v", v)
	}
	if v, _ := recmock.Path(p, "values", "server", "image"); fmt.Sprint(v) != fmt.Sprint(map[string]any{
		"registry": "registry.internal", "repository": "platform/openbao-luna", "tag": "2.6.2@sha256:" + sum, "pullPolicy": "IfNotPresent"}) {
		t.Errorf("the overridden server image %v", v)
	}
	mounts := map[string]map[string]any{}
	vs, _ := recmock.Path(p, "values", "server", "volumeMounts")
	for _, m := range vs.([]any) {
		mm := m.(map[string]any)
		mounts[mm["name"].(string)] = mm
	}
	if m := mounts["plugins"]; m == nil || m["mountPath"] != "/openbao/plugins" || m["readOnly"] == true {
		t.Errorf("OCI plugins need a writable plugin_directory: %v", m)
	}
	if m := mounts["hsm-config"]; m == nil || m["mountPath"] != "/openbao/hsm-config" || m["readOnly"] != true {
		t.Errorf("vendor client config mount: %v", m)
	}
	c := parseConfig(t, []byte(r.config))
	if str(c.PluginDirectory) != "/openbao/plugins" || len(c.Plugin) != 1 || str(c.Plugin[0].Image) != "registry.internal/openbao-plugin-kms-pkcs11" {
		t.Errorf("config does not use the OCI plugin:\n%s", r.config)
	}

	pvc, err := r.rec.Get(pvcType, "bao-data-0")
	if err != nil {
		t.Fatal(err)
	}
	pp := pvc.Plain()
	if v, _ := recmock.Path(pp, "metadata", "annotations", "pulumi.com/skipAwait"); v != "true" {
		t.Errorf("local profile PVC skipAwait %v", v)
	}
	if v, _ := recmock.Path(pp, "spec", "storageClassName"); v != "retain-ssd" {
		t.Errorf("pvc storageClassName %v", v)
	}
	if len(r.rec.ByType(pvcType)) != 2 {
		t.Errorf("pvcs %d, want 2", len(r.rec.ByType(pvcType)))
	}
}

// TestNewOpenBao_MirrorRewritesEveryImageItRenders: the server image, the
// HSM client image and the OCI plugin all come from the mirror, tags and
// digests unchanged.
func TestNewOpenBao_MirrorRewritesEveryImageItRenders(t *testing.T) {
	r, err := run(t, "openbao", func() *openbao.OpenBaoArgs {
		a := withSecrets(chartArgs())
		a.Seal.PluginImage, a.Seal.PluginVersion = "ghcr.io/openbao/openbao-plugin-kms-pkcs11", "v0.2.0"
		a.Images.Registry = "harbor.example.org/hub"
		return a
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := r.rec.Get(chartType, "openbao-chart")
	if err != nil {
		t.Fatal(err)
	}
	p := ch.Plain()
	for _, c := range []struct {
		path []any
		want string
	}{
		{[]any{"values", "server", "image", "registry"}, "harbor.example.org/hub"},
		{[]any{"values", "server", "image", "repository"}, "openbao/openbao-ubi"},
		{[]any{"values", "server", "image", "tag"}, openbao.DefaultVersion},
		{[]any{"values", "server", "extraInitContainers", 0, "image"}, "harbor.example.org/hub/hsm-client@sha256:" + sum},
	} {
		if got, _ := recmock.Path(p, c.path...); got != c.want {
			t.Errorf("%v = %v, want %s", c.path, got, c.want)
		}
	}
	c := parseConfig(t, []byte(r.config))
	if len(c.Plugin) != 1 || str(c.Plugin[0].Image) != "harbor.example.org/hub/openbao/openbao-plugin-kms-pkcs11" {
		t.Errorf("the plugin is not downloaded from the mirror:\n%s", r.config)
	}
}

func TestNewOpenBao_ExternalModeOnlyRendersConfig(t *testing.T) {
	r, err := run(t, "openbao", externalArgs)
	if err != nil {
		t.Fatal(err)
	}
	if r.rec.Len() != 1 {
		t.Errorf("external mode must create only the component, got %v", r.rec.Names())
	}
	if r.address != "https://bao.sovereign.example:8200" {
		t.Errorf("address %q", r.address)
	}
	if len(r.nodeConfigs) != 3 {
		t.Fatalf("node configs %d", len(r.nodeConfigs))
	}
	a := externalArgs()
	for _, n := range a.Nodes {
		want, err := openbao.RenderNodeConfig("openbao", a, n)
		if err != nil {
			t.Fatal(err)
		}
		if r.nodeConfigs[n.ID] != string(want) {
			t.Errorf("node %s config differs", n.ID)
		}
		c := parseConfig(t, []byte(r.nodeConfigs[n.ID]))
		if str(c.Storage[0].NodeID) != n.ID {
			t.Errorf("node %s has node_id %s", n.ID, str(c.Storage[0].NodeID))
		}
	}
	if r.config != r.nodeConfigs["bao-1"] {
		t.Error("Config must be the first node's config")
	}
}

func TestNewOpenBao_RejectsBadConfig(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *openbao.OpenBaoArgs)
		key    string // exact key path in the error
		text   string // part of the explanation or fix
	}{
		{"seed mechanism 0x1085 is CBC_PAD", func(a *openbao.OpenBaoArgs) { a.Seal.Mechanism = "0x1085" },
			`seal.mechanism: "0x1085": 0x1085 is CKM_AES_CBC_PAD, not GCM; OpenBao accepts only 0x1087 (CKM_AES_GCM) or 0x0009 (CKM_RSA_PKCS_OAEP)`,
			"set mechanism to 0x1087 (CKM_AES_GCM)"},
		{"CKM_AES_CBC_PAD by name", func(a *openbao.OpenBaoArgs) { a.Seal.Mechanism = "CKM_AES_CBC_PAD" }, "seal.mechanism", "CKM_AES_CBC_PAD, not GCM"},
		{"other mechanism", func(a *openbao.OpenBaoArgs) { a.Seal.Mechanism = "0x1081" }, "seal.mechanism", "unsupported PKCS#11 mechanism"},
		{"seed hmac_mechanism", func(a *openbao.OpenBaoArgs) { a.Seal.HMACMechanism = "0x0251" }, "seal.hmacMechanism", "silently ignores hmac_*"},
		{"hmac key label", func(a *openbao.OpenBaoArgs) { a.Seal.HMACKeyLabel = "hmac-key" }, "seal.hmacKeyLabel", "remove it and use mechanism 0x1087"},
		{"plaintext PIN", func(a *openbao.OpenBaoArgs) { a.Seal.PinIsSecret = false }, "seal.pin: [secret]", "pulumi config set --secret"},
		{"missing PIN", func(a *openbao.OpenBaoArgs) { a.Seal.Pin = pulumi.StringOutput{} }, "seal.pin", "must be a Pulumi secret"},
		{"PIN smuggled through env", func(a *openbao.OpenBaoArgs) { a.Seal.Env = map[string]string{"BAO_HSM_PIN": "1234"} }, "seal.env.BAO_HSM_PIN: [secret]", "must not travel as a plain environment value"},
		{"plaintext deployer password", func(a *openbao.OpenBaoArgs) { a.Bootstrap.DeployerPasswordIsSecret = false }, "bootstrap.deployerPassword", "Pulumi secret"},
		{"hex slot", func(a *openbao.OpenBaoArgs) { a.Seal.Slot = "0x2000000000000001" }, "seal.slot", `set seal.slot to "2305843009213693953"`},
		{"no slot or token", func(a *openbao.OpenBaoArgs) { a.Seal.TokenLabel = "" }, "seal.slot", "slot or token_label is required"},
		{"no key label", func(a *openbao.OpenBaoArgs) { a.Seal.KeyLabel = "" }, "seal.keyLabel", "OpenBao never creates key material"},
		{"relative lib", func(a *openbao.OpenBaoArgs) { a.Seal.Lib = "libsofthsm2.so" }, "seal.lib", "absolute path"},
		{"2.6 without plugin sha256", func(a *openbao.OpenBaoArgs) { a.Seal.PluginSHA256 = "" }, "seal.pluginSha256", "kms-pkcs11 plugin"},
		{"plugin image without version", func(a *openbao.OpenBaoArgs) { a.Seal.PluginImage = "ghcr.io/openbao/openbao-plugin-kms-pkcs11" }, "seal.pluginVersion", "needs its version"},
		{"plugin on 2.5", func(a *openbao.OpenBaoArgs) { a.Version = "2.5.5" }, "seal.pluginCommand", "KMS plugins exist from OpenBao 2.6.0"},
		{"too old", func(a *openbao.OpenBaoArgs) { a.Version = "2.3.2" }, `version: "2.3.2"`, "no self-initialisation"},
		{"not a version", func(a *openbao.OpenBaoArgs) { a.Version = "latest" }, "version", "not a version"},
		{"rsa with sha1", func(a *openbao.OpenBaoArgs) { a.Seal.Mechanism, a.Seal.RSAOAEPHash = "CKM_RSA_PKCS_OAEP", "sha1" }, "seal.rsaOaepHash", "SHA-2"},
		{"oaep hash on aes", func(a *openbao.OpenBaoArgs) { a.Seal.RSAOAEPHash = "sha256" }, "seal.rsaOaepHash", "only to 0x0009"},
		{"even replicas", func(a *openbao.OpenBaoArgs) { a.Replicas = new(2) }, "replicas: 2", "odd cluster size"},
		{"explicit 0 replicas", func(a *openbao.OpenBaoArgs) { a.Replicas = new(0) }, `replicas: 0: 0 is not "unset": a raft cluster of no servers runs no OpenBao`, "remove the key for the default 3"},
		{"slot beside token label", func(a *openbao.OpenBaoArgs) { a.Seal.Slot = "2" }, `seal.slot: "2": set beside seal.tokenLabel`, "set only one"},
		{"nodes in chart mode", func(a *openbao.OpenBaoArgs) { a.Nodes = externalArgs().Nodes }, "nodes: (3 servers): chart mode", "set mode to external"},
		{"no namespace", func(a *openbao.OpenBaoArgs) { a.Namespace = "" }, "namespace", "chart mode needs a namespace"},
		{"unpinned chart", func(a *openbao.OpenBaoArgs) { a.Chart.Version = "0.29.x" }, "chart.version", "must be pinned"},
		{"plain http chart repo", func(a *openbao.OpenBaoArgs) { a.Chart.Repository = "http://charts.example" }, "chart.repository", "oci://"},
		{"http api address", func(a *openbao.OpenBaoArgs) { a.APIAddr = "http://openbao:8200" }, "apiAddr", "https://"},
		{"bad seal type", func(a *openbao.OpenBaoArgs) { a.Seal.Type = "awskms" }, "seal.type", `"pkcs11"`},
		{"long-lived deployer token", func(a *openbao.OpenBaoArgs) { a.Bootstrap.TokenMaxTTL = "720h" }, "bootstrap.tokenMaxTtl", "short-lived"},
		{"template marker in label", func(a *openbao.OpenBaoArgs) { a.Seal.KeyLabel = "${env}" }, "seal.keyLabel", "label"},
		{"bad mode", func(a *openbao.OpenBaoArgs) { a.Mode = "operator" }, "mode", `"chart" or "external"`},
		{"HSM volume without client image", func(a *openbao.OpenBaoArgs) { a.Seal.ClientImage = "" }, "seal.lib", "stays empty without seal.clientImage"},
		{"plugin dir without client image", func(a *openbao.OpenBaoArgs) { a.Seal.ClientImage, a.Seal.Lib = "", "/usr/lib/vendor/libhsm.so" }, "seal.pluginDirectory", "stays empty"},
		{"chart version range", func(a *openbao.OpenBaoArgs) { a.Chart.Version = "^0.29.0" }, "chart.version", "must be pinned"},
		{"client image by tag", func(a *openbao.OpenBaoArgs) { a.Seal.ClientImage = "registry.internal/hsm-client:10.7.2" }, `seal.clientImage: "registry.internal/hsm-client:10.7.2"`, "not pinned by digest"},
		{"plugin image with a tag", func(a *openbao.OpenBaoArgs) {
			a.Seal.PluginSHA256, a.Seal.PluginImage, a.Seal.PluginVersion = sum, "ghcr.io/openbao/openbao-plugin-kms-pkcs11:v0.2.0", "v0.2.0"
		}, "seal.pluginImage", "not an OCI repository"},
		{"server override by tag", func(a *openbao.OpenBaoArgs) {
			a.Images.Overrides = map[string]string{"openbao/openbao-ubi": "registry.internal/openbao/openbao-ubi:2.6.2"}
		}, `images.overrides["openbao/openbao-ubi"]`, "not pinned by digest"},
		{"templated bootstrap policy", func(a *openbao.OpenBaoArgs) {
			a.Bootstrap.DeployerPolicy = `path "secret/{{identity.entity.id}}/*" { capabilities = ["read"] }`
		}, "bootstrap.deployerPolicy", "cannot carry unchanged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := run(t, "openbao", func() *openbao.OpenBaoArgs {
				a := withSecrets(chartArgs())
				tc.mutate(a)
				return a
			})
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q\nwant key %q and text %q", err, tc.key, tc.text)
			}
			if strings.Contains(err.Error(), testPin) || strings.Contains(err.Error(), "1234") {
				t.Error("error message leaks the PIN")
			}
			if r.rec.Len() != 0 {
				t.Errorf("nothing may be registered on invalid args, got %v", r.rec.Names())
			}
		})
	}
}

func TestNewOpenBao_ExternalModeRejectsBadNodes(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *openbao.OpenBaoArgs)
		key    string
	}{
		{"no nodes", func(a *openbao.OpenBaoArgs) { a.Nodes = nil }, "nodes: 0"},
		{"duplicate id", func(a *openbao.OpenBaoArgs) { a.Nodes[2].ID = "bao-1" }, `nodes[2].id: "bao-1": duplicate raft node id`},
		{"http cluster addr", func(a *openbao.OpenBaoArgs) { a.Nodes[0].ClusterAddr = "http://bao-1:8201" }, "nodes[0].clusterAddr"},
		{"no api addr", func(a *openbao.OpenBaoArgs) { a.APIAddr = "" }, "apiAddr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := run(t, "openbao", func() *openbao.OpenBaoArgs {
				a := externalArgs()
				tc.mutate(a)
				return a
			})
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("error %v, want key %q", err, tc.key)
			}
			if r.rec.Len() != 0 {
				t.Errorf("registered %v", r.rec.Names())
			}
		})
	}
}

func TestValidate_ReportsEveryProblemAtOnce(t *testing.T) {
	a := externalArgs()
	a.Seal.Mechanism = "0x1085"
	a.Seal.HMACMechanism = "0x0251"
	a.Seal.HMACKeyLabel = "hmac"
	err := a.Validate("rampart:openbao")
	if err == nil {
		t.Fatal("want errors")
	}
	if n := len(strings.Split(err.Error(), "\n")); n != 3 {
		t.Errorf("want 3 problems, got %d:\n%v", n, err)
	}
}

func TestNewOpenBao_NilArgs(t *testing.T) {
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := openbao.NewOpenBao(ctx, "openbao", nil)
		return err
	})
	if err == nil || rec.Len() != 0 {
		t.Fatalf("err %v, resources %d", err, rec.Len())
	}
}
