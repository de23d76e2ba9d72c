package apiserver_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/apiserver"
	"github.com/rampart-dev/rampart/apiserver/encryption"
)

// The API server dials the plugin's socket, so the snippets mount the
// socket's directory beside the file, read-only (dialling needs no write).
func TestEncryption_MountsTheSocketDirectoryReadOnly(t *testing.T) {
	s := &apiserver.Settings{Encryption: encryption.Args{Endpoint: "unix:///var/run/kmsplugin/socket.sock"}}
	c, ok := apiserver.Lookup(apiserver.Configs(s), "encryption-provider-config")
	if !ok {
		t.Fatal("the encryption config is not on with an endpoint")
	}
	n, err := c.Node()
	if err != nil {
		t.Fatal(err)
	}
	if n.Path != encryption.DefaultConfigPath || !reflect.DeepEqual(n.Mounts, []apiserver.Mount{{Name: "kms-socket", Path: "/var/run/kmsplugin"}}) {
		t.Errorf("node = %+v, want the file at %s and the socket directory read-only", n, encryption.DefaultConfigPath)
	}
	r := snippetTree(t, []apiserver.Config{c})[apiserver.RKE2File]
	if !reflect.DeepEqual(r["kube-apiserver-extra-mount"], []any{
		encryption.DefaultConfigPath + ":" + encryption.DefaultConfigPath + ":ro", "/var/run/kmsplugin:/var/run/kmsplugin:ro"}) {
		t.Errorf("rke2 mounts = %v", r["kube-apiserver-extra-mount"])
	}
}

func TestEncryption_RefusesWithoutAnEndpoint(t *testing.T) {
	c := apiserver.Encryption(nil)
	if _, err := c.Render(); err == nil || !strings.Contains(err.Error(), "endpoint") {
		t.Errorf("Render err = %v, want the missing endpoint named", err)
	}
	if _, err := c.Node(); err == nil {
		t.Error("Node accepted the defaults, which lack the endpoint")
	}
}
