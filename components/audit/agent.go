package audit

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// The log agent is Fluent Bit, from its upstream chart fluent/fluent-bit.
// Chosen over Grafana Alloy and Vector because it is the smallest of the
// three (one C binary, a few MB of memory per node, which matters on
// control-plane nodes), Apache-2.0 like Vector (Alloy is also Apache-2.0,
// but pulls in a whole Prometheus/OTel pipeline Rampart does not use here),
// a CNCF graduated project with a maintained chart, and its tail input plus
// loki output (tenant_id = X-Scope-OrgID) are all the audit path needs.
const (
	// DefaultAgentChartVersion is fluent/helm-charts' fluent-bit chart
	// 0.58.1 (appVersion 5.1.1), the newest at commit 5b81bf7a5a5d
	// (2026-08-18).
	DefaultAgentChartVersion = "0.58.1"
	// DefaultAgentChartRepository is upstream's chart repository; air-gapped
	// sites point chart.repository at an OCI mirror (oci://…).
	DefaultAgentChartRepository = "https://fluent.github.io/helm-charts"
	// DefaultAgentNamespace is the agent's own platform namespace: the only
	// one that carries a hostPath exemption for the audit pipeline, so Loki's
	// namespace stays restricted.
	DefaultAgentNamespace = "rampart-audit-agent"
	// DefaultAuditLogPath is the API server's audit log: the one path the
	// rendered policy's snippets make every distribution write
	// (apiserver/auditpolicy), so the agent reads one path.
	DefaultAuditLogPath = auditpolicy.DefaultLogPath
	// DefaultAgentUID is root: kube-apiserver writes its audit log 0600 as
	// its own user (root on kubeadm and RKE2) and has no flag for the file's
	// mode or group (--audit-log-mode is the backend's batch/blocking mode),
	// so only the file's owner can read it. Every capability is dropped, so
	// this root cannot override file permissions (no CAP_DAC_OVERRIDE) and
	// reads only what root owns in the one read-only directory mounted. On
	// Talos the API server runs as a non-root UID: set runAsUser to it.
	DefaultAgentUID = 0
	// AgentTenant is the Loki tenant (X-Scope-OrgID) of the audit trail.
	AgentTenant = "audit"
	// AgentJob is the job label of the audit streams.
	AgentJob = "kube-apiserver-audit"
	// agentStateDir holds the tail input's offset database (an emptyDir: it
	// survives container restarts; the host is not written to).
	agentStateDir = "/fluent-bit/state"
	// controlPlaneRole is the label and taint of control-plane nodes.
	controlPlaneRole = "node-role.kubernetes.io/control-plane"
)

// AgentChartPin is fluent/helm-charts' fluent-bit chart.
var AgentChartPin = chart.Pin{Name: "fluent-bit", Repository: DefaultAgentChartRepository, Version: DefaultAgentChartVersion}

// AgentImage is Fluent Bit 5.1.1, the chart's appVersion, from Docker Hub
// (the chart defaults to cr.fluentbit.io/fluent/fluent-bit, the same
// build; the digest was recorded for Docker Hub) as pinned by a
// renovate-maintained public record (datasource docker, found through the
// code search; no registry is reachable from this machine): check it with
// `crane digest docker.io/fluent/fluent-bit:5.1.1` before a production
// rollout.
var AgentImage = image.Ref{Registry: "docker.io", Repository: "fluent/fluent-bit", Tag: "5.1.1",
	Digest: "sha256:a941bdd5ca552b2c6597fc7b3bccf2e61d30873939bab5700963de0e94ac6169"}

// AgentTypeToken is the agent component's Pulumi type.
const AgentTypeToken = "rampart:audit:Agent"

// AgentArgs configures the log agent (config key rampart:audit.agent).
type AgentArgs struct {
	// Enabled deploys Fluent Bit on the control-plane nodes; default false.
	// Needs rampart:audit.loki enabled. The local profile refuses it: the
	// lab has no nodes.
	Enabled bool `json:"enabled"`
	// Namespace is where the agent runs; default DefaultAgentNamespace. It
	// must be a platform namespace with a privileged exemption (hostPath is
	// forbidden at baseline), justified like Falco's.
	Namespace string `json:"namespace,omitempty"`
	// Cluster is the value of the cluster label on every audit stream.
	// Required.
	Cluster string `json:"cluster,omitempty"`
	// LogPath is the audit log file on the control-plane nodes; default
	// DefaultAuditLogPath. Only its directory is mounted, read-only, so it
	// must be a directory of its own (not /, /var, /var/log, /etc …).
	LogPath string `json:"logPath,omitempty"`
	// RunAsUser is the UID that owns the audit log; default DefaultAgentUID
	// (root, all capabilities dropped).
	RunAsUser *int64 `json:"runAsUser,omitempty"`
	// Chart selects the chart (repository, version).
	Chart chart.Source `json:"chart,omitzero"`
	// Images resolves the Fluent Bit image (AgentImage, by digest) through
	// the registry mirror and the per-image overrides; the stack sets it
	// from rampart:images. Zero: the upstream pin.
	Images image.Images `json:"-"`
}

// WithDefaults returns a copy with every unset field defaulted.
func (g AgentArgs) WithDefaults() AgentArgs {
	if g.Namespace == "" {
		g.Namespace = DefaultAgentNamespace
	}
	if g.LogPath == "" {
		g.LogPath = DefaultAuditLogPath
	}
	if g.RunAsUser == nil {
		uid := int64(DefaultAgentUID)
		g.RunAsUser = &uid
	}
	g.Chart = g.Chart.WithDefaults(AgentChartPin)
	return g
}

// AgentRelease is the agent's Helm release name for component name.
func AgentRelease(name string) string { return kname.Join(name, "fluent-bit") }

// AgentPodLabels are the chart's selector labels of the agent's pods.
func AgentPodLabels(release string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "fluent-bit", "app.kubernetes.io/instance": release}
}

// Peer is who Loki must admit: the agent's namespace and pod labels, for
// rampart:audit.loki.agent.
func (g AgentArgs) Peer(name string) PeerArgs {
	d := g.WithDefaults()
	return PeerArgs{Namespace: d.Namespace, PodLabels: AgentPodLabels(AgentRelease(name))}
}

// broadDirs are host directories too wide to mount for one log file.
var broadDirs = map[string]bool{"/": true, "/var": true, "/var/log": true, "/etc": true, "/var/lib": true,
	"/etc/kubernetes": true, "/var/lib/kubelet": true, "/run": true, "/tmp": true, "/home": true, "/root": true}

// Validate reports the agent block's problems under path (…agent), on the
// args as WithDefaults leaves them.
func (g *AgentArgs) Validate(path string) error {
	d := g.WithDefaults()
	var l verr.List
	p := func(k string) string { return verr.Path(path, k) }
	kname.CheckNamespace(&l, p("namespace"), d.Namespace)
	if msgs := validation.IsValidLabelValue(d.Cluster); d.Cluster == "" || len(msgs) > 0 {
		l.Add(p("cluster"), d.Cluster, "required: the cluster label of every audit stream, a valid label value", "e.g. \"prod-eu-1\"")
	}
	if dir := logDir(d.LogPath); !strings.HasPrefix(d.LogPath, "/") || cleanPath(d.LogPath) != d.LogPath || strings.HasSuffix(d.LogPath, "/") {
		l.Add(p("logPath"), d.LogPath, "not a clean absolute file path", "e.g. "+DefaultAuditLogPath)
	} else if broadDirs[dir] {
		l.Add(p("logPath"), d.LogPath, "its directory "+dir+" holds more than the audit log, and it is the directory the agent mounts",
			"write the audit log to a directory of its own, e.g. "+DefaultAuditLogPath)
	}
	if *d.RunAsUser < 0 {
		l.Add(p("runAsUser"), *d.RunAsUser, "negative", "the UID that owns the audit log (0 on kubeadm and RKE2)")
	}
	d.Chart.Validate(&l, p("chart"), AgentChartPin)
	return l.Err()
}

// agentImage is r as the fluent-bit chart takes it (no registry key).
func agentImage(r image.Ref) map[string]any {
	return map[string]any{"repository": r.Name(), "tag": r.Tag, "digest": r.Digest}
}

func cleanPath(s string) string { return path.Clean(s) }
func logDir(s string) string    { return path.Dir(path.Clean(s)) }

// AgentValues are the chart values: a DaemonSet on control-plane nodes
// only; one hostPath volume, the audit log's directory, mounted read-only;
// no service-account token and no RBAC (no kubernetes filter: the audit
// event already names its objects); the image by digest; every capability
// dropped, read-only root filesystem, no privilege escalation, seccomp
// RuntimeDefault; the tail input's offsets in an emptyDir; and one output,
// Loki's push API with tenant AgentTenant and labels job, cluster, node.
// lokiHost is Loki's Service DNS name.
func AgentValues(release string, g *AgentArgs, lokiHost string) map[string]any {
	dir := logDir(g.LogPath)
	uid := *g.RunAsUser
	nonRoot := uid != 0
	return map[string]any{
		"kind":             "DaemonSet",
		"fullnameOverride": release,
		"image":            agentImage(g.Images.Resolve(AgentImage)),
		"testFramework":    map[string]any{"enabled": false},
		"serviceAccount":   map[string]any{"create": true, "automountServiceAccountToken": false},
		"rbac":             map[string]any{"create": false},
		"hostNetwork":      false,
		"podSecurityContext": map[string]any{
			"runAsUser": uid, "runAsGroup": uid, "runAsNonRoot": nonRoot,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"securityContext": map[string]any{
			"privileged": false, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
			"runAsUser": uid, "runAsNonRoot": nonRoot,
			"capabilities":   map[string]any{"drop": []any{"ALL"}},
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"nodeSelector": map[string]any{controlPlaneRole: ""},
		"tolerations":  []any{map[string]any{"key": controlPlaneRole, "operator": "Exists", "effect": "NoSchedule"}},
		"env": []any{map[string]any{"name": "NODE_NAME",
			"valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": "spec.nodeName"}}}},
		// Replaces the chart's default /var/log, docker and machine-id mounts.
		"daemonSetVolumes": []any{
			map[string]any{"name": "audit-log", "hostPath": map[string]any{"path": dir, "type": "Directory"}},
			map[string]any{"name": "state", "emptyDir": map[string]any{"sizeLimit": "64Mi"}},
		},
		"daemonSetVolumeMounts": []any{
			map[string]any{"name": "audit-log", "mountPath": dir, "readOnly": true},
			map[string]any{"name": "state", "mountPath": agentStateDir},
		},
		"networkPolicy": map[string]any{"enabled": false},
		"hotReload":     map[string]any{"enabled": false},
		"config": map[string]any{
			"service":       agentService,
			"inputs":        agentInput(g.LogPath),
			"filters":       "",
			"outputs":       agentOutput(lokiHost, g.Cluster),
			"customParsers": agentParser,
		},
	}
}

const agentService = `[SERVICE]
    Daemon Off
    Flush 1
    Log_Level info
    Parsers_File /fluent-bit/etc/conf/custom_parsers.conf
    HTTP_Server On
    HTTP_Listen 0.0.0.0
    HTTP_Port 2020
    Health_Check On
`

// agentParser keeps each event's own stageTimestamp as the log time, so a
// line re-read after a restart is an exact duplicate Loki drops.
const agentParser = `[PARSER]
    Name k8s_audit
    Format json
    Time_Key stageTimestamp
    Time_Format %Y-%m-%dT%H:%M:%S.%LZ
    Time_Keep On
`

// agentInput tails the audit log only. Read_from_Head: after a pod is
// recreated (the emptyDir offsets are gone) the current file is read again
// rather than skipped; Loki drops the exact duplicates. Audit events at
// RequestResponse can be large, hence the 8 MB line buffer.
func agentInput(logPath string) string {
	return `[INPUT]
    Name tail
    Path ` + logPath + `
    Tag audit
    Parser k8s_audit
    DB ` + agentStateDir + `/audit.db
    Read_from_Head On
    Refresh_Interval 5
    Buffer_Chunk_Size 256KB
    Buffer_Max_Size 8MB
    Skip_Long_Lines On
    Mem_Buf_Limit 64MB
`
}

// agentOutput pushes to Loki in tenant AgentTenant and retries forever: an
// audit event is never dropped because Loki was briefly away.
func agentOutput(lokiHost, cluster string) string {
	return `[OUTPUT]
    Name loki
    Match audit
    Host ` + lokiHost + `
    Port ` + strconv.Itoa(lokiHTTPPort) + `
    tenant_id ` + AgentTenant + `
    labels job=` + AgentJob + `, cluster=` + cluster + `, node=${NODE_NAME}
    line_format json
    Retry_Limit False
`
}

// LokiHost is the DNS name of the Loki Service the audit component named
// auditName deploys in namespace.
func LokiHost(auditName, namespace string) string {
	return kname.Join(auditName, "loki") + "." + namespace + ".svc"
}

// Agent is the audit log shipper.
type Agent struct {
	pulumi.ResourceState
}

// NewAgent deploys Fluent Bit in args.Namespace, shipping the audit log to
// the Loki of the audit component named auditName in lokiNamespace, and the
// network policy that lets the agent reach only Loki's HTTP port (DNS comes
// from the namespace baseline).
func NewAgent(ctx *pulumi.Context, name string, args *AgentArgs, auditName, lokiNamespace string, opts ...pulumi.ResourceOption) (*Agent, error) {
	if args == nil {
		return nil, errors.New("audit agent " + strconv.Quote(name) + ": args are required")
	}
	g := args.WithDefaults()
	if err := errors.Join(g.Validate(""), g.Images.Err(Pins())); err != nil {
		return nil, fmt.Errorf("audit agent %q: %w", name, err)
	}
	if lokiNamespace == "" {
		return nil, fmt.Errorf("audit agent %q: the Loki namespace is required", name)
	}
	comp := &Agent{}
	if err := ctx.RegisterComponentResource(AgentTypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("audit agent %q: register: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	release := AgentRelease(auditName)
	chartArgs := g.Chart.Args(AgentChartPin, release, g.Namespace, pulumi.ToMap(AgentValues(release, &g, LokiHost(auditName, lokiNamespace))))
	if _, err := helmv4.NewChart(ctx, name+"-chart", chartArgs, parent); err != nil {
		return nil, fmt.Errorf("audit agent %q: chart: %w", name, err)
	}
	if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-egress", &networkingv1.NetworkPolicyArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(kname.Join(release, "egress")), Namespace: pulumi.String(g.Namespace)},
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(AgentPodLabels(release))},
			PolicyTypes: pulumi.StringArray{pulumi.String("Egress")},
			Egress: networkingv1.NetworkPolicyEgressRuleArray{&networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{
					NamespaceSelector: netpolicy.NamespaceSelector(lokiNamespace),
					PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: lokiPodLabels(kname.Join(auditName, "loki"))},
				}},
				Ports: netpolicy.TCP(lokiHTTPPort),
			}},
		},
	}, parent); err != nil {
		return nil, fmt.Errorf("audit agent %q: egress policy: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{}); err != nil {
		return nil, fmt.Errorf("audit agent %q: register outputs: %w", name, err)
	}
	return comp, nil
}
