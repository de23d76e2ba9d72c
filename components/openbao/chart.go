package openbao

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kmeta"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
)

const (
	// DefaultChartVersion is the openbao-helm chart whose appVersion is v2.6.2.
	DefaultChartVersion = "0.29.2"
	// DefaultChartRepository is the upstream chart repository; air-gapped sites
	// point chart.repository at an OCI mirror (oci://…) instead.
	DefaultChartRepository = "https://openbao.github.io/openbao-helm"
)

// ChartPin is the upstream openbao-helm chart. Config keys chart.repository
// and chart.version (chart.Source) replace its repository and version.
var ChartPin = chart.Pin{Name: "openbao", Repository: DefaultChartRepository, Version: DefaultChartVersion}

// The server images Rampart pins: quay.io's UBI builds (glibc, which most
// vendor PKCS#11 libraries need), tagged with the OpenBao version. Upstream
// publishes no digest in its sources and no registry is reachable here, so
// they are pinned by tag: pin them by digest with rampart:images.overrides
// (the image as your registry serves it, e.g. with a vendor library baked
// in).
var (
	// ServerImage is the ≥ 2.6 server (the seal runs as the kms-pkcs11 plugin).
	ServerImage = image.Ref{Registry: "quay.io", Repository: "openbao/openbao-ubi", Tag: DefaultVersion}
	// HSMServerImage is the 2.4–2.5 server: a cgo build with the built-in
	// pkcs11 seal.
	HSMServerImage = image.Ref{Registry: "quay.io", Repository: "openbao/openbao-hsm-ubi", Tag: DefaultVersion}
)

// Pins are the images the component renders, the keys
// rampart:images.overrides takes for it. The chart renders
// registry/repository:<tag>, so a replacement names its tag.
func Pins() []image.Pin {
	return []image.Pin{{Ref: ServerImage, Check: image.RequireTag}, {Ref: HSMServerImage, Check: image.RequireTag}}
}

// serverImage is the server image for the args' version, resolved through
// the mirror and the overrides.
func (a *OpenBaoArgs) serverImage() image.Ref {
	pin := ServerImage
	if v, err := parseSemver(a.Version); err == nil && v.less(pluginSealVersion) {
		pin = HSMServerImage
	}
	pin.Tag = strings.TrimPrefix(a.Version, "v")
	return a.Images.Resolve(pin)
}

// StorageArgs sizes the persistent volumes (ModeChart; config keys
// storage.dataSize, storage.auditSize, storage.storageClass).
type StorageArgs struct {
	// DataSize is the raft volume size; default "10Gi".
	DataSize string `json:"dataSize,omitempty"`
	// AuditSize is the audit log volume size; default "10Gi".
	AuditSize string `json:"auditSize,omitempty"`
	// StorageClass; default "" (the cluster default). Prefer a class with
	// reclaimPolicy Retain.
	StorageClass string `json:"storageClass,omitempty"`
}

// validateChart checks what only ModeChart uses: the namespace, the raft
// size, the chart source and the volume sizes.
func (a *OpenBaoArgs) validateChart(l *verr.List, p func(string) string) {
	if a.Namespace == "" {
		l.Add(p("namespace"), a.Namespace, "chart mode needs a namespace", "set namespace to the (PSS-restricted) namespace OpenBao runs in")
	}
	if len(a.Namespace) > 63 {
		l.Add(p("namespace"), a.Namespace, "longer than 63 characters", "use a shorter namespace")
	}
	if len(a.Nodes) > 0 {
		l.Add(p("nodes"), verr.Raw(fmt.Sprintf("(%d servers)", len(a.Nodes))), "chart mode runs its servers as the StatefulSet's pods and names them itself, so this list would be ignored",
			"remove nodes, or set mode to external to render one config per listed server")
	}
	switch n := *a.Replicas; {
	case n == 0: // only an explicit 0: the default is DefaultReplicas
		l.NotUnset(p("replicas"), 0, "a raft cluster of no servers runs no OpenBao at all", DefaultReplicas, "set replicas to 1 (lab only) or 5")
	case n < 1 || n%2 == 0 || n > 7:
		l.Add(p("replicas"), n, "raft needs an odd cluster size to keep a quorum", "set replicas to 1 (lab only), 3 or 5")
	}
	a.Chart.Validate(l, p("chart"), ChartPin)
	for _, s := range []struct{ k, v string }{{"storage.dataSize", a.Storage.DataSize}, {"storage.auditSize", a.Storage.AuditSize}} {
		if !sizeRe.MatchString(s.v) {
			l.Add(p(s.k), s.v, "not a volume size", "use a quantity such as 10Gi")
		}
	}
	if a.APIAddr != "" {
		checkHTTPS(l, p("apiAddr"), a.APIAddr)
	}
}

const (
	pinKey      = "pin"
	passwordKey = "password"
)

func deployChart(ctx *pulumi.Context, name string, a *OpenBaoArgs, cfg string, comp *OpenBao) error {
	fn := fullname(name)
	parent := pulumi.Parent(comp)
	labels := pulumi.ToStringMap(kmeta.Labels(map[string]string{
		"app.kubernetes.io/name":     "openbao",
		"app.kubernetes.io/instance": fn,
	}))
	meta := func(objName string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(objName), Namespace: pulumi.String(a.Namespace), Labels: labels}
	}

	// The PIN and the deployer password live only here: secret in state,
	// read into the server's environment, never written to the config.
	secretData := pulumi.StringMap{pinKey: a.Seal.Pin}
	if !a.Bootstrap.Disabled {
		secretData[passwordKey] = a.Bootstrap.DeployerPassword
	}
	pinSecretName := kname.Join(fn, "seal")
	sec, err := corev1.NewSecret(ctx, name+"-seal", &corev1.SecretArgs{
		Metadata:   meta(pinSecretName),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.ToSecret(secretData).(pulumi.StringMapOutput),
	}, parent)
	if err != nil {
		return fmt.Errorf("openbao %q: create seal secret: %w", name, err)
	}
	comp.PinSecretName = sec.Metadata.Name().Elem()

	// The StatefulSet adopts PVCs that already carry its claim names. Owning
	// them here lets Pulumi protect the raft data and the audit trail: a
	// `pulumi destroy` or a refactor cannot delete them (Protect), and removing
	// the component leaves them in the cluster (RetainOnDelete).
	deps := []pulumi.Resource{sec}
	for i := range *a.Replicas {
		for _, v := range []struct{ role, size string }{{"data", a.Storage.DataSize}, {"audit", a.Storage.AuditSize}} {
			spec := &corev1.PersistentVolumeClaimSpecArgs{
				AccessModes: pulumi.StringArray{pulumi.String("ReadWriteOnce")},
				Resources: &corev1.VolumeResourceRequirementsArgs{
					Requests: pulumi.StringMap{"storage": pulumi.String(v.size)},
				},
			}
			if a.Storage.StorageClass != "" {
				spec.StorageClassName = pulumi.String(a.Storage.StorageClass)
			}
			m := meta(kname.Join(v.role, fn, strconv.Itoa(i)))
			if a.SkipAwait {
				m.Annotations = pulumi.StringMap{"pulumi.com/skipAwait": pulumi.String("true")}
			}
			pvc, err := corev1.NewPersistentVolumeClaim(ctx, fmt.Sprintf("%s-%s-%d", name, v.role, i), &corev1.PersistentVolumeClaimArgs{
				Metadata: m,
				Spec:     spec,
			}, parent, pulumi.Protect(true), pulumi.RetainOnDelete(true))
			if err != nil {
				return fmt.Errorf("openbao %q: create %s volume %d: %w", name, v.role, i, err)
			}
			deps = append(deps, pvc)
		}
	}

	chartArgs := a.Chart.Args(ChartPin, fn, a.Namespace, chartValues(fn, a, cfg, pinSecretName))
	chartArgs.SkipAwait = pulumi.Bool(a.SkipAwait)
	chart, err := helmv4.NewChart(ctx, name+"-chart", chartArgs, parent, pulumi.DependsOn(deps))
	if err != nil {
		return fmt.Errorf("openbao %q: create chart: %w", name, err)
	}
	// Address resolves once the chart's objects exist (and are ready, unless
	// SkipAwait), so a provider configured from it waits for the server
	// instead of failing a fresh cluster's preview.
	comp.Address = pulumi.All(chart.Resources, comp.Address).ApplyT(func(v []any) string {
		return v[1].(string)
	}).(pulumi.StringOutput)
	return nil
}

// podSecurityContext is the restricted pod context as chart values, from the
// shared hardening helper, with the server's identity.
func podSecurityContext() pulumi.Map {
	return pulumi.ToMap(hardening.PodSecurityContextValues(HardenedUID))
}

// restrictedContainer is the shared restricted container context with the
// server's identity repeated on the container: the init container writes the
// HSM client volume that the server reads, so both state the same uid/gid
// rather than relying on the chart to carry the pod context.
func restrictedContainer() pulumi.Map {
	sc := hardening.ContainerSecurityContextValues()
	sc["runAsUser"] = int64(HardenedUID)
	sc["runAsGroup"] = int64(HardenedUID)
	return pulumi.ToMap(sc)
}

// chartValues maps the args onto openbao-helm's values (chart 0.29.x layout).
func chartValues(fn string, a *OpenBaoArgs, cfg, secretName string) pulumi.Map {
	volumes := pulumi.Array{
		pulumi.Map{"name": pulumi.String("tls"), "secret": pulumi.Map{"secretName": pulumi.String(a.TLS.SecretName), "defaultMode": pulumi.Int(0o440)}},
		pulumi.Map{"name": pulumi.String("tmp"), "emptyDir": pulumi.Map{"medium": pulumi.String("Memory"), "sizeLimit": pulumi.String("16Mi")}},
		pulumi.Map{"name": pulumi.String("hsm"), "emptyDir": pulumi.Map{"sizeLimit": pulumi.String("256Mi")}},
	}
	mounts := pulumi.Array{
		pulumi.Map{"name": pulumi.String("tls"), "mountPath": pulumi.String("/openbao/tls"), "readOnly": pulumi.Bool(true)},
		pulumi.Map{"name": pulumi.String("tmp"), "mountPath": pulumi.String("/tmp")},
		pulumi.Map{"name": pulumi.String("hsm"), "mountPath": pulumi.String(hsmMountPath), "readOnly": pulumi.Bool(true)},
	}
	if usesPluginSeal(a.Version) && a.Seal.PluginImage != "" {
		// OCI-delivered plugins are unpacked into plugin_directory at start.
		volumes = append(volumes, pulumi.Map{"name": pulumi.String("plugins"), "emptyDir": pulumi.Map{"sizeLimit": pulumi.String("256Mi")}})
		mounts = append(mounts, pulumi.Map{"name": pulumi.String("plugins"), "mountPath": pulumi.String(a.Seal.PluginDirectory)})
	}
	if a.Seal.ClientConfigSecret != "" {
		volumes = append(volumes, pulumi.Map{"name": pulumi.String("hsm-config"), "secret": pulumi.Map{"secretName": pulumi.String(a.Seal.ClientConfigSecret), "defaultMode": pulumi.Int(0o440)}})
		mounts = append(mounts, pulumi.Map{"name": pulumi.String("hsm-config"), "mountPath": pulumi.String(hsmConfigPath), "readOnly": pulumi.Bool(true)})
	}

	var initContainers pulumi.Array
	if a.Seal.ClientImage != "" {
		client, _ := image.Parse(a.Seal.ClientImage) // validated
		initContainers = append(initContainers, pulumi.Map{
			"name":            pulumi.String("hsm-client"),
			"image":           pulumi.String(a.Images.Mirror(client).String()),
			"command":         pulumi.StringArray{pulumi.String("cp"), pulumi.String("-R"), pulumi.String(strings.TrimSuffix(a.Seal.ClientImageDir, "/") + "/."), pulumi.String(hsmMountPath + "/")},
			"securityContext": restrictedContainer(),
			"volumeMounts":    pulumi.Array{pulumi.Map{"name": pulumi.String("hsm"), "mountPath": pulumi.String(hsmMountPath)}},
		})
	}

	secretEnv := pulumi.Array{pulumi.Map{"envName": pulumi.String(PinEnv), "secretName": pulumi.String(secretName), "secretKey": pulumi.String(pinKey)}}
	if !a.Bootstrap.Disabled {
		secretEnv = append(secretEnv, pulumi.Map{"envName": pulumi.String(DeployerPasswordEnv), "secretName": pulumi.String(secretName), "secretKey": pulumi.String(passwordKey)})
	}
	env := pulumi.StringMap{}
	for k, v := range a.Seal.Env {
		env[k] = pulumi.String(v)
	}

	selector := pulumi.Map{"matchLabels": pulumi.StringMap{
		"app.kubernetes.io/name":     pulumi.String("openbao"),
		"app.kubernetes.io/instance": pulumi.String(fn),
		"component":                  pulumi.String("server"),
	}}
	server := pulumi.Map{
		"image": func() pulumi.Map {
			v := a.serverImage().Values()
			v["pullPolicy"] = "IfNotPresent"
			return pulumi.ToMap(v)
		}(),
		"statefulSet": pulumi.Map{"securityContext": pulumi.Map{
			"pod":       podSecurityContext(),
			"container": restrictedContainer(),
		}},
		"extraSecretEnvironmentVars": secretEnv,
		"extraEnvironmentVars":       env,
		"volumes":                    volumes,
		"volumeMounts":               mounts,
		"dataStorage":                storageValues(a.Storage.DataSize, dataPath, a.Storage.StorageClass),
		"auditStorage":               storageValues(a.Storage.AuditSize, "/openbao/audit", a.Storage.StorageClass),
		// Scaling down or deleting the StatefulSet must not delete raft data.
		"persistentVolumeClaimRetentionPolicy": pulumi.Map{"whenDeleted": pulumi.String("Retain"), "whenScaled": pulumi.String("Retain")},
		"standalone":                           pulumi.Map{"enabled": pulumi.Bool(false)},
		"dev":                                  pulumi.Map{"enabled": pulumi.Bool(false)},
		"ha": pulumi.Map{
			"enabled":  pulumi.Bool(true),
			"replicas": pulumi.Int(*a.Replicas),
			// Per-pod addresses that match the certificate's SANs. The chart
			// puts them into BAO_API_ADDR / BAO_CLUSTER_ADDR; Kubernetes expands
			// $(BAO_K8S_POD_NAME) because the chart defines it earlier in env.
			"apiAddr":     pulumi.String(fmt.Sprintf("https://$(BAO_K8S_POD_NAME).%s-internal:8200", fn)),
			"clusterAddr": pulumi.String(fmt.Sprintf("https://$(BAO_K8S_POD_NAME).%s-internal:8201", fn)),
			"raft": pulumi.Map{
				"enabled":   pulumi.Bool(true),
				"setNodeId": pulumi.Bool(true), // node_id = pod name (BAO_RAFT_NODE_ID)
				"config":    pulumi.String(cfg),
			},
			// Voluntary disruptions never take raft below quorum.
			"disruptionBudget": pulumi.Map{"enabled": pulumi.Bool(true), "maxUnavailable": pulumi.Int((*a.Replicas - 1) / 2)},
		},
		// One server per node (a node loss costs one raft member), spread
		// across zones where the cluster has them.
		"affinity": pulumi.Map{"podAntiAffinity": pulumi.Map{
			"requiredDuringSchedulingIgnoredDuringExecution": pulumi.Array{pulumi.Map{
				"labelSelector": selector,
				"topologyKey":   pulumi.String("kubernetes.io/hostname"),
			}},
		}},
		"topologySpreadConstraints": pulumi.Array{pulumi.Map{
			"maxSkew":           pulumi.Int(1),
			"topologyKey":       pulumi.String("topology.kubernetes.io/zone"),
			"whenUnsatisfiable": pulumi.String("ScheduleAnyway"),
			"labelSelector":     selector,
		}},
		"serviceAccount": pulumi.Map{"create": pulumi.Bool(true), "createSecret": pulumi.Bool(false)},
		"service":        pulumi.Map{"enabled": pulumi.Bool(true), "active": pulumi.Map{"enabled": pulumi.Bool(true)}},
	}
	if len(initContainers) > 0 {
		server["extraInitContainers"] = initContainers
	}
	return pulumi.Map{
		"fullnameOverride": pulumi.String(fn),
		"global":           pulumi.Map{"tlsDisable": pulumi.Bool(false)},
		// The injector and CSI provider are not part of the baseline: fewer
		// privileged webhooks and DaemonSets.
		"injector": pulumi.Map{"enabled": pulumi.Bool(false)},
		"csi":      pulumi.Map{"enabled": pulumi.Bool(false)},
		"ui":       pulumi.Map{"enabled": pulumi.Bool(a.UI)},
		"server":   server,
	}
}

func storageValues(size, mountPath, class string) pulumi.Map {
	m := pulumi.Map{"enabled": pulumi.Bool(true), "size": pulumi.String(size), "mountPath": pulumi.String(mountPath)}
	if class != "" {
		m["storageClass"] = pulumi.String(class)
	}
	return m
}
