package audit_test

import (
	"fmt"
	"strings"
	"testing"

	aws "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	k8s "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	tSecret = "kubernetes:core/v1:Secret"
	tChart  = "kubernetes:helm.sh/v4:Chart"
	tNetpol = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

func lokiArgs() *audit.AuditArgs {
	a := validArgs()
	a.Loki = &audit.LokiArgs{
		Enabled:    true,
		Agent:      audit.PeerArgs{Namespace: "rampart-audit", PodLabels: map[string]string{"app.kubernetes.io/name": "alloy"}},
		Query:      audit.PeerArgs{Namespace: "monitoring", PodLabels: map[string]string{"app.kubernetes.io/name": "grafana"}},
		StoreCIDRs: []string{"10.20.0.5/32"},
	}
	a.AccessKeyID = pulumi.ToSecret(pulumi.String("AKIDLOKI")).(pulumi.StringOutput)
	a.SecretAccessKey = pulumi.ToSecret(pulumi.String("loki-secret-key-value")).(pulumi.StringOutput)
	a.KeysAreSecret = true
	return a
}

func runLoki(t *testing.T, a *audit.AuditArgs) (*recmock.Recorder, error) {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		p, err := aws.NewProvider(ctx, "s3", &aws.ProviderArgs{})
		if err != nil {
			return err
		}
		kp, err := k8s.NewProvider(ctx, "cluster", &k8s.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = audit.NewAudit(ctx, "audit", a, pulumi.Providers(p, kp))
		return err
	})
	return rec, err
}

// parsedConfig renders the chart's loki.config back into a generic map.
func parsedConfig(t *testing.T, rec *recmock.Recorder) (map[string]any, string) {
	t.Helper()
	ch := rec.MustGet(t, tChart, "audit-loki")
	raw, _ := path(t, ch, "values", "loki", "config").(string)
	var m map[string]any
	if err := yaml.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("rendered Loki config is not YAML: %v\n%s", err, raw)
	}
	return m, raw
}

func TestLoki_RenderedConfigIsMultiTenantTSDBv13WithRetentionAndNoKeys(t *testing.T) {
	rec, err := runLoki(t, lokiArgs())
	if err != nil {
		t.Fatal(err)
	}
	cfg, raw := parsedConfig(t, rec)
	for _, c := range []struct {
		steps []any
		want  any
	}{
		{[]any{"auth_enabled"}, true},
		{[]any{"schema_config", "configs", 0, "store"}, "tsdb"},
		{[]any{"schema_config", "configs", 0, "schema"}, "v13"},
		{[]any{"schema_config", "configs", 0, "object_store"}, "s3"},
		{[]any{"compactor", "retention_enabled"}, true},
		{[]any{"compactor", "delete_request_store"}, "s3"},
		{[]any{"limits_config", "retention_period"}, "61368h"}, // 2557 days: the lock's period
		{[]any{"limits_config", "reject_old_samples"}, true},
		{[]any{"common", "storage", "s3", "bucketnames"}, "rampart-audit-prod"},
		{[]any{"common", "storage", "s3", "endpoint"}, "s3.example.internal"},
		{[]any{"common", "storage", "s3", "insecure"}, false},
		{[]any{"common", "storage", "s3", "s3forcepathstyle"}, true},
		{[]any{"common", "storage", "s3", "access_key_id"}, "${AWS_ACCESS_KEY_ID}"},
		{[]any{"common", "storage", "s3", "secret_access_key"}, "${AWS_SECRET_ACCESS_KEY}"},
		{[]any{"analytics", "reporting_enabled"}, false},
	} {
		got, ok := recmock.Path(cfg, c.steps...)
		if !ok || got != c.want {
			t.Errorf("loki config %v = %v, want %v", c.steps, got, c.want)
		}
	}
	for _, leak := range []string{"AKIDLOKI", "loki-secret-key-value"} {
		if strings.Contains(raw, leak) {
			t.Errorf("the rendered config (a ConfigMap) holds a key: %q", leak)
		}
	}
	ch := rec.MustGet(t, tChart, "audit-loki")
	if args, _ := path(t, ch, "values", "singleBinary", "extraArgs").([]any); len(args) != 1 || args[0] != "-config.expand-env=true" {
		t.Errorf("extraArgs = %v, want -config.expand-env=true", args)
	}
}

func TestLoki_KeysGoSecretToEnvNeverIntoValues(t *testing.T) {
	rec, err := runLoki(t, lokiArgs())
	if err != nil {
		t.Fatal(err)
	}
	s := rec.MustGet(t, tSecret, "audit-loki-s3")
	if !s.IsSecret("stringData") {
		t.Error("the Secret's stringData is not a Pulumi secret")
	}
	if path(t, s, "stringData", "AWS_SECRET_ACCESS_KEY") != "loki-secret-key-value" || path(t, s, "metadata", "namespace") != "rampart-audit" {
		t.Errorf("secret = %v", s.Plain())
	}
	ch := rec.MustGet(t, tChart, "audit-loki")
	env, _ := path(t, ch, "values", "singleBinary", "extraEnv").([]any)
	if len(env) != 2 {
		t.Fatalf("extraEnv = %v", env)
	}
	for _, e := range env {
		if ref, _ := recmock.Path(e, "valueFrom", "secretKeyRef", "name"); ref != path(t, s, "metadata", "name") {
			t.Errorf("env %v does not come from the Secret", e)
		}
		if _, ok := recmock.Path(e, "value"); ok {
			t.Errorf("env %v carries a literal value", e)
		}
	}
	vals := recmock.Plain(ch.Inputs)
	for _, leak := range []string{"AKIDLOKI", "loki-secret-key-value"} {
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(fmtAny(vals), "\n", ""), " ", ""), leak) {
			t.Errorf("chart values hold the key %q", leak)
		}
	}
}

func fmtAny(v any) string {
	b, _ := yaml.Marshal(v)
	return string(b)
}

func TestLoki_ChartIsPinnedByDigestRestrictedAndWithoutExtras(t *testing.T) {
	rec, err := runLoki(t, lokiArgs())
	if err != nil {
		t.Fatal(err)
	}
	ch := rec.MustGet(t, tChart, "audit-loki")
	if path(t, ch, "version") != audit.DefaultLokiChartVersion || path(t, ch, "repositoryOpts", "repo") != audit.DefaultLokiChartRepository {
		t.Errorf("chart = %v %v", path(t, ch, "version"), path(t, ch, "repositoryOpts"))
	}
	if d := path(t, ch, "values", "loki", "image", "digest"); d != audit.LokiImage.Digest || !audit.LokiImage.Pinned() {
		t.Errorf("image digest = %v", d)
	}
	if tag := path(t, ch, "values", "loki", "image", "tag"); tag != "3.7.7" {
		t.Errorf("image tag = %v, want 3.7.7 (first 3.7 that writes to locked buckets on non-AWS stores)", tag)
	}
	// The chart's contexts, checked by the PSS restricted evaluator.
	pod := map[string]any{
		"securityContext": path(t, ch, "values", "loki", "podSecurityContext"),
		"containers": []any{map[string]any{"name": "loki", "image": "x",
			"securityContext": path(t, ch, "values", "loki", "containerSecurityContext")}},
	}
	spec, err := hardening.PodSpecFromMap(pod)
	if err != nil {
		t.Fatal(err)
	}
	if err := hardening.CheckRestricted(spec); err != nil {
		t.Errorf("Loki's pod is not PSS restricted: %v", err)
	}
	for _, extra := range []string{"gateway", "lokiCanary", "test", "chunksCache", "resultsCache", "minio", "networkPolicy"} {
		if path(t, ch, "values", extra, "enabled") != false {
			t.Errorf("%s is not off", extra)
		}
	}
	if path(t, ch, "values", "loki", "auth_enabled") != true {
		t.Error("auth_enabled not passed to the chart")
	}
	if ch.ParentName() != "audit" || !strings.Contains(ch.Provider, "pulumi:providers:kubernetes::cluster") {
		t.Errorf("chart parent=%q provider=%q", ch.ParentName(), ch.Provider)
	}
}

func TestLoki_NetworkPoliciesAdmitOnlyAgentAndQueryAndLetLokiReachOnlyTheStore(t *testing.T) {
	rec, err := runLoki(t, lokiArgs())
	if err != nil {
		t.Fatal(err)
	}
	in := rec.MustGet(t, tNetpol, "audit-loki-ingress")
	from, _ := path(t, in, "spec", "ingress", 0, "from").([]any)
	if len(from) != 2 {
		t.Fatalf("ingress peers = %v", from)
	}
	for i, want := range []string{"alloy", "grafana"} {
		if v, _ := recmock.Path(from[i], "podSelector", "matchLabels", "app.kubernetes.io/name"); v != want {
			t.Errorf("peer %d = %v, want pods %s", i, from[i], want)
		}
		if _, ok := recmock.Path(from[i], "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"); !ok {
			t.Errorf("peer %d is not bound to one namespace", i)
		}
	}
	if p := path(t, in, "spec", "ingress", 0, "ports", 0, "port"); p != 3100.0 {
		t.Errorf("ingress port = %v", p)
	}
	eg := rec.MustGet(t, tNetpol, "audit-loki-egress")
	if c := path(t, eg, "spec", "egress", 0, "to", 0, "ipBlock", "cidr"); c != "10.20.0.5/32" {
		t.Errorf("egress to %v, want the store only", c)
	}
	if p := path(t, eg, "spec", "egress", 0, "ports", 0, "port"); p != 443.0 {
		t.Errorf("egress port = %v, want the https endpoint's 443", p)
	}
	if n := len(path(t, eg, "spec", "egress").([]any)); n != 1 {
		t.Errorf("%d egress rules, want 1", n)
	}
	for _, np := range []recmock.Resource{in, eg} {
		if path(t, np, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name") != "loki" {
			t.Errorf("%s does not select the Loki pods", np.Name)
		}
	}
}

// lokiOverride replaces the Loki image with a mirror's copy at tag.
func lokiOverride(tag string) image.Images {
	return image.Images{Overrides: map[string]string{"grafana/loki": "registry.example.org/grafana/loki:" + tag}}
}

func TestLoki_ImageResolvesThroughTheMirrorAndItsOverride(t *testing.T) {
	a := lokiArgs()
	a.Loki.Images = image.Images{Registry: "harbor.example.org/hub"}
	rec, err := runLoki(t, a)
	if err != nil {
		t.Fatal(err)
	}
	ch := rec.MustGet(t, tChart, "audit-loki")
	if img := fmt.Sprint(path(t, ch, "values", "loki", "image")); img != fmt.Sprint(map[string]any{"registry": "harbor.example.org/hub",
		"repository": "grafana/loki", "tag": "3.7.7", "digest": audit.LokiImage.Digest}) {
		t.Errorf("mirrored image = %s", img)
	}
	a.Loki.Images = lokiOverride("3.7.8@sha256:" + strings.Repeat("ab", 32))
	if rec, err = runLoki(t, a); err != nil {
		t.Fatal(err)
	}
	if img := fmt.Sprint(path(t, rec.MustGet(t, tChart, "audit-loki"), "values", "loki", "image")); img != fmt.Sprint(map[string]any{"registry": "registry.example.org",
		"repository": "grafana/loki", "tag": "3.7.8", "digest": "sha256:" + strings.Repeat("ab", 32)}) {
		t.Errorf("overridden image = %s", img)
	}
}

func TestLoki_RejectsBadConfig(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(a *audit.AuditArgs)
		path   string
		text   string
	}{
		{"retention beyond the lock", func(a *audit.AuditArgs) { a.Loki.RetentionDays = new(3000) }, "loki.retentionDays", "longer than the bucket's lock (2557 days)"},
		{"shorter retention unstated", func(a *audit.AuditArgs) { a.Loki.RetentionDays = new(90) }, "loki.shorterRetentionReason", "the lock keeps the bytes for 2557"},
		{"negative retention", func(a *audit.AuditArgs) { a.Loki.RetentionDays = new(-1) }, "loki.retentionDays", "negative"},
		{"explicit 0 retention", func(a *audit.AuditArgs) { a.Loki.RetentionDays = new(0) }, "loki.retentionDays: 0",
			`0 is not "unset": it is Loki's "keep forever", longer than the bucket's lock (2557 days)`},
		{"Loki that breaks locked buckets", func(a *audit.AuditArgs) { a.Loki.Images = lokiOverride("3.7.2@" + audit.LokiImage.Digest) },
			`images.overrides["grafana/loki"]`, "cannot write to Object-Locked buckets"},
		{"Loki 3.6.12", func(a *audit.AuditArgs) { a.Loki.Images = lokiOverride("3.6.12@" + audit.LokiImage.Digest) },
			`images.overrides["grafana/loki"]`, "fixed in 3.6.16 and 3.7.7"},
		{"Loki without a release tag", func(a *audit.AuditArgs) { a.Loki.Images = lokiOverride("main@" + audit.LokiImage.Digest) },
			`images.overrides["grafana/loki"]`, "not a Loki 3.x release tag"},
		{"tag without digest", func(a *audit.AuditArgs) { a.Loki.Images = lokiOverride("3.7.8") }, `images.overrides["grafana/loki"]`, "not pinned by digest"},
		{"floating chart", func(a *audit.AuditArgs) { a.Loki.Chart.Version = "latest" }, "loki.chart.version", "must be pinned"},
		{"plain http chart repo", func(a *audit.AuditArgs) { a.Loki.Chart.Repository = "http://charts.example" }, "loki.chart.repository", "must come over https://"},
		{"whole namespace as agent", func(a *audit.AuditArgs) { a.Loki.Agent.PodLabels = nil }, "loki.agent.podLabels", "never a whole namespace"},
		{"no store CIDR", func(a *audit.AuditArgs) { a.Loki.StoreCIDRs = nil }, "loki.storeCIDRs", "only egress is the S3 store"},
		{"open egress", func(a *audit.AuditArgs) { a.Loki.StoreCIDRs = []string{"0.0.0.0/0"} }, "loki.storeCIDRs[0]", "admits every address"},
		// net.ParseCIDR reads a leading-zero length, netip (the rendering's
		// parser) refuses it: an error at the key, never a panic at render.
		{"leading-zero length", func(a *audit.AuditArgs) { a.Loki.StoreCIDRs = []string{"10.20.0.5/032"} }, "loki.storeCIDRs[0]", "not a CIDR"},
		{"plaintext keys", func(a *audit.AuditArgs) { a.KeysAreSecret = false }, "loki.credentials", "as Pulumi secrets"},
		{"bad namespace", func(a *audit.AuditArgs) { a.Loki.Namespace = "Audit_NS" }, "loki.namespace", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := lokiArgs()
			c.mutate(a)
			rec, err := runLoki(t, a)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.path+": ") || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("error %q lacks %q / %q", err, c.path, c.text)
			}
			if n := len(rec.ByType(tChart)) + len(rec.ByType(tBucket)); n != 0 {
				t.Errorf("bad config registered %d resources", n)
			}
		})
	}
}

func TestLoki_ShorterRetentionWithAReasonAndHTTPStoreInLocal(t *testing.T) {
	a := lokiArgs()
	a.Loki.RetentionDays, a.Loki.ShorterRetentionReason = new(90), "queries beyond 90 days go to the bucket's archive tooling"
	a.Endpoint, a.AllowHTTPEndpoint = "http://10.20.0.5:7070", true
	rec, err := runLoki(t, a)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := parsedConfig(t, rec)
	if v, _ := recmock.Path(cfg, "limits_config", "retention_period"); v != "2160h" {
		t.Errorf("retention_period = %v, want 2160h", v)
	}
	if v, _ := recmock.Path(cfg, "common", "storage", "s3", "insecure"); v != true {
		t.Errorf("http store: insecure = %v, want true", v)
	}
	if p := path(t, rec.MustGet(t, tNetpol, "audit-loki-egress"), "spec", "egress", 0, "ports", 0, "port"); p != 7070.0 {
		t.Errorf("egress port = %v, want the endpoint's 7070", p)
	}
}

func TestLoki_DisabledRegistersNothingOnKubernetes(t *testing.T) {
	a := lokiArgs()
	a.Loki.Enabled = false
	rec, err := runLoki(t, a)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ByType(tChart)) + len(rec.ByType(tSecret)) + len(rec.ByType(tNetpol)); n != 0 {
		t.Errorf("%d kubernetes resources with Loki disabled", n)
	}
}
