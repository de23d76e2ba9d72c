//go:build tools

// Package tools pins the etcd server for the lab toolchain, built from Go modules.
package tools

import _ "go.etcd.io/etcd/server/v3"
