//go:build tools

// Package tools pins kubelet, kube-proxy and kube-scheduler v1.34.4 for the lab's node
// (lab/services/node.sh), built from the same k8s.io/kubernetes module and
// staging replaces as lab/tools/kube. A separate module so adding the node
// does not change the kube tool's cache key (and rebuild the API server).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
