package kmeta_test

import (
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/kmeta"
)

func TestLabels_ExtraWinsAndCallersDoNotShareTheMap(t *testing.T) {
	got := kmeta.Labels(map[string]string{"app.kubernetes.io/part-of": "x"})
	want := map[string]string{"app.kubernetes.io/managed-by": "rampart", "app.kubernetes.io/part-of": "x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Labels = %v, want %v", got, want)
	}
	got[kmeta.LabelManagedBy] = "other"
	if v := kmeta.Labels(nil)[kmeta.LabelManagedBy]; v != "rampart" {
		t.Fatalf("a caller's edit leaked into the next map: %q", v)
	}
}

func TestMeta_CarriesLabelAndPatchForce(t *testing.T) {
	m := kmeta.Meta("obj", nil)
	if m.Namespace != nil {
		t.Errorf("cluster-scoped object got a namespace: %v", m.Namespace)
	}
	if !reflect.DeepEqual(m.Labels, pulumi.StringMap{"app.kubernetes.io/managed-by": pulumi.String("rampart")}) {
		t.Errorf("labels = %v", m.Labels)
	}
	if !reflect.DeepEqual(m.Annotations, pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")}) {
		t.Errorf("annotations = %v", m.Annotations)
	}
}
