//go:build tools

// Package tools pins the Pulumi CLI for the lab toolchain, built from Go modules.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
