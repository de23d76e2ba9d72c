//go:build tools

// Package tools pins cyclonus v0.5.6, the NetworkPolicy simulator whose
// verdicts the node's traffic tests (tests/nodetraffic) compare with the
// real dataplane. Its successor, SIG Network's policy-assistant, is not
// served as a Go module.
package tools

import _ "github.com/mattfenwick/cyclonus/cmd/cyclonus"
