//go:build tools

// Package tools pins github.com/aquasecurity/trivy/cmd/trivy for the lab toolchain, built from Go modules.
package tools

import _ "github.com/aquasecurity/trivy/cmd/trivy"
