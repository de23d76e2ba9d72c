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
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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
// Kubernetes provider through opts. Invalid args are rejected before anything
// is registered, each problem named by its path relative to args
// ("seal.mechanism"); a caller that wants its own config key paths calls
// Validate with its prefix first.
func NewOpenBao(ctx *pulumi.Context, name string, args *OpenBaoArgs, opts ...pulumi.ResourceOption) (*OpenBao, error) {
	if args == nil {
		return nil, fmt.Errorf("openbao %q: args are required", name)
	}
	a := args.withDefaults(name)
	if err := errors.Join(a.validate("", true), a.Images.Err(Pins())); err != nil {
		return nil, fmt.Errorf("openbao %q: invalid args:\n%w", name, err)
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
