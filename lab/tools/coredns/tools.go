//go:build tools

// Package tools pins CoreDNS v1.15.0, the lab node's cluster DNS (run as a
// pod from a local image; lab/services/node.sh).
package tools

import _ "github.com/coredns/coredns"
