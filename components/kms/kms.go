// Package kms creates, in OpenBao, what Rampart's KMS v2 plugin
// (cmd/rampart-kms, helpers/kmsplugin) needs to encrypt the cluster's
// Secrets at rest: a transit engine, the transit key that wraps the API
// server's data keys (aes256-gcm96, never exportable, no plaintext backup,
// deletion refused) and the narrow policy of the plugin's token (encrypt and
// decrypt with that key, read its metadata, nothing else). The key never
// leaves OpenBao, so the key that protects etcd stays under the operator's
// jurisdiction. NIS2 Art. 21(2)(h); ITSG-33 SC-12, SC-28; the
// sovereign-cloud hardening guide's Kubernetes secrets encryption.
package kms

import (
	"errors"
	"fmt"
	"strconv"

	vault "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	"github.com/pulumi/pulumi-vault/sdk/v6/go/vault/transit"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/kmsplugin"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:kms:SecretsEncryption"

// KeyType is the transit key's type: AES-256 in GCM, the symmetric
// algorithm every framework here accepts and the one the plugin checks.
const KeyType = "aes256-gcm96"

// SecretsEncryption is the component: its outputs are the plugin's flags
// (--transit-mount, --key-name) and the policy its token must carry.
type SecretsEncryption struct {
	pulumi.ResourceState

	// Mount is the transit engine's mount path.
	Mount pulumi.StringOutput `pulumi:"mount"`
	// KeyName is the transit key's name.
	KeyName pulumi.StringOutput `pulumi:"keyName"`
	// PolicyName is the policy to give the plugin's token (and nothing else).
	PolicyName pulumi.StringOutput `pulumi:"policyName"`
}

// NewSecretsEncryption creates the transit mount, the key and the plugin's
// policy. Pass the vault provider in opts (pulumi.Providers(vaultProvider));
// every child inherits it through pulumi.Parent.
func NewSecretsEncryption(ctx *pulumi.Context, name string, args *SecretsEncryptionArgs, opts ...pulumi.ResourceOption) (*SecretsEncryption, error) {
	if args == nil {
		return nil, errors.New("kms " + strconv.Quote(name) + ": args are required")
	}
	a := args.withDefaults()
	if err := a.Validate(""); err != nil {
		return nil, fmt.Errorf("kms %q: invalid args:\n%w", name, err)
	}
	rotate, _ := rotateSeconds(a.AutoRotatePeriod) // validated above
	policy, err := kmsplugin.Policy(a.Mount, a.KeyName)
	if err != nil {
		return nil, fmt.Errorf("kms %q: policy: %w", name, err)
	}

	comp := &SecretsEncryption{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("kms %q: register component: %w", name, err)
	}
	parent := pulumi.Parent(comp)

	// Stateful: every Secret in etcd is wrapped by this key, which exists
	// only inside OpenBao and cannot be recreated; unmounting the engine
	// deletes it. Protect blocks an accidental replace or destroy,
	// RetainOnDelete keeps them if the component is dropped from the program.
	keep := []pulumi.ResourceOption{parent}
	if !a.AllowDestroy {
		keep = append(keep, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}
	mount, err := vault.NewMount(ctx, name+"-mount", &vault.MountArgs{
		Path:        pulumi.String(a.Mount),
		Type:        pulumi.String("transit"),
		Description: pulumi.String("Rampart: Kubernetes Secrets encryption (KMS v2), managed by Pulumi"),
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("kms %q: mount: %w", name, err)
	}
	key, err := transit.NewSecretBackendKey(ctx, name+"-key", &transit.SecretBackendKeyArgs{
		Backend: mount.Path,
		Name:    pulumi.String(a.KeyName),
		Type:    pulumi.String(KeyType),
		// Neither flag can be turned off once on: a key exported or backed
		// up in plaintext has left OpenBao for good. ITSG-33 SC-12.
		Exportable:           pulumi.Bool(false),
		AllowPlaintextBackup: pulumi.Bool(false),
		// OpenBao refuses to delete the key, whoever asks (Protect only
		// stops Pulumi). Fixed even with AllowDestroy: unmounting the
		// engine removes a lab's key.
		DeletionAllowed:  pulumi.Bool(false),
		AutoRotatePeriod: pulumi.Int(rotate),
	}, keep...)
	if err != nil {
		return nil, fmt.Errorf("kms %q: key: %w", name, err)
	}
	// The policy names the key by the args, not by the key's output, so it
	// is known at preview; the dependency orders it after the key anyway.
	pol, err := vault.NewPolicy(ctx, name+"-policy", &vault.PolicyArgs{
		Name:   pulumi.String(a.PolicyName),
		Policy: pulumi.String(string(policy)),
	}, parent, pulumi.DependsOn([]pulumi.Resource{key}))
	if err != nil {
		return nil, fmt.Errorf("kms %q: policy: %w", name, err)
	}

	comp.Mount = mount.Path
	comp.KeyName = key.Name
	comp.PolicyName = pol.Name
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"mount":      comp.Mount,
		"keyName":    comp.KeyName,
		"policyName": comp.PolicyName,
	}); err != nil {
		return nil, fmt.Errorf("kms %q: register outputs: %w", name, err)
	}
	return comp, nil
}
