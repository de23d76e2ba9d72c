// Package kmsserver_test runs Rampart's KMS v2 plugin (helpers/kmsplugin)
// against a real OpenBao: the lab's pinned upstream bao binary, started
// here as its own `bao server -dev -dev-tls` on 127.0.0.1 at a free port
// (never the lab's server), and called through the KMS v2 gRPC client the
// API server uses (kms_test.go); and the whole chain proven in etcd
// (etcd_test.go): the plugin binary, the lab's built etcd and
// kube-apiserver on the EncryptionConfiguration Rampart renders, each the
// test's own process on 127.0.0.1, the Secrets read straight from etcd.
package kmsserver_test
