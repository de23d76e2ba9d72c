//go:build tools

// Package tools pins github.com/envoyproxy/gateway/cmd/egctl for the lab toolchain, built from Go modules.
package tools

import _ "github.com/envoyproxy/gateway/cmd/egctl"
