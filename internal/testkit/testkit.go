// Package testkit holds the test helpers that the server-backed test packages
// (tests/e2e, tests/pkiserver, tests/keycloakserver) each used to carry a copy
// of: a Kubernetes client for the lab's kube-apiserver, random names that keep
// parallel or repeated runs apart on a shared lab server, and the recorded
// resource lookup that fails the test instead of returning an error.
//
// Where the lab is found and whether a missing lab fails or skips a test stays
// with internal/labenv; the helpers here take what labenv returned.
package testkit

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// KubeClient connects to the kube-apiserver named by the kubeconfig file at
// path (the lab's is labenv's RAMPART_LAB_KUBECONFIG) and fails the test if
// the file cannot be read or gives no usable client. It returns the REST
// config too, for tests that hand the apiserver's address and CA to another
// server (OpenBao's Kubernetes auth method checks tokens against it).
func KubeClient(t testing.TB, path string) (kubernetes.Interface, *rest.Config) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return kc, cfg
}

// RandHex returns n random bytes from crypto/rand, hex-encoded (2n
// characters): a suffix for realm, namespace and mount names, so a run never
// meets what an earlier or concurrent run left on the same lab server, and
// for one-off secrets (PKCE verifiers, passwords). crypto/rand.Read does not
// return an error since Go 1.24 (it crashes the program instead), so there is
// nothing for the caller to check.
func RandHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
