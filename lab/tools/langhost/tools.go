//go:build tools

// Package tools pins the Pulumi Go language host. It lived inside sdk/v3 up to
// v3.66.0, the newest release of it the module proxy serves; it runs programs
// built against newer SDKs.
package tools

import _ "github.com/pulumi/pulumi/sdk/v3/go/pulumi-language-go"
