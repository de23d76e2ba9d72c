//go:build tools

// Package tools pins github.com/envoyproxy/gateway/cmd/envoy-gateway for the
// lab's node: the Envoy Gateway controller (it also serves certgen and the
// proxies' shutdown manager), built static from Go modules.
package tools

import _ "github.com/envoyproxy/gateway/cmd/envoy-gateway"
