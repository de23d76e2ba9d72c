//go:build tools

// Package tools pins github.com/rhysd/actionlint/cmd/actionlint for the lab toolchain, built from Go modules.
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
