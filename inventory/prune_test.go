package inventory

import (
	"context"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

// These cases fail before any request: the client points nowhere.
func TestDelete_RefusesWhatItCannotGuard(t *testing.T) {
	c, err := NewClient(&rest.Config{Host: "https://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	noUID := Object{Ref: Ref{Group: "networking.k8s.io", Kind: "NetworkPolicy", Namespace: "tenant-a", Name: "allow-all"},
		Object: map[string]any{"metadata": map[string]any{"name": "allow-all"}}}
	unknownKind := Object{Ref: Ref{Kind: "ConfigMap", Namespace: "tenant-a", Name: "x"},
		Object: map[string]any{"metadata": map[string]any{"name": "x", "uid": "u-1"}}}

	err = Delete(context.Background(), c, []Object{noUID, unknownKind})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"NetworkPolicy tenant-a/allow-all: no metadata.uid", "ConfigMap tenant-a/x", "inventorykinds.All"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q (every object is tried, errors joined)", err, want)
		}
	}
	if err := Delete(context.Background(), nil, nil); err == nil {
		t.Error("nil client accepted")
	}
}
