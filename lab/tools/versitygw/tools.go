//go:build tools

// Package tools pins github.com/versity/versitygw/cmd/versitygw for the lab toolchain, built from Go modules.
package tools

import _ "github.com/versity/versitygw/cmd/versitygw"
