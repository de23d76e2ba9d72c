package stacks_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
)

// auditConfig is validConfig with rampart:audit enabled on an https store
// and both keys set as secrets (the secret key list is returned).
func auditConfig(section map[string]any) (map[string]string, []string) {
	cfg := validConfig()
	if section == nil {
		section = map[string]any{
			"enabled": true, "bucket": "rampart-audit-prod", "endpoint": "https://s3.example.internal",
			"retention":           map[string]any{"preset": "ism"},
			"breakGlassPrincipal": "arn:aws:iam::123456789012:role/audit-break-glass",
		}
	}
	cfg["rampart:audit"] = js(section)
	cfg["rampart:auditS3AccessKeyId"] = "AKIDEXAMPLEKEY"
	cfg["rampart:auditS3SecretAccessKey"] = "wJalrXUtnFEMIEXAMPLESECRET"
	return cfg, []string{"rampart:auditS3AccessKeyId", "rampart:auditS3SecretAccessKey"}
}

func TestProgram_AuditBuildsTheBucketThroughAnS3OnlyAWSProviderWithSecretKeys(t *testing.T) {
	cfg, secret := auditConfig(nil)
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg, secret...)); err != nil {
		t.Fatal(err)
	}
	p, err := rec.Get("pulumi:providers:aws", "audit-s3")
	if err != nil {
		t.Fatal(err)
	}
	in := p.Plain()
	for k, want := range map[string]any{"s3UsePathStyle": true, "skipCredentialsValidation": true, "skipRequestingAccountId": true,
		"skipMetadataApiCheck": true, "skipRegionValidation": true, "region": "us-east-1",
		"accessKey": "AKIDEXAMPLEKEY", "secretKey": "wJalrXUtnFEMIEXAMPLESECRET"} {
		if in[k] != want {
			t.Errorf("aws provider %s = %v, want %v", k, in[k], want)
		}
	}
	if ep, _ := recmock.Path(in, "endpoints", 0, "s3"); ep != "https://s3.example.internal" {
		t.Errorf("aws provider S3 endpoint = %v", ep)
	}
	for _, k := range []string{"accessKey", "secretKey"} {
		if !p.IsSecret(k) {
			t.Errorf("aws provider %s is not a Pulumi secret", k)
		}
	}
	b, err := rec.Get("aws:s3/bucketV2:BucketV2", "audit-bucket")
	if err != nil {
		t.Fatal(err)
	}
	if !b.Protect || !strings.Contains(b.Provider, "pulumi:providers:aws::audit-s3") {
		t.Errorf("bucket protect=%v provider=%q", b.Protect, b.Provider)
	}
}

func TestProgram_AuditRejectsBadConfigAtItsKeyPath(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"enabled": true, "bucket": "rampart-audit-prod", "endpoint": "https://s3.example.internal",
			"retention":           map[string]any{"preset": "ism"},
			"breakGlassPrincipal": "arn:aws:iam::123456789012:role/audit-break-glass",
		}
	}
	cases := []struct {
		name      string
		mutate    func(s map[string]any, cfg map[string]string, secret []string) []string
		want      string
		forbidden string
	}{
		{"\"7 years\" as the period", func(s map[string]any, _ map[string]string, sec []string) []string {
			s["retention"] = map[string]any{"preset": "custom", "days": "7 years"}
			return sec
		}, `rampart:audit.retention.days: "7 years": expected a whole number`, ""},
		{"negative period", func(s map[string]any, _ map[string]string, sec []string) []string {
			s["retention"] = map[string]any{"preset": "custom", "days": -1}
			return sec
		}, "rampart:audit.retention.days: -1: preset custom needs a period", ""},
		{"GOVERNANCE under a framework preset", func(s map[string]any, _ map[string]string, sec []string) []string {
			s["retention"] = map[string]any{"preset": "dora", "mode": "GOVERNANCE"}
			return sec
		}, "rampart:audit.retention.mode: \"GOVERNANCE\": preset dora demands COMPLIANCE", ""},
		{"bucket name S3 rejects", func(s map[string]any, _ map[string]string, sec []string) []string {
			s["bucket"] = "Audit_Logs"
			return sec
		}, "rampart:audit.bucket: \"Audit_Logs\": S3 rejects this bucket name", ""},
		{"http endpoint outside local", func(s map[string]any, _ map[string]string, sec []string) []string {
			s["endpoint"] = "http://s3.example.internal:9000"
			return sec
		}, "rampart:audit.endpoint: \"http://s3.example.internal:9000\": plain http", ""},
		{"plaintext keys", func(_ map[string]any, _ map[string]string, _ []string) []string { return nil },
			"rampart:auditS3SecretAccessKey: [secret]: a credential stored in plaintext", "wJalrXUtnFEMIEXAMPLESECRET"},
		{"missing keys", func(_ map[string]any, cfg map[string]string, _ []string) []string {
			delete(cfg, "rampart:auditS3AccessKeyId")
			return []string{"rampart:auditS3SecretAccessKey"}
		}, "rampart:auditS3AccessKeyId: \"\": missing", ""},
		{"Loki in the local profile", func(s map[string]any, cfg map[string]string, sec []string) []string {
			cfg["rampart:profile"] = "local"
			s["loki"] = lokiSection()
			return sec
		}, "rampart:audit.loki.enabled: true: the local lab has no nodes to run Loki", ""},
		{"Loki in a namespace the stack does not have", func(s map[string]any, _ map[string]string, sec []string) []string {
			l := lokiSection()
			l["namespace"] = "logs"
			s["loki"] = l
			return sec
		}, "rampart:audit.loki.namespace: \"logs\": not a namespace of this stack", ""},
		{"Loki keeping logs past the lock", func(s map[string]any, _ map[string]string, sec []string) []string {
			l := lokiSection()
			l["retentionDays"] = 4000
			s["loki"] = l
			return sec
		}, "rampart:audit.loki.retentionDays: 4000: longer than the bucket's lock (2557 days)", ""},
		{"Loki told to keep logs for 0 days", func(s map[string]any, _ map[string]string, sec []string) []string {
			l := lokiSection()
			l["retentionDays"] = 0
			s["loki"] = l
			return sec
		}, `rampart:audit.loki.retentionDays: 0: 0 is not "unset": it is Loki's "keep forever", longer than the bucket's lock (2557 days)`, ""},
		{"a key inside the section", func(s map[string]any, _ map[string]string, sec []string) []string {
			s["secretAccessKey"] = "typed-here-by-mistake"
			return sec
		}, "rampart:audit.secretAccessKey: (value not shown): unknown key", "typed-here-by-mistake"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base()
			cfg, secret := auditConfig(s)
			secret = c.mutate(s, cfg, secret)
			cfg["rampart:audit"] = js(s)
			rec := recmock.New()
			err := rec.Run(programWithKeys(cfg), recmock.WithConfig(cfg, secret...))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error lacks %q:\n%s", c.want, err)
			}
			if c.forbidden != "" && strings.Contains(err.Error(), c.forbidden) {
				t.Fatalf("error leaks %q:\n%s", c.forbidden, err)
			}
			if n := rec.Len(); n != 0 {
				t.Errorf("%d resources registered for a bad config", n)
			}
		})
	}
}

func lokiSection() map[string]any {
	return map[string]any{
		"enabled":    true,
		"agent":      map[string]any{"namespace": "rampart-audit", "podLabels": map[string]string{"app.kubernetes.io/name": "alloy"}},
		"query":      map[string]any{"namespace": "rampart-system", "podLabels": map[string]string{"app.kubernetes.io/name": "grafana"}},
		"storeCIDRs": []string{"10.20.0.5/32"},
	}
}

func TestProgram_AuditLokiRunsInItsNamespaceAfterItsBaselineWithTheStoreKeys(t *testing.T) {
	s := map[string]any{
		"enabled": true, "bucket": "rampart-audit-prod", "endpoint": "https://s3.example.internal",
		"retention":           map[string]any{"preset": "ism"},
		"breakGlassPrincipal": "arn:aws:iam::123456789012:role/audit-break-glass",
		"loki":                lokiSection(),
	}
	cfg, secret := auditConfig(s)
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg, secret...)); err != nil {
		t.Fatal(err)
	}
	ch, err := rec.Get("kubernetes:helm.sh/v4:Chart", "audit-loki")
	if err != nil {
		t.Fatal(err)
	}
	if ns, _ := recmock.Path(ch.Plain(), "namespace"); ns != "rampart-audit" {
		t.Errorf("Loki's namespace = %v", ns)
	}
	sec, err := rec.Get("kubernetes:core/v1:Secret", "audit-loki-s3")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := recmock.Path(sec.Plain(), "stringData", "AWS_SECRET_ACCESS_KEY"); v != "wJalrXUtnFEMIEXAMPLESECRET" || !sec.IsSecret("stringData") {
		t.Errorf("Loki's S3 Secret = %v (secret %v), want the stack's key as a Pulumi secret", v, sec.IsSecret("stringData"))
	}
	waitsForNamespace(t, rec.MustGet(t, "rampart:audit:Audit", "audit"), "rampart-audit")
}

// waitsForNamespace fails t unless comp depends on namespace ns's object and
// its default-deny policy (DependsOn on a component resolves to its
// children, so both must be among comp's dependencies).
func waitsForNamespace(t *testing.T, comp recmock.Resource, ns string) {
	t.Helper()
	deps := strings.Join(comp.Deps, " ")
	for _, want := range []string{"Namespace::" + ns + "-ns", "NetworkPolicy::" + ns + "-policies-default-deny-all"} {
		if !strings.Contains(deps, want) {
			t.Errorf("%s does not wait for %s: deps %v", comp.Name, want, comp.Deps)
		}
	}
}

// TestProgram_AuditInLocalReachesTheLabStoreOverHTTPWithoutEncryption: the
// local profile (only) accepts the lab's http://127.0.0.1 store and, since
// the lab's versitygw implements no PutBucketEncryption, defaults
// encryption off there; an explicit encryption.mode still wins.
func TestProgram_AuditInLocalReachesTheLabStoreOverHTTPWithoutEncryption(t *testing.T) {
	section := func(enc map[string]any) map[string]any {
		s := map[string]any{
			"enabled": true, "bucket": "rampart-audit-lab", "endpoint": "http://127.0.0.1:7070",
			"retention":           map[string]any{"preset": "custom", "days": 1},
			"breakGlassPrincipal": "lab-root",
		}
		if enc != nil {
			s["encryption"] = enc
		}
		return s
	}
	for _, c := range []struct {
		name string
		enc  map[string]any
		sse  int
	}{{"default", nil, 0}, {"explicit on", map[string]any{"mode": "on"}, 1}} {
		t.Run(c.name, func(t *testing.T) {
			cfg, secret := auditConfig(section(c.enc))
			cfg["rampart:profile"] = "local"
			rec := recmock.New()
			if err := rec.Run(program, recmock.WithConfig(cfg, secret...)); err != nil {
				t.Fatal(err)
			}
			if n := len(rec.ByType("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")); n != c.sse {
				t.Errorf("%d SSE configurations, want %d", n, c.sse)
			}
			p, err := rec.Get("pulumi:providers:aws", "audit-s3")
			if err != nil {
				t.Fatal(err)
			}
			if ep, _ := recmock.Path(p.Plain(), "endpoints", 0, "s3"); ep != "http://127.0.0.1:7070" {
				t.Errorf("endpoint = %v", ep)
			}
		})
	}
}

// withAgentNamespace sets rampart:namespaces to the defaults plus the
// agent's namespace (agentNS; none when nil), each written exemption with
// an approval (the stack then owns them).
func withAgentNamespace(cfg map[string]string, agentNS any) {
	list := []any{}
	for _, n := range config.DefaultPlatformNamespaces() {
		list = append(list, approveNamespace(n))
	}
	if agentNS != nil {
		if n, ok := agentNS.(namespace.NamespaceArgs); ok {
			agentNS = approveNamespace(n)
		}
		list = append(list, agentNS)
	}
	cfg["rampart:namespaces"] = js(list)
}

// agentSection is rampart:audit with Loki (its agent peer left to default)
// and the log agent enabled.
func agentSection() map[string]any {
	l := lokiSection()
	delete(l, "agent")
	return map[string]any{
		"enabled": true, "bucket": "rampart-audit-prod", "endpoint": "https://s3.example.internal",
		"retention":           map[string]any{"preset": "ism"},
		"breakGlassPrincipal": "arn:aws:iam::123456789012:role/audit-break-glass",
		"loki":                l,
		"agent":               map[string]any{"enabled": true, "cluster": "prod-eu-1"},
	}
}

func TestProgram_AuditAgentShipsToLokiFromItsExemptNamespaceAndLokiAdmitsIt(t *testing.T) {
	cfg, secret := auditConfig(agentSection())
	withAgentNamespace(cfg, namespace.NamespaceArgs{Name: audit.DefaultAgentNamespace, Exemption: &config.AuditAgentExemption})
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(cfg, secret...)); err != nil {
		t.Fatal(err)
	}
	ch, err := rec.Get("kubernetes:helm.sh/v4:Chart", "audit-agent-chart")
	if err != nil {
		t.Fatal(err)
	}
	if ns, _ := recmock.Path(ch.Plain(), "namespace"); ns != audit.DefaultAgentNamespace {
		t.Errorf("agent namespace = %v", ns)
	}
	out, _ := recmock.Path(ch.Plain(), "values", "config", "outputs")
	if s, _ := out.(string); !strings.Contains(s, "Host audit-loki.rampart-audit.svc\n") || !strings.Contains(s, "tenant_id audit\n") {
		t.Errorf("agent output = %v", out)
	}
	in, err := rec.Get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "audit-loki-ingress")
	if err != nil {
		t.Fatal(err)
	}
	if ns, _ := recmock.Path(in.Plain(), "spec", "ingress", 0, "from", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name"); ns != audit.DefaultAgentNamespace {
		t.Errorf("Loki admits pushes from %v, want the agent's namespace", ns)
	}
	if inst, _ := recmock.Path(in.Plain(), "spec", "ingress", 0, "from", 0, "podSelector", "matchLabels", "app.kubernetes.io/instance"); inst != "audit-fluent-bit" {
		t.Errorf("Loki admits pods of release %v, want the agent's", inst)
	}
	waitsForNamespace(t, rec.MustGet(t, "rampart:audit:Agent", "audit-agent"), "rampart-audit-agent")
	// The namespace carries the typed privileged exemption.
	n, err := rec.Get("kubernetes:core/v1:Namespace", "rampart-audit-agent-ns")
	if err != nil {
		t.Fatal(err)
	}
	if lvl, _ := recmock.Path(n.Plain(), "metadata", "labels", "pod-security.kubernetes.io/enforce"); lvl != "privileged" {
		t.Errorf("agent namespace enforces %v, want privileged", lvl)
	}
}

func TestProgram_AuditAgentRejectsBadConfigAtItsKeyPath(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(s map[string]any, cfg map[string]string)
		want   string
	}{
		{"agent namespace without the exemption", func(_ map[string]any, cfg map[string]string) {
			withAgentNamespace(cfg, map[string]any{"name": audit.DefaultAgentNamespace})
		}, `rampart:audit.agent.namespace: "rampart-audit-agent": the agent mounts the audit log's host directory, and a hostPath volume is forbidden at baseline and restricted`},
		{"agent namespace exempt only to baseline", func(_ map[string]any, cfg map[string]string) {
			withAgentNamespace(cfg, map[string]any{"name": audit.DefaultAgentNamespace,
				"exemption": map[string]any{"level": "baseline", "justification": "reads the audit log from the node", "control": "ISM"}})
		}, "a hostPath volume is forbidden at baseline"},
		{"agent namespace missing", func(_ map[string]any, cfg map[string]string) {
			withAgentNamespace(cfg, nil)
		}, `rampart:audit.agent.namespace: "rampart-audit-agent": not a namespace of this stack`},
		{"agent in a tenant namespace", func(s map[string]any, cfg map[string]string) {
			s["agent"] = map[string]any{"enabled": true, "cluster": "prod-eu-1", "namespace": "team-a"}
			cfg["rampart:tenants"] = js([]any{map[string]any{"name": "team-a"}})
		}, `rampart:audit.agent.namespace: "team-a": a tenant namespace`},
		{"agent without Loki", func(s map[string]any, _ map[string]string) {
			delete(s, "loki")
		}, "rampart:audit.agent.enabled: true: the agent ships to rampart:audit.loki, which is not enabled"},
		{"agent in the local profile", func(_ map[string]any, cfg map[string]string) {
			cfg["rampart:profile"] = "local"
		}, "rampart:audit.agent.enabled: true: the local lab has no nodes"},
		{"Loki admitting another pusher", func(s map[string]any, _ map[string]string) {
			s["loki"].(map[string]any)["agent"] = map[string]any{"namespace": "rampart-audit", "podLabels": map[string]string{"app.kubernetes.io/name": "alloy"}}
		}, "rampart:audit.loki.agent: \"rampart-audit\": Loki's ingress would not admit the agent's pods"},
		{"no cluster label", func(s map[string]any, _ map[string]string) {
			s["agent"] = map[string]any{"enabled": true}
		}, "rampart:audit.agent.cluster"},
		{"log directory too broad", func(s map[string]any, _ map[string]string) {
			s["agent"] = map[string]any{"enabled": true, "cluster": "c1", "logPath": "/var/log/audit.log"}
		}, "rampart:audit.agent.logPath: \"/var/log/audit.log\": its directory /var/log holds more than the audit log"},
		{"unknown agent key", func(s map[string]any, _ map[string]string) {
			s["agent"] = map[string]any{"enabled": true, "cluster": "c1", "privileged": true}
		}, "rampart:audit.agent.privileged"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := agentSection()
			cfg, secret := auditConfig(s)
			withAgentNamespace(cfg, namespace.NamespaceArgs{Name: audit.DefaultAgentNamespace, Exemption: &config.AuditAgentExemption})
			c.mutate(s, cfg)
			cfg["rampart:audit"] = js(s)
			rec := recmock.New()
			err := rec.Run(programWithKeys(cfg), recmock.WithConfig(cfg, secret...))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error lacks %q:\n%s", c.want, err)
			}
			if n := rec.Len(); n != 0 {
				t.Errorf("%d resources registered for a bad config", n)
			}
		})
	}
}
