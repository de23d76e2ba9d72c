//go:build tools

// Package deps keeps go.mod pinned to the SDK versions the components are
// written against while they are being added (see TOOLCHAIN.md).
package deps

import (
	_ "github.com/Nerzal/gocloak/v13"
	_ "github.com/hashicorp/hcl/v2/hclwrite"
	_ "github.com/openbao/go-kms-wrapping/v2"
	_ "github.com/openbao/go-kms-wrapping/wrappers/pkcs11/v2"
	_ "github.com/openbao/openbao/api/v2"
	_ "github.com/pulumi/pulumi-keycloak/sdk/v5/go/keycloak"
	_ "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	_ "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	_ "github.com/pulumi/pulumi-vault/sdk/v6/go/vault"
	_ "github.com/pulumi/pulumi-vault/sdk/v6/go/vault/pkisecret"
	_ "github.com/pulumi/pulumi/sdk/v3/go/auto"
	_ "github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/pod-security-admission/policy"
)
