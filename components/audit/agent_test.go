package audit_test

import (
	"fmt"
	"strings"
	"testing"

	k8s "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/internal/recmock"
)

func agentArgs() *audit.AgentArgs {
	return &audit.AgentArgs{Enabled: true, Cluster: "prod-eu-1"}
}

func runAgent(t *testing.T, g *audit.AgentArgs) (*recmock.Recorder, error) {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		kp, err := k8s.NewProvider(ctx, "cluster", &k8s.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = audit.NewAgent(ctx, "audit-agent", g, "audit", "rampart-audit", pulumi.Provider(kp))
		return err
	})
	return rec, err
}

func agentValues(t *testing.T) (recmock.Resource, map[string]any) {
	t.Helper()
	rec, err := runAgent(t, agentArgs())
	if err != nil {
		t.Fatal(err)
	}
	ch := rec.MustGet(t, tChart, "audit-agent-chart")
	v, _ := path(t, ch, "values").(map[string]any)
	return ch, v
}

func TestAgent_MountsOnlyTheAuditLogDirectoryReadOnlyOnControlPlaneNodes(t *testing.T) {
	ch, v := agentValues(t)
	if path(t, ch, "chart") != "fluent-bit" || path(t, ch, "version") != audit.DefaultAgentChartVersion ||
		path(t, ch, "namespace") != audit.DefaultAgentNamespace || path(t, ch, "repositoryOpts", "repo") != audit.DefaultAgentChartRepository {
		t.Errorf("chart not pinned upstream fluent-bit in its namespace: %v", ch.Plain())
	}
	vols, _ := v["daemonSetVolumes"].([]any)
	var hostPaths []string
	for _, vol := range vols {
		if hp, ok := vol.(map[string]any)["hostPath"].(map[string]any); ok {
			hostPaths = append(hostPaths, fmt.Sprint(hp["path"], ":", hp["type"]))
		}
	}
	if want := "/var/log/audit/kube:Directory"; len(hostPaths) != 1 || hostPaths[0] != want {
		t.Errorf("hostPath volumes = %v, want only [%s] (the chart's /var/log, docker and machine-id defaults replaced)", hostPaths, want)
	}
	mounts, _ := v["daemonSetVolumeMounts"].([]any)
	found := false
	for _, m := range mounts {
		mm := m.(map[string]any)
		if mm["name"] == "audit-log" {
			found = true
			if mm["readOnly"] != true || mm["mountPath"] != "/var/log/audit/kube" {
				t.Errorf("audit-log mount = %v, want read-only at the log directory", mm)
			}
		}
	}
	if !found {
		t.Error("no audit-log mount")
	}
	if v["kind"] != "DaemonSet" || v["hostNetwork"] != false {
		t.Errorf("kind/hostNetwork = %v/%v", v["kind"], v["hostNetwork"])
	}
	ns, _ := v["nodeSelector"].(map[string]any)
	if _, ok := ns["node-role.kubernetes.io/control-plane"]; !ok || len(ns) != 1 {
		t.Errorf("nodeSelector = %v, want control-plane nodes only", ns)
	}
	tol := fmt.Sprint(v["tolerations"])
	if !strings.Contains(tol, "node-role.kubernetes.io/control-plane") || !strings.Contains(tol, "NoSchedule") {
		t.Errorf("tolerations = %s, want the control-plane taint tolerated", tol)
	}
	if fmt.Sprint(v["rbac"]) != "map[create:false]" || !strings.Contains(fmt.Sprint(v["serviceAccount"]), "automountServiceAccountToken:false") ||
		fmt.Sprint(v["testFramework"]) != "map[enabled:false]" {
		t.Errorf("rbac/serviceAccount/testFramework = %v / %v / %v, want no API access and no busybox test pod", v["rbac"], v["serviceAccount"], v["testFramework"])
	}
}

func TestAgent_ImageIsPinnedByDigestAndShipsToTheAuditTenant(t *testing.T) {
	_, v := agentValues(t)
	img, _ := v["image"].(map[string]any)
	if img["digest"] != audit.AgentImage.Digest || img["tag"] != audit.AgentImage.Tag || img["repository"] != "docker.io/fluent/fluent-bit" || !audit.AgentImage.Pinned() {
		t.Errorf("image = %v, want tag and sha256 digest", img)
	}
	cfg, _ := v["config"].(map[string]any)
	in, out := fmt.Sprint(cfg["inputs"]), fmt.Sprint(cfg["outputs"])
	for _, want := range []string{"Name tail", "Path /var/log/audit/kube/kube-apiserver.log\n", "DB /fluent-bit/state/"} {
		if !strings.Contains(in, want) {
			t.Errorf("inputs lack %q:\n%s", want, in)
		}
	}
	if strings.Count(in, "[INPUT]") != 1 {
		t.Errorf("want exactly one input (the audit log):\n%s", in)
	}
	for _, want := range []string{"Name loki", "Host audit-loki.rampart-audit.svc\n", "Port 3100\n", "tenant_id audit\n",
		"labels job=kube-apiserver-audit, cluster=prod-eu-1, node=${NODE_NAME}", "Retry_Limit False"} {
		if !strings.Contains(out, want) {
			t.Errorf("outputs lack %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "[OUTPUT]") != 1 {
		t.Errorf("want exactly one output (Loki):\n%s", out)
	}
}

// chartPod is the pod the fluent-bit chart's _pod.tpl renders from these
// values (podSecurityContext → pod, securityContext → container, its config
// ConfigMap plus daemonSetVolumes → volumes).
func chartPod(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	vols := []any{map[string]any{"name": "config", "configMap": map[string]any{"name": "audit-fluent-bit"}}}
	vols = append(vols, v["daemonSetVolumes"].([]any)...)
	mounts := []any{map[string]any{"name": "config", "mountPath": "/fluent-bit/etc/conf"}}
	mounts = append(mounts, v["daemonSetVolumeMounts"].([]any)...)
	return map[string]any{
		"hostNetwork":     v["hostNetwork"],
		"securityContext": v["podSecurityContext"],
		"containers": []any{map[string]any{
			"name": "fluent-bit", "image": "x", "securityContext": v["securityContext"], "volumeMounts": mounts,
		}},
		"volumes": vols,
	}
}

func TestAgent_PodIsAdmittedAtPrivilegedButNotBaselineOrRestricted(t *testing.T) {
	_, v := agentValues(t)
	spec, err := hardening.PodSpecFromMap(chartPod(t, v))
	if err != nil {
		t.Fatal(err)
	}
	if err := hardening.CheckPod("privileged", "latest", nil, spec); err != nil {
		t.Errorf("privileged must admit the agent: %v", err)
	}
	// The exemption is really needed: baseline forbids the hostPath volume,
	// restricted also the root user. Nothing else is relaxed.
	err = hardening.CheckPod("baseline", "latest", nil, spec)
	if err == nil || !strings.Contains(err.Error(), "hostPath") {
		t.Errorf("baseline must refuse the hostPath volume, got %v", err)
	}
	if strings.Count(err.Error(), ";") != 0 {
		t.Errorf("baseline must find only the hostPath volume: %v", err)
	}
	err = hardening.CheckPod("restricted", "latest", nil, spec)
	if err == nil || !strings.Contains(err.Error(), "hostPath") || !strings.Contains(err.Error(), "runAsNonRoot") {
		t.Errorf("restricted must refuse the hostPath and root, got %v", err)
	}
	for _, bad := range []string{"allowPrivilegeEscalation", "capabilities", "seccompProfile", "privileged"} {
		if err != nil && strings.Contains(err.Error(), bad) {
			t.Errorf("restricted finds %s, which the agent must not need: %v", bad, err)
		}
	}
}

func TestAgent_NonRootUIDRunsAsNonRoot(t *testing.T) {
	uid := int64(65534)
	g := agentArgs()
	g.RunAsUser = &uid
	rec, err := runAgent(t, g)
	if err != nil {
		t.Fatal(err)
	}
	ch := rec.MustGet(t, tChart, "audit-agent-chart")
	v := path(t, ch, "values").(map[string]any)
	spec, err := hardening.PodSpecFromMap(chartPod(t, v))
	if err != nil {
		t.Fatal(err)
	}
	err = hardening.CheckPod("restricted", "latest", nil, spec)
	if err == nil || strings.Contains(err.Error(), "runAsNonRoot") || !strings.Contains(err.Error(), "hostPath") {
		t.Errorf("a non-root agent must be refused by restricted for the hostPath only, got %v", err)
	}
}

func TestAgent_EgressOnlyToLokisHTTPPort(t *testing.T) {
	rec, err := runAgent(t, agentArgs())
	if err != nil {
		t.Fatal(err)
	}
	np := rec.MustGet(t, tNetpol, "audit-agent-egress")
	if fmt.Sprint(path(t, np, "spec", "policyTypes")) != "[Egress]" ||
		path(t, np, "spec", "egress", 0, "ports", 0, "port") != float64(3100) ||
		path(t, np, "spec", "egress", 0, "to", 0, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name") != "rampart-audit" ||
		path(t, np, "spec", "egress", 0, "to", 0, "podSelector", "matchLabels", "app.kubernetes.io/instance") != "audit-loki" {
		t.Errorf("egress policy = %v", np.Plain())
	}
	if n := len(rec.ByType(tNetpol)); n != 1 {
		t.Errorf("%d network policies, want 1", n)
	}
	if fmt.Sprint(path(t, np, "spec", "podSelector", "matchLabels")) != fmt.Sprint(audit.AgentPodLabels("audit-fluent-bit")) {
		t.Errorf("policy selects %v", path(t, np, "spec", "podSelector"))
	}
}

func TestAgent_RejectsBadConfig(t *testing.T) {
	neg := int64(-1)
	for _, c := range []struct {
		name, key string
		mut       func(*audit.AgentArgs)
	}{
		{"no cluster label", "cluster", func(g *audit.AgentArgs) { g.Cluster = "" }},
		{"cluster not a label value", "cluster", func(g *audit.AgentArgs) { g.Cluster = "prod eu" }},
		{"log in /var/log itself", "logPath", func(g *audit.AgentArgs) { g.LogPath = "/var/log/kube-apiserver-audit.log" }},
		{"log at the root", "logPath", func(g *audit.AgentArgs) { g.LogPath = "/audit.log" }},
		{"relative log path", "logPath", func(g *audit.AgentArgs) { g.LogPath = "var/log/audit/kube/a.log" }},
		{"unclean log path", "logPath", func(g *audit.AgentArgs) { g.LogPath = "/var/log/audit/../kube/a.log" }},
		{"negative uid", "runAsUser", func(g *audit.AgentArgs) { g.RunAsUser = &neg }},
		{"unpinned chart", "chart.version", func(g *audit.AgentArgs) { g.Chart.Version = "latest" }},
		{"http chart repo", "chart.repository", func(g *audit.AgentArgs) { g.Chart.Repository = "http://charts.example" }},
		{"bad namespace", "namespace", func(g *audit.AgentArgs) { g.Namespace = "Audit_Agent" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := agentArgs()
			c.mut(g)
			err := g.Validate("rampart:audit.agent")
			if err == nil || !strings.Contains(err.Error(), "rampart:audit.agent."+c.key) {
				t.Fatalf("want a problem at rampart:audit.agent.%s, got %v", c.key, err)
			}
			if _, err := runAgent(t, g); err == nil {
				t.Error("NewAgent accepted it")
			}
		})
	}
	if _, err := runAgent(t, nil); err == nil {
		t.Error("nil args accepted")
	}
	g := agentArgs()
	g.Images.Overrides = map[string]string{"fluent/fluent-bit": "registry.example.org/fluent/fluent-bit:5.2.0"}
	if _, err := runAgent(t, g); err == nil || !strings.Contains(err.Error(), `images.overrides["fluent/fluent-bit"]: "registry.example.org/fluent/fluent-bit:5.2.0": not pinned by digest`) {
		t.Errorf("an override without a digest: %v", err)
	}
}

func TestAgent_ImageComesFromTheMirror(t *testing.T) {
	g := agentArgs()
	g.Images.Registry = "harbor.example.org/hub"
	d := g.WithDefaults()
	img, _ := audit.AgentValues("audit-fluent-bit", &d, "loki")["image"].(map[string]any)
	if img["repository"] != "harbor.example.org/hub/fluent/fluent-bit" || img["digest"] != audit.AgentImage.Digest {
		t.Errorf("image = %v", img)
	}
}

func TestAgent_PeerIsWhatLokisIngressMustAdmit(t *testing.T) {
	p := agentArgs().Peer("audit")
	if p.Namespace != audit.DefaultAgentNamespace || p.PodLabels["app.kubernetes.io/instance"] != "audit-fluent-bit" ||
		p.PodLabels["app.kubernetes.io/name"] != "fluent-bit" {
		t.Errorf("peer = %+v", p)
	}
}
