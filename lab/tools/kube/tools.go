//go:build tools

// Package tools pins kube-apiserver, kube-controller-manager and kubectl
// v1.34.4 for the lab, built from Go modules.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
