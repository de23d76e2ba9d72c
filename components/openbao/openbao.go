// Package openbao deploys OpenBao with an HSM (PKCS#11) seal, or renders the
// configuration of an OpenBao that runs elsewhere.
//
// # Modes
//
// ModeChart installs the upstream openbao-helm chart (helm.v4.Chart, pinned,
// repository overridable to an OCI mirror) as a raft HA StatefulSet in a
// PSS-restricted namespace. ModeExternal (OpenBao on HSM-attached VMs) creates
// no Kubernetes object: it renders one config per node and outputs the address.
//
// # Configuration
//
// The server config is written with hclwrite (RenderConfig, RenderNodeConfig,
// RenderSeal are pure and usable without Pulumi): raft storage with
// retry_join, a TLS listener with tls_min_version = "tls13", telemetry
// (Prometheus retention, disable_hostname), the UI switch, a file audit device
// declared in the config, and the seal. disable_mlock is never written:
// OpenBao 2.0 removed mlock and refuses disable_mlock = false.
//
// The seal is "pkcs11" with lib, slot (decimal) or token_label, key_label and
// mechanism 0x1087 (CKM_AES_GCM, default) or 0x0009 (CKM_RSA_PKCS_OAEP).
// 0x1085 is CKM_AES_CBC_PAD and hmac_* keys are rejected by Validate. From
// OpenBao 2.6.0 the seal runs as the external kms-pkcs11 plugin
// (plugin_directory + plugin "kms" "pkcs11" { command|image, sha256sum }); 2.7.0
// removed the built-in seal, so every version ≥ 2.6 gets the plugin form and
// 2.4–2.5 the built-in form. The PIN is never in the config: it travels from a
// Pulumi secret to a Kubernetes Secret to the BAO_HSM_PIN environment variable,
// which the seal library reads before the config value; the plugin process
// inherits the server's environment (go-plugin appends os.Environ()), and
// Rampart sets no plugin `env`. Newer kms-pkcs11 builds (openbao-plugins #116,
// on go-kms-wrapping kms/pkcs11) also accept library aliases; a plain lib path
// keeps working for seals, so Rampart renders the path.
//
// Versions confirmed on 2026-11-24: OpenBao v2.6.2 (openbao/openbao tags and
// CHANGELOG, 2026-08-18), chart openbao-helm 0.29.2 (appVersion v2.6.2). A 2.7.0
// GA is reported by third parties (2.7.0-beta20260909 is confirmed upstream);
// set Version to "2.7.x" with a matching chart once your mirror carries it.
//
// # Workload hardening (ModeChart)
//
// Pod and containers run as uid/gid 10000, non-root, seccomp RuntimeDefault,
// all capabilities dropped, no privilege escalation, read-only root
// filesystem (writable emptyDirs only for /tmp and $HOME, which the chart's
// start script needs). The HSM client library and the kms-pkcs11 plugin come
// from ClientImage through an init container into an emptyDir that the server
// mounts read-only: no hostPath, so the namespace stays PSS restricted and no
// exemption is needed (a node-installed vendor client would need hostPath,
// which even PSS baseline forbids — package it as an image instead). Required
// pod anti-affinity per node, zone spread, a PodDisruptionBudget of
// (replicas-1)/2, and the PersistentVolumeClaims the StatefulSet adopts are
// Pulumi resources with Protect and RetainOnDelete.
//
// # Bootstrap: initialised and unsealed in one `pulumi up`
//
//  1. Before the first up, create the token and the key in the HSM (OpenBao
//     never creates key material), e.g. for SoftHSM2/any PKCS#11 token:
//     pkcs11-tool --keygen --key-type aes:32 --label bao-root-key-aes.
//  2. pulumi up: the pods start, auto-unseal with the HSM key, and — because
//     the cluster is uninitialised and auto-unsealed — run the `initialize`
//     stanzas once: they write the deployer policy, enable userpass and create
//     the deployer user with the password from BAO_DEPLOYER_PASSWORD (a
//     Kubernetes Secret fed from a Pulumi secret). OpenBao uses a transient
//     root token for this and revokes it; no root token or recovery key is
//     ever handed out (rotate recovery keys later via the authenticated
//     sys/rotate endpoints).
//  3. The vault provider logs in with auth_login_userpass (username from the
//     DeployerUsername output, password the same Pulumi secret) and gets a
//     token of TokenTTL (15m) / TokenMaxTTL (1h): no long-lived root token.
//
// With Bootstrap.Disabled the operator runs `bao operator init` once instead.
package openbao

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/components/kname"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:openbao:OpenBao"

// OpenBao is a deployed (or externally run) OpenBao cluster.
type OpenBao struct {
	pulumi.ResourceState

	// Address is the https address clients and the vault provider use.
	Address pulumi.StringOutput `pulumi:"address"`
	// Config is the rendered server configuration (ModeChart: every pod's;
	// ModeExternal: the first node's). It holds no secret.
	Config pulumi.StringOutput `pulumi:"config"`
	// NodeConfigs maps node id to its config (ModeExternal; empty otherwise).
	NodeConfigs pulumi.StringMapOutput `pulumi:"nodeConfigs"`
	// DeployerUsername is the userpass user for the vault provider
	// (auth_login_userpass); "" when bootstrap is disabled.
	DeployerUsername pulumi.StringOutput `pulumi:"deployerUsername"`
	// PinSecretName is the Kubernetes Secret holding the HSM PIN (ModeChart).
	PinSecretName pulumi.StringOutput `pulumi:"pinSecretName"`
}

// NewOpenBao deploys OpenBao (ModeChart) or renders its configuration
// (ModeExternal). It never reads stack config or builds providers: pass the
// Kubernetes provider through opts.
func NewOpenBao(ctx *pulumi.Context, name string, args *OpenBaoArgs, opts ...pulumi.ResourceOption) (*OpenBao, error) {
	if args == nil {
		return nil, fmt.Errorf("openbao %q: args are required", name)
	}
	a := args.withDefaults(name)
	if err := a.validate("rampart:openbao", true); err != nil {
		return nil, fmt.Errorf("openbao %q: %w", name, err)
	}
	fn := fullname(name)
	// The StatefulSet's pods are <fn>-N and its PVCs data-<fn>-N: keep both
	// inside the 63-character DNS label limit.
	if a.Mode == ModeChart && len(fn) > 50 {
		return nil, fmt.Errorf("openbao %q: name %q is longer than 50 characters; pod and volume names would exceed 63", name, fn)
	}

	comp := &OpenBao{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("openbao %q: register component: %w", name, err)
	}

	var cfg []byte
	nodeConfigs := pulumi.StringMap{}
	if a.Mode == ModeExternal {
		for i, n := range a.Nodes {
			c := renderConfig(name, &a, &a.Nodes[i])
			nodeConfigs[n.ID] = pulumi.String(string(c))
			if i == 0 {
				cfg = c
			}
		}
	} else {
		cfg = renderConfig(name, &a, nil)
	}
	comp.Config = pulumi.String(string(cfg)).ToStringOutput()
	comp.NodeConfigs = nodeConfigs.ToStringMapOutput()
	comp.Address = pulumi.String(a.APIAddr).ToStringOutput()
	comp.DeployerUsername = pulumi.String("").ToStringOutput()
	if !a.Bootstrap.Disabled {
		comp.DeployerUsername = pulumi.String(a.Bootstrap.DeployerUsername).ToStringOutput()
	}
	comp.PinSecretName = pulumi.String("").ToStringOutput()

	if a.Mode == ModeChart {
		if err := deployChart(ctx, name, &a, string(cfg), comp); err != nil {
			return nil, err
		}
	}

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"address":          comp.Address,
		"config":           comp.Config,
		"nodeConfigs":      comp.NodeConfigs,
		"deployerUsername": comp.DeployerUsername,
		"pinSecretName":    comp.PinSecretName,
	}); err != nil {
		return nil, fmt.Errorf("openbao %q: register outputs: %w", name, err)
	}
	return comp, nil
}

const (
	pinKey      = "pin"
	passwordKey = "password"
)

func deployChart(ctx *pulumi.Context, name string, a *OpenBaoArgs, cfg string, comp *OpenBao) error {
	fn := fullname(name)
	parent := pulumi.Parent(comp)
	labels := pulumi.StringMap{
		"app.kubernetes.io/name":       pulumi.String("openbao"),
		"app.kubernetes.io/instance":   pulumi.String(fn),
		"app.kubernetes.io/managed-by": pulumi.String("rampart"),
	}
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
	for i := 0; i < a.Replicas; i++ {
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

	chartArgs := &helmv4.ChartArgs{
		Name:      pulumi.String(fn),
		Namespace: pulumi.String(a.Namespace),
		Version:   pulumi.String(a.Chart.Version),
		Values:    chartValues(fn, a, cfg, pinSecretName),
		SkipAwait: pulumi.Bool(a.SkipAwait),
	}
	if strings.HasPrefix(a.Chart.Repository, "oci://") {
		chartArgs.Chart = pulumi.String(strings.TrimSuffix(a.Chart.Repository, "/") + "/openbao")
	} else {
		chartArgs.Chart = pulumi.String("openbao")
		chartArgs.RepositoryOpts = &helmv4.RepositoryOptsArgs{Repo: pulumi.String(a.Chart.Repository)}
	}
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

// restrictedContainer is the PSS-restricted container securityContext.
func restrictedContainer() pulumi.Map {
	return pulumi.Map{
		"runAsNonRoot":             pulumi.Bool(true),
		"runAsUser":                pulumi.Int(HardenedUID),
		"runAsGroup":               pulumi.Int(HardenedUID),
		"allowPrivilegeEscalation": pulumi.Bool(false),
		"readOnlyRootFilesystem":   pulumi.Bool(true),
		"capabilities":             pulumi.Map{"drop": pulumi.StringArray{pulumi.String("ALL")}},
		"seccompProfile":           pulumi.Map{"type": pulumi.String("RuntimeDefault")},
	}
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
		initContainers = append(initContainers, pulumi.Map{
			"name":            pulumi.String("hsm-client"),
			"image":           pulumi.String(a.Seal.ClientImage),
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
		"image": pulumi.Map{
			"registry":   pulumi.String(a.Image.Registry),
			"repository": pulumi.String(a.Image.Repository),
			"tag":        pulumi.String(a.Image.Tag),
			"pullPolicy": pulumi.String("IfNotPresent"),
		},
		"statefulSet": pulumi.Map{"securityContext": pulumi.Map{
			"pod": pulumi.Map{
				"runAsNonRoot":   pulumi.Bool(true),
				"runAsUser":      pulumi.Int(HardenedUID),
				"runAsGroup":     pulumi.Int(HardenedUID),
				"fsGroup":        pulumi.Int(HardenedUID),
				"seccompProfile": pulumi.Map{"type": pulumi.String("RuntimeDefault")},
			},
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
			"replicas": pulumi.Int(a.Replicas),
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
			"disruptionBudget": pulumi.Map{"enabled": pulumi.Bool(true), "maxUnavailable": pulumi.Int((a.Replicas - 1) / 2)},
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
